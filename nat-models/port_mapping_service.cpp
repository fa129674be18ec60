#include "nat-models/port_mapping_service.h"

#include <algorithm>
#include <chrono>

#include "protocol/port_mapping_wire.h"

namespace yt::nat {
namespace {

constexpr std::uint8_t kResponseBit = 0x80;

std::uint32_t epoch_of(Time now) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return static_cast<std::uint32_t>(std::max<std::int64_t>(s, 0));
}

std::uint32_t granted_s(const NatConfig& config, std::uint32_t requested_s) {
  const auto cap = std::chrono::duration_cast<std::chrono::seconds>(config.port_mapping_max_lifetime).count();
  return static_cast<std::uint32_t>(std::min<std::int64_t>(requested_s, cap));
}

Bytes nat_pmp_unsupported_version(ByteView request, std::uint32_t epoch) {
  const std::uint8_t opcode = request.size() > 1 ? request[1] & 0x7f : 0;
  return encode_nat_pmp_response(
      NatPmpErrorResponse{static_cast<std::uint8_t>(kResponseBit | opcode), NatPmpResult::kUnsuppVersion, epoch});
}

std::optional<Bytes> answer_pcp(NatModel& model, Time now, Endpoint from, ByteView data) {
  const std::uint32_t epoch = epoch_of(now);
  const std::uint8_t opcode = data.size() > 1 ? data[1] & 0x7f : 0;
  auto request = decode_pcp_map_request(data);
  if (!request) {
    switch (request.error()) {
      case PortMappingDecodeError::kWrongDirection:
      case PortMappingDecodeError::kTooLong:
        return std::nullopt;  // RFC 6887 section 8.3: never answer a response or a non-PCP size
      case PortMappingDecodeError::kUnsupportedOpcode:
        return encode_pcp_error(opcode, PcpResult::kUnsuppOpcode, epoch);
      case PortMappingDecodeError::kUnsupportedProtocol:
        return encode_pcp_error(opcode, PcpResult::kUnsuppProtocol, epoch);
      default:
        return encode_pcp_error(opcode, PcpResult::kMalformedRequest, epoch);
    }
  }
  PcpMapResponse response;
  response.epoch_s = epoch;
  response.nonce = request->nonce;
  response.internal_port = request->client.port;
  response.protocol = request->protocol;
  if (request->client.ip != from.ip) {
    // The address inside must be the one the request came from (no NAT between the
    // client and us); RFC 6887 section 8.1.
    response.result = PcpResult::kAddressMismatch;
    response.lifetime_s = 30;
    return encode_pcp_map_response(response);
  }
  const std::uint32_t lifetime = granted_s(model.config(), request->lifetime_s);
  const Transport transport = request->protocol == kPcpProtocolTcp ? Transport::kTcp : Transport::kUdp;
  auto mapped = model.map_port(now, transport, Endpoint{from.ip, request->client.port}, std::chrono::seconds(lifetime),
                               request->suggested.port);
  if (!mapped) {
    response.result = PcpResult::kNoResources;
    response.lifetime_s = 30;
    return encode_pcp_map_response(response);
  }
  response.lifetime_s = lifetime;
  // A deletion answers with the suggested endpoint (section 15); ours is the
  // client's own when it had none.
  response.external = lifetime == 0 ? Endpoint{model.public_ips().front(), 0} : *mapped;
  return encode_pcp_map_response(response);
}

std::optional<Bytes> answer_nat_pmp(NatModel& model, Time now, Endpoint from, ByteView data) {
  const std::uint32_t epoch = epoch_of(now);
  auto request = decode_nat_pmp_request(data);
  if (!request) {
    if (request.error() == PortMappingDecodeError::kUnsupportedOpcode) {
      return encode_nat_pmp_response(NatPmpErrorResponse{static_cast<std::uint8_t>(kResponseBit | data[1]),
                                                         NatPmpResult::kUnsuppOpcode, epoch});
    }
    return std::nullopt;
  }
  if (std::holds_alternative<NatPmpAddressRequest>(*request)) {
    return encode_nat_pmp_response(NatPmpAddressResponse{NatPmpResult::kSuccess, epoch, model.public_ips().front()});
  }
  const auto& map = std::get<NatPmpMapRequest>(*request);
  NatPmpMapResponse response;
  response.epoch_s = epoch;
  response.internal_port = map.internal_port;
  response.tcp = map.tcp;
  const std::uint32_t lifetime = granted_s(model.config(), map.lifetime_s);
  auto mapped = model.map_port(now, map.tcp ? Transport::kTcp : Transport::kUdp, Endpoint{from.ip, map.internal_port},
                               std::chrono::seconds(lifetime), map.suggested_port);
  if (!mapped) {
    response.result = NatPmpResult::kOutOfResources;
    return encode_nat_pmp_response(response);
  }
  response.external_port = mapped->port;
  response.lifetime_s = lifetime;
  return encode_nat_pmp_response(response);
}

}  // namespace

std::optional<Bytes> answer_port_mapping(NatModel& model, Time now, Endpoint from, ByteView request) {
  const NatConfig& config = model.config();
  if (request.empty() || model.public_ips().empty()) return std::nullopt;
  const std::uint8_t version = request[0];
  if (version == kPcpVersion && config.answers_pcp) return answer_pcp(model, now, from, request);
  if (version == kNatPmpVersion && config.answers_nat_pmp) return answer_nat_pmp(model, now, from, request);
  if (request.size() > 1 && (request[1] & kResponseBit)) return std::nullopt;
  if (config.answers_nat_pmp) return nat_pmp_unsupported_version(request, epoch_of(now));
  if (config.answers_pcp) return encode_pcp_error(request.size() > 1 ? request[1] & 0x7f : 0, PcpResult::kUnsuppVersion, epoch_of(now));
  return std::nullopt;
}

}  // namespace yt::nat
