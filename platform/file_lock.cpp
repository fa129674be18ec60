#include "platform/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace yt {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

// The pid recorded in a lock file, or "" when it holds none we can read.
std::string recorded_pid(int fd) {
  char buffer[32] = {};
  ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return "";
  std::string text(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return "";
  return text;
}

Result<int, std::string> lock(int fd, const std::string& what, const std::string& advice) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
  const int error = errno;
  std::string holder = recorded_pid(fd);
  ::close(fd);
  if (error == EWOULDBLOCK) {
    return Err{what + " is in use by another yellowtaild" + (holder.empty() ? "" : " (pid " + holder + ")") +
               ": " + advice};
  }
  return Err{"cannot lock " + what + ": " + errno_text(error)};
}

}  // namespace

Result<FileLock, std::string> FileLock::acquire_pid_file(const std::string& path, const std::string& what,
                                                       const std::string& advice) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Err{"cannot open lock file " + path + ": " + errno_text(errno)};
  auto locked = lock(fd, what, advice);
  if (!locked) return Err{locked.error()};
  const std::string pid = std::to_string(::getpid()) + "\n";
  // Only informative: a failure to record the pid does not weaken the lock.
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return FileLock(fd);
}

Result<FileLock, std::string> FileLock::acquire_existing(const std::string& path, const std::string& what,
                                                       const std::string& advice) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err{"cannot open " + path + ": " + errno_text(errno)};
  auto locked = lock(fd, what, advice);
  if (!locked) return Err{locked.error()};
  return FileLock(fd);
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace yt
