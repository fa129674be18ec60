#include "bench/load/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace yt::load {
namespace {

using namespace std::chrono_literals;

bool accepts(Endpoint e) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(e.port);
  to.sin_addr.s_addr = htonl(e.ip.value);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  ::close(fd);
  return ok;
}

// Waits for `pid` to exit, at most `limit`; true when it did.
bool reap(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

Result<PublicKey, std::string> ServerProcess::public_key(const ServerLaunch& launch) {
  const std::string command = "'" + launch.binary + "' --key '" + launch.directory + "/server.key' --print-public-key";
  FILE* out = ::popen(command.c_str(), "r");
  if (!out) return Err{"cannot run " + launch.binary};
  char line[256] = {};
  const bool read = std::fgets(line, sizeof line, out) != nullptr;
  const int status = ::pclose(out);
  if (!read || status != 0) return Err{launch.binary + " --print-public-key failed (is it a yellowtail-server?)"};
  std::string hex(line);
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto key = key_from_hex(hex);
  if (!key) return Err{"not a public key from " + launch.binary + ": " + hex};
  return *key;
}

ServerProcess::~ServerProcess() {
  if (running()) kill_hard();
}

Status<std::string> ServerProcess::start() {
  if (running()) return Err{std::string("the server is already running")};
  std::vector<std::string> args = {launch_.binary,
                                   "--listen", launch_.control.to_string(),
                                   "--db", launch_.directory + "/server.db",
                                   "--key", launch_.directory + "/server.key",
                                   "--password-strength", "minimum"};
  for (const Endpoint& d : launch_.discovery) {
    args.push_back("--discovery");
    args.push_back(d.to_string());
  }
  const std::string log = launch_.directory + "/server.log";
  const pid_t pid = ::fork();
  if (pid < 0) return Err{std::string("fork failed")};
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until) {
    if (accepts(launch_.control)) return Ok{};
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Err{"the server exited at start (see " + log + ")"};
    }
    std::this_thread::sleep_for(20ms);
  }
  kill_hard();
  return Err{"the server did not accept connections within 10 s (see " + log + ")"};
}

void ServerProcess::kill_hard() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  reap(pid_, 5000ms);
  pid_ = -1;
}

void ServerProcess::stop() {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  if (!reap(pid_, 5000ms)) {
    ::kill(pid_, SIGKILL);
    reap(pid_, 5000ms);
  }
  pid_ = -1;
}

std::optional<std::uint64_t> ServerProcess::rss_bytes() const {
  if (!running()) return std::nullopt;
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string word;
  while (status >> word) {
    if (word == "VmRSS:") {
      std::uint64_t kib = 0;
      if (status >> kib) return kib * 1024;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace yt::load
