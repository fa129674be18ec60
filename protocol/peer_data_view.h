// PeerData datagrams (messages.h) read and written in place, for the batched data
// plane (docs/data-plane.md): the same bytes encode_datagram / decode_datagram make
// and take, without building a PeerData and its copy of the sealed bytes.
//
//   [version u8][DatagramType::kPeerData u8][receiver_index u32][Session::seal output]
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/bytes.h"

namespace yt {

constexpr std::size_t kPeerDataHeaderSize = 6;

// Writes the kPeerDataHeaderSize bytes in front of the sealed bytes.
void write_peer_data_header(std::uint8_t* out, std::uint32_t receiver_index);

struct PeerDataView {
  std::uint32_t receiver_index = 0;
  ByteView sealed;  // into the viewed datagram
};
// nullopt unless `datagram` is a PeerData that decode_datagram would accept.
std::optional<PeerDataView> peek_peer_data(ByteView datagram);

}  // namespace yt
