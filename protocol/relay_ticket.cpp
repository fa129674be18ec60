#include "protocol/relay_ticket.h"

#include <sodium.h>

#include <string_view>

#include "protocol/wire.h"

namespace yt {

BindSecret derive_bind_secret(const TicketKey& key, std::uint32_t key_id, std::uint64_t pair_id,
                              std::uint8_t side) {
  // The label goes in through the streaming API: appending a constant array to the
  // writer draws a bogus -Wstringop-overflow from g++ 12.
  constexpr std::string_view kLabel = "yt-relay-bind";
  WireWriter w;
  w.u32(key_id);
  w.u64(pair_id);
  w.u8(side);
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), sizeof(BindSecret));
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size());
  crypto_generichash_update(&state, w.bytes().data(), w.bytes().size());
  BindSecret out{};
  crypto_generichash_final(&state, out.data(), out.size());
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
