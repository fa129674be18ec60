#include "emulation/split_run.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace yt::emulation {
namespace {

constexpr std::chrono::microseconds kSpin{2000};

}  // namespace

Result<SplitRun, std::string> SplitRun::Fork() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0) {
    return Err{std::string("socketpair: ") + std::strerror(errno)};
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Err{std::string("fork: ") + std::strerror(error)};
  }
  if (pid == 0) {
    ::close(fds[0]);
    return SplitRun(fds[1], 0);
  }
  ::close(fds[1]);
  return SplitRun(fds[0], pid);
}

SplitRun::SplitRun(SplitRun&& other) noexcept
    : fd_(other.fd_), child_(other.child_), inbox_(std::move(other.inbox_)), inbox_start_(other.inbox_start_) {
  other.fd_ = -1;
  other.child_ = 0;
}

SplitRun::~SplitRun() {
  if (fd_ >= 0) ::close(fd_);
  if (child_ > 0) WaitChild();
}

bool SplitRun::WaitChild() {
  if (child_ <= 0) return false;
  int status = 0;
  pid_t got = 0;
  while ((got = ::waitpid(child_, &status, 0)) < 0 && errno == EINTR) {
  }
  child_ = 0;
  return got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool SplitRun::Pull(bool wait) {
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n > 0) {
      inbox_.append(buffer, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buffer) return true;
      wait = false;  // there may be more; take it without waiting
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    if (!wait) return true;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
  }
}

bool SplitRun::Post(const std::string& message) {
  const uint64_t size = message.size();
  std::string frame(reinterpret_cast<const char*>(&size), sizeof size);
  frame += message;
  std::size_t done = 0;
  while (done < frame.size()) {
    const ssize_t n = ::send(fd_, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    // The socket is full: wait until it drains, reading what comes meanwhile.
    pollfd p{fd_, POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
    if ((p.revents & POLLIN) && !Pull(false)) return false;
    if (p.revents & (POLLERR | POLLHUP) && !(p.revents & POLLOUT)) return false;
  }
  return true;
}

Result<std::string, std::string> SplitRun::Take() {
  for (;;) {
    uint64_t size = 0;
    const std::size_t available = inbox_.size() - inbox_start_;
    if (available >= sizeof size) {
      std::memcpy(&size, inbox_.data() + inbox_start_, sizeof size);
      if (available - sizeof size >= size) {
        std::string message = inbox_.substr(inbox_start_ + sizeof size, size);
        inbox_start_ += sizeof size + size;
        if (inbox_start_ == inbox_.size() || inbox_start_ > inbox_.size() / 2) {
          inbox_.erase(0, inbox_start_);
          inbox_start_ = 0;
        }
        return message;
      }
    }
    // The other process is usually a moment away: polling the socket for a
    // while beats being put to sleep and woken (tens to hundreds of
    // microseconds each time, once per window).
    const std::size_t had = inbox_.size();
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    while (inbox_.size() == had && std::chrono::steady_clock::now() < spin_until) {
      if (!Pull(false)) return Err{Gone()};
    }
    if (inbox_.size() == had && !Pull(true)) return Err{Gone()};
  }
}

std::string SplitRun::Gone() const {
  return std::string(partition() == 0 ? "the second simulator process" : "the first simulator process") +
         " ended before the run did";
}

void SplitRun::EndChild(bool ok) {
  std::fflush(nullptr);
  ::_exit(ok ? 0 : 1);
}

}  // namespace yt::emulation
