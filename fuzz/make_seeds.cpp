// Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/ from the
// project's real encoders, so the fuzzers start from messages the code really sends.
// Deterministic: the same tree gives the same files.
//
//   make_seeds CORPUS_DIR      (scripts/fuzz.sh --make-seeds runs it on fuzz/corpus)
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "client/core/client_core.h"
#include "client/core/tunnel.h"
#include "client/daemon/cli_args.h"
#include "client/daemon/control_protocol.h"
#include "client/daemon/daemon_config.h"
#include "client/daemon/status_json.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/tun_offload_seeds.h"
#include "nat-models/nat_profiles.h"
#include "protocol/port_mapping_wire.h"
#include "protocol/session.h"
#include "protocol/stream_framer.h"
#include "server/core/federation.h"

using namespace yt;
namespace fs = std::filesystem;

namespace {

constexpr Time kNow = time_from_us(1'000'000);
constexpr std::size_t kMaxSeedSize = 4096;

fs::path corpus_root;
int written = 0;

void write_seed(const std::string& target, const std::string& name, ByteView bytes) {
  FUZZ_CHECK(bytes.size() < kMaxSeedSize);
  fs::path dir = corpus_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(out.good());
  ++written;
}
void write_seed(const std::string& target, const std::string& name, std::string_view text) {
  write_seed(target, name, as_bytes(text));
}

Endpoint ep(const char* text) { return *Endpoint::parse(text); }
Ipv4 ip(const char* text) { return *Ipv4::parse(text); }

// ---- handshakes, as the fixtures in fuzz_support.h make them

struct RealHandshake {
  Bytes msg1, msg2;
  SessionKeys client_keys, server_keys;
};

RealHandshake control_handshake() {
  const auto& ids = fuzz::handshake_identities();
  SeededRandom crng = fuzz::client_rng(), srng = fuzz::server_rng();
  HandshakeInitiator init(ids.client, ids.server.public_key, fuzz::control_prologue(), crng);
  RealHandshake h;
  h.msg1 = *init.write_init(as_bytes(fuzz::kInitPayload));
  HandshakeReplayGuard guard;
  auto received = read_init(ids.server, fuzz::control_prologue(), h.msg1, kNow, guard);
  FUZZ_CHECK(received.ok());
  auto response = write_response(*received, as_bytes(fuzz::kResponsePayload), srng);
  FUZZ_CHECK(response.ok());
  h.msg2 = response->message;
  h.server_keys = response->keys;
  auto done = init.read_response(h.msg2);
  FUZZ_CHECK(done.ok());
  h.client_keys = done->keys;
  return h;
}

// A peer handshake: prologue kPeerPrologue + tunnel id, as tunnels use it.
RealHandshake peer_handshake(std::uint64_t tunnel_id) {
  SeededRandom id_rng(7, 0), arng(7, 1), brng(7, 2);
  Identity a = Identity::generate(id_rng), b = Identity::generate(id_rng);
  Bytes prologue = peer_prologue(tunnel_id);
  HandshakeInitiator init(a, b.public_key, prologue, arng);
  RealHandshake h;
  h.msg1 = *init.write_init(ByteView());
  HandshakeReplayGuard guard;
  auto received = read_init(b, prologue, h.msg1, kNow, guard);
  FUZZ_CHECK(received.ok());
  auto response = write_response(*received, ByteView(), brng);
  FUZZ_CHECK(response.ok());
  h.msg2 = response->message;
  h.server_keys = response->keys;
  h.client_keys = init.read_response(h.msg2)->keys;
  return h;
}

// ---- protocol messages

PublicKey some_key(std::uint8_t b) {
  PublicKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(b + i * 7);
  return k;
}

std::vector<std::pair<std::string, ControlMessage>> control_messages() {
  NatProfile profile;
  profile.mapping = MappingBehavior::kAddressPortDependent;
  profile.allocation = PortAllocation::kSequential;
  profile.port_delta = 2;
  profile.public_ips = {ip("198.51.100.1"), ip("198.51.100.2")};
  profile.mapping_lifetime = std::chrono::seconds(30);
  profile.mapping_known = profile.filtering_known = true;
  MemberInfo alice{some_key(1), "alice", ip("25.1.2.3"), true};
  MemberInfo bob{some_key(2), "bob", ip("25.4.5.6"), false};
  return {
      {"login-request", LoginRequest{"alice", {ep("192.168.1.10:40000"), ep("10.0.0.5:40000")}}},
      {"login-reply", LoginReply{ReplyCode::kOk, "welcome", ip("25.1.2.3"), 8, 0x1122334455667788,
                                 {ep("203.0.113.10:12975"), ep("203.0.113.11:12976")}}},
      {"login-reply-error", LoginReply{ReplyCode::kServerError, "try again later", Ipv4{}, 8, 0, {}}},
      {"discovery-report", DiscoveryReport{ep("198.51.100.1:40002"), profile}},
      {"create-network", CreateNetwork{1, "lan", "secret"}},
      {"join-network", JoinNetwork{2, "lan", "secret"}},
      {"join-network-nopass", JoinNetwork{3, "games", ""}},
      {"leave-network", LeaveNetwork{4, "lan"}},
      {"set-nickname", SetNickname{5, "alice2"}},
      {"reply", Reply{1, ReplyCode::kOk, ""}},
      {"reply-wrong-password", Reply{2, ReplyCode::kWrongPassword, "wrong password"}},
      {"network-snapshot", NetworkSnapshot{{NetworkInfo{"lan", {alice, bob}}, NetworkInfo{"games", {alice}}}}},
      {"network-snapshot-empty", NetworkSnapshot{}},
      {"member-update", MemberUpdate{"lan", bob}},
      {"member-left", MemberLeft{"lan", some_key(2)}},
      {"tunnel-instruction", TunnelInstruction{some_key(2), ip("25.4.5.6"), 0xabcdef0123456789, TunnelRole::kInitiator,
                                               120, {ep("198.51.100.7:40000"), ep("192.168.1.11:40000")}, 3, std::nullopt}},
      {"tunnel-instruction-relay",
       TunnelInstruction{some_key(2), ip("25.4.5.6"), 0xabcdef0123456789, TunnelRole::kResponder, 0, {}, 0,
                         RelayOffer{Endpoint{}, RelayTicket{3, 0x1122334455667788, 1, {}}, 3599, Endpoint{}}}},
      {"tunnel-instruction-birthday",
       TunnelInstruction{some_key(2), ip("25.4.5.6"), 0xabcdef0123456789, TunnelRole::kResponder, 250,
                         {ep("198.51.100.7:40000")}, 2, std::nullopt,
                         BirthdayPlan{BirthdayRole::kProbePorts, 1024, 200, 1530, 0, ep("198.51.100.7:0")}}},
      {"tunnel-instruction-tcp",
       TunnelInstruction{some_key(2), ip("25.4.5.6"), 0xabcdef0123456789, TunnelRole::kResponder, 250, {}, 0,
                         std::nullopt, BirthdayPlan{}, TcpPunchPlan{ep("198.51.100.7:40000"), 500}}},
      {"peer-offline", PeerOffline{some_key(2)}},
      {"ping", Ping{42}},
      {"pong", Pong{42}},
      {"session-replaced", SessionReplaced{ep("198.51.100.9:50000")}},
      {"set-network-online", SetNetworkOnline{6, "lan", false}},
      {"request-tunnel", RequestTunnel{some_key(2)}},
      {"relay-frame", RelayFrame{encode_datagram(RelayData{0x1122334455667788, 1, Bytes(40, 0x5a)})}},
      {"relay-register", RelayRegister{"relay-eu", ep("198.51.100.20:3478"), ep("198.51.100.20:443")}},
      {"relay-keys", RelayKeys{TicketKeyring{2, {}}, TicketKeyring{1, {}}}},
      {"relay-list", RelayList{{RelayInfo{0, "", {}, {}}, RelayInfo{1, "relay-eu", ep("198.51.100.20:3478"), {}}}}},
      {"relay-rtts", RelayRtts{{RelayRtt{0, 40000}, RelayRtt{1, 12000}}}},
      {"tunnel-outcome", TunnelOutcome{0xabcdef0123456789, some_key(2), NegotiationOutcome::kDirect, 420}},
      {"tunnel-outcome-relayed", TunnelOutcome{0xabcdef0123456789, some_key(2), NegotiationOutcome::kRelayed, 0}},
  };
}

void control_frame_seeds(const RealHandshake& h) {
  const std::string t = "control_frame_fuzz";
  std::vector<Bytes> plaintexts;
  for (const auto& [name, message] : control_messages()) {
    Bytes plain = encode_control(message);
    FUZZ_CHECK(decode_control(plain).ok());
    write_seed(t, "control-" + name, plain);
    plaintexts.push_back(plain);
  }
  ControlFrame init{ControlFrameType::kHandshakeInit, h.msg1, {}, {}};
  ControlFrame resp{ControlFrameType::kHandshakeResp, h.msg2, {}, {}};
  ControlFrame reject{ControlFrameType::kHandshakeReject, {}, HandshakeRejectReason::kBadHandshake,
                      "handshake failed: wrong server key?"};
  ControlFrame busy{ControlFrameType::kHandshakeReject, {}, HandshakeRejectReason::kServerBusy, "busy"};
  ControlFrame tcp_mapping{ControlFrameType::kTcpMapping, {}, {}, {}, 0, 0x0102030405060708};
  Session client(h.client_keys);
  ControlFrame sealed{ControlFrameType::kSealed, *client.seal(plaintexts.front(), ByteView()), {}, {}};
  for (const auto& [name, frame] : std::vector<std::pair<std::string, ControlFrame>>{
           {"handshake-init", init}, {"handshake-resp", resp}, {"handshake-reject", reject},
           {"handshake-reject-busy", busy}, {"sealed-login", sealed}, {"tcp-mapping", tcp_mapping}}) {
    Bytes bytes = encode_control_frame(frame);
    FUZZ_CHECK(decode_control_frame(bytes).ok());
    write_seed(t, "frame-" + name, bytes);
  }
}

void datagram_seeds() {
  const std::string t = "datagram_fuzz";
  RealHandshake peer = peer_handshake(0xabcdef0123456789);
  Session a(peer.client_keys);
  Bytes packet = make_ipv4_packet(fuzz::member_ip(1), fuzz::member_ip(2), kIpProtocolUdp, as_bytes("hello"));
  Bytes sealed = *a.seal(encode_peer_payload(PeerPayload::packet(packet)), ByteView());
  std::vector<std::pair<std::string, Datagram>> datagrams = {
      {"discovery-probe", DiscoveryProbe{0x1122334455667788, 1, false, false}},
      {"discovery-probe-change", DiscoveryProbe{0x1122334455667788, 2, true, true}},
      {"discovery-reply", DiscoveryReply{1, ep("198.51.100.1:40000"), ep("203.0.113.10:12975")}},
      {"punch-probe", PunchProbe{0xabcdef0123456789, 1}},
      {"punch-ack", PunchAck{0xabcdef0123456789, 1}},
      {"peer-handshake-init", PeerHandshakeInit{7, 0xabcdef0123456789, peer.msg1}},
      {"peer-handshake-resp", PeerHandshakeResp{9, 7, peer.msg2}},
      {"peer-data", PeerData{9, sealed}},
      {"hairpin-probe", HairpinProbe{0x5555aaaa5555aaaa}},
      {"relay-echo", RelayEcho{0x0102030405060708}},
      {"relay-echo-reply", RelayEchoReply{0x0102030405060708}},
      {"lifetime-probe", LifetimeProbe{0x0102030405060708, 0x1112131415161718, 30}},
  };
  for (const auto& [name, datagram] : datagrams) {
    Bytes bytes = encode_datagram(datagram);
    FUZZ_CHECK(decode_datagram(bytes).ok());
    write_seed(t, "datagram-" + name, bytes);
  }
  std::vector<std::pair<std::string, PeerPayload>> payloads = {
      {"packet", PeerPayload::packet(packet)},
      {"keepalive", PeerPayload::keepalive()},
      {"chat-network", PeerPayload::chat("lan", as_bytes("hello everyone").to_bytes())},
      {"chat-private", PeerPayload::chat("", as_bytes("hi bob").to_bytes())},
      {"ping", PeerPayload::ping(99)},
      {"pong", PeerPayload::pong(99)},
  };
  for (const auto& [name, payload] : payloads) {
    Bytes bytes = encode_peer_payload(payload);
    FUZZ_CHECK(decode_peer_payload(bytes).ok());
    write_seed(t, "payload-" + name, bytes);
  }
}

void handshake_seeds(const RealHandshake& h) {
  const std::string t = "handshake_fuzz";
  write_seed(t, "msg1", h.msg1);
  write_seed(t, "msg2", h.msg2);
  // Another client to the same server: authenticates as msg1 too.
  SeededRandom id_rng(9, 0), rng(9, 1);
  Identity other = Identity::generate(id_rng);
  HandshakeInitiator init(other, fuzz::handshake_identities().server.public_key, fuzz::control_prologue(), rng);
  write_seed(t, "msg1-other-client-empty-payload", *init.write_init(ByteView()));
  RealHandshake peer = peer_handshake(1);
  write_seed(t, "msg1-peer-prologue", peer.msg1);
  write_seed(t, "msg2-peer-prologue", peer.msg2);
}

// Stream-framer input: byte 0 (count - 1 of the chunk sizes), the sizes, the stream.
void stream_seed(const std::string& name, std::vector<std::uint8_t> sizes, const std::vector<Bytes>& frames) {
  Bytes in;
  in.push_back(static_cast<std::uint8_t>(sizes.size() - 1));
  in.insert(in.end(), sizes.begin(), sizes.end());
  for (const Bytes& frame : frames) {
    Bytes framed = *frame_for_stream(frame);
    in.insert(in.end(), framed.begin(), framed.end());
  }
  write_seed("stream_framer_fuzz", name, in);
}

void stream_framer_seeds(const RealHandshake& h) {
  Session client(h.client_keys);
  auto sealed_frame = [&](const ControlMessage& m) {
    return encode_control_frame(ControlFrame{ControlFrameType::kSealed, *client.seal(encode_control(m), ByteView()), {}, {}});
  };
  std::vector<Bytes> login = {
      encode_control_frame(ControlFrame{ControlFrameType::kHandshakeInit, h.msg1, {}, {}}),
      sealed_frame(LoginRequest{"alice", {ep("192.168.1.10:40000")}}),
      sealed_frame(JoinNetwork{1, "lan", "secret"}),
      sealed_frame(Ping{1}),
  };
  stream_seed("login-whole", {200}, login);
  stream_seed("login-bytewise", {1}, login);
  stream_seed("login-mixed-chunks", {3, 0, 17, 1, 64}, login);
  stream_seed("server-frames", {7, 13},
              {encode_control_frame(ControlFrame{ControlFrameType::kHandshakeResp, h.msg2, {}, {}}),
               encode_control_frame(ControlFrame{ControlFrameType::kHandshakeReject, {},
                                                 HandshakeRejectReason::kServerBusy, "busy"})});
  // A zero length prefix after a frame: the protocol error that ends a connection.
  Bytes in = {1, 5};
  Bytes ping = *frame_for_stream(sealed_frame(Ping{2}));
  in.insert(in.end(), ping.begin(), ping.end());
  in.insert(in.end(), {0, 0, 0, 3, 1, 2, 3});
  write_seed("stream_framer_fuzz", "zero-length-prefix", in);
}

void ip_packet_seeds() {
  const std::string t = "ip_packet_fuzz";
  ByteView payload = as_bytes("\x13\x88\x13\x88\x00\x0c\x00\x00ping");  // a UDP header + 4 bytes
  Bytes echo = {8, 0, 0xf7, 0xfe, 0, 1, 0, 0};                          // ICMP echo request
  auto v4 = [&](const char* name, Ipv4 src, Ipv4 dst, std::uint8_t proto, ByteView body) {
    Bytes p = make_ipv4_packet(src, dst, proto, body);
    FUZZ_CHECK(parse_ipv4_header(p).ok());
    write_seed(t, std::string("ipv4-") + name, p);
    return p;
  };
  v4("unicast-to-peer", fuzz::member_ip(1), fuzz::member_ip(2), kIpProtocolUdp, payload);
  v4("icmp-to-peer", fuzz::member_ip(1), fuzz::member_ip(2), kIpProtocolIcmp, echo);
  v4("to-offline-peer", fuzz::member_ip(1), fuzz::member_ip(3), kIpProtocolUdp, payload);
  v4("limited-broadcast", fuzz::member_ip(1), kLimitedBroadcast, kIpProtocolUdp, payload);
  v4("directed-broadcast", fuzz::member_ip(1), ip("25.255.255.255"), kIpProtocolUdp, payload);
  v4("mdns", fuzz::member_ip(1), ip("224.0.0.251"), kIpProtocolUdp, payload);
  v4("from-peer", fuzz::member_ip(2), fuzz::member_ip(1), kIpProtocolUdp, payload);
  v4("from-peer-ssdp", fuzz::member_ip(2), ip("239.255.255.250"), kIpProtocolUdp, payload);
  v4("spoofed-from-peer", ip("8.8.8.8"), fuzz::member_ip(1), kIpProtocolTcp, payload);
  // With 4 bytes of options (IHL 6): the header length is not always 20.
  Bytes options = make_ipv4_packet(fuzz::member_ip(1), fuzz::member_ip(2), kIpProtocolUdp, payload);
  options.insert(options.begin() + 20, {1, 1, 1, 0});
  options[0] = 0x46;
  options[3] = static_cast<std::uint8_t>(options.size());
  FUZZ_CHECK(parse_ipv4_header(options).ok());
  write_seed(t, "ipv4-with-options", options);

  auto v6 = [&](const char* name, const Ipv6Address& src, const Ipv6Address& dst) {
    Bytes p = make_ipv6_packet(src, dst, kIpProtocolUdp, payload);
    FUZZ_CHECK(parse_ipv6_header(p).ok());
    write_seed(t, std::string("ipv6-") + name, p);
  };
  Ipv6Address mdns6{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb};
  Ipv6Address link_local{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  v6("unicast-to-peer", fuzz::member_ipv6(1), fuzz::member_ipv6(2));
  v6("mdns", fuzz::member_ipv6(1), mdns6);
  v6("from-peer", fuzz::member_ipv6(2), fuzz::member_ipv6(1));
  v6("link-local-source", link_local, mdns6);
  Bytes empty6 = make_ipv6_packet(fuzz::member_ipv6(1), fuzz::member_ipv6(2), 59, ByteView());  // no next header
  write_seed(t, "ipv6-empty-payload", empty6);
}

// nat_packet_fuzz records (see nat_packet_fuzz.cpp): op, time, src, dst.
struct NatRecord {
  std::uint8_t op, time, src, dst;
};
enum : std::uint8_t { kOut = 0, kIn = 1, kIcmp = 2, kEvent = 3, kTcp = 4, kSyn = 8, kAck = 16, kFin = 32, kRst = 64,
                      kSeconds = 0x80 };
// Endpoint selectors: pool IP index << 5 | port index; 16 = the first public endpoint handed out.
enum : std::uint8_t { kHostA = 0 << 5 | 0, kHostB = 1 << 5 | 0, kRemote1 = 5 << 5 | 2, kRemote1Port2 = 5 << 5 | 3,
                      kRemote2 = 6 << 5 | 2, kStranger = 7 << 5 | 4, kSeen = 16, kWeb = 6 << 5 | 4,
                      kPublicSelf = 3 << 5 | 0 };

void nat_seed(const std::string& name, std::uint8_t head, const std::vector<NatRecord>& records) {
  Bytes in{head};
  for (const NatRecord& r : records) in.insert(in.end(), {r.op, r.time, r.src, r.dst});
  write_seed("nat_packet_fuzz", name, in);
}

void nat_seeds() {
  // A punch: out to the remote, its reply in, a stranger in, the mapping idles out.
  std::vector<NatRecord> punch = {
      {kOut, 0, kHostA, kRemote1},  {kIn, 20, kRemote1, kSeen},        {kIn, 1, kRemote1Port2, kSeen},
      {kIn, 1, kRemote2, kSeen},    {kIn, 1, kStranger, kSeen},        {kOut, 1, kHostA, kRemote2},
      {kOut, 1, kHostB, kRemote1},  {kIcmp, 1, kSeen, kRemote1},       {kEvent | kSeconds, 200, 0, 0},
      {kIn, 1, kRemote1, kSeen},
  };
  std::vector<NatRecord> tcp = {
      {kOut | kTcp | kSyn, 0, kHostA, kWeb},         {kIn | kTcp | kSyn | kAck, 30, kWeb, kSeen},
      {kOut | kTcp | kAck, 1, kHostA, kWeb},         {kIn | kTcp | kAck, 5, kWeb, kSeen},
      {kOut | kTcp | kFin | kAck, 1, kHostA, kWeb},  {kIn | kTcp | kFin | kAck, 1, kWeb, kSeen},
      {kIn | kTcp | kRst, 1, kStranger, kSeen},
  };
  std::vector<NatRecord> hairpin = {
      {kOut, 0, kHostA, kRemote1}, {kOut, 1, kHostB, kSeen}, {kOut, 1, kHostB, kPublicSelf},
      {kEvent, 0, 1, 0},           {kOut, 1, kHostA, kRemote1}, {kEvent, 0, 2, 1}, {kOut, 1, kHostA, kRemote1},
  };
  std::size_t profiles = nat::profile_names().size();
  for (std::size_t i = 0; i < profiles; ++i) {
    std::string name = nat::profile_names()[i];
    nat_seed("punch-" + name, static_cast<std::uint8_t>(i), punch);
  }
  nat_seed("tcp-connection", 0, tcp);
  // Bit 7 of the head byte gives the NAT a second public IP.
  for (std::size_t i = 0; i < profiles; ++i) {
    if (nat::profile_names()[i] != "cgnat") continue;
    std::size_t head = 0x80;
    while (head % profiles != i) ++head;
    nat_seed("tcp-connection-cgnat-two-ips", static_cast<std::uint8_t>(head), tcp);
  }
  nat_seed("hairpin-flush-renumber", 0, hairpin);
}

void daemon_config_seeds() {
  const std::string t = "daemon_config_fuzz";
  std::string key = key_to_hex(fuzz::handshake_identities().server.public_key);
  std::vector<std::pair<std::string, std::string>> files = {
      {"full", "[server]\n"
               "address = \"203.0.113.10:12975\"   # mediation server, TCP control endpoint\n"
               "key = \"" + key + "\"\n"
               "[client]\n"
               "nickname = \"alice\"\n"
               "state_dir = \"/var/lib/yellowtail\"\n"
               "key_file = \"/var/lib/yellowtail/client.key\"\n"
               "udp = \"0.0.0.0:0\"\n"
               "[adapter]\n"
               "name = \"yt0\"\n"
               "mtu = 1400\n"
               "ipv6_prefix = \"fd79:6c74:7461::/48\"\n"
               "routes = [\"224.0.0.0/4\"]\n"
               "[control]\n"
               "socket = \"/run/yellowtail/control.sock\"\n"
               "group = \"yellowtail\"\n"
               "[log]\n"
               "level = \"info\"\n"
               "[chat]\n"
               "history = 1000\n"},
      {"minimal", "[server]\naddress = \"203.0.113.10:12975\"\nkey = \"" + key + "\"\n"},
      {"inline-tables", "server = { address = \"198.51.100.1:12975\", key = \"" + key + "\" }\n"
                        "adapter = { mtu = 1280, routes = [\"239.0.0.0/8\", \"224.0.0.0/4\"] }\n"
                        "log.level = 'debug'\n"},
      {"empty", ""},
  };
  for (const auto& [name, text] : files) {
    DaemonSettings settings;
    FUZZ_CHECK(apply_toml(text, "seed.toml", settings).ok());
    if (name != "empty") FUZZ_CHECK(validate(settings).ok());
    write_seed(t, name, text);
  }
  // Files the daemon refuses, each for another reason.
  write_seed(t, "unknown-key", "[adapter]\nmtu = 1400\nmtw = 1300\n");
  write_seed(t, "wrong-type", "[adapter]\nmtu = \"1400\"\n");
  write_seed(t, "syntax-error", "[server\naddress = 1\n");
}

void control_request_seeds() {
  const std::string t = "control_request_fuzz";
  std::vector<std::vector<std::string>> command_lines = {
      {"status"}, {"list", "--json"}, {"login"}, {"logout"},
      {"create", "lan", "--password", "secret"}, {"join", "lan", "--password", "secret"}, {"join", "games"},
      {"leave", "lan"}, {"set-nick", "alice"}, {"go-online", "lan"}, {"go-offline", "lan"},
      {"chat", "lan", "hello", "everyone"}, {"chat", "bob", "hi \xc3\xa9t\xc3\xa9 \"quoted\""},
      {"history"}, {"history", "lan", "--limit", "10"},
  };
  for (const auto& args : command_lines) {
    CliParse parsed = parse_cli(args);
    FUZZ_CHECK(parsed.run);
    std::string line = encode_control_request(parsed.invocation.request);
    FUZZ_CHECK(parse_control_request(line).ok());
    std::string name = "request";
    for (const std::string& a : args) {
      name += '-';
      for (char c : a) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    write_seed(t, name.substr(0, 60), line);
  }

  // Responses: the daemon's real status and list of a client not logged in yet.
  SeededRandom rng(3);
  ClientConfig config;
  config.server = ep("203.0.113.10:12975");
  config.server_key = fuzz::handshake_identities().server.public_key;
  config.nickname = "alice";
  ClientCore core(config, fuzz::handshake_identities().client, rng);
  StatusExtras extras;
  extras.nickname = "alice";
  extras.server = config.server;
  extras.bridge = ep("127.0.0.1:40000");
  std::vector<std::pair<std::string, ControlResponse>> responses = {
      {"response-status", control_ok(status_json(core, extras))},
      {"response-list", control_ok(list_json(core))},
      {"response-ok-empty", control_ok()},
      {"response-error", control_error("not a member of network 'lan'")},
      // A list as list_json writes one for a logged-in client (status_json.h's fields).
      {"response-list-peers",
       control_ok(nlohmann::json::parse(R"({"networks":[{"name":"lan","online":true,"members":2}],
         "peers":[{"node_id":"ab12-cd34-ef56","public_key":"00ff","nickname":"bob","virtual_ip":"25.133.193.72",
         "online":true,"networks":["lan"],"connection":"direct","path":"198.51.100.18:40565","rtt_ms":0.6,
         "reason":""}]})"))},
  };
  for (const auto& [name, response] : responses) {
    std::string line = encode_control_response(response);
    FUZZ_CHECK(parse_control_response(line).ok());
    write_seed(t, name, line);
  }
}

}  // namespace

// Real binds for both sides of a pair under the key the target trusts, then data both
// ways over UDP and over a stream, a rebind, a replay and time passing.
void relay_seeds() {
  const std::string t = "relay_core_fuzz";
  TicketKeyring keys = fuzz::relay_keys();
  RelayTicket a = issue_ticket(keys, fuzz::kRelayPair, 0), b = issue_ticket(keys, fuzz::kRelayPair, 1);
  auto bind = [](const RelayTicket& ticket, std::uint64_t sequence) {
    return encode_datagram(RelayBind{ticket.key_id, ticket.pair_id, ticket.side, sequence,
                                     bind_mac(ticket.bind_secret, ticket.pair_id, ticket.side, sequence)});
  };
  auto data = [](std::uint8_t side, std::string_view text) {
    return encode_datagram(RelayData{fuzz::kRelayPair, side, as_bytes(text).to_bytes()});
  };
  auto cat = [](std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  Bytes udp_pair = cat({fuzz::relay_record(0, 0, bind(a, 1)), fuzz::relay_record(0, 1, bind(b, 1)),
                        fuzz::relay_record(0, 0, data(0, "sealed a->b")), fuzz::relay_record(0, 1, data(1, "sealed b->a"))});
  write_seed(t, "udp-pair", udp_pair);
  Bytes mixed = cat({fuzz::relay_record(0, 0, bind(a, 1)), fuzz::relay_record(1, 1, *frame_for_stream(bind(b, 1))),
                     fuzz::relay_record(0, 0, data(0, "to the stream")),
                     fuzz::relay_record(1, 1, *frame_for_stream(data(1, "from the stream"))),
                     fuzz::relay_record(2, 1, {}), fuzz::relay_record(0, 0, data(0, "nobody there"))});
  write_seed(t, "udp-and-stream", mixed);
  Bytes moves = cat({fuzz::relay_record(0, 0, bind(a, 1)), fuzz::relay_record(0, 1, bind(b, 1)),
                     fuzz::relay_record(0, 2, bind(a, 1)), fuzz::relay_record(0, 2, bind(a, 2)),
                     fuzz::relay_record(0, 1, data(1, "to the new address")), fuzz::relay_record(3, 0, Bytes(250, 0)),
                     fuzz::relay_record(0, 1, data(1, "after expiry"))});
  write_seed(t, "rebind-replay-expiry", moves);
  Bytes echoes = cat({fuzz::relay_record(0, 0, encode_datagram(RelayEcho{1})),
                      fuzz::relay_record(1, 1, *frame_for_stream(encode_datagram(RelayEcho{2}))),
                      fuzz::relay_record(0, 2, encode_datagram(RelayEchoReply{3}))});
  write_seed(t, "echoes", echoes);
}

void federation_seeds() {
  const std::string t = "federation_fuzz";
  ClientPresence p;
  p.key.fill(0x42);
  p.online = true;
  p.nickname = "bob";
  p.virtual_ip = Ipv4::from_octets(25, 1, 2, 3);
  p.lan_endpoints = {ep("192.168.1.5:40000")};
  p.mapped = ep("198.51.100.7:50000");
  p.newest_mapping = ep("198.51.100.7:50002");
  p.report.mapped_endpoint = *p.mapped;
  p.offline_networks = {"games"};
  write_seed(t, "presence-online", encode_federation(PresenceNotice{1, p}));
  ClientPresence gone;
  gone.key = p.key;
  write_seed(t, "presence-offline", encode_federation(PresenceNotice{2, gone}));
  TunnelInstruction instruction;
  instruction.peer = p.key;
  instruction.tunnel_id = 7;
  instruction.candidates = {*p.mapped};
  write_seed(t, "forward-instruction", encode_federation(ForwardedMessage{1, 2, p.key, instruction}));
  write_seed(t, "forward-peer-offline", encode_federation(ForwardedMessage{2, 1, p.key, PeerOffline{p.key}}));
}

void port_mapping_seeds() {
  const std::string t = "port_mapping_fuzz";
  PcpMapRequest request;
  request.nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  request.client = *Endpoint::parse("192.168.1.10:4000");
  request.lifetime_s = 7200;
  write_seed(t, "pcp-map-request", encode_pcp_map_request(request));
  PcpMapResponse response;
  response.nonce = request.nonce;
  response.internal_port = 4000;
  response.lifetime_s = 3600;
  response.external = *Endpoint::parse("203.0.113.1:61000");
  write_seed(t, "pcp-map-response", encode_pcp_map_response(response));
  write_seed(t, "pcp-unsupported-version", encode_pcp_error(kPcpOpcodeMap, PcpResult::kUnsuppVersion, 1));
  write_seed(t, "nat-pmp-address-request", encode_nat_pmp_request(NatPmpAddressRequest{}));
  write_seed(t, "nat-pmp-map-request", encode_nat_pmp_request(NatPmpMapRequest{4000, 0, 7200}));
  write_seed(t, "nat-pmp-tcp-map-request", encode_nat_pmp_request(NatPmpMapRequest{4000, 50000, 7200, true}));
  write_seed(t, "nat-pmp-address-response",
             encode_nat_pmp_response(NatPmpAddressResponse{NatPmpResult::kSuccess, 1, *Ipv4::parse("203.0.113.1")}));
  write_seed(t, "nat-pmp-map-response",
             encode_nat_pmp_response(NatPmpMapResponse{NatPmpResult::kSuccess, 1, 4000, 61000, 7200}));
  write_seed(t, "nat-pmp-unsupported-version",
             encode_nat_pmp_response(NatPmpErrorResponse{0x81, NatPmpResult::kUnsuppVersion, 1}));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  corpus_root = argv[1];
  RealHandshake h = control_handshake();
  control_frame_seeds(h);
  datagram_seeds();
  handshake_seeds(h);
  stream_framer_seeds(h);
  ip_packet_seeds();
  nat_seeds();
  daemon_config_seeds();
  control_request_seeds();
  relay_seeds();
  federation_seeds();
  port_mapping_seeds();
  for (const auto& [name, seed] : fuzz::tun_offload_seeds()) write_seed("tun_offload_fuzz", name, seed);
  std::printf("make_seeds: wrote %d seeds under %s\n", written, corpus_root.c_str());
  return 0;
}
