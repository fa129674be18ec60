#include "platform/inet_checksum.h"

namespace yt {

std::uint64_t checksum_add(std::uint64_t sum, const std::uint8_t* data, std::size_t size) {
  std::size_t i = 0;
  // Four words a step: the sum is order-independent, so wide reads are fine as
  // long as each word is taken big-endian.
  for (; i + 8 <= size; i += 8) {
    sum += (std::uint32_t(data[i]) << 8 | data[i + 1]) + (std::uint32_t(data[i + 2]) << 8 | data[i + 3]) +
           (std::uint32_t(data[i + 4]) << 8 | data[i + 5]) + (std::uint32_t(data[i + 6]) << 8 | data[i + 7]);
  }
  for (; i + 2 <= size; i += 2) sum += std::uint32_t(data[i]) << 8 | data[i + 1];
  if (i < size) sum += std::uint32_t(data[i]) << 8;
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
