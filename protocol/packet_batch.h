// A batch of packets in one caller-owned buffer: the unit of the batched data plane
// (docs/data-plane.md). The client core fills one with the datagrams it sealed
// (send_ip_batch) or the IP packets it opened (on_datagram_batch); the driver hands
// the whole batch to the kernel in a few system calls (sendmmsg or UDP GSO, TUN
// writes). The driver keeps the batch and clears it between uses, so its memory is
// allocated once and the steady state allocates nothing.
//
// Entries lie back to back in the order added, each `headroom` bytes after the end
// of the previous one: with headroom 0 a run of equal-size datagrams to one
// endpoint is exactly the buffer UDP GSO wants; with headroom the driver can write
// a header of its own (a virtio-net header) in front of an entry without copying it.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"

namespace yt {

class PacketBatch {
 public:
  struct Entry {
    std::size_t offset = 0;  // into the buffer
    std::size_t size = 0;
    Endpoint endpoint;  // sealed datagrams: where to send; opened packets: where from
    PublicKey peer{};   // opened packets: the peer that sent it
  };

  explicit PacketBatch(std::size_t headroom = 0) : headroom_(headroom) {}

  void clear() {
    entries_.clear();
    used_ = 0;
  }
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::size_t headroom() const { return headroom_; }
  const Entry& entry(std::size_t i) const { return entries_[i]; }
  ByteView bytes(std::size_t i) const { return ByteView(buffer_.get() + entries_[i].offset, entries_[i].size); }
  // Writable, with at least headroom() bytes before it that belong to the entry.
  std::uint8_t* data(std::size_t i) { return buffer_.get() + entries_[i].offset; }

  // Room for the next entry: `max_size` writable bytes after the headroom. Valid
  // until the next begin_entry(); nothing is added until commit_entry().
  std::uint8_t* begin_entry(std::size_t max_size) {
    const std::size_t need = used_ + headroom_ + max_size;
    if (need > capacity_) grow(need);
    return buffer_.get() + used_ + headroom_;
  }
  // Adds the entry begun last: `size` bytes starting `skip` bytes into it (a prefix
  // the writer needed, such as a type byte, becomes part of the next headroom).
  void commit_entry(std::size_t skip, std::size_t size, Endpoint endpoint, const PublicKey* peer = nullptr) {
    Entry e;
    e.offset = used_ + headroom_ + skip;
    e.size = size;
    e.endpoint = endpoint;
    if (peer) e.peer = *peer;
    entries_.push_back(e);
    used_ = e.offset + size;
  }

 private:
  void grow(std::size_t need) {
    std::size_t capacity = capacity_ ? capacity_ : 64 * 1024;
    while (capacity < need) capacity *= 2;
    std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[capacity]);  // not zeroed: written before read
    if (used_ > 0) std::memcpy(bigger.get(), buffer_.get(), used_);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::size_t headroom_;
  std::unique_ptr<std::uint8_t[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  std::vector<Entry> entries_;
};

// One datagram of a received batch: a view into the driver's receive buffers.
struct ReceivedDatagram {
  Endpoint from;
  ByteView data;
};

}  // namespace yt
