#include "protocol/messages.h"

#include <algorithm>

#include "protocol/wire.h"

namespace yt {

const char* to_string(RelayBindResult r) {
  switch (r) {
    case RelayBindResult::kBound: return "bound";
    case RelayBindResult::kUnknownTicket: return "unknown ticket";
    case RelayBindResult::kExpired: return "expired ticket";
    case RelayBindResult::kReplayed: return "replayed bind";
    case RelayBindResult::kFull: return "relay full";
  }
  return "?";
}

const char* to_string(NegotiationOutcome o) {
  switch (o) {
    case NegotiationOutcome::kDirect: return "direct";
    case NegotiationOutcome::kRelayed: return "relayed";
    case NegotiationOutcome::kFailed: return "failed";
    case NegotiationOutcome::kKept: return "kept";
  }
  return "?";
}

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::kTruncated: return "truncated";
    case DecodeError::kBadVersion: return "bad version";
    case DecodeError::kUnknownType: return "unknown type";
    case DecodeError::kTrailingBytes: return "trailing bytes";
    case DecodeError::kFieldOutOfRange: return "field out of range";
  }
  return "?";
}

const char* to_string(ReplyCode c) {
  switch (c) {
    case ReplyCode::kOk: return "ok";
    case ReplyCode::kWrongPassword: return "wrong password";
    case ReplyCode::kUnknownNetwork: return "unknown network";
    case ReplyCode::kNetworkExists: return "network already exists";
    case ReplyCode::kNotMember: return "not a member of that network";
    case ReplyCode::kAlreadyMember: return "already a member of that network";
    case ReplyCode::kInvalidArgument: return "invalid argument";
    case ReplyCode::kServerError: return "server error";
    case ReplyCode::kNotLoggedIn: return "not logged in";
    case ReplyCode::kTryLater: return "try again later";
  }
  return "?";
}

namespace {

// A decoder keeps its first error: the reader's truncation, or a field check.
struct Decoder {
  WireReader r;
  std::optional<DecodeError> error;

  explicit Decoder(ByteView in) : r(in) {}
  void fail(DecodeError e) {
    if (!error) error = e;
  }
  std::string name(std::size_t max) {
    std::string s = r.str8();
    if (s.size() > max) fail(DecodeError::kFieldOutOfRange);
    return s;
  }
  PublicKey key() { return r.fixed<kKeySize>(); }
  bool flag() {
    std::uint8_t v = r.u8();
    if (v > 1) fail(DecodeError::kFieldOutOfRange);
    return v == 1;
  }
  template <typename Enum>
  Enum enumeration(std::uint8_t min, std::uint8_t max) {
    std::uint8_t v = r.u8();
    if (v < min || v > max) fail(DecodeError::kFieldOutOfRange);
    return static_cast<Enum>(v);
  }
  std::vector<Endpoint> endpoints(std::size_t max) {
    std::size_t n = r.u8();
    if (n > max) fail(DecodeError::kFieldOutOfRange);
    std::vector<Endpoint> out;
    for (std::size_t i = 0; i < n && !r.failed(); ++i) out.push_back(r.endpoint());
    return out;
  }
  template <typename T>
  Result<T, DecodeError> finish(T value) {
    if (r.failed()) return Err{DecodeError::kTruncated};
    if (error) return Err{*error};
    if (!r.done()) return Err{DecodeError::kTrailingBytes};
    return value;
  }
};

void put_endpoints(WireWriter& w, const std::vector<Endpoint>& endpoints) {
  std::size_t n = endpoints.size() > kMaxCandidates ? kMaxCandidates : endpoints.size();
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) w.endpoint(endpoints[i]);
}

void put_member(WireWriter& w, const MemberInfo& m) {
  w.fixed(m.key);
  w.str8(m.nickname);
  w.u32(m.virtual_ip.value);
  w.u8(m.online ? 1 : 0);
}

MemberInfo get_member(Decoder& d) {
  MemberInfo m;
  m.key = d.key();
  m.nickname = d.name(kMaxNicknameLength);
  m.virtual_ip.value = d.r.u32();
  m.online = d.flag();
  return m;
}

