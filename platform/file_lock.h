// An exclusive advisory lock (flock) that a daemon holds on a file for its whole
// life. Two yellowtaild processes on one state directory or one key would each
// log the other out in turn, forever, and write over each other's state; the
// second one must refuse to start instead. The kernel drops the lock when the
// holder exits or crashes, so nothing stale is ever left to clean up.
#pragma once

#include <string>

#include "protocol/result.h"

namespace yt {

class FileLock {
 public:
  // Locks `path`, creating it (mode 0600) when missing, and writes our pid into it
  // so that the refusal can name the holder. In the refusal, `what` names the
  // locked thing ("state directory /var/lib/yellowtail") and `advice` says what to
  // do about it.
  static Result<FileLock, std::string> acquire_pid_file(const std::string& path, const std::string& what,
                                                        const std::string& advice);
  // Locks an existing file without changing it (a key file).
  static Result<FileLock, std::string> acquire_existing(const std::string& path, const std::string& what,
                                                        const std::string& advice);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace yt
