#include "client/core/port_mapping.h"

#include <algorithm>

#include <sodium.h>

namespace yt {
namespace {

constexpr std::uint8_t kPcpResponseMap = 0x80 | kPcpOpcodeMap;
constexpr std::size_t kPcpHeaderSize = 24;

std::optional<Ipv4> lan_address(const ClientConfig& config) {
  for (const Endpoint& e : config.lan_endpoints) {
    if (e.ip.value != 0) return e.ip;
  }
  return std::nullopt;
}

}  // namespace

// Keyed BLAKE2b of our secret key over the start time and a counter: as unguessable
// off-path as a random nonce (RFC 6887 section 11.1 asks no more), and it leaves
// the injected RandomSource's stream alone, so adding the port mapping did not move
// every later draw of a simulated client (birthday ports, tunnel ids) and with it
// the guarded runs' outcomes.
PcpNonce GatewayPortMapper::derive_nonce(Time now) {
  static constexpr char kLabel[] = "yellowtail pcp nonce";
  std::uint8_t input[sizeof kLabel - 1 + 17];
  std::copy(kLabel, kLabel + sizeof kLabel - 1, input);
  const std::uint64_t t = static_cast<std::uint64_t>(to_us(now)), n = ++starts_;
  for (int i = 0; i < 8; ++i) {
    input[sizeof kLabel - 1 + i] = static_cast<std::uint8_t>(t >> (8 * i));
    input[sizeof kLabel - 1 + 8 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  }
  input[sizeof kLabel - 1 + 16] = pcp_protocol();  // the UDP and TCP mappers start together
  std::uint8_t digest[crypto_generichash_BYTES_MIN];  // 16: BLAKE2b's shortest output
  crypto_generichash(digest, sizeof digest, input, sizeof input, ctx_.identity.secret_key.data(),
                     ctx_.identity.secret_key.size());
  PcpNonce out{};
  std::copy(digest, digest + out.size(), out.begin());
  return out;
}

void GatewayPortMapper::start(Time now, Ipv4 gateway, std::uint16_t internal_port, std::uint32_t lifetime_s) {
  if (phase_ == Phase::kHeld && (gateway != gateway_ || internal_port != internal_port_)) stop(now);
  gateway_ = gateway;
  internal_port_ = internal_port;
  lifetime_s_ = std::max<std::uint32_t>(lifetime_s, 2);  // renewal at half must be a second or more
  nonce_ = derive_nonce(now);
  held_ = {};
  renewing_ = false;
  renew_at_.reset();
  nat_pmp_address_.reset();
  nat_pmp_port_.reset();
  attempt_ = 0;
  // PCP names the client's address in the request; without one we know, only
  // NAT-PMP can ask.
  phase_ = lan_address(ctx_.config) ? Phase::kPcp : Phase::kNatPmp;
  send_request(now);
}

void GatewayPortMapper::stop(Time now) {
  if (phase_ == Phase::kHeld) {
    const Endpoint to{gateway_, kPortMappingServerPort};
    if (held_.protocol == PortMappingProtocol::kPcp) {
      PcpMapRequest request;
      request.nonce = nonce_;
      request.protocol = pcp_protocol();
      request.client = Endpoint{lan_address(ctx_.config).value_or(Ipv4{}), internal_port_};
      request.lifetime_s = 0;
      ctx_.send_bytes(to, encode_pcp_map_request(request));
    } else {
      ctx_.send_bytes(to, encode_nat_pmp_request(NatPmpMapRequest{internal_port_, 0, 0, tcp()}));
    }
    ++ctx_.stats.port_mapping_requests;
  }
  phase_ = Phase::kIdle;
  held_ = {};
  renewing_ = false;
  retry_at_.reset();
  renew_at_.reset();
}

bool GatewayPortMapper::owns(Endpoint from) const {
  return phase_ != Phase::kIdle && phase_ != Phase::kGaveUp && from == Endpoint{gateway_, kPortMappingServerPort};
}

void GatewayPortMapper::send_request(Time now) {
  const Endpoint to{gateway_, kPortMappingServerPort};
  const PortMappingProtocol protocol =
      phase_ == Phase::kHeld ? held_.protocol
                             : (phase_ == Phase::kPcp ? PortMappingProtocol::kPcp : PortMappingProtocol::kNatPmp);
  if (protocol == PortMappingProtocol::kPcp) {
    PcpMapRequest request;
    request.nonce = nonce_;
    request.protocol = pcp_protocol();
    request.client = Endpoint{lan_address(ctx_.config).value_or(Ipv4{}), internal_port_};
    // A renewal suggests what we hold, so the gateway keeps it.
    if (phase_ == Phase::kHeld) request.suggested = held_.external;
    request.lifetime_s = lifetime_s_;
    ctx_.send_bytes(to, encode_pcp_map_request(request));
    ++ctx_.stats.port_mapping_requests;
  } else {
    if (!nat_pmp_address_) {
      ctx_.send_bytes(to, encode_nat_pmp_request(NatPmpAddressRequest{}));
      ++ctx_.stats.port_mapping_requests;
    }
    const std::uint16_t suggested = phase_ == Phase::kHeld ? held_.external.port : 0;
    ctx_.send_bytes(to, encode_nat_pmp_request(NatPmpMapRequest{internal_port_, suggested, lifetime_s_, tcp()}));
    ++ctx_.stats.port_mapping_requests;
  }
  ++attempt_;
  retry_at_ = now + kFirstRetry * (1 << (attempt_ - 1));
}

void GatewayPortMapper::fall_back_to_nat_pmp(Time now) {
  phase_ = Phase::kNatPmp;
  attempt_ = 0;
  nat_pmp_address_.reset();
  nat_pmp_port_.reset();
  send_request(now);
}

bool GatewayPortMapper::give_up(Time) {
  const bool changed = held_.protocol != PortMappingProtocol::kNone;
  phase_ = Phase::kGaveUp;
  held_ = {};
  renewing_ = false;
  retry_at_.reset();
  renew_at_.reset();
  return changed;
}

bool GatewayPortMapper::hold(Time now, PortMappingProtocol protocol, Endpoint external, std::uint32_t lifetime_s) {
  if (lifetime_s == 0 || external.port == 0 || external.ip.value == 0) return give_up(now);
  const PortMappingOffer offer{protocol, external, lifetime_s};
  // A renewal that keeps the endpoint is no news for the server.
  const bool changed = held_.protocol != protocol || held_.external != external;
  held_ = offer;
  phase_ = Phase::kHeld;
  renewing_ = false;
  retry_at_.reset();
  attempt_ = 0;
  const Duration lifetime = std::chrono::seconds(lifetime_s);
  renew_at_ = now + lifetime / 2;
  expires_at_ = now + lifetime;
  return changed;
}

bool GatewayPortMapper::on_datagram(Time now, Endpoint from, ByteView data) {
  if (!owns(from) || data.empty()) return false;
  if (phase_ == Phase::kHeld && !renewing_) return false;  // nothing asked: a late duplicate
  return data[0] == kPcpVersion ? on_pcp(now, data) : on_nat_pmp(now, data);
}

bool GatewayPortMapper::on_pcp(Time now, ByteView data) {
  const bool asking_pcp =
      phase_ == Phase::kPcp || (phase_ == Phase::kHeld && held_.protocol == PortMappingProtocol::kPcp);
  if (!asking_pcp) {
    ++ctx_.stats.port_mapping_malformed;
    return false;
  }
  // An error to a request the server could not read is a bare header (RFC 6887
  // section 8.3); UNSUPP_VERSION there means it wants an older protocol.
  if (data.size() >= kPcpHeaderSize && data.size() < kPcpMapSize && data[1] == kPcpResponseMap) {
    if (data[3] == static_cast<std::uint8_t>(PcpResult::kUnsuppVersion) && phase_ == Phase::kPcp) {
      fall_back_to_nat_pmp(now);
      return false;
    }
    return give_up(now);
  }
  auto response = decode_pcp_map_response(data);
  if (response && response->protocol != pcp_protocol()) return false;  // the other mapper's
  if (!response || response->nonce != nonce_ || response->internal_port != internal_port_) {
    ++ctx_.stats.port_mapping_malformed;  // not the answer to our request
    return false;
  }
  if (response->result == PcpResult::kUnsuppVersion && phase_ == Phase::kPcp) {
    fall_back_to_nat_pmp(now);
    return false;
  }
  if (response->result != PcpResult::kSuccess) return give_up(now);
  return hold(now, PortMappingProtocol::kPcp, response->external, response->lifetime_s);
}

bool GatewayPortMapper::on_nat_pmp(Time now, ByteView data) {
  auto response = decode_nat_pmp_response(data);
  if (!response) {
    ++ctx_.stats.port_mapping_malformed;
    return false;
  }
  if (phase_ == Phase::kPcp) {
    // A NAT-PMP server's answer to our PCP request: "unsupported version" (RFC
    // 6887 section 9); any NAT-PMP answer says which protocol it speaks.
    fall_back_to_nat_pmp(now);
    return false;
  }
  if (phase_ != Phase::kNatPmp && !(phase_ == Phase::kHeld && held_.protocol == PortMappingProtocol::kNatPmp)) {
    ++ctx_.stats.port_mapping_malformed;
    return false;
  }
  if (auto* address = std::get_if<NatPmpAddressResponse>(&*response)) {
    if (address->result != NatPmpResult::kSuccess) return give_up(now);
    nat_pmp_address_ = address->external;
  } else if (auto* map = std::get_if<NatPmpMapResponse>(&*response)) {
    if (map->tcp != tcp()) return false;  // the other mapper's
    if (map->internal_port != internal_port_) {
      ++ctx_.stats.port_mapping_malformed;
      return false;
    }
    if (map->result != NatPmpResult::kSuccess) return give_up(now);
    nat_pmp_port_ = std::make_pair(map->external_port, map->lifetime_s);
  } else {
    // An error answer: to our map request, or to the address request both
    // mappers send; the other mapper's map request is not ours to fail on. Nor
    // is a late "unsupported version": it answers a PCP request (ours or the
    // other mapper's, which fell back with us) and we speak NAT-PMP already.
    const NatPmpErrorResponse& error = std::get<NatPmpErrorResponse>(*response);
    const std::uint8_t opcode = error.opcode & 0x7f;
    if (error.result == NatPmpResult::kUnsuppVersion) return false;
    if (opcode != 0 && opcode != (tcp() ? 2 : 1)) return false;
    return give_up(now);
  }
  if (!nat_pmp_address_ || !nat_pmp_port_) return false;
  const auto [port, lifetime] = *nat_pmp_port_;
  nat_pmp_port_.reset();
  return hold(now, PortMappingProtocol::kNatPmp, Endpoint{*nat_pmp_address_, port}, lifetime);
}

bool GatewayPortMapper::on_timer(Time now) {
  bool changed = false;
  if (phase_ == Phase::kHeld && now >= expires_at_) {
    // Every renewal went unanswered: the mapping is gone. Ask again from the
    // start (the gateway may have rebooted).
    const Ipv4 gateway = gateway_;
    held_ = {};
    phase_ = Phase::kIdle;
    start(now, gateway, internal_port_, lifetime_s_);
    return true;
  }
  if (retry_at_ && now >= *retry_at_) {
    retry_at_.reset();
    if (attempt_ < kAttempts) {
      send_request(now);
    } else if (phase_ == Phase::kPcp) {
      fall_back_to_nat_pmp(now);
    } else if (phase_ == Phase::kNatPmp) {
      changed = give_up(now);
    }
    // A renewal out of tries waits for the expiry above.
  }
  if (renew_at_ && now >= *renew_at_) {
    renew_at_.reset();
    renewing_ = true;
    attempt_ = 0;
    if (held_.protocol == PortMappingProtocol::kNatPmp) nat_pmp_port_.reset();
    send_request(now);
  }
  return changed;
}

std::optional<Time> GatewayPortMapper::next_deadline() const {
  std::optional<Time> next = retry_at_;
  for (std::optional<Time> t : {renew_at_, phase_ == Phase::kHeld ? std::optional<Time>(expires_at_) : std::nullopt}) {
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

}  // namespace yt