void put_profile(WireWriter& w, const NatProfile& p) {
  w.u8(p.behind_nat);
  w.u8(p.udp_blocked);
  w.u8(static_cast<std::uint8_t>(p.mapping));
  w.u8(static_cast<std::uint8_t>(p.filtering));
  w.u8(static_cast<std::uint8_t>(p.allocation));
  w.u32(static_cast<std::uint32_t>(p.port_delta));
  w.u8(p.hairpinning);
  std::size_t n = p.public_ips.size() > kMaxCandidates ? kMaxCandidates : p.public_ips.size();
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) w.u32(p.public_ips[i].value);
  w.u32(static_cast<std::uint32_t>(to_ms(p.mapping_lifetime)));
  w.u8(p.mapping_known);
  w.u8(p.filtering_known);
}

NatProfile get_profile(Decoder& d) {
  NatProfile p;
  p.behind_nat = d.flag();
  p.udp_blocked = d.flag();
  p.mapping = d.enumeration<MappingBehavior>(0, 2);
  p.filtering = d.enumeration<FilteringBehavior>(0, 2);
  p.allocation = d.enumeration<PortAllocation>(0, 2);
  p.port_delta = static_cast<std::int32_t>(d.r.u32());
  p.hairpinning = d.flag();
  std::size_t n = d.r.u8();
  if (n > kMaxCandidates) d.fail(DecodeError::kFieldOutOfRange);
  for (std::size_t i = 0; i < n && !d.r.failed(); ++i) p.public_ips.push_back(Ipv4{d.r.u32()});
  p.mapping_lifetime = std::chrono::milliseconds(d.r.u32());
  p.mapping_known = d.flag();
  p.filtering_known = d.flag();
  return p;
}

// ---- control message bodies

}  // namespace

const char* to_string(PortMappingProtocol p) {
  switch (p) {
    case PortMappingProtocol::kNone: return "none";
    case PortMappingProtocol::kPcp: return "pcp";
    case PortMappingProtocol::kNatPmp: return "nat-pmp";
    case PortMappingProtocol::kUpnp: return "upnp";
  }
  return "unknown";
}

