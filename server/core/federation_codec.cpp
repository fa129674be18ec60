// The wire form of FederationMessage (federation.h):
//   u8 version (1) | u8 kind (1 presence, 2 forward) | u32 from_server | body
//   presence: key[32] | u8 online | str8 nickname | u32 virtual_ip
//             | u8 n, n x endpoint (LAN) | u8 has, endpoint (mapped) | u8 has, endpoint (newest)
//             | bytes16 DiscoveryReport (control encoding) | u8 n, n x str8 (offline networks)
//   forward:  u32 to_server | key[32] | u32 length, control message (control encoding)
#include "server/core/federation.h"

#include "protocol/stream_framer.h"
#include "protocol/wire.h"

namespace yt {
namespace {

constexpr std::uint8_t kFederationVersion = 1;
constexpr std::uint8_t kPresence = 1;
constexpr std::uint8_t kForward = 2;
// Far above what a login carries; a bound so a corrupt count cannot allocate much.
constexpr std::size_t kMaxListed = 64;
// A forwarded message is one control frame at most.
constexpr std::uint32_t kMaxForwarded = kMaxFrameSize;

void put_optional(WireWriter& w, const std::optional<Endpoint>& e) {
  w.u8(e ? 1 : 0);
  w.endpoint(e.value_or(Endpoint{}));
}

std::optional<Endpoint> get_optional(WireReader& r, bool& bad) {
  const std::uint8_t has = r.u8();
  const Endpoint e = r.endpoint();
  if (has > 1) bad = true;
  return has == 1 ? std::optional<Endpoint>(e) : std::nullopt;
}

void encode_presence(WireWriter& w, const ClientPresence& p) {
  w.fixed(p.key);
  w.u8(p.online ? 1 : 0);
  w.str8(p.nickname);
  w.u32(p.virtual_ip.value);
  w.u8(static_cast<std::uint8_t>(std::min(p.lan_endpoints.size(), kMaxListed)));
  for (std::size_t i = 0; i < p.lan_endpoints.size() && i < kMaxListed; ++i) w.endpoint(p.lan_endpoints[i]);
  put_optional(w, p.mapped);
  put_optional(w, p.newest_mapping);
  w.bytes16(encode_control(p.report));
  w.u8(static_cast<std::uint8_t>(std::min(p.offline_networks.size(), kMaxListed)));
  for (std::size_t i = 0; i < p.offline_networks.size() && i < kMaxListed; ++i) w.str8(p.offline_networks[i]);
}

Result<ClientPresence, DecodeError> decode_presence(WireReader& r) {
  ClientPresence p;
  bool bad = false;
  p.key = r.fixed<32>();
  const std::uint8_t online = r.u8();
  p.nickname = r.str8();
  p.virtual_ip.value = r.u32();
  const std::size_t lan = r.u8();
  if (lan > kMaxListed) bad = true;
  for (std::size_t i = 0; i < lan && !r.failed(); ++i) p.lan_endpoints.push_back(r.endpoint());
  p.mapped = get_optional(r, bad);
  p.newest_mapping = get_optional(r, bad);
  const Bytes report = r.bytes16();
  const std::size_t offline = r.u8();
  if (offline > kMaxListed) bad = true;
  for (std::size_t i = 0; i < offline && !r.failed(); ++i) p.offline_networks.push_back(r.str8());
  if (r.failed()) return Err{DecodeError::kTruncated};
  if (bad || online > 1) return Err{DecodeError::kFieldOutOfRange};
  p.online = online == 1;
  auto decoded = decode_control(report);
  if (!decoded) return Err{decoded.error()};
  auto* as_report = std::get_if<DiscoveryReport>(&decoded.value());
  if (!as_report) return Err{DecodeError::kFieldOutOfRange};
  p.report = *as_report;
  return p;
}

}  // namespace

Bytes encode_federation(const FederationMessage& message) {
  WireWriter w;
  w.u8(kFederationVersion);
  if (const auto* notice = std::get_if<PresenceNotice>(&message)) {
    w.u8(kPresence);
    w.u32(notice->from_server);
    encode_presence(w, notice->presence);
  } else {
    const auto& forward = std::get<ForwardedMessage>(message);
    w.u8(kForward);
    w.u32(forward.from_server);
    w.u32(forward.to_server);
    w.fixed(forward.to);
    const Bytes body = encode_control(forward.message);
    w.u32(static_cast<std::uint32_t>(body.size()));
    w.raw(body);
  }
  return w.take();
}

Result<FederationMessage, DecodeError> decode_federation(ByteView bytes) {
  WireReader r(bytes);
  const std::uint8_t version = r.u8();
  const std::uint8_t kind = r.u8();
  const std::uint32_t from = r.u32();
  if (r.failed()) return Err{DecodeError::kTruncated};
  if (version != kFederationVersion) return Err{DecodeError::kBadVersion};
  if (kind == kPresence) {
    auto presence = decode_presence(r);
    if (!presence) return Err{presence.error()};
    if (!r.done()) return Err{DecodeError::kTrailingBytes};
    return FederationMessage{PresenceNotice{from, std::move(presence.value())}};
  }
  if (kind != kForward) return Err{DecodeError::kUnknownType};
  ForwardedMessage forward;
  forward.from_server = from;
  forward.to_server = r.u32();
  forward.to = r.fixed<32>();
  const std::uint32_t length = r.u32();
  if (r.failed()) return Err{DecodeError::kTruncated};
  if (length > kMaxForwarded) return Err{DecodeError::kFieldOutOfRange};
  const ByteView body = r.raw(length);
  if (r.failed()) return Err{DecodeError::kTruncated};
  if (!r.done()) return Err{DecodeError::kTrailingBytes};
  auto message = decode_control(body);
  if (!message) return Err{message.error()};
  forward.message = std::move(message.value());
  return FederationMessage{std::move(forward)};
}

}  // namespace yt
