// The two gateway port-mapping protocols a client speaks to its own router, as
// bytes: PCP (RFC 6887) MAP requests and responses, and NAT-PMP (RFC 6886), which
// PCP replaced and which a PCP server may still answer on the same port.
//
// Why here and not libnatpmp: the client core builds these requests and parses the
// answers itself (client/core/port_mapping.h) because the same core runs inside ns-3,
// where the driver carries its datagrams; libnatpmp opens and reads its own socket,
// so it cannot serve a sans-IO core. The NAT models (nat-models/port_mapping_service.h)
// answer with the same codec.
//
// Only what a client mapping its UDP port and its TCP listening port needs: PCP
// MAP over IPv4 for UDP and TCP (no options: THIRD_PARTY and PREFER_FAILURE are
// never sent, unknown options in an answer are skipped), NAT-PMP's
// external-address, UDP-map and TCP-map opcodes. Decoders never
// read past the end; anything else is a typed error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <variant>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/result.h"

namespace yt {

// Both protocols listen on this UDP port of the gateway (RFC 6887 section 19.1,
// RFC 6886 section 3.1).
constexpr std::uint16_t kPortMappingServerPort = 5351;
constexpr std::uint8_t kPcpVersion = 2;
constexpr std::uint8_t kNatPmpVersion = 0;
constexpr std::uint8_t kPcpOpcodeMap = 1;
constexpr std::uint8_t kPcpProtocolUdp = 17;
constexpr std::uint8_t kPcpProtocolTcp = 6;
// A PCP MAP request or response without options: 24-byte header + 36-byte MAP body.
constexpr std::size_t kPcpMapSize = 60;
// PCP's largest message (RFC 6887 section 7): longer datagrams are not PCP.
constexpr std::size_t kPcpMaxSize = 1100;

using PcpNonce = std::array<std::uint8_t, 12>;

// RFC 6887 section 7.4; the numbers are the wire values.
enum class PcpResult : std::uint8_t {
  kSuccess = 0,
  kUnsuppVersion = 1,
  kNotAuthorized = 2,
  kMalformedRequest = 3,
  kUnsuppOpcode = 4,
  kUnsuppOption = 5,
  kMalformedOption = 6,
  kNetworkFailure = 7,
  kNoResources = 8,
  kUnsuppProtocol = 9,
  kUserExQuota = 10,
  kCannotProvideExternal = 11,
  kAddressMismatch = 12,
  kExcessiveRemotePeers = 13,
};
const char* to_string(PcpResult r);

// A MAP request for `protocol` (UDP or TCP) from `client` (the address the request
// is sent from, which the server checks; port = the internal port to map), with a
// suggested external endpoint (unset: any) and lifetime in seconds (0 deletes the
// mapping).
struct PcpMapRequest {
  PcpNonce nonce{};
  std::uint8_t protocol = kPcpProtocolUdp;
  Endpoint client;
  Endpoint suggested;
  std::uint32_t lifetime_s = 0;
};

struct PcpMapResponse {
  PcpResult result = PcpResult::kSuccess;
  std::uint32_t lifetime_s = 0;
  std::uint32_t epoch_s = 0;
  PcpNonce nonce{};
  std::uint8_t protocol = kPcpProtocolUdp;
  std::uint16_t internal_port = 0;
  Endpoint external;  // assigned external endpoint (on success)
};

// NAT-PMP (RFC 6886). Result codes 0..5 (section 3.5).
enum class NatPmpResult : std::uint16_t {
  kSuccess = 0,
  kUnsuppVersion = 1,
  kNotAuthorized = 2,
  kNetworkFailure = 3,
  kOutOfResources = 4,
  kUnsuppOpcode = 5,
};
const char* to_string(NatPmpResult r);

struct NatPmpAddressRequest {};
struct NatPmpMapRequest {
  std::uint16_t internal_port = 0;
  std::uint16_t suggested_port = 0;
  std::uint32_t lifetime_s = 0;  // 0 deletes
  bool tcp = false;              // the TCP-map opcode (2) instead of the UDP one (1)
};
using NatPmpRequest = std::variant<NatPmpAddressRequest, NatPmpMapRequest>;

struct NatPmpAddressResponse {
  NatPmpResult result = NatPmpResult::kSuccess;
  std::uint32_t epoch_s = 0;
  Ipv4 external;
};
struct NatPmpMapResponse {
  NatPmpResult result = NatPmpResult::kSuccess;
  std::uint32_t epoch_s = 0;
  std::uint16_t internal_port = 0;
  std::uint16_t external_port = 0;
  std::uint32_t lifetime_s = 0;
  bool tcp = false;
};
// A NAT-PMP answer whose opcode we did not ask for (or an error answer shorter
// than its opcode's success layout, which RFC 6886 allows: 8 bytes).
struct NatPmpErrorResponse {
  std::uint8_t opcode = 0;  // the response opcode, 128 + request's
  NatPmpResult result = NatPmpResult::kUnsuppOpcode;
  std::uint32_t epoch_s = 0;
};
using NatPmpResponse = std::variant<NatPmpAddressResponse, NatPmpMapResponse, NatPmpErrorResponse>;

enum class PortMappingDecodeError : std::uint8_t {
  kTooShort,
  kTooLong,
  kWrongVersion,    // not the protocol this decoder reads
  kWrongDirection,  // a request where a response was expected or the reverse
  kUnsupportedOpcode,
  kUnsupportedProtocol,  // PCP MAP for something other than UDP or TCP
  kNotIpv4,              // an address that is not IPv4-mapped IPv6
  kBadResult,            // a result code the RFC does not define
  kBadOption,            // an option running past the end
};
const char* to_string(PortMappingDecodeError e);

Bytes encode_pcp_map_request(const PcpMapRequest& request);
Result<PcpMapRequest, PortMappingDecodeError> decode_pcp_map_request(ByteView data);
Bytes encode_pcp_map_response(const PcpMapResponse& response);
Result<PcpMapResponse, PortMappingDecodeError> decode_pcp_map_response(ByteView data);
// A PCP error response to a request we could not read far enough to echo (RFC 6887
// section 8.3: header only, result and lifetime set, opcode echoed).
Bytes encode_pcp_error(std::uint8_t opcode, PcpResult result, std::uint32_t epoch_s);

Bytes encode_nat_pmp_request(const NatPmpRequest& request);
Result<NatPmpRequest, PortMappingDecodeError> decode_nat_pmp_request(ByteView data);
Bytes encode_nat_pmp_response(const NatPmpResponse& response);
Result<NatPmpResponse, PortMappingDecodeError> decode_nat_pmp_response(ByteView data);

// The first byte of a datagram from the gateway's port-mapping port: which
// protocol's answer it is (PCP 2, NAT-PMP 0), nullopt when empty.
std::optional<std::uint8_t> port_mapping_version(ByteView data);

}  // namespace yt