namespace {

void put(WireWriter& w, const LoginRequest& m) {
  w.str8(m.nickname);
  put_endpoints(w, m.lan_endpoints);
}
void put(WireWriter& w, const LoginReply& m) {
  w.u8(static_cast<std::uint8_t>(m.code));
  w.str8(m.message);
  w.u32(m.virtual_ip.value);
  w.u8(m.prefix_length);
  w.u64(m.discovery_token);
  put_endpoints(w, m.discovery_endpoints);
}
void put_offer(WireWriter& w, const PortMappingOffer& offer) {
  w.u8(static_cast<std::uint8_t>(offer.protocol));
  if (offer.protocol != PortMappingProtocol::kNone) {
    w.endpoint(offer.external);
    w.u32(offer.lifetime_s);
  }
}
void put(WireWriter& w, const DiscoveryReport& m) {
  w.endpoint(m.mapped_endpoint);
  put_profile(w, m.profile);
  put_offer(w, m.port_mapping);
  put_offer(w, m.tcp_port_mapping);
}
void put(WireWriter& w, const CreateNetwork& m) {
  w.u32(m.request_id);
  w.str8(m.name);
  w.str8(m.password);
}
void put(WireWriter& w, const JoinNetwork& m) {
  w.u32(m.request_id);
  w.str8(m.name);
  w.str8(m.password);
}
void put(WireWriter& w, const LeaveNetwork& m) {
  w.u32(m.request_id);
  w.str8(m.name);
}
void put(WireWriter& w, const SetNickname& m) {
  w.u32(m.request_id);
  w.str8(m.nickname);
}
void put(WireWriter& w, const Reply& m) {
  w.u32(m.request_id);
  w.u8(static_cast<std::uint8_t>(m.code));
  w.str8(m.message);
}
void put(WireWriter& w, const NetworkSnapshot& m) {
  w.u16(static_cast<std::uint16_t>(m.networks.size()));
  for (const NetworkInfo& n : m.networks) {
    w.str8(n.name);
    w.u16(static_cast<std::uint16_t>(n.members.size()));
    for (const MemberInfo& member : n.members) put_member(w, member);
  }
}
void put(WireWriter& w, const MemberUpdate& m) {
  w.str8(m.network);
  put_member(w, m.member);
}
void put(WireWriter& w, const MemberLeft& m) {
  w.str8(m.network);
  w.fixed(m.key);
}
void put(WireWriter& w, const TunnelInstruction& m) {
  w.fixed(m.peer);
  w.u32(m.peer_virtual_ip.value);
  w.u64(m.tunnel_id);
  w.u8(static_cast<std::uint8_t>(m.role));
  w.u32(m.start_delay_ms);
  put_endpoints(w, m.candidates);
  w.u8(m.prepunch_ttl);
  w.u8(m.relay ? 1 : 0);
  if (m.relay) {
    w.endpoint(m.relay->endpoint);
    w.u32(m.relay->ticket.key_id);
    w.u64(m.relay->ticket.pair_id);
    w.u8(m.relay->ticket.side);
    w.fixed(m.relay->ticket.bind_secret);
    w.u32(m.relay->valid_for_s);
    w.endpoint(m.relay->stream);
  }
  w.u8(static_cast<std::uint8_t>(m.birthday.role));
  if (m.birthday.role != BirthdayRole::kNone) {
    w.u16(m.birthday.count);
    w.u16(m.birthday.rate_pps);
    w.u16(m.birthday.after_ms);
    w.u8(m.birthday.ttl);
    w.endpoint(m.birthday.target);
  }
  w.u8(!m.tcp.enabled() ? 0 : m.tcp.accept ? 2 : 1);
  if (m.tcp.enabled()) {
    w.endpoint(m.tcp.target);
    w.u16(m.tcp.after_ms);
  }
}
void put(WireWriter& w, const PeerOffline& m) { w.fixed(m.peer); }
void put(WireWriter& w, const Ping& m) { w.u64(m.nonce); }
void put(WireWriter& w, const Pong& m) { w.u64(m.nonce); }
void put(WireWriter& w, const SessionReplaced& m) { w.endpoint(m.by); }
void put(WireWriter& w, const RequestTunnel& m) { w.fixed(m.peer); }
void put(WireWriter& w, const RefreshMapping& m) { w.endpoint(m.to); }
void put(WireWriter& w, const RelayFrame& m) { w.bytes16(m.datagram); }
void put_keyring(WireWriter& w, const TicketKeyring& k) {
  w.u32(k.id);
  w.fixed(k.key);
}
void put(WireWriter& w, const RelayRegister& m) {
  w.str8(m.name);
  w.endpoint(m.udp);
  w.endpoint(m.stream);
}
void put(WireWriter& w, const RelayKeys& m) {
  put_keyring(w, m.current);
  w.u8(m.previous ? 1 : 0);
  if (m.previous) put_keyring(w, *m.previous);
}
void put(WireWriter& w, const RelayList& m) {
  std::size_t n = std::min(m.relays.size(), kMaxRelays);
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    w.u32(m.relays[i].id);
    w.str8(m.relays[i].name);
    w.endpoint(m.relays[i].udp);
    w.endpoint(m.relays[i].stream);
  }
}
void put(WireWriter& w, const RelayRtts& m) {
  std::size_t n = std::min(m.rtts.size(), kMaxRelays);
  w.u8(static_cast<std::uint8_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    w.u32(m.rtts[i].id);
    w.u32(m.rtts[i].rtt_us);
  }
}
void put(WireWriter& w, const TunnelOutcome& m) {
  w.u64(m.tunnel_id);
  w.fixed(m.peer);
  w.u8(static_cast<std::uint8_t>(m.outcome));
  w.u32(m.time_to_direct_ms);
}
void put(WireWriter& w, const SetNetworkOnline& m) {
  w.u32(m.request_id);
  w.str8(m.network);
  w.u8(m.online ? 1 : 0);
}

