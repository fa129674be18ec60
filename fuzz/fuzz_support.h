// Shared by the fuzz targets and make_seeds: the check macro and the fixed
// fixtures. make_seeds must build its seeds from the same fixtures the targets use,
// or a real handshake message in the corpus would not authenticate in the target.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "client/core/ip_packet.h"
#include "client/core/ip_router.h"
#include "client/core/membership.h"
#include "protocol/handshake.h"
#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/random.h"
#include "protocol/relay_ticket.h"

// abort(), not assert(): the checks must hold in every build type, and libFuzzer
// keeps an aborting input as a crash.
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace yt::fuzz {

inline ByteView view(const std::uint8_t* data, std::size_t size) { return ByteView(data, size); }

// ---- handshake: a client and a server as in protocol/tests/handshake_test.cpp

constexpr std::uint64_t kSeed = 42;
constexpr std::string_view kInitPayload = "login: fuzz";
constexpr std::string_view kResponsePayload = "welcome";

struct HandshakeIdentities {
  Identity client;
  Identity server;
};

inline const HandshakeIdentities& handshake_identities() {
  static const HandshakeIdentities ids = [] {
    SeededRandom rng(kSeed, 0);
    HandshakeIdentities out;
    out.client = Identity::generate(rng);
    out.server = Identity::generate(rng);
    return out;
  }();
  return ids;
}

inline ByteView control_prologue() { return as_bytes(kControlPrologue); }

// The client's msg1 is the same byte for byte every time: its ephemeral comes from
// a SeededRandom with a fixed stream.
inline SeededRandom client_rng() { return SeededRandom(kSeed, 1); }
inline SeededRandom server_rng() { return SeededRandom(kSeed, 2); }

// ---- IP router: we are 25.0.0.1 in "lan" with 25.0.0.2 and 25.0.0.3 (offline)

inline PublicKey member_key(std::uint8_t b) {
  PublicKey k{};
  k[0] = b;
  return k;
}
inline Ipv4 member_ip(std::uint8_t b) { return Ipv4::from_octets(25, 0, 0, b); }
constexpr std::array<std::uint8_t, 12> kIpv6Base{0xfd, 0x79, 0x6c, 0x74, 0x74, 0x61, 0, 0, 0, 0, 0, 0};

inline Ipv6Address member_ipv6(std::uint8_t b) {
  Ipv6Address a{};
  std::copy(kIpv6Base.begin(), kIpv6Base.end(), a.begin());
  Ipv4 v4 = member_ip(b);
  for (int i = 0; i < 4; ++i) a[12 + i] = static_cast<std::uint8_t>(v4.value >> (24 - 8 * i));
  return a;
}

inline NetworkSnapshot router_snapshot() {
  return NetworkSnapshot{{NetworkInfo{"lan",
                                      {MemberInfo{member_key(1), "self", member_ip(1), true},
                                       MemberInfo{member_key(2), "peer", member_ip(2), true},
                                       MemberInfo{member_key(3), "away", member_ip(3), false}}}}};
}

// ---- relay: the ticket key the relay target trusts, and the pair its seeds bind

inline TicketKeyring relay_keys() {
  TicketKeyring ring;
  ring.id = 3;
  ring.key.fill(0x5a);
  return ring;
}
constexpr std::uint64_t kRelayPair = 0x0102030405060708ULL;
// relay_core_fuzz input: records of [op][length][length bytes]. op & 3 is the kind
// (0 datagram, 1 stream data, 2 stream closed, 3 time passes length x 100 ms);
// (op >> 2) & 3 picks the sender (endpoint or stream 1..4).
inline Bytes relay_record(std::uint8_t kind, std::uint8_t sender, ByteView body) {
  Bytes out{static_cast<std::uint8_t>(kind | (sender << 2)), static_cast<std::uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace yt::fuzz
