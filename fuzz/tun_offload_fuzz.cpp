// The TUN offload code (docs/data-plane.md): split_tun_packet on what a TUN read
// with IFF_VNET_HDR returns (platform/virtio_net.h), and coalesce_tcp on packets
// peers sent (platform/tcp_coalesce.h), whose joined super-packet must cut back into
// the same TCP payload. The first byte picks the format: even, the rest is one TUN
// read; odd, the rest is packets, each after a u16 big-endian length.
#include <cstring>

#include "fuzz/fuzz_support.h"
#include "platform/tcp_coalesce.h"
#include "platform/virtio_net.h"

using namespace yt;

namespace {

// The TCP payload of a packet coalesce_tcp joined (IPv4 without options or IPv6).
ByteView tcp_payload(ByteView packet) {
  const std::size_t ip_len = (packet[0] >> 4) == 4 ? 20 : 40;
  const std::size_t headers = ip_len + std::size_t(packet[ip_len + 12] >> 4) * 4;
  return packet.subview(headers);
}

void check_coalesce(const PacketBatch& batch) {
  Bytes out;
  for (std::size_t first = 0; first < batch.size();) {
    const std::size_t joined = coalesce_tcp(batch, first, out);
    FUZZ_CHECK(joined >= 1 && first + joined <= batch.size());
    if (joined > 1) {
      FUZZ_CHECK(out.size() <= kVirtioNetHeaderSize + 65535);
      PacketBatch again;
      auto split = split_tun_packet(out, again);
      FUZZ_CHECK(split.ok() && *split == joined);
      Bytes expected, got;
      for (std::size_t i = 0; i < joined; ++i) {
        ByteView a = tcp_payload(batch.bytes(first + i));
        ByteView b = tcp_payload(again.bytes(i));
        expected.insert(expected.end(), a.begin(), a.end());
        got.insert(got.end(), b.begin(), b.end());
      }
      FUZZ_CHECK(expected == got);
    }
    first += joined;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  ByteView input = fuzz::view(data + 1, size - 1);
  PacketBatch batch(10);
  if (data[0] % 2 == 0) {
    auto split = split_tun_packet(input, batch);
    if (!split.ok()) {
      FUZZ_CHECK(batch.empty());
      return 0;
    }
    FUZZ_CHECK(*split == batch.size() && *split >= 1 && *split <= kMaxSegments);
    for (std::size_t i = 0; i < batch.size(); ++i) FUZZ_CHECK(batch.bytes(i).size() <= input.size());
  } else {
    for (std::size_t at = 0; at + 2 <= input.size();) {
      const std::size_t length = std::min<std::size_t>(std::size_t(input[at]) << 8 | input[at + 1], input.size() - at - 2);
      std::uint8_t* p = batch.begin_entry(length);
      if (length) std::memcpy(p, input.data() + at + 2, length);
      batch.commit_entry(0, length, Endpoint{});
      at += 2 + length;
    }
  }
  check_coalesce(batch);
  return 0;
}
