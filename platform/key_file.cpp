#include "platform/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace yt {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Result<Identity, std::string> load_identity(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err{"cannot open key file " + path + ": " + errno_text()};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Err{"cannot stat key file " + path + ": " + errno_text()};
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Err{"key file " + path + " is accessible by group or others; run: chmod 600 " + path};
  }
  char buffer[130];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n < 0) return Err{"cannot read key file " + path + ": " + errno_text()};
  auto secret = from_hex(std::string_view(buffer, static_cast<std::size_t>(n)));
  if (!secret || secret->size() != kKeySize) return Err{"key file " + path + " does not hold a 32-byte hex key"};
  auto identity = Identity::from_secret(*secret);
  if (!identity) return Err{"key file " + path + " does not hold a valid key"};
  return *identity;
}

Result<Identity, std::string> load_or_create_identity(const std::string& path, RandomSource& rng) {
  if (::access(path.c_str(), F_OK) == 0) return load_identity(path);
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return Err{"cannot create directory " + parent.string() + ": " + ec.message()};
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
  }
  Identity identity = Identity::generate(rng);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Err{"cannot create key file " + path + ": " + errno_text()};
  std::string text = to_hex(ByteView(identity.secret_key.data(), identity.secret_key.size())) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Err{"cannot write key file " + path + ": " + errno_text()};
  }
  return identity;
}

}  // namespace yt
