#include "platform/inet_checksum.h"

#include <cstring>

namespace yt {

std::uint64_t checksum_add(std::uint64_t sum, const std::uint8_t* data, std::size_t size) {
  // Summed as the machine's own 32-bit words, 8 bytes a step, and turned into the
  // big-endian sum only once at the end: the ones'-complement sum does not care
  // about word size or byte order up to a final byte swap (RFC 1071 2(A), 2(B)).
  // Per step at most 2^33 is added, so no 64-bit overflow below 16 GiB.
  std::uint64_t native = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    native += (w & 0xffffffffu) + (w >> 32);
  }
  for (; i + 2 <= size; i += 2) {
    std::uint16_t w;
    std::memcpy(&w, data + i, 2);
    native += w;
  }
  while (native >> 16) native = (native & 0xffff) + (native >> 16);
  std::uint16_t folded = static_cast<std::uint16_t>(native);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  folded = static_cast<std::uint16_t>(folded << 8 | folded >> 8);
#endif
  sum += folded;
  if (i < size) sum += std::uint32_t(data[i]) << 8;  // an odd last byte, padded with zero
  return sum;
}

std::uint16_t checksum_finish(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint64_t pseudo_header_sum(const std::uint8_t* ip, std::uint8_t protocol, std::size_t length) {
  std::uint64_t sum = protocol + static_cast<std::uint64_t>(length);
  if ((ip[0] >> 4) == 4) return checksum_add(sum, ip + 12, 8);  // source and destination
  return checksum_add(sum, ip + 8, 32);
}

}  // namespace yt
