// The daemon's control socket protocol (client/daemon/control_protocol.h): the input
// is one line, parsed as a request (what the daemon reads) and as a response (what
// the CLI reads). What parses must encode back to one line that parses to the same.
#include <string>
#include <string_view>

#include "client/daemon/control_protocol.h"
#include "fuzz/fuzz_support.h"

using namespace yt;

namespace {

void check_one_line(const std::string& line) {
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  FUZZ_CHECK(line.find('\n') == line.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);

  if (auto request = parse_control_request(line); request.ok()) {
    FUZZ_CHECK(request->args.is_object() && !request->args.contains("command"));
    std::string encoded = encode_control_request(*request);
    check_one_line(encoded);
    auto again = parse_control_request(encoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->command == request->command);
    FUZZ_CHECK(again->args == request->args);
    FUZZ_CHECK(encode_control_request(*again) == encoded);
  }

  if (auto response = parse_control_response(line); response.ok()) {
    std::string encoded = encode_control_response(*response);
    check_one_line(encoded);
    auto again = parse_control_response(encoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->ok == response->ok);
    FUZZ_CHECK(again->error == response->error);
    if (response->ok) FUZZ_CHECK(again->result == response->result);
    FUZZ_CHECK(encode_control_response(*again) == encoded);
  }
  return 0;
}
