#include "protocol/port_mapping_wire.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

TEST(PortMappingWire, PcpMapRequestHasTheRfcLayout) {
  PcpMapRequest request;
  request.nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  request.client = ep("192.168.1.10:4000");
  request.lifetime_s = 7200;
  Bytes bytes = encode_pcp_map_request(request);
  ASSERT_EQ(bytes.size(), kPcpMapSize);
  EXPECT_EQ(to_hex(bytes),
            "02010000"                          // version 2, request, MAP, reserved
            "00001c20"                          // lifetime 7200
            "00000000000000000000ffffc0a8010a"  // ::ffff:192.168.1.10
            "0102030405060708090a0b0c"          // nonce
            "11000000"                          // UDP, reserved
            "0fa00000"                          // internal 4000, suggested port 0
            "00000000000000000000ffff00000000"); // suggested ::ffff:0.0.0.0
  auto back = decode_pcp_map_request(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->client, request.client);
  EXPECT_EQ(back->nonce, request.nonce);
  EXPECT_EQ(back->lifetime_s, 7200u);
  EXPECT_TRUE(back->suggested.is_unset());
}

TEST(PortMappingWire, PcpMapResponseRoundTrips) {
  PcpMapResponse response;
  response.result = PcpResult::kSuccess;
  response.lifetime_s = 3600;
  response.epoch_s = 99;
  response.nonce = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1};
  response.internal_port = 4000;
  response.external = ep("203.0.113.5:61000");
  Bytes bytes = encode_pcp_map_response(response);
  ASSERT_EQ(bytes.size(), kPcpMapSize);
  EXPECT_EQ(bytes[1], 0x81);
  auto back = decode_pcp_map_response(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->external, response.external);
  EXPECT_EQ(back->nonce, response.nonce);
  EXPECT_EQ(back->lifetime_s, 3600u);
  EXPECT_EQ(back->epoch_s, 99u);
  EXPECT_EQ(back->internal_port, 4000);
  // Options after the body are skipped when they fit.
  bytes.insert(bytes.end(), {0x01, 0x00, 0x00, 0x02, 0xaa, 0xbb, 0x00, 0x00});
  EXPECT_TRUE(decode_pcp_map_response(bytes).ok());
}

TEST(PortMappingWire, PcpDecodersRefuseMalformedInput) {
  PcpMapResponse response;
  response.external = ep("203.0.113.5:61000");
  const Bytes good = encode_pcp_map_response(response);
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_pcp_map_response(ByteView(good.data(), n)).ok()) << n;
  }
  Bytes version = good;
  version[0] = 1;
  EXPECT_EQ(decode_pcp_map_response(version).error(), PortMappingDecodeError::kWrongVersion);
  EXPECT_EQ(decode_pcp_map_request(good).error(), PortMappingDecodeError::kWrongDirection);
  Bytes opcode = good;
  opcode[1] = 0x82;  // PEER
  EXPECT_EQ(decode_pcp_map_response(opcode).error(), PortMappingDecodeError::kUnsupportedOpcode);
  Bytes result = good;
  result[3] = 200;
  EXPECT_EQ(decode_pcp_map_response(result).error(), PortMappingDecodeError::kBadResult);
  Bytes ipv6 = good;
  ipv6[44 + 10] = 0;  // not ::ffff:
  EXPECT_EQ(decode_pcp_map_response(ipv6).error(), PortMappingDecodeError::kNotIpv4);
  Bytes option = good;
  option.insert(option.end(), {0x01, 0x00, 0x00, 0x09, 0xaa});  // says 9 bytes, has 1
  EXPECT_EQ(decode_pcp_map_response(option).error(), PortMappingDecodeError::kBadOption);
  Bytes huge(kPcpMaxSize + 1, 0);
  huge[0] = kPcpVersion;
  EXPECT_EQ(decode_pcp_map_response(huge).error(), PortMappingDecodeError::kTooLong);
  Bytes sctp = encode_pcp_map_request(PcpMapRequest{});
  sctp[36] = 132;
  EXPECT_EQ(decode_pcp_map_request(sctp).error(), PortMappingDecodeError::kUnsupportedProtocol);
}

TEST(PortMappingWire, TcpMappingsUseTheirProtocolNumberAndOpcode) {
  PcpMapRequest request;
  request.protocol = kPcpProtocolTcp;
  request.client = ep("192.168.1.10:4000");
  Bytes pcp = encode_pcp_map_request(request);
  EXPECT_EQ(pcp[36], 6);
  auto back = decode_pcp_map_request(pcp);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->protocol, kPcpProtocolTcp);
  PcpMapResponse response;
  response.protocol = kPcpProtocolTcp;
  response.external = ep("203.0.113.5:443");
  auto answer = decode_pcp_map_response(encode_pcp_map_response(response));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->protocol, kPcpProtocolTcp);

  Bytes nat_pmp = encode_nat_pmp_request(NatPmpMapRequest{4000, 443, 7200, true});
  EXPECT_EQ(to_hex(nat_pmp), "000200000fa001bb00001c20");  // version 0, opcode 2 (TCP)
  auto map = decode_nat_pmp_request(nat_pmp);
  ASSERT_TRUE(map.ok());
  EXPECT_TRUE(std::get<NatPmpMapRequest>(*map).tcp);
  EXPECT_FALSE(std::get<NatPmpMapRequest>(*decode_nat_pmp_request(encode_nat_pmp_request(NatPmpMapRequest{4000, 0, 1})))
                   .tcp);
  Bytes granted = encode_nat_pmp_response(NatPmpMapResponse{NatPmpResult::kSuccess, 7, 4000, 443, 3600, true});
  EXPECT_EQ(granted[1], 0x82);
  auto m = decode_nat_pmp_response(granted);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(std::get<NatPmpMapResponse>(*m).tcp);
  EXPECT_EQ(std::get<NatPmpMapResponse>(*m).external_port, 443);
}