void get(Decoder& d, LoginRequest& m) {
  m.nickname = d.name(kMaxNicknameLength);
  m.lan_endpoints = d.endpoints(kMaxCandidates);
}

void get(Decoder& d, LoginReply& m) {
  m.code = d.enumeration<ReplyCode>(0, 9);
  m.message = d.r.str8();
  m.virtual_ip.value = d.r.u32();
  m.prefix_length = d.r.u8();
  if (m.prefix_length > 32) d.fail(DecodeError::kFieldOutOfRange);
  m.discovery_token = d.r.u64();
  m.discovery_endpoints = d.endpoints(kMaxCandidates);
}

PortMappingOffer get_offer(Decoder& d) {
  PortMappingOffer offer;
  offer.protocol = d.enumeration<PortMappingProtocol>(0, 3);
  if (offer.protocol != PortMappingProtocol::kNone) {
    offer.external = d.r.endpoint();
    offer.lifetime_s = d.r.u32();
    if (offer.external.port == 0 || offer.lifetime_s == 0) d.fail(DecodeError::kFieldOutOfRange);
  }
  return offer;
}

void get(Decoder& d, DiscoveryReport& m) {
  m.mapped_endpoint = d.r.endpoint();
  m.profile = get_profile(d);
  m.port_mapping = get_offer(d);
  m.tcp_port_mapping = get_offer(d);
}

void get(Decoder& d, CreateNetwork& m) {
  m.request_id = d.r.u32();
  m.name = d.name(kMaxNameLength);
  m.password = d.name(kMaxPasswordLength);
}

void get(Decoder& d, JoinNetwork& m) {
  m.request_id = d.r.u32();
  m.name = d.name(kMaxNameLength);
  m.password = d.name(kMaxPasswordLength);
}

void get(Decoder& d, LeaveNetwork& m) {
  m.request_id = d.r.u32();
  m.name = d.name(kMaxNameLength);
}

void get(Decoder& d, SetNickname& m) {
  m.request_id = d.r.u32();
  m.nickname = d.name(kMaxNicknameLength);
}

void get(Decoder& d, Reply& m) {
  m.request_id = d.r.u32();
  m.code = d.enumeration<ReplyCode>(0, 9);
  m.message = d.r.str8();
}

void get(Decoder& d, NetworkSnapshot& m) {
  std::size_t networks = d.r.u16();
  for (std::size_t i = 0; i < networks && !d.r.failed(); ++i) {
    NetworkInfo n;
    n.name = d.name(kMaxNameLength);
    std::size_t members = d.r.u16();
    for (std::size_t j = 0; j < members && !d.r.failed(); ++j) n.members.push_back(get_member(d));
    m.networks.push_back(std::move(n));
  }
}

void get(Decoder& d, MemberUpdate& m) {
  m.network = d.name(kMaxNameLength);
  m.member = get_member(d);
}

void get(Decoder& d, MemberLeft& m) {
  m.network = d.name(kMaxNameLength);
  m.key = d.key();
}

void get(Decoder& d, TunnelInstruction& m) {
  m.peer = d.key();
  m.peer_virtual_ip.value = d.r.u32();
  m.tunnel_id = d.r.u64();
  m.role = d.enumeration<TunnelRole>(1, 2);
  m.start_delay_ms = d.r.u32();
  m.candidates = d.endpoints(kMaxCandidates);
  m.prepunch_ttl = d.r.u8();
  if (d.flag()) {
    RelayOffer offer;
    offer.endpoint = d.r.endpoint();
    offer.ticket.key_id = d.r.u32();
    offer.ticket.pair_id = d.r.u64();
    offer.ticket.side = d.r.u8();
    if (offer.ticket.side > 1) d.fail(DecodeError::kFieldOutOfRange);
    offer.ticket.bind_secret = d.r.fixed<32>();
    offer.valid_for_s = d.r.u32();
    offer.stream = d.r.endpoint();
    m.relay = offer;
  }
  m.birthday.role = d.enumeration<BirthdayRole>(0, 2);
  if (m.birthday.role != BirthdayRole::kNone) {
    m.birthday.count = d.r.u16();
    m.birthday.rate_pps = d.r.u16();
    m.birthday.after_ms = d.r.u16();
    m.birthday.ttl = d.r.u8();
    m.birthday.target = d.r.endpoint();
    if (m.birthday.count == 0 || m.birthday.count > kMaxBirthdayCount || m.birthday.rate_pps == 0) {
      d.fail(DecodeError::kFieldOutOfRange);
    }
  }
  const std::uint8_t tcp_mode = d.enumeration<std::uint8_t>(0, 2);
  if (tcp_mode != 0) {
    m.tcp.accept = tcp_mode == 2;
    m.tcp.target = d.r.endpoint();
    m.tcp.after_ms = d.r.u16();
    if (m.tcp.target.is_unset()) d.fail(DecodeError::kFieldOutOfRange);
  }
}

