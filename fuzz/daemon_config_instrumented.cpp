// client/daemon/daemon_config.cpp compiled for daemon_config_fuzz with toml++ as a
// header-only library, so the TOML parser is instrumented too (Debian's
// libtomlplusplus.so is not, and the fuzzer would be blind inside it).
//
// toml++'s internal asserts are off, as in the library the daemon really links
// (built with NDEBUG by g++, where TOML_ASSERT_ASSUME is a no-op). toml++ 3.3 asserts
// on a table header such as "[`a]" (parse_key's precondition; fixed upstream in
// marzer/tomlplusplus#301) and then reports a normal parse error: with its asserts
// on, the fuzzer would stop on that upstream bug on every run.
#define TOML_HEADER_ONLY 1
#define TOML_ASSERT(expr) static_assert(true)

#include "client/daemon/daemon_config.cpp"