TEST(PortMappingWire, PcpErrorIsAHeaderWithTheResult) {
  Bytes bytes = encode_pcp_error(kPcpOpcodeMap, PcpResult::kUnsuppVersion, 5);
  ASSERT_EQ(bytes.size(), 24u);
  EXPECT_EQ(bytes[1], 0x81);
  EXPECT_EQ(bytes[3], 1);
  // Too short to be a MAP response: the client reads the result from the header.
  EXPECT_EQ(decode_pcp_map_response(bytes).error(), PortMappingDecodeError::kTooShort);
}

TEST(PortMappingWire, NatPmpRequestsHaveTheRfcLayout) {
  EXPECT_EQ(to_hex(encode_nat_pmp_request(NatPmpAddressRequest{})), "0000");
  Bytes map = encode_nat_pmp_request(NatPmpMapRequest{4000, 4001, 7200});
  EXPECT_EQ(to_hex(map), "000100000fa00fa100001c20");
  auto back = decode_nat_pmp_request(map);
  ASSERT_TRUE(back.ok());
  const auto& m = std::get<NatPmpMapRequest>(*back);
  EXPECT_EQ(m.internal_port, 4000);
  EXPECT_EQ(m.suggested_port, 4001);
  EXPECT_EQ(m.lifetime_s, 7200u);
  EXPECT_TRUE(std::holds_alternative<NatPmpAddressRequest>(*decode_nat_pmp_request(encode_nat_pmp_request(NatPmpAddressRequest{}))));
}

TEST(PortMappingWire, NatPmpResponsesRoundTrip) {
  Bytes address = encode_nat_pmp_response(NatPmpAddressResponse{NatPmpResult::kSuccess, 7, ep("203.0.113.5:0").ip});
  EXPECT_EQ(to_hex(address), "008000000000000" "7cb007105");
  auto a = decode_nat_pmp_response(address);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::get<NatPmpAddressResponse>(*a).external, ep("203.0.113.5:0").ip);
  NatPmpMapResponse map{NatPmpResult::kSuccess, 7, 4000, 61000, 3600};
  auto m = decode_nat_pmp_response(encode_nat_pmp_response(map));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<NatPmpMapResponse>(*m).external_port, 61000);
  EXPECT_EQ(std::get<NatPmpMapResponse>(*m).lifetime_s, 3600u);
  // The 8-byte error a NAT-PMP server sends to a PCP request (RFC 6887 section 9).
  Bytes unsupp = encode_nat_pmp_response(NatPmpErrorResponse{0x81, NatPmpResult::kUnsuppVersion, 7});
  ASSERT_EQ(unsupp.size(), 8u);
  auto e = decode_nat_pmp_response(unsupp);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(std::get<NatPmpErrorResponse>(*e).result, NatPmpResult::kUnsuppVersion);
}

TEST(PortMappingWire, NatPmpDecodersRefuseMalformedInput) {
  const Bytes map = encode_nat_pmp_response(NatPmpMapResponse{NatPmpResult::kSuccess, 7, 4000, 61000, 3600});
  for (std::size_t n = 0; n < 8; ++n) EXPECT_FALSE(decode_nat_pmp_response(ByteView(map.data(), n)).ok()) << n;
  for (std::size_t n = 8; n < map.size(); ++n) {
    EXPECT_EQ(decode_nat_pmp_response(ByteView(map.data(), n)).error(), PortMappingDecodeError::kTooShort) << n;
  }
  Bytes longer = map;
  longer.push_back(0);
  EXPECT_EQ(decode_nat_pmp_response(longer).error(), PortMappingDecodeError::kTooLong);
  Bytes code = map;
  code[3] = 9;
  EXPECT_EQ(decode_nat_pmp_response(code).error(), PortMappingDecodeError::kBadResult);
  EXPECT_EQ(decode_nat_pmp_response(encode_nat_pmp_request(NatPmpMapRequest{})).error(),
            PortMappingDecodeError::kWrongDirection);
  Bytes request = encode_nat_pmp_request(NatPmpMapRequest{1, 2, 3});
  EXPECT_EQ(decode_nat_pmp_request(ByteView(request.data(), 11)).error(), PortMappingDecodeError::kTooShort);
  Bytes unknown = request;
  unknown[1] = 3;
  EXPECT_EQ(decode_nat_pmp_request(unknown).error(), PortMappingDecodeError::kUnsupportedOpcode);
  EXPECT_EQ(decode_nat_pmp_request(map).error(), PortMappingDecodeError::kWrongDirection);
  Bytes pcp = encode_pcp_map_request(PcpMapRequest{});
  EXPECT_EQ(decode_nat_pmp_request(pcp).error(), PortMappingDecodeError::kWrongVersion);
}

}  // namespace
}  // namespace yt
