#include "platform/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace yt {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

Status<std::string> prepare_state_dir(const std::string& path) {
  if (path.empty()) return Err{std::string("the state directory is not set")};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    // Parents are created too, but only the last component is ours to lock down.
    std::filesystem::create_directories(path, ec);
    if (ec) return Err{"cannot create state directory " + path + ": " + ec.message()};
    if (::chmod(path.c_str(), 0700) != 0) {
      return Err{"cannot set mode 0700 on state directory " + path + ": " + errno_text(errno)};
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Err{"cannot use state directory " + path + ": " + errno_text(errno)};
  if (!S_ISDIR(st.st_mode)) return Err{"state directory " + path + " exists but is not a directory"};
  if (st.st_uid != ::geteuid()) {
    return Err{"state directory " + path + " belongs to uid " + std::to_string(st.st_uid) +
               ", not to the daemon's user (uid " + std::to_string(::geteuid()) + "); run: chown " +
               std::to_string(::geteuid()) + " " + path};
  }
  if ((st.st_mode & 022) != 0) {
    return Err{"state directory " + path + " is writable by group or others; run: chmod 700 " + path};
  }
  std::string probe = path + "/.write-test-" + std::to_string(::getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Err{"state directory " + path + " is not writable: " + errno_text(errno)};
  bool written = write_all(fd, "ok\n");
  int error = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!written) return Err{"state directory " + path + " is not writable: " + errno_text(error)};
  return Ok{};
}

Status<std::string> write_file_atomically(const std::string& path, std::string_view contents, unsigned mode) {
  std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return Err{"cannot write " + path + ": " + errno_text(errno)};
  // open() applies the umask; the file must have exactly `mode` (0600 for secrets).
  bool ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0 && write_all(fd, contents) && ::fsync(fd) == 0;
  int error = errno;
  ::close(fd);
  if (ok && ::rename(temporary.c_str(), path.c_str()) != 0) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    ::unlink(temporary.c_str());
    return Err{"cannot write " + path + ": " + errno_text(error)};
  }
  return Ok{};
}

Result<std::optional<std::string>, std::string> read_small_file(const std::string& path, std::size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Err{"cannot read " + path + ": " + errno_text(errno)};
  }
  std::string contents;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Err{"cannot read " + path + ": " + errno_text(error)};
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<std::size_t>(n));
    if (contents.size() > max_size) {
      ::close(fd);
      return Err{path + " is larger than " + std::to_string(max_size) + " bytes; refusing to load it"};
    }
  }
  ::close(fd);
  return std::optional<std::string>(std::move(contents));
}

}  // namespace yt
