// A layer-3 TUN device (IFF_TUN | IFF_NO_PI): each read() returns one IP packet the
// kernel routed into the adapter, each write() injects one IP packet as if it had
// arrived on it. The device exists while this object holds its file descriptor
// (it is not made persistent), so a crashed daemon leaves no adapter behind.
//
// Creating a device needs CAP_NET_ADMIN. open() tells apart the failures a user can
// fix (no permission, no /dev/net/tun, no TUN support in the kernel, a name that is
// taken or invalid) and names the fix in its message.
#pragma once

#include <memory>
#include <string>

#include "protocol/result.h"

namespace yt {

class TunDevice {
 public:
  // Longest interface name Linux accepts (IFNAMSIZ - 1).
  static constexpr std::size_t kMaxNameLength = 15;

  // Creates (or attaches to an existing persistent) TUN device called `name`; a name
  // with "%d" lets the kernel pick the number. The descriptor is non-blocking and
  // close-on-exec. The link is left down: configure it with netlink_config.h.
  static Result<std::unique_ptr<TunDevice>, std::string> open(const std::string& name);
  // The same with the kernel's offloads (docs/data-plane.md): IFF_VNET_HDR, so every
  // read and write carries a virtio-net header (virtio_net.h), and TUNSETOFFLOAD
  // with checksum offload and TSO for IPv4 and IPv6, so a read may return a TCP
  // super-packet of up to 64 KiB. When the kernel refuses the offloads the device
  // is opened without them; offload() says which it got.
  static Result<std::unique_ptr<TunDevice>, std::string> open_with_offload(const std::string& name);

  ~TunDevice();
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  // The name the kernel gave the device, and its interface index.
  const std::string& name() const { return name_; }
  int index() const { return index_; }
  // The device's descriptor; still owned by this object.
  int fd() const { return fd_; }
  // Whether reads and writes carry a virtio-net header and reads may be TSO super-packets.
  bool offload() const { return offload_; }

 private:
  TunDevice(int fd, std::string name, int index, bool offload)
      : fd_(fd), name_(std::move(name)), index_(index), offload_(offload) {}
  static Result<std::unique_ptr<TunDevice>, std::string> open_device(const std::string& name, bool offload);

  int fd_;
  std::string name_;
  int index_;
  bool offload_ = false;
};

// True when `name` is a usable interface name: 1..15 bytes of letters, digits and
// "-_.", at most one "%d". Checked before asking the kernel so that config errors
// read as config errors.
bool valid_interface_name(const std::string& name);

}  // namespace yt