void get(Decoder& d, PeerOffline& m) {
  m.peer = d.key();
}

void get(Decoder& d, Ping& m) {
  m.nonce = d.r.u64();
}

void get(Decoder& d, Pong& m) {
  m.nonce = d.r.u64();
}

void get(Decoder& d, SessionReplaced& m) {
  m.by = d.r.endpoint();
}

void get(Decoder& d, SetNetworkOnline& m) {
  m.request_id = d.r.u32();
  m.network = d.name(kMaxNameLength);
  m.online = d.flag();
}

void get(Decoder& d, RelayFrame& m) {
  m.datagram = d.r.bytes16();
  if (m.datagram.empty()) d.fail(DecodeError::kFieldOutOfRange);
}

void get(Decoder& d, RequestTunnel& m) {
  m.peer = d.key();
}

void get(Decoder& d, RefreshMapping& m) {
  m.to = d.r.endpoint();
  if (m.to.is_unset() || m.to.port == 0) d.fail(DecodeError::kFieldOutOfRange);
}

TicketKeyring get_keyring(Decoder& d) {
  TicketKeyring k;
  k.id = d.r.u32();
  k.key = d.r.fixed<32>();
  return k;
}

void get(Decoder& d, RelayRegister& m) {
  m.name = d.name(kMaxNameLength);
  m.udp = d.r.endpoint();
  m.stream = d.r.endpoint();
}

void get(Decoder& d, RelayKeys& m) {
  m.current = get_keyring(d);
  if (m.current.id == 0) d.fail(DecodeError::kFieldOutOfRange);
  if (d.flag()) m.previous = get_keyring(d);
}

void get(Decoder& d, RelayList& m) {
  std::size_t n = d.r.u8();
  if (n > kMaxRelays) {
    d.fail(DecodeError::kFieldOutOfRange);
    return;
  }
  for (std::size_t i = 0; i < n && !d.r.failed(); ++i) {
    RelayInfo info;
    info.id = d.r.u32();
    info.name = d.name(kMaxNameLength);
    info.udp = d.r.endpoint();
    info.stream = d.r.endpoint();
    m.relays.push_back(std::move(info));
  }
}

void get(Decoder& d, RelayRtts& m) {
  std::size_t n = d.r.u8();
  if (n > kMaxRelays) {
    d.fail(DecodeError::kFieldOutOfRange);
    return;
  }
  for (std::size_t i = 0; i < n && !d.r.failed(); ++i) {
    RelayRtt rtt;
    rtt.id = d.r.u32();
    rtt.rtt_us = d.r.u32();
    m.rtts.push_back(rtt);
  }
}

void get(Decoder& d, TunnelOutcome& m) {
  m.tunnel_id = d.r.u64();
  m.peer = d.key();
  m.outcome = d.enumeration<NegotiationOutcome>(1, 4);
  m.time_to_direct_ms = d.r.u32();
  if (m.outcome != NegotiationOutcome::kDirect && m.time_to_direct_ms != 0) d.fail(DecodeError::kFieldOutOfRange);
}

// ---- datagram bodies

