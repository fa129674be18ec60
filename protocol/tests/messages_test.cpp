// Every wire message against fixed bytes (the wire spec in messages.h), plus the
// decoders' refusal of truncated, trailing, unknown and out-of-range input.
#include "protocol/messages.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

PublicKey key_of(std::uint8_t fill) {
  PublicKey k;
  k.fill(fill);
  return k;
}
const std::string kKeyAA(64, 'a');  // hex of 32 bytes of 0xaa

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

std::string hex_control(const ControlMessage& m) { return to_hex(encode_control(m)); }
std::string hex_datagram(const Datagram& d) { return to_hex(encode_datagram(d)); }

struct ControlCase {
  const char* name;
  ControlMessage message;
  std::string hex;
};

std::vector<ControlCase> control_cases() {
  MemberInfo member{key_of(0xaa), "bo", *Ipv4::parse("25.0.0.2"), true};
  NatProfile profile;
  profile.mapping = MappingBehavior::kAddressPortDependent;
  profile.filtering = FilteringBehavior::kAddressPortDependent;
  profile.allocation = PortAllocation::kSequential;
  profile.port_delta = 2;
  profile.public_ips = {*Ipv4::parse("203.0.113.1")};
  profile.mapping_lifetime = std::chrono::seconds(30);
  profile.mapping_known = true;
  return {
      {"LoginRequest", LoginRequest{"al", {ep("192.168.1.2:4000")}}, "0101" "02616c" "01" "c0a80102" "0fa0"},
      {"LoginReply",
       LoginReply{ReplyCode::kOk, "", *Ipv4::parse("25.0.0.1"), 8, 0x0102030405060708ULL, {ep("198.51.100.1:3478")}},
       "0102" "00" "00" "19000001" "08" "0102030405060708" "01" "c6336401" "0d96"},
      {"DiscoveryReport", DiscoveryReport{ep("203.0.113.1:1000"), profile},
       "0103" "cb007101" "03e8" "01" "00" "02" "02" "01" "00000002" "00" "01" "cb007101" "00007530" "01" "00" "00"
       "00"},
      {"DiscoveryReport with a port mapping",
       DiscoveryReport{ep("203.0.113.1:1000"), profile,
                       PortMappingOffer{PortMappingProtocol::kPcp, ep("203.0.113.1:61000"), 7200}},
       "0103" "cb007101" "03e8" "01" "00" "02" "02" "01" "00000002" "00" "01" "cb007101" "00007530" "01" "00"
       "01" "cb007101" "ee48" "00001c20" "00"},
      {"DiscoveryReport with a TCP port mapping",
       DiscoveryReport{ep("203.0.113.1:1000"), profile, PortMappingOffer{},
                       PortMappingOffer{PortMappingProtocol::kNatPmp, ep("203.0.113.1:61001"), 600}},
       "0103" "cb007101" "03e8" "01" "00" "02" "02" "01" "00000002" "00" "01" "cb007101" "00007530" "01" "00"
       "00" "02" "cb007101" "ee49" "00000258"},
      {"CreateNetwork", CreateNetwork{7, "net", "pw"}, "0104" "00000007" "036e6574" "027077"},
      {"JoinNetwork", JoinNetwork{8, "net", ""}, "0105" "00000008" "036e6574" "00"},
      {"LeaveNetwork", LeaveNetwork{9, "net"}, "0106" "00000009" "036e6574"},
      {"SetNickname", SetNickname{10, "al"}, "0107" "0000000a" "02616c"},
      {"Reply", Reply{7, ReplyCode::kWrongPassword, "no"}, "0108" "00000007" "01" "026e6f"},
      {"NetworkSnapshot", NetworkSnapshot{{NetworkInfo{"n", {member}}}},
       "0109" "0001" "016e" "0001" + kKeyAA + "02626f" "19000002" "01"},
      {"MemberUpdate", MemberUpdate{"n", member}, "010a" "016e" + kKeyAA + "02626f" "19000002" "01"},
      {"MemberLeft", MemberLeft{"n", key_of(0xaa)}, "010b" "016e" + kKeyAA},
      {"TunnelInstruction",
       TunnelInstruction{key_of(0xaa), *Ipv4::parse("25.0.0.2"), 0x1122334455667788ULL, TunnelRole::kResponder, 250,
                         {ep("203.0.113.2:5000")}, 2},
       "010c" + kKeyAA + "19000002" "1122334455667788" "02" "000000fa" "01" "cb007102" "1388" "02" "00" "00" "00"},
      {"TunnelInstruction with a relay",
       TunnelInstruction{key_of(0xaa), *Ipv4::parse("25.0.0.2"), 0x1122334455667788ULL, TunnelRole::kResponder, 250,
                         {}, 0, RelayOffer{ep("203.0.113.9:443"), RelayTicket{7, 0x0102030405060708ULL, 1, key_of(0xaa)}, 3600,
                                           ep("203.0.113.9:443")}},
       "010c" + kKeyAA + "19000002" "1122334455667788" "02" "000000fa" "00" "00" "01" "cb007109" "01bb" "00000007"
       "0102030405060708" "01" + kKeyAA + "00000e10" "cb007109" "01bb" "00" "00"},
      {"TunnelInstruction with birthday probing",
       TunnelInstruction{key_of(0xaa), *Ipv4::parse("25.0.0.2"), 0x1122334455667788ULL, TunnelRole::kResponder, 250,
                         {ep("203.0.113.2:5000")}, 0, std::nullopt,
                         BirthdayPlan{BirthdayRole::kOpenPorts, 256, 200, 0, 2, ep("203.0.113.2:5000")}},
       "010c" + kKeyAA + "19000002" "1122334455667788" "02" "000000fa" "01" "cb007102" "1388" "00" "00" "01" "0100"
       "00c8" "0000" "02" "cb007102" "1388" "00"},
      {"TunnelInstruction with a TCP punch",
       TunnelInstruction{key_of(0xaa), *Ipv4::parse("25.0.0.2"), 0x1122334455667788ULL, TunnelRole::kResponder, 250,
                         {}, 0, std::nullopt, BirthdayPlan{}, TcpPunchPlan{ep("203.0.113.2:40000"), 500}},
       "010c" + kKeyAA + "19000002" "1122334455667788" "02" "000000fa" "00" "00" "00" "00" "01" "cb007102" "9c40"
       "01f4"},
      {"TunnelInstruction awaiting a TCP connection",
       TunnelInstruction{key_of(0xaa), *Ipv4::parse("25.0.0.2"), 0x1122334455667788ULL, TunnelRole::kResponder, 250,
                         {}, 0, std::nullopt, BirthdayPlan{}, TcpPunchPlan{ep("203.0.113.2:40000"), 0, true}},
       "010c" + kKeyAA + "19000002" "1122334455667788" "02" "000000fa" "00" "00" "00" "00" "02" "cb007102" "9c40"
       "0000"},
      {"PeerOffline", PeerOffline{key_of(0xaa)}, "010d" + kKeyAA},
      {"Ping", Ping{1}, "010e" "0000000000000001"},
      {"Pong", Pong{2}, "010f" "0000000000000002"},
      {"SessionReplaced", SessionReplaced{ep("198.51.100.7:4000")}, "0110" "c6336407" "0fa0"},
      {"SetNetworkOnline", SetNetworkOnline{11, "net", false}, "0111" "0000000b" "036e6574" "00"},
      {"RequestTunnel", RequestTunnel{key_of(0xaa)}, "0112" + kKeyAA},
      {"RelayFrame", RelayFrame{Bytes{0x01, 0x0b, 0xff}}, "0113" "0003" "010bff"},
      {"RelayRegister", RelayRegister{"r1", ep("203.0.113.9:3478"), ep("203.0.113.9:443")},
       "0114" "027231" "cb007109" "0d96" "cb007109" "01bb"},
      {"RelayKeys", RelayKeys{TicketKeyring{2, key_of(0xaa)}, TicketKeyring{1, key_of(0xaa)}},
       "0115" "00000002" + kKeyAA + "01" "00000001" + kKeyAA},
      {"RelayKeys without a previous key", RelayKeys{TicketKeyring{1, key_of(0xaa)}, std::nullopt},
       "0115" "00000001" + kKeyAA + "00"},
      {"RelayList", RelayList{{RelayInfo{0, "", Endpoint{}, Endpoint{}}, RelayInfo{3, "r", ep("203.0.113.9:3478"), {}}}},
       "0116" "02" "00000000" "00" "00000000" "0000" "00000000" "0000" "00000003" "0172" "cb007109" "0d96" "00000000"
       "0000"},
      {"RelayRtts", RelayRtts{{RelayRtt{0, 1000}, RelayRtt{3, 250}}}, "0117" "02" "00000000" "000003e8" "00000003" "000000fa"},
      {"TunnelOutcome direct", TunnelOutcome{0x1122334455667788ULL, key_of(0xaa), NegotiationOutcome::kDirect, 250},
       "0118" "1122334455667788" + kKeyAA + "01" "000000fa"},
      {"TunnelOutcome relayed", TunnelOutcome{7, key_of(0xaa), NegotiationOutcome::kRelayed, 0},
       "0118" "0000000000000007" + kKeyAA + "02" "00000000"},
      {"RefreshMapping", RefreshMapping{ep("198.51.100.1:3480")}, "0119" "c6336401" "0d98"},
  };
}

