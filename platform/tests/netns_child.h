// For tests against the real kernel: run a body in a forked child inside a fresh
// network namespace, so the host's interfaces are never touched.
#pragma once

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace yt::test_support {

// The child's exit code is body's return (0 = pass); 77 = no namespace here; 99 =
// the child did not exit normally.
inline int in_new_netns(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(77);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

// Root and a TUN device: what creating adapters needs.
inline bool can_run_tun_tests() { return ::geteuid() == 0 && ::access("/dev/net/tun", F_OK) == 0; }

}  // namespace yt::test_support