void put(WireWriter& w, const DiscoveryProbe& m) {
  w.u64(m.token);
  w.u64(m.transaction);
  w.u8(static_cast<std::uint8_t>((m.change_ip ? 1 : 0) | (m.change_port ? 2 : 0)));
}
void put(WireWriter& w, const DiscoveryReply& m) {
  w.u64(m.transaction);
  w.endpoint(m.mapped);
  w.endpoint(m.responder);
}
void put(WireWriter& w, const PunchProbe& m) {
  w.u64(m.tunnel_id);
  w.u32(m.sequence);
}
void put(WireWriter& w, const PunchAck& m) {
  w.u64(m.tunnel_id);
  w.u32(m.sequence);
}
void put(WireWriter& w, const PeerHandshakeInit& m) {
  w.u32(m.sender_index);
  w.u64(m.tunnel_id);
  w.raw(m.noise);
}
void put(WireWriter& w, const PeerHandshakeResp& m) {
  w.u32(m.sender_index);
  w.u32(m.receiver_index);
  w.raw(m.noise);
}
void put(WireWriter& w, const PeerData& m) {
  w.u32(m.receiver_index);
  w.raw(m.sealed);
}
void put(WireWriter& w, const HairpinProbe& m) { w.u64(m.transaction); }
void put(WireWriter& w, const RelayBind& m) {
  w.u32(m.key_id);
  w.u64(m.pair_id);
  w.u8(m.side);
  w.u64(m.sequence);
  w.fixed(m.mac);
}
void put(WireWriter& w, const RelayBound& m) {
  w.u64(m.pair_id);
  w.u8(m.side);
  w.u64(m.sequence);
  w.u8(static_cast<std::uint8_t>(m.result));
  w.u8(m.peer_bound ? 1 : 0);
}
void put(WireWriter& w, const RelayData& m) {
  w.u64(m.pair_id);
  w.u8(m.side);
  w.raw(m.payload);
}

void put(WireWriter& w, const RelayEcho& m) { w.u64(m.nonce); }
void put(WireWriter& w, const RelayEchoReply& m) { w.u64(m.nonce); }
void put(WireWriter& w, const LifetimeProbe& m) {
  w.u64(m.token);
  w.u64(m.transaction);
  w.u16(m.wait_s);
}
void get(Decoder& d, LifetimeProbe& m) {
  m.token = d.r.u64();
  m.transaction = d.r.u64();
  m.wait_s = d.r.u16();
  if (m.wait_s == 0 || m.wait_s > kMaxLifetimeWaitS) d.fail(DecodeError::kFieldOutOfRange);
}

void get(Decoder& d, RelayEcho& m) {
  m.nonce = d.r.u64();
}

void get(Decoder& d, RelayEchoReply& m) {
  m.nonce = d.r.u64();
}

void get(Decoder& d, DiscoveryProbe& m) {
  m.token = d.r.u64();
  m.transaction = d.r.u64();
  std::uint8_t flags = d.r.u8();
  if (flags > 3) d.fail(DecodeError::kFieldOutOfRange);
  m.change_ip = flags & 1;
  m.change_port = flags & 2;
}

void get(Decoder& d, DiscoveryReply& m) {
  m.transaction = d.r.u64();
  m.mapped = d.r.endpoint();
  m.responder = d.r.endpoint();
}

void get(Decoder& d, PunchProbe& m) {
  m.tunnel_id = d.r.u64();
  m.sequence = d.r.u32();
}

void get(Decoder& d, PunchAck& m) {
  m.tunnel_id = d.r.u64();
  m.sequence = d.r.u32();
}

void get(Decoder& d, PeerHandshakeInit& m) {
  m.sender_index = d.r.u32();
  m.tunnel_id = d.r.u64();
  m.noise = d.r.rest().to_bytes();
  if (m.noise.empty()) d.fail(DecodeError::kTruncated);
}

void get(Decoder& d, PeerHandshakeResp& m) {
  m.sender_index = d.r.u32();
  m.receiver_index = d.r.u32();
  m.noise = d.r.rest().to_bytes();
  if (m.noise.empty()) d.fail(DecodeError::kTruncated);
}

