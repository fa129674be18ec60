#include "emulation/sweep_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace yt::emulation {

namespace {

constexpr const char* kPython = "/usr/bin/python3";

std::filesystem::path build_tree_package_dir() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const std::filesystem::path candidate = self.parent_path().parent_path() / "python";
  return std::filesystem::exists(candidate / "yellowtail" / "__init__.py", ec) ? candidate : std::filesystem::path{};
}

}  // namespace

int exec_python_sweep(const std::vector<std::string>& arguments) {
  if (const std::filesystem::path dir = build_tree_package_dir(); !dir.empty()) {
    std::string path = dir.string();
    if (const char* old = std::getenv("PYTHONPATH"); old && *old) path += std::string(":") + old;
    setenv("PYTHONPATH", path.c_str(), 1);
  }
  std::vector<std::string> args{kPython, "-m", "yellowtail", "sweep"};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execv(kPython, argv.data());
  std::fprintf(stderr, "yellowtail-sim sweep: cannot run %s: %s (sweeps need Debian's python3)\n", kPython,
               std::strerror(errno));
  return 1;
}

}  // namespace yt::emulation
