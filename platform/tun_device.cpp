#include "platform/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace yt {
namespace {

constexpr char kCloneDevice[] = "/dev/net/tun";

std::string open_error(int error) {
  switch (error) {
    case ENOENT:
      return std::string(kCloneDevice) + " does not exist: load the TUN driver (modprobe tun) or, in a container, "
             "pass the device in";
    case ENXIO:
    case ENODEV:
      return "the kernel has no TUN support (" + std::string(std::strerror(error)) + "): load the tun module";
    case EACCES:
    case EPERM:
      return "not permitted to open " + std::string(kCloneDevice) + ": run as root or give the daemon CAP_NET_ADMIN";
    default:
      return std::string("cannot open ") + kCloneDevice + ": " + std::strerror(error);
  }
}

std::string create_error(const std::string& name, int error) {
  switch (error) {
    case EPERM:
    case EACCES:
      return "not permitted to create TUN device " + name + ": run as root or give the daemon CAP_NET_ADMIN";
    case EBUSY:
      return "TUN device " + name + " is in use by another process (is another yellowtaild running?)";
    case EINVAL:
      return "cannot create TUN device " + name + ": an interface of another type already has that name";
    case ENODEV:
    case ENXIO:
      return "the kernel has no TUN support (" + std::string(std::strerror(error)) + "): load the tun module";
    default:
      return "cannot create TUN device " + name + ": " + std::strerror(error);
  }
}

}  // namespace

bool valid_interface_name(const std::string& name) {
  if (name.empty() || name.size() > TunDevice::kMaxNameLength) return false;
  if (name == "." || name == "..") return false;
  std::size_t percent = name.find('%');
  if (percent != std::string::npos) {
    if (name.compare(percent, 2, "%d") != 0 || name.find('%', percent + 1) != std::string::npos) return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '%';
    if (!ok) return false;
  }
  return true;
}

Result<std::unique_ptr<TunDevice>, std::string> TunDevice::open(const std::string& name) {
  return open_device(name, false);
}

Result<std::unique_ptr<TunDevice>, std::string> TunDevice::open_with_offload(const std::string& name) {
  auto device = open_device(name, true);
  if (device) return device;
  return open_device(name, false);
}

Result<std::unique_ptr<TunDevice>, std::string> TunDevice::open_device(const std::string& name, bool offload) {
  if (!valid_interface_name(name)) {
    return Err{"invalid TUN device name '" + name + "': use 1-15 letters, digits, '-', '_' or '.'"};
  }
  int fd = ::open(kCloneDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Err{open_error(errno)};
  struct ifreq request {};
  request.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) != 0) {
    int error = errno;
    ::close(fd);
    return Err{create_error(name, error)};
  }
  if (offload) {
    // The header size is the default (10, struct virtio_net_hdr), said anyway so a
    // persistent device left with another size cannot skew every packet.
    int header_size = 10;
    unsigned offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (::ioctl(fd, TUNSETVNETHDRSZ, &header_size) != 0 || ::ioctl(fd, TUNSETOFFLOAD, offloads) != 0) {
      int error = errno;
      ::close(fd);
      return Err{std::string("TUN offloads refused: ") + std::strerror(error)};
    }
  }
  std::string actual(request.ifr_name, ::strnlen(request.ifr_name, IFNAMSIZ));
  int index = static_cast<int>(::if_nametoindex(actual.c_str()));
  if (index == 0) {
    int error = errno;
    ::close(fd);
    return Err{"TUN device " + actual + " vanished after creation: " + std::strerror(error)};
  }
  return std::unique_ptr<TunDevice>(new TunDevice(fd, std::move(actual), index, offload));
}

TunDevice::~TunDevice() { ::close(fd_); }

}  // namespace yt