void get(Decoder& d, PeerData& m) {
  m.receiver_index = d.r.u32();
  m.sealed = d.r.rest().to_bytes();
  if (m.sealed.empty()) d.fail(DecodeError::kTruncated);
}

void get(Decoder& d, RelayBind& m) {
  m.key_id = d.r.u32();
  m.pair_id = d.r.u64();
  m.side = d.r.u8();
  if (m.side > 1) d.fail(DecodeError::kFieldOutOfRange);
  m.sequence = d.r.u64();
  m.mac = d.r.fixed<16>();
}

void get(Decoder& d, RelayBound& m) {
  m.pair_id = d.r.u64();
  m.side = d.r.u8();
  if (m.side > 1) d.fail(DecodeError::kFieldOutOfRange);
  m.sequence = d.r.u64();
  m.result = d.enumeration<RelayBindResult>(0, 4);
  m.peer_bound = d.flag();
}

void get(Decoder& d, RelayData& m) {
  m.pair_id = d.r.u64();
  m.side = d.r.u8();
  if (m.side > 1) d.fail(DecodeError::kFieldOutOfRange);
  m.payload = d.r.rest().to_bytes();
  if (m.payload.empty()) d.fail(DecodeError::kTruncated);
}

void get(Decoder& d, HairpinProbe& m) {
  m.transaction = d.r.u64();
}

template <typename T>
struct TypeTag {
  using type = T;
};

// Decodes the body of the alternative of `Variant` whose kType is `type`.
template <typename Variant, std::size_t... I>
Result<Variant, DecodeError> get_alternative(Decoder& d, std::uint8_t type, std::index_sequence<I...>) {
  Result<Variant, DecodeError> out = Err{DecodeError::kUnknownType};
  auto try_one = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (static_cast<std::uint8_t>(T::kType) != type) return false;
    T m;
    get(d, m);
    out = d.finish<Variant>(std::move(m));
    return true;
  };
  (try_one(TypeTag<std::variant_alternative_t<I, Variant>>{}) || ...);
  return out;
}
template <typename Variant>
Result<Variant, DecodeError> get_message(Decoder& d, std::uint8_t type) {
  return get_alternative<Variant>(d, type, std::make_index_sequence<std::variant_size_v<Variant>>{});
}

// Reads version and type; nullopt error means "go on with the body".
std::optional<DecodeError> read_header(Decoder& d, std::uint8_t& type) {
  std::uint8_t version = d.r.u8();
  type = d.r.u8();
  if (d.r.failed()) return DecodeError::kTruncated;
  if (version != kProtocolVersion) return DecodeError::kBadVersion;
  return std::nullopt;
}

}  // namespace

Bytes encode_control_frame(const ControlFrame& frame) {
  WireWriter w;
  w.u8(kProtocolVersion);
  w.u8(static_cast<std::uint8_t>(frame.type));
  if (frame.type == ControlFrameType::kHandshakeReject) {
    w.u8(static_cast<std::uint8_t>(frame.reject_reason));
    w.str8(frame.reject_text);
    w.u16(frame.retry_after_s);
  } else if (frame.type == ControlFrameType::kTcpMapping) {
    w.u64(frame.token);
  } else {
    w.raw(frame.body);
  }
  return w.take();
}

Result<ControlFrame, DecodeError> decode_control_frame(ByteView bytes) {
  Decoder d(bytes);
  std::uint8_t type;
  if (auto e = read_header(d, type)) return Err{*e};
  ControlFrame frame;
  if (type < 1 || type > 5) return Err{DecodeError::kUnknownType};
  frame.type = static_cast<ControlFrameType>(type);
  if (frame.type == ControlFrameType::kHandshakeReject) {
    frame.reject_reason = d.enumeration<HandshakeRejectReason>(1, 2);
    frame.reject_text = d.r.str8();
    frame.retry_after_s = d.r.u16();
  } else if (frame.type == ControlFrameType::kTcpMapping) {
    frame.token = d.r.u64();
  } else {
    frame.body = d.r.rest().to_bytes();
    if (frame.body.empty()) d.fail(DecodeError::kTruncated);
  }
  return d.finish(std::move(frame));
}

