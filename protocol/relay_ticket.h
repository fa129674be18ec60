// Relay admission: how a relay knows the mediation server introduced a pair, without
// ever holding tunnel keys and without comparing clocks with the server.
//
// The server holds a *ticket key* (32 random bytes, with a u32 id) that it shares
// with its relays (the built-in relay directly; separate relays when they register,
// over their authenticated control connection). For each pair it introduces it picks
// a random pair id and gives each side, over that side's sealed control channel, a
// RelayTicket: the key id, the pair id, the side (0 or 1) and that side's *bind
// secret* = BLAKE2b-256(key = ticket key, "yt-relay-bind" || key id || pair id ||
// side). The relay can derive the same secret from the ticket key; nobody else can.
//
// A side claims its half of the pair by sending RelayBind {key id, pair id, side,
// sequence, mac}, mac = BLAKE2b-128(key = bind secret, pair id || side || sequence).
// The relay accepts a bind with a valid mac and a sequence above the last one it
// accepted for that side (a replayed bind cannot move a side's address), and from
// then on forwards that pair's RelayData between the two bound addresses only. An
// eavesdropper sees the public fields but cannot forge a bind; data it injects is
// sealed end to end and dropped by the receiving peer.
//
// Expiry without shared time: the server rotates its ticket key (kTicketKeyLifetime)
// and relays accept the current and the previous key only, so a ticket lives at most
// two lifetimes. A bind under a key the relay has retired is refused as expired. The
// server tells each side how long its ticket has left (RelayOffer::valid_for_s), so a
// long-lived tunnel asks for a new one in time.
#pragma once

#include <array>
#include <cstdint>

#include "protocol/bytes.h"
#include "protocol/time.h"

namespace yt {

using TicketKey = std::array<std::uint8_t, 32>;
using BindSecret = std::array<std::uint8_t, 32>;
using BindMac = std::array<std::uint8_t, 16>;

// Long enough that a pair set up now keeps its relay through ordinary use (the
// client re-binds with every new instruction), short enough that a ticket taken from
// a departed member stops working within the hour.
constexpr Duration kTicketKeyLifetime = std::chrono::minutes(30);

struct TicketKeyring {
  std::uint32_t id = 0;  // 0: no key
  TicketKey key{};
};

// What the server hands one side of a pair.
struct RelayTicket {
  std::uint32_t key_id = 0;
  std::uint64_t pair_id = 0;
  std::uint8_t side = 0;  // 0 or 1
  BindSecret bind_secret{};
};

BindSecret derive_bind_secret(const TicketKey& key, std::uint32_t key_id, std::uint64_t pair_id, std::uint8_t side);
RelayTicket issue_ticket(const TicketKeyring& ring, std::uint64_t pair_id, std::uint8_t side);
BindMac bind_mac(const BindSecret& secret, std::uint64_t pair_id, std::uint8_t side, std::uint64_t sequence);
// Constant-time comparison of a received mac with the expected one.
bool bind_mac_valid(const BindSecret& secret, std::uint64_t pair_id, std::uint8_t side, std::uint64_t sequence,
                    const BindMac& mac);

}  // namespace yt
