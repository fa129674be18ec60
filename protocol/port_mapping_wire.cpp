#include "protocol/port_mapping_wire.h"

#include <algorithm>

#include "protocol/wire.h"

namespace yt {
namespace {

constexpr std::size_t kPcpHeaderSize = 24;
constexpr std::uint8_t kResponseBit = 0x80;
constexpr std::uint8_t kNatPmpOpAddress = 0;
constexpr std::uint8_t kNatPmpOpMapUdp = 1;
constexpr std::uint8_t kNatPmpOpMapTcp = 2;
constexpr std::size_t kNatPmpErrorSize = 8;

// IPv4 in PCP's 16-byte address fields: the IPv4-mapped IPv6 form ::ffff:a.b.c.d.
void put_address(WireWriter& w, Ipv4 ip) {
  for (int i = 0; i < 10; ++i) w.u8(0);
  w.u16(0xffff);
  w.u32(ip.value);
}

// The all-zero address (::) is accepted as "no address" where a request may leave one out.
std::optional<Ipv4> get_address(WireReader& r, bool allow_unspecified) {
  auto bytes = r.fixed<16>();
  if (r.failed()) return std::nullopt;
  const bool mapped = std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
                      bytes[10] == 0xff && bytes[11] == 0xff;
  const bool unspecified = std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
  if (!mapped && !(allow_unspecified && unspecified)) return std::nullopt;
  return Ipv4{std::uint32_t(bytes[12]) << 24 | std::uint32_t(bytes[13]) << 16 | std::uint32_t(bytes[14]) << 8 |
              bytes[15]};
}

// Options follow the opcode body: code, reserved, length, data padded to 4 bytes.
// They are skipped, but must fit.
bool options_fit(ByteView rest) {
  std::size_t at = 0;
  while (at < rest.size()) {
    if (rest.size() - at < 4) return false;
    const std::size_t length = std::size_t(rest[at + 2]) << 8 | rest[at + 3];
    const std::size_t padded = (length + 3) / 4 * 4;
    if (rest.size() - at - 4 < padded) return false;
    at += 4 + padded;
  }
  return true;
}

std::optional<PortMappingDecodeError> check_pcp(ByteView data, bool response) {
  if (data.size() < 2) return PortMappingDecodeError::kTooShort;
  if (data.size() > kPcpMaxSize) return PortMappingDecodeError::kTooLong;
  if (data[0] != kPcpVersion) return PortMappingDecodeError::kWrongVersion;
  if (((data[1] & kResponseBit) != 0) != response) return PortMappingDecodeError::kWrongDirection;
  if ((data[1] & 0x7f) != kPcpOpcodeMap) return PortMappingDecodeError::kUnsupportedOpcode;
  if (data.size() < kPcpMapSize) return PortMappingDecodeError::kTooShort;
  if (!options_fit(data.subview(kPcpMapSize))) return PortMappingDecodeError::kBadOption;
  return std::nullopt;
}

}  // namespace

const char* to_string(PcpResult r) {
  switch (r) {
    case PcpResult::kSuccess: return "SUCCESS";
    case PcpResult::kUnsuppVersion: return "UNSUPP_VERSION";
    case PcpResult::kNotAuthorized: return "NOT_AUTHORIZED";
    case PcpResult::kMalformedRequest: return "MALFORMED_REQUEST";
    case PcpResult::kUnsuppOpcode: return "UNSUPP_OPCODE";
    case PcpResult::kUnsuppOption: return "UNSUPP_OPTION";
    case PcpResult::kMalformedOption: return "MALFORMED_OPTION";
    case PcpResult::kNetworkFailure: return "NETWORK_FAILURE";
    case PcpResult::kNoResources: return "NO_RESOURCES";
    case PcpResult::kUnsuppProtocol: return "UNSUPP_PROTOCOL";
    case PcpResult::kUserExQuota: return "USER_EX_QUOTA";
    case PcpResult::kCannotProvideExternal: return "CANNOT_PROVIDE_EXTERNAL";
    case PcpResult::kAddressMismatch: return "ADDRESS_MISMATCH";
    case PcpResult::kExcessiveRemotePeers: return "EXCESSIVE_REMOTE_PEERS";
  }
  return "unknown";
}

const char* to_string(NatPmpResult r) {
  switch (r) {
    case NatPmpResult::kSuccess: return "success";
    case NatPmpResult::kUnsuppVersion: return "unsupported version";
    case NatPmpResult::kNotAuthorized: return "not authorized";
    case NatPmpResult::kNetworkFailure: return "network failure";
    case NatPmpResult::kOutOfResources: return "out of resources";
    case NatPmpResult::kUnsuppOpcode: return "unsupported opcode";
  }
  return "unknown";
}

const char* to_string(PortMappingDecodeError e) {
  switch (e) {
    case PortMappingDecodeError::kTooShort: return "too short";
    case PortMappingDecodeError::kTooLong: return "too long";
    case PortMappingDecodeError::kWrongVersion: return "wrong version";
    case PortMappingDecodeError::kWrongDirection: return "wrong direction";
    case PortMappingDecodeError::kUnsupportedOpcode: return "unsupported opcode";
    case PortMappingDecodeError::kUnsupportedProtocol: return "unsupported protocol";
    case PortMappingDecodeError::kNotIpv4: return "not an IPv4 address";
    case PortMappingDecodeError::kBadResult: return "bad result code";
    case PortMappingDecodeError::kBadOption: return "bad option";
  }
  return "unknown";
}

Bytes encode_pcp_map_request(const PcpMapRequest& m) {
  WireWriter w;
  w.u8(kPcpVersion);
  w.u8(kPcpOpcodeMap);
  w.u16(0);
  w.u32(m.lifetime_s);
  put_address(w, m.client.ip);
  w.fixed(m.nonce);
  w.u8(m.protocol);
  w.u8(0);
  w.u16(0);
  w.u16(m.client.port);
  w.u16(m.suggested.port);
  put_address(w, m.suggested.ip);
  return w.take();
}

Result<PcpMapRequest, PortMappingDecodeError> decode_pcp_map_request(ByteView data) {
  if (auto error = check_pcp(data, false)) return Err{*error};
  WireReader r(data.subview(0, kPcpMapSize));
  PcpMapRequest m;
  r.u16();
  r.u16();
  m.lifetime_s = r.u32();
  auto client = get_address(r, false);
  if (!client) return Err{PortMappingDecodeError::kNotIpv4};
  m.nonce = r.fixed<12>();
  m.protocol = r.u8();
  if (m.protocol != kPcpProtocolUdp && m.protocol != kPcpProtocolTcp) {
    return Err{PortMappingDecodeError::kUnsupportedProtocol};
  }
  r.u8();
  r.u16();
  m.client = Endpoint{*client, r.u16()};
  const std::uint16_t suggested_port = r.u16();
  auto suggested = get_address(r, true);
  if (!suggested) return Err{PortMappingDecodeError::kNotIpv4};
  m.suggested = Endpoint{*suggested, suggested_port};
  if (r.failed()) return Err{PortMappingDecodeError::kTooShort};
  return m;
}

Bytes encode_pcp_map_response(const PcpMapResponse& m) {
  WireWriter w;
  w.u8(kPcpVersion);
  w.u8(kResponseBit | kPcpOpcodeMap);
  w.u8(0);
  w.u8(static_cast<std::uint8_t>(m.result));
  w.u32(m.lifetime_s);
  w.u32(m.epoch_s);
  for (int i = 0; i < 12; ++i) w.u8(0);
  w.fixed(m.nonce);
  w.u8(m.protocol);
  w.u8(0);
  w.u16(0);
  w.u16(m.internal_port);
  w.u16(m.external.port);
  put_address(w, m.external.ip);
  return w.take();
}

Result<PcpMapResponse, PortMappingDecodeError> decode_pcp_map_response(ByteView data) {
  if (auto error = check_pcp(data, true)) return Err{*error};
  WireReader r(data.subview(0, kPcpMapSize));
  PcpMapResponse m;
  r.u16();
  r.u8();
  const std::uint8_t result = r.u8();
  if (result > static_cast<std::uint8_t>(PcpResult::kExcessiveRemotePeers)) {
    return Err{PortMappingDecodeError::kBadResult};
  }
  m.result = static_cast<PcpResult>(result);
  m.lifetime_s = r.u32();
  m.epoch_s = r.u32();
  r.fixed<12>();
  m.nonce = r.fixed<12>();
  m.protocol = r.u8();
  r.u8();
  r.u16();
  m.internal_port = r.u16();
  const std::uint16_t port = r.u16();
  auto ip = get_address(r, m.result != PcpResult::kSuccess);
  if (!ip) return Err{PortMappingDecodeError::kNotIpv4};
  m.external = Endpoint{*ip, port};
  if (r.failed()) return Err{PortMappingDecodeError::kTooShort};
  return m;
}

Bytes encode_pcp_error(std::uint8_t opcode, PcpResult result, std::uint32_t epoch_s) {
  WireWriter w;
  w.u8(kPcpVersion);
  w.u8(static_cast<std::uint8_t>(kResponseBit | (opcode & 0x7f)));
  w.u8(0);
  w.u8(static_cast<std::uint8_t>(result));
  // RFC 6887 section 8.3: how long the client should wait before retrying the same
  // request; 30 s is the RFC's example for errors that may clear.
  w.u32(30);
  w.u32(epoch_s);
  for (int i = 0; i < 12; ++i) w.u8(0);
  return w.take();
}

Bytes encode_nat_pmp_request(const NatPmpRequest& request) {
  WireWriter w;
  w.u8(kNatPmpVersion);
  if (std::holds_alternative<NatPmpAddressRequest>(request)) {
    w.u8(kNatPmpOpAddress);
    return w.take();
  }
  const auto& m = std::get<NatPmpMapRequest>(request);
  w.u8(m.tcp ? kNatPmpOpMapTcp : kNatPmpOpMapUdp);
  w.u16(0);
  w.u16(m.internal_port);
  w.u16(m.suggested_port);
  w.u32(m.lifetime_s);
  return w.take();
}

Result<NatPmpRequest, PortMappingDecodeError> decode_nat_pmp_request(ByteView data) {
  if (data.size() < 2) return Err{PortMappingDecodeError::kTooShort};
  if (data[0] != kNatPmpVersion) return Err{PortMappingDecodeError::kWrongVersion};
  if (data[1] & kResponseBit) return Err{PortMappingDecodeError::kWrongDirection};
  if (data[1] == kNatPmpOpAddress) {
    if (data.size() != 2) return Err{PortMappingDecodeError::kTooLong};
    return NatPmpRequest{NatPmpAddressRequest{}};
  }
  if (data[1] != kNatPmpOpMapUdp && data[1] != kNatPmpOpMapTcp) return Err{PortMappingDecodeError::kUnsupportedOpcode};
  if (data.size() < 12) return Err{PortMappingDecodeError::kTooShort};
  if (data.size() > 12) return Err{PortMappingDecodeError::kTooLong};
  WireReader r(data);
  r.u16();
  r.u16();
  NatPmpMapRequest m;
  m.tcp = data[1] == kNatPmpOpMapTcp;
  m.internal_port = r.u16();
  m.suggested_port = r.u16();
  m.lifetime_s = r.u32();
  return NatPmpRequest{m};
}

Bytes encode_nat_pmp_response(const NatPmpResponse& response) {
  WireWriter w;
  w.u8(kNatPmpVersion);
  if (auto* a = std::get_if<NatPmpAddressResponse>(&response)) {
    w.u8(kResponseBit | kNatPmpOpAddress);
    w.u16(static_cast<std::uint16_t>(a->result));
    w.u32(a->epoch_s);
    w.u32(a->external.value);
  } else if (auto* m = std::get_if<NatPmpMapResponse>(&response)) {
    w.u8(kResponseBit | (m->tcp ? kNatPmpOpMapTcp : kNatPmpOpMapUdp));
    w.u16(static_cast<std::uint16_t>(m->result));
    w.u32(m->epoch_s);
    w.u16(m->internal_port);
    w.u16(m->external_port);
    w.u32(m->lifetime_s);
  } else {
    const auto& e = std::get<NatPmpErrorResponse>(response);
    w.u8(e.opcode);
    w.u16(static_cast<std::uint16_t>(e.result));
    w.u32(e.epoch_s);
  }
  return w.take();
}

Result<NatPmpResponse, PortMappingDecodeError> decode_nat_pmp_response(ByteView data) {
  if (data.size() < kNatPmpErrorSize) return Err{PortMappingDecodeError::kTooShort};
  if (data[0] != kNatPmpVersion) return Err{PortMappingDecodeError::kWrongVersion};
  if (!(data[1] & kResponseBit)) return Err{PortMappingDecodeError::kWrongDirection};
  WireReader r(data);
  r.u8();
  const std::uint8_t opcode = r.u8();
  const std::uint16_t code = r.u16();
  if (code > static_cast<std::uint16_t>(NatPmpResult::kUnsuppOpcode)) return Err{PortMappingDecodeError::kBadResult};
  const auto result = static_cast<NatPmpResult>(code);
  const std::uint32_t epoch = r.u32();
  const std::size_t full = opcode == (kResponseBit | kNatPmpOpAddress) ? 12
                           : opcode == (kResponseBit | kNatPmpOpMapUdp) ||
                                     opcode == (kResponseBit | kNatPmpOpMapTcp)
                               ? 16
                               : 0;
  if (full == 0 || (result != NatPmpResult::kSuccess && data.size() < full)) {
    if (data.size() > 16) return Err{PortMappingDecodeError::kTooLong};
    return NatPmpResponse{NatPmpErrorResponse{opcode, result, epoch}};
  }
  if (data.size() < full) return Err{PortMappingDecodeError::kTooShort};
  if (data.size() > full) return Err{PortMappingDecodeError::kTooLong};
  if (full == 12) return NatPmpResponse{NatPmpAddressResponse{result, epoch, Ipv4{r.u32()}}};
  NatPmpMapResponse m;
  m.tcp = opcode == (kResponseBit | kNatPmpOpMapTcp);
  m.result = result;
  m.epoch_s = epoch;
  m.internal_port = r.u16();
  m.external_port = r.u16();
  m.lifetime_s = r.u32();
  return NatPmpResponse{m};
}

std::optional<std::uint8_t> port_mapping_version(ByteView data) {
  if (data.empty()) return std::nullopt;
  return data[0];
}

}  // namespace yt