Bytes encode_control(const ControlMessage& message) {
  WireWriter w;
  w.u8(kProtocolVersion);
  std::visit(
      [&w](const auto& m) {
        w.u8(static_cast<std::uint8_t>(std::decay_t<decltype(m)>::kType));
        put(w, m);
      },
      message);
  return w.take();
}

Result<ControlMessage, DecodeError> decode_control(ByteView plaintext) {
  Decoder d(plaintext);
  std::uint8_t type;
  if (auto e = read_header(d, type)) return Err{*e};
  return get_message<ControlMessage>(d, type);
}

Bytes encode_datagram(const Datagram& datagram) {
  WireWriter w;
  w.u8(kProtocolVersion);
  std::visit(
      [&w](const auto& m) {
        w.u8(static_cast<std::uint8_t>(std::decay_t<decltype(m)>::kType));
        put(w, m);
      },
      datagram);
  return w.take();
}

std::optional<DatagramType> peek_datagram_type(ByteView bytes) {
  if (bytes.size() < 2 || bytes[0] != kProtocolVersion) return std::nullopt;
  return static_cast<DatagramType>(bytes[1]);
}

Result<Datagram, DecodeError> decode_datagram(ByteView bytes) {
  Decoder d(bytes);
  std::uint8_t type;
  if (auto e = read_header(d, type)) return Err{*e};
  return get_message<Datagram>(d, type);
}

namespace {

PeerPayload payload_of(PeerPayloadType type) {
  PeerPayload p;
  p.type = type;
  return p;
}

}  // namespace

PeerPayload PeerPayload::packet(Bytes packet) {
  PeerPayload p = payload_of(PeerPayloadType::kPacket);
  p.body = std::move(packet);
  return p;
}

PeerPayload PeerPayload::keepalive() { return payload_of(PeerPayloadType::kKeepalive); }

PeerPayload PeerPayload::chat(std::string network, Bytes text) {
  PeerPayload p = payload_of(PeerPayloadType::kChat);
  p.network = std::move(network);
  p.body = std::move(text);
  return p;
}

PeerPayload PeerPayload::ping(std::uint64_t nonce) {
  PeerPayload p = payload_of(PeerPayloadType::kPing);
  p.nonce = nonce;
  return p;
}

PeerPayload PeerPayload::pong(std::uint64_t nonce) {
  PeerPayload p = payload_of(PeerPayloadType::kPong);
  p.nonce = nonce;
  return p;
}

Bytes encode_peer_payload(const PeerPayload& payload) {
  WireWriter w;
  w.u8(static_cast<std::uint8_t>(payload.type));
  switch (payload.type) {
    case PeerPayloadType::kPacket:
      w.raw(payload.body);
      break;
    case PeerPayloadType::kKeepalive:
      break;
    case PeerPayloadType::kChat:
      w.str8(payload.network);
      w.raw(payload.body);
      break;
    case PeerPayloadType::kPing:
    case PeerPayloadType::kPong:
      w.u64(payload.nonce);
      break;
  }
  return w.take();
}

Result<PeerPayload, DecodeError> decode_peer_payload(ByteView plaintext) {
  Decoder d(plaintext);
  PeerPayload p;
  p.type = d.enumeration<PeerPayloadType>(1, 5);
  if (d.r.failed() || d.error) return d.finish(std::move(p));  // no body to read for an unknown type
  switch (p.type) {
    case PeerPayloadType::kPacket:
      p.body = d.r.rest().to_bytes();
      break;
    case PeerPayloadType::kKeepalive:
      break;
    case PeerPayloadType::kChat:
      p.network = d.name(kMaxNameLength);
      p.body = d.r.rest().to_bytes();
      if (p.body.size() > kMaxChatLength) d.fail(DecodeError::kFieldOutOfRange);
      break;
    case PeerPayloadType::kPing:
    case PeerPayloadType::kPong:
      p.nonce = d.r.u64();
      break;
  }
  return d.finish(std::move(p));
}

}  // namespace yt
