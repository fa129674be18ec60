// The user-space half of GRO for TUN writes (docs/data-plane.md): consecutive IP
// packets of a batch that are in-order segments of one TCP flow are joined into
// one super-packet with a virtio-net header (GSO TCPv4/TCPv6), so the kernel takes
// them in one write and runs its IP and TCP receive path once for all of them.
// Needs a TUN device with IFF_VNET_HDR and TUNSETOFFLOAD (TunDevice::offload()).
//
// Joined are only segments Linux's own GRO would join: same addresses, ports, IP
// TTL/TOS/DF, TCP header (length, flags, window, ack number and options) but for
// the sequence number, each starting where the previous ended, all but the last of
// one size, none but the last with PSH, only ACK (and PSH) set, no IP options or
// fragments, at most 64 KiB together. Anything else is written on its own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/bytes.h"
#include "protocol/packet_batch.h"

namespace yt {

// Joins entries first, first+1, ... of `batch` while they qualify. Returns how
// many it joined: 1 means entry `first` goes on its own (nothing written to
// `out`); more means `out` holds the virtio-net header and the super-packet, ready
// for one TUN write.
std::size_t coalesce_tcp(const PacketBatch& batch, std::size_t first, Bytes& out);

}  // namespace yt
