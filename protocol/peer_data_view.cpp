#include "protocol/peer_data_view.h"

#include "protocol/messages.h"

namespace yt {

void write_peer_data_header(std::uint8_t* out, std::uint32_t receiver_index) {
  out[0] = kProtocolVersion;
  out[1] = static_cast<std::uint8_t>(DatagramType::kPeerData);
  out[2] = static_cast<std::uint8_t>(receiver_index >> 24);
  out[3] = static_cast<std::uint8_t>(receiver_index >> 16);
  out[4] = static_cast<std::uint8_t>(receiver_index >> 8);
  out[5] = static_cast<std::uint8_t>(receiver_index);
}

std::optional<PeerDataView> peek_peer_data(ByteView datagram) {
  // decode_datagram refuses an empty sealed part; so does this.
  if (datagram.size() <= kPeerDataHeaderSize || datagram[0] != kProtocolVersion ||
      datagram[1] != static_cast<std::uint8_t>(DatagramType::kPeerData)) {
    return std::nullopt;
  }
  PeerDataView view;
  view.receiver_index = std::uint32_t(datagram[2]) << 24 | std::uint32_t(datagram[3]) << 16 |
                        std::uint32_t(datagram[4]) << 8 | datagram[5];
  view.sealed = datagram.subview(kPeerDataHeaderSize);
  return view;
}

}  // namespace yt
