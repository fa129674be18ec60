#include "protocol/relay_ticket.h"

#include <sodium.h>

#include "protocol/wire.h"

namespace yt {

BindSecret derive_bind_secret(const TicketKey& key, std::uint32_t key_id, std::uint64_t pair_id,
                              std::uint8_t side) {
  WireWriter w;
  w.raw(as_bytes(std::string_view("yt-relay-bind")));
  w.u32(key_id);
  w.u64(pair_id);
  w.u8(side);
  BindSecret out{};
  crypto_generichash(out.data(), out.size(), w.bytes().data(), w.bytes().size(), key.data(), key.size());
  return out;
}

RelayTicket issue_ticket(const TicketKeyring& ring, std::uint64_t pair_id, std::uint8_t side) {
  return RelayTicket{ring.id, pair_id, side, derive_bind_secret(ring.key, ring.id, pair_id, side)};
}

BindMac bind_mac(const BindSecret& secret, std::uint64_t pair_id, std::uint8_t side, std::uint64_t sequence) {
  WireWriter w;
  w.u64(pair_id);
  w.u8(side);
  w.u64(sequence);
  BindMac out{};
  crypto_generichash(out.data(), out.size(), w.bytes().data(), w.bytes().size(), secret.data(), secret.size());
  return out;
}

bool bind_mac_valid(const BindSecret& secret, std::uint64_t pair_id, std::uint8_t side, std::uint64_t sequence,
                    const BindMac& mac) {
  BindMac expected = bind_mac(secret, pair_id, side, sequence);
  return sodium_memcmp(expected.data(), mac.data(), mac.size()) == 0;
}

}  // namespace yt