TEST(MessagesTest, ControlMessagesMatchFixedBytesAndRoundTrip) {
  for (const ControlCase& c : control_cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(hex_control(c.message), c.hex);
    auto decoded = decode_control(*from_hex(c.hex));
    ASSERT_TRUE(decoded.ok()) << to_string(decoded.error());
    EXPECT_EQ(decoded->index(), c.message.index());
    EXPECT_EQ(to_hex(encode_control(*decoded)), c.hex);
  }
}

TEST(MessagesTest, EveryTruncationOfEveryControlMessageIsRefused) {
  for (const ControlCase& c : control_cases()) {
    Bytes full = *from_hex(c.hex);
    for (std::size_t n = 0; n < full.size(); ++n) {
      auto decoded = decode_control(ByteView(full.data(), n));
      EXPECT_FALSE(decoded.ok()) << c.name << " accepted a " << n << "-byte prefix";
    }
    Bytes longer = full;
    longer.push_back(0);
    auto decoded = decode_control(longer);
    ASSERT_FALSE(decoded.ok()) << c.name;
    EXPECT_EQ(decoded.error(), DecodeError::kTrailingBytes) << c.name;
  }
}

TEST(MessagesTest, ControlRejectsVersionTypeAndRanges) {
  EXPECT_EQ(decode_control(*from_hex("020e0000000000000001")).error(), DecodeError::kBadVersion);
  EXPECT_EQ(decode_control(*from_hex("01ff")).error(), DecodeError::kUnknownType);
  EXPECT_EQ(decode_control(*from_hex("0100")).error(), DecodeError::kUnknownType);
  // Reply with code 99.
  EXPECT_EQ(decode_control(*from_hex("0108" "00000007" "63" "00")).error(), DecodeError::kFieldOutOfRange);
  // TunnelInstruction with role 3.
  EXPECT_EQ(decode_control(*from_hex("010c" + kKeyAA + "19000002" "1122334455667788" "03" "000000fa" "00" "00" "00" "00" "00")).error(),
            DecodeError::kFieldOutOfRange);
  // TunnelInstruction with birthday role 3, and with a count of 0 and of 4097.
  const std::string instruction = "010c" + kKeyAA + "19000002" "1122334455667788" "02" "000000fa" "00" "00" "00";
  EXPECT_EQ(decode_control(*from_hex(instruction + "03" "0100" "00c8" "0000" "02" "cb007102" "1388" "00")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_control(*from_hex(instruction + "02" "0000" "00c8" "0000" "00" "cb007102" "0000" "00")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_control(*from_hex(instruction + "02" "1001" "00c8" "0000" "00" "cb007102" "0000" "00")).error(),
            DecodeError::kFieldOutOfRange);
  // TunnelInstruction whose TCP punch mode is 3, and one aimed at 0.0.0.0:0.
  EXPECT_EQ(decode_control(*from_hex(instruction + "00" "03" "cb007102" "9c40" "01f4")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_control(*from_hex(instruction + "00" "01" "00000000" "0000" "01f4")).error(),
            DecodeError::kFieldOutOfRange);
  // TunnelInstruction whose relay ticket names side 2.
  EXPECT_EQ(decode_control(*from_hex("010c" + kKeyAA + "19000002" "1122334455667788" "02" "000000fa" "00" "00" "01"
                                     "cb007109" "01bb" "00000007" "0102030405060708" "02" + kKeyAA + "00000e10"
                                     "00000000" "0000" "00" "00"))
                .error(),
            DecodeError::kFieldOutOfRange);
  // RefreshMapping to port 0: nowhere to probe.
  EXPECT_EQ(decode_control(*from_hex("0119" "c6336401" "0000")).error(), DecodeError::kFieldOutOfRange);
  // LifetimeProbe waits of 0 s and of 601 s.
  EXPECT_EQ(decode_datagram(*from_hex("010e" "0102030405060708" "1122334455667788" "0000")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_datagram(*from_hex("010e" "0102030405060708" "1122334455667788" "0259")).error(),
            DecodeError::kFieldOutOfRange);
  // RelayKeys whose current key has the "no key" id 0.
  EXPECT_EQ(decode_control(*from_hex("0115" "00000000" + kKeyAA + "00")).error(), DecodeError::kFieldOutOfRange);
  // TunnelOutcome: outcome 5, and a time to direct on a relayed outcome.
  EXPECT_EQ(decode_control(*from_hex("0118" "0000000000000007" + kKeyAA + "05" "00000000")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_control(*from_hex("0118" "0000000000000007" + kKeyAA + "02" "00000001")).error(),
            DecodeError::kFieldOutOfRange);
  // A RelayList of 33 relays.
  EXPECT_EQ(decode_control(*from_hex("0116" "21")).error(), DecodeError::kFieldOutOfRange);
  // A 65-byte network name.
  std::string long_name = "0106" "00000009" "41" + std::string(65 * 2, '6');
  EXPECT_EQ(decode_control(*from_hex(long_name)).error(), DecodeError::kFieldOutOfRange);
  // A DiscoveryReport whose filtering_known flag is 2.
  EXPECT_EQ(decode_control(*from_hex("0103" "cb007101" "03e8" "01" "00" "02" "02" "01" "00000002" "00" "01"
                                     "cb007101" "00007530" "01" "02" "00" "00"))
                .error(),
            DecodeError::kFieldOutOfRange);
  // A DiscoveryReport with port mapping protocol 4, with external port 0, with lifetime 0.
  const std::string report = "0103" "cb007101" "03e8" "01" "00" "02" "02" "01" "00000002" "00" "01" "cb007101"
                             "00007530" "01" "00";
  EXPECT_EQ(decode_control(*from_hex(report + "04" "cb007101" "ee48" "00001c20" "00")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_control(*from_hex(report + "01" "cb007101" "0000" "00001c20" "00")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_control(*from_hex(report + "02" "cb007101" "ee48" "00000000" "00")).error(),
            DecodeError::kFieldOutOfRange);
  // The same checks hold for the TCP port mapping after it, and it must be there.
  EXPECT_EQ(decode_control(*from_hex(report + "00" "04" "cb007101" "ee48" "00001c20")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_control(*from_hex(report + "00" "01" "cb007101" "0000" "00001c20")).error(),
            DecodeError::kFieldOutOfRange);
  EXPECT_NE(decode_control(*from_hex(report + "00")).error(), DecodeError::kFieldOutOfRange);
  EXPECT_FALSE(decode_control(*from_hex(report + "00")).ok());
  // SetNetworkOnline with an online flag of 2.
  EXPECT_EQ(decode_control(*from_hex("0111" "0000000b" "036e6574" "02")).error(), DecodeError::kFieldOutOfRange);
  // A member's online flag of 2.
  EXPECT_EQ(decode_control(*from_hex("010a" "016e" + kKeyAA + "02626f" "19000002" "02")).error(),
            DecodeError::kFieldOutOfRange);
}

struct DatagramCase {
  const char* name;
  Datagram datagram;
  std::string hex;
  std::size_t tail = 0;  // bytes of the variable-length tail (noise, sealed), if any
};

std::vector<DatagramCase> datagram_cases() {
  return {
      {"DiscoveryProbe", DiscoveryProbe{0x0102030405060708ULL, 9, true, false},
       "0101" "0102030405060708" "0000000000000009" "01"},
      {"DiscoveryReply", DiscoveryReply{9, ep("203.0.113.1:1000"), ep("198.51.100.1:3478")},
       "0102" "0000000000000009" "cb007101" "03e8" "c6336401" "0d96"},
      {"PunchProbe", PunchProbe{0x1122334455667788ULL, 3}, "0103" "1122334455667788" "00000003"},
      {"PunchAck", PunchAck{0x1122334455667788ULL, 3}, "0104" "1122334455667788" "00000003"},
      {"PeerHandshakeInit", PeerHandshakeInit{5, 0x1122334455667788ULL, {0xde, 0xad}},
       "0105" "00000005" "1122334455667788" "dead", 2},
      {"PeerHandshakeResp", PeerHandshakeResp{6, 5, {0xbe, 0xef}}, "0106" "00000006" "00000005" "beef", 2},
      {"PeerData", PeerData{6, {0x01, 0x02, 0x03}}, "0107" "00000006" "010203", 3},
      {"HairpinProbe", HairpinProbe{0x1122334455667788ULL}, "0108" "1122334455667788"},
      {"RelayBind",
       RelayBind{7, 0x1122334455667788ULL, 1, 3, {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
                                                 0xac, 0xad, 0xae, 0xaf}},
       "0109" "00000007" "1122334455667788" "01" "0000000000000003" "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"},
      {"RelayBound", RelayBound{0x1122334455667788ULL, 1, 3, RelayBindResult::kExpired, false},
       "010a" "1122334455667788" "01" "0000000000000003" "02" "00"},
      {"RelayData", RelayData{0x1122334455667788ULL, 0, {0xca, 0xfe}}, "010b" "1122334455667788" "00" "cafe", 2},
      {"RelayEcho", RelayEcho{0x1122334455667788ULL}, "010c" "1122334455667788"},
      {"RelayEchoReply", RelayEchoReply{0x1122334455667788ULL}, "010d" "1122334455667788"},
      {"LifetimeProbe", LifetimeProbe{0x0102030405060708ULL, 0x1122334455667788ULL, 300},
       "010e" "0102030405060708" "1122334455667788" "012c"},
  };
}

TEST(MessagesTest, DatagramsMatchFixedBytesAndRoundTrip) {
  for (const DatagramCase& c : datagram_cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(hex_datagram(c.datagram), c.hex);
    auto decoded = decode_datagram(*from_hex(c.hex));
    ASSERT_TRUE(decoded.ok()) << to_string(decoded.error());
    EXPECT_EQ(to_hex(encode_datagram(*decoded)), c.hex);
  }
}

TEST(MessagesTest, EveryTruncationOfEveryDatagramIsRefused) {
  for (const DatagramCase& c : datagram_cases()) {
    Bytes full = *from_hex(c.hex);
    for (std::size_t n = 0; n < full.size(); ++n) {
      // The variable-length tails (noise, sealed) accept any non-empty rest, so a
      // prefix that keeps at least one tail byte is a valid shorter message.
      auto decoded = decode_datagram(ByteView(full.data(), n));
      if (c.tail > 0 && n > full.size() - c.tail) continue;
      EXPECT_FALSE(decoded.ok()) << c.name << " accepted a " << n << "-byte prefix";
    }
  }
  EXPECT_EQ(decode_datagram(*from_hex("0101" "0102030405060708" "0000000000000009" "04")).error(),
            DecodeError::kFieldOutOfRange);
}

TEST(MessagesTest, ControlFramesMatchFixedBytes) {
  ControlFrame init;
  init.type = ControlFrameType::kHandshakeInit;
  init.body = {0xab};
  EXPECT_EQ(to_hex(encode_control_frame(init)), "0101ab");
  ControlFrame reject;
  reject.type = ControlFrameType::kHandshakeReject;
  reject.reject_reason = HandshakeRejectReason::kBadHandshake;
  reject.reject_text = "no";
  EXPECT_EQ(to_hex(encode_control_frame(reject)), "0103" "01" "026e6f" "0000");
  auto decoded = decode_control_frame(*from_hex("0103" "01" "026e6f" "0000"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->reject_text, "no");
  ControlFrame busy;
  busy.type = ControlFrameType::kHandshakeReject;
  busy.reject_reason = HandshakeRejectReason::kServerBusy;
  busy.retry_after_s = 300;
  EXPECT_EQ(to_hex(encode_control_frame(busy)), "0103" "02" "00" "012c");
  decoded = decode_control_frame(*from_hex("0103" "02" "00" "012c"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->reject_reason, HandshakeRejectReason::kServerBusy);
  EXPECT_EQ(decoded->retry_after_s, 300);
  EXPECT_EQ(decode_control_frame(*from_hex("0103" "02" "00" "01")).error(), DecodeError::kTruncated);
  EXPECT_EQ(decode_control_frame(*from_hex("0104")).error(), DecodeError::kTruncated);  // empty sealed body
  ControlFrame mapping;
  mapping.type = ControlFrameType::kTcpMapping;
  mapping.token = 0x0102030405060708ULL;
  EXPECT_EQ(to_hex(encode_control_frame(mapping)), "0105" "0102030405060708");
  decoded = decode_control_frame(*from_hex("0105" "0102030405060708"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->type, ControlFrameType::kTcpMapping);
  EXPECT_EQ(decoded->token, 0x0102030405060708ULL);
  EXPECT_EQ(decode_control_frame(*from_hex("0105" "01020304050607")).error(), DecodeError::kTruncated);
  EXPECT_EQ(decode_control_frame(*from_hex("0105" "010203040506070809")).error(), DecodeError::kTrailingBytes);
  EXPECT_EQ(decode_control_frame(*from_hex("0106ab")).error(), DecodeError::kUnknownType);
}

TEST(MessagesTest, PeerPayloads) {
  EXPECT_EQ(to_hex(encode_peer_payload(PeerPayload::packet({0x45, 0x00}))), "014500");
  EXPECT_EQ(to_hex(encode_peer_payload(PeerPayload::keepalive())), "02");
  EXPECT_TRUE(decode_peer_payload(*from_hex("02")).ok());
  EXPECT_EQ(decode_peer_payload(*from_hex("0200")).error(), DecodeError::kTrailingBytes);
  EXPECT_EQ(decode_peer_payload(*from_hex("06")).error(), DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_peer_payload(*from_hex("00")).error(), DecodeError::kFieldOutOfRange);
  EXPECT_EQ(decode_peer_payload(Bytes{}).error(), DecodeError::kTruncated);
  auto packet = decode_peer_payload(*from_hex("01"));
  ASSERT_TRUE(packet.ok());
  EXPECT_TRUE(packet->body.empty());
}

TEST(MessagesTest, ChatPayloads) {
  // Private chat: empty network name.
  EXPECT_EQ(to_hex(encode_peer_payload(PeerPayload::chat("", {0x68, 0x69}))), "03006869");
  // Network chat to "lan".
  PeerPayload chat = PeerPayload::chat("lan", {0x68, 0x69});
  EXPECT_EQ(to_hex(encode_peer_payload(chat)), "03036c616e6869");
  auto decoded = decode_peer_payload(*from_hex("03036c616e6869"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->type, PeerPayloadType::kChat);
  EXPECT_EQ(decoded->network, "lan");
  EXPECT_EQ(decoded->body, (Bytes{0x68, 0x69}));
  EXPECT_EQ(decode_peer_payload(*from_hex("0300")).value().body.size(), 0u);
  EXPECT_EQ(decode_peer_payload(*from_hex("03")).error(), DecodeError::kTruncated);
  EXPECT_EQ(decode_peer_payload(*from_hex("03056c616e")).error(), DecodeError::kTruncated);

  Bytes longest = {0x03, 0x00};
  longest.resize(2 + kMaxChatLength, 'x');
  EXPECT_TRUE(decode_peer_payload(longest).ok());
  longest.push_back('x');
  EXPECT_EQ(decode_peer_payload(longest).error(), DecodeError::kFieldOutOfRange);
  Bytes long_name = {0x03, static_cast<std::uint8_t>(kMaxNameLength + 1)};
  long_name.resize(2 + kMaxNameLength + 1, 'n');
  EXPECT_EQ(decode_peer_payload(long_name).error(), DecodeError::kFieldOutOfRange);
}

TEST(MessagesTest, PingPongPayloads) {
  PeerPayload ping = PeerPayload::ping(0x0102030405060708);
  EXPECT_EQ(to_hex(encode_peer_payload(ping)), "040102030405060708");
  PeerPayload pong = PeerPayload::pong(0xfffffffffffffffe);
  EXPECT_EQ(to_hex(encode_peer_payload(pong)), "05fffffffffffffffe");
  auto decoded = decode_peer_payload(*from_hex("050102030405060708"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->type, PeerPayloadType::kPong);
  EXPECT_EQ(decoded->nonce, 0x0102030405060708u);
  EXPECT_EQ(decode_peer_payload(*from_hex("04010203")).error(), DecodeError::kTruncated);
  EXPECT_EQ(decode_peer_payload(*from_hex("04010203040506070809")).error(), DecodeError::kTrailingBytes);
}

}  // namespace
}  // namespace yt
