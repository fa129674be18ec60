// yellowtail wire messages, version 1. This comment is the wire spec.
//
// All integers are big-endian. str8 = u8 length + UTF-8 bytes; bytes16 = u16 length +
// bytes; endpoint = u32 IPv4 + u16 port; key = 32 raw bytes.
//
// Two channels:
//
// 1. The control stream (TCP, client <-> mediation server). The byte stream is cut
//    into frames: u16 length + frame (stream_framer.h). Every frame starts with the
//    version byte (1) and a ControlFrameType:
//      kHandshakeInit   (C->S) version, type, Noise IK msg1 (rest of frame)
//      kHandshakeResp   (S->C) version, type, Noise IK msg2
//      kHandshakeReject (S->C) version, type, u8 reason, str8 text, u16 retry_after_s
//                       -- unauthenticated: a client shows the text and never trusts
//                       it; it only heeds retry_after_s of kServerBusy, capped (an
//                       attacker on the path could delay it as well by dropping)
//      kSealed          (both) version, type, Session::seal output whose plaintext is
//                       one ControlMessage (encode_control / decode_control)
//      kTcpMapping      (C->S) version, type, u64 discovery token (LoginReply): the
//                       only frame of a short extra connection from the local TCP
//                       port a client punches from; the server records the source
//                       it saw as that client's TCP mapped endpoint and closes it
//                       (TcpPunchPlan). Unauthenticated, like a DiscoveryProbe.
//    The Noise prologue is kControlPrologue.
//
// 2. UDP datagrams (client <-> server discovery, client <-> client). Every datagram
//    starts with the version byte (1) and a DatagramType; see the structs below.
//    Peer handshakes use the prologue kPeerPrologue followed by the tunnel id (u64).
//    The plaintext of a PeerData payload is u8 PeerPayloadType + body, the body
//    depending on the type (see PeerPayloadType).
//
// Decoders never read past the end, never throw, and reject a wrong version, an
// unknown type, a short body and trailing bytes alike (DecodeError).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/relay_ticket.h"
#include "protocol/result.h"

namespace yt {

constexpr std::uint8_t kProtocolVersion = 1;
constexpr char kControlPrologue[] = "yellowtail-control-v1";
constexpr char kPeerPrologue[] = "yellowtail-peer-v1";

// Names and nicknames are short so that one member fits easily in a frame.
constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxNicknameLength = 64;
constexpr std::size_t kMaxPasswordLength = 128;
constexpr std::size_t kMaxChatLength = 1000;
constexpr std::size_t kMaxCandidates = 16;
// Relays a server announces at once (RelayList); more is an operator's mistake.
constexpr std::size_t kMaxRelays = 32;

enum class DecodeError : std::uint8_t {
  kTruncated,        // ran out of bytes
  kBadVersion,       // first byte is not kProtocolVersion
  kUnknownType,      // type byte not defined in this version
  kTrailingBytes,    // a complete message followed by extra bytes
  kFieldOutOfRange,  // a field value this version does not allow (e.g. a too long name)
};
const char* to_string(DecodeError e);

// True when no two alternatives of a message variant have the same kType.
template <typename Variant, std::size_t... I>
constexpr bool wire_types_unique_impl(std::index_sequence<I...>) {
  constexpr std::uint8_t types[] = {static_cast<std::uint8_t>(std::variant_alternative_t<I, Variant>::kType)...};
  for (std::size_t a = 0; a < sizeof...(I); ++a) {
    for (std::size_t b = a + 1; b < sizeof...(I); ++b) {
      if (types[a] == types[b]) return false;
    }
  }
  return true;
}
template <typename Variant>
constexpr bool wire_types_unique() {
  return wire_types_unique_impl<Variant>(std::make_index_sequence<std::variant_size_v<Variant>>{});
}

// ---------------------------------------------------------------- control stream

enum class ControlFrameType : std::uint8_t {
  kHandshakeInit = 1,
  kHandshakeResp = 2,
  kHandshakeReject = 3,
  kSealed = 4,
  kTcpMapping = 5,
};

enum class HandshakeRejectReason : std::uint8_t {
  kBadHandshake = 1,    // the server could not authenticate the handshake
  kServerBusy = 2,      // admission control (server/core/admission.h): retry later
};

struct ControlFrame {
  ControlFrameType type = ControlFrameType::kSealed;
  Bytes body;                 // msg1, msg2 or sealed bytes
  HandshakeRejectReason reject_reason = HandshakeRejectReason::kBadHandshake;  // kHandshakeReject only
  std::string reject_text;                                                      // kHandshakeReject only
  std::uint16_t retry_after_s = 0;  // kHandshakeReject only: when to try again, 0 = the client's own backoff
  std::uint64_t token = 0;          // kTcpMapping only
};
Bytes encode_control_frame(const ControlFrame& frame);
Result<ControlFrame, DecodeError> decode_control_frame(ByteView frame);

// Status of a request, shared by every Reply.
enum class ReplyCode : std::uint8_t {
  kOk = 0,
  kWrongPassword = 1,
  kUnknownNetwork = 2,
  kNetworkExists = 3,
  kNotMember = 4,
  kAlreadyMember = 5,
  kInvalidArgument = 6,
  kServerError = 7,
  kNotLoggedIn = 8,
  kTryLater = 9,  // a limit of the server's: the message says when
};
const char* to_string(ReplyCode c);

// Which side sends the peer handshake init; the other answers.
enum class TunnelRole : std::uint8_t { kInitiator = 1, kResponder = 2 };

// The type byte of each ControlMessage, after version. Each struct names its own
// (kType); the encoder writes it, the decoder dispatches on it, and a number once
// used is never reused for another message.
enum class ControlType : std::uint8_t {
  kLoginRequest = 1,
  kLoginReply = 2,
  kDiscoveryReport = 3,
  kCreateNetwork = 4,
  kJoinNetwork = 5,
  kLeaveNetwork = 6,
  kSetNickname = 7,
  kReply = 8,
  kNetworkSnapshot = 9,
  kMemberUpdate = 10,
  kMemberLeft = 11,
  kTunnelInstruction = 12,
  kPeerOffline = 13,
  kPing = 14,
  kPong = 15,
  kSessionReplaced = 16,
  kSetNetworkOnline = 17,
  kRequestTunnel = 18,
  kRelayFrame = 19,
  kRelayRegister = 20,
  kRelayKeys = 21,
  kRelayList = 22,
  kRelayRtts = 23,
  kTunnelOutcome = 24,
  kRefreshMapping = 25,
};

struct MemberInfo {
  PublicKey key{};
  std::string nickname;
  Ipv4 virtual_ip;
  bool online = false;
};

struct NetworkInfo {
  std::string name;
  std::vector<MemberInfo> members;
};

// C->S, first message after the handshake. `lan_endpoints` are the client's own
// UDP socket addresses, offered as candidates to peers behind the same public IP.
struct LoginRequest {
  static constexpr ControlType kType = ControlType::kLoginRequest;
  std::string nickname;
  std::vector<Endpoint> lan_endpoints;
};

// S->C. On success carries the client's virtual address (bound to its key for
// good) and what the client needs for discovery.
struct LoginReply {
  static constexpr ControlType kType = ControlType::kLoginReply;
  ReplyCode code = ReplyCode::kOk;
  std::string message;
  Ipv4 virtual_ip;
  std::uint8_t prefix_length = 8;
  std::uint64_t discovery_token = 0;         // ties UDP probes to this control session
  std::vector<Endpoint> discovery_endpoints;  // where to send DiscoveryProbe
};

// C->S after discovery: what the client learned. Sync (NetworkSnapshot) follows.
// A mapping the client's gateway granted it for its main UDP socket, by a port
// mapping protocol (client/core/port_mapping.h; UPnP IGD from the daemon). The
// server trusts it only when `external` is on the public IP it saw the client at
// and outside 100.64.0.0/10 (a carrier-grade NAT in front would make it a mapping
// on the inner NAT only); tunnel_planner.h.
enum class PortMappingProtocol : std::uint8_t { kNone = 0, kPcp = 1, kNatPmp = 2, kUpnp = 3 };
const char* to_string(PortMappingProtocol p);
struct PortMappingOffer {
  PortMappingProtocol protocol = PortMappingProtocol::kNone;
  Endpoint external;
  std::uint32_t lifetime_s = 0;
  bool operator==(const PortMappingOffer& o) const {
    return protocol == o.protocol && external == o.external && lifetime_s == o.lifetime_s;
  }
};

struct DiscoveryReport {
  static constexpr ControlType kType = ControlType::kDiscoveryReport;
  Endpoint mapped_endpoint;  // as seen by the server's primary discovery endpoint
  NatProfile profile;
  // Appended (wire order): kNone when the gateway granted no mapping. A client
  // that obtains one after its report sends the report again.
  PortMappingOffer port_mapping = {};
  // Appended after it, the same way: the mapping of the TCP port the client
  // listens on (client/core/tcp_listener.h), which peers may connect to.
  PortMappingOffer tcp_port_mapping = {};
};

struct CreateNetwork {
  static constexpr ControlType kType = ControlType::kCreateNetwork;
  std::uint32_t request_id = 0;
  std::string name;
  std::string password;
};
struct JoinNetwork {
  static constexpr ControlType kType = ControlType::kJoinNetwork;
  std::uint32_t request_id = 0;
  std::string name;
  std::string password;
};
struct LeaveNetwork {
  static constexpr ControlType kType = ControlType::kLeaveNetwork;
  std::uint32_t request_id = 0;
  std::string name;
};
struct SetNickname {
  static constexpr ControlType kType = ControlType::kSetNickname;
  std::uint32_t request_id = 0;
  std::string nickname;
};
// C->S: appear online or offline to the members of one network we are in (Hamachi's
// go-online / go-offline). The server keeps it for the session; the client sends its
// offline networks again before each DiscoveryReport. request_id 0: no one waits
// for the Reply.
struct SetNetworkOnline {
  static constexpr ControlType kType = ControlType::kSetNetworkOnline;
  std::uint32_t request_id = 0;
  std::string network;
  bool online = true;
};
// C->S: we have no working tunnel to `peer` (punching failed, or the tunnel went
// down) although both of us are online in a network we share: plan it again. The
// client backs off between requests; the server ignores requests for a pair it
// planned (for any reason) less than ServerConfig::tunnel_retry_interval ago, or
// that may not have a tunnel. No reply: a new TunnelInstruction, or nothing.
struct RequestTunnel {
  static constexpr ControlType kType = ControlType::kRequestTunnel;
  PublicKey peer{};
};
// S->C, before planning a tunnel whose port prediction needs our NAT's newest
// mapping: send one discovery probe to `to`, a server endpoint this client has not
// sent to (so its NAT makes a new mapping, and the server sees where the NAT's
// port counter is now). The client only probes the server's own addresses.
struct RefreshMapping {
  static constexpr ControlType kType = ControlType::kRefreshMapping;
  Endpoint to;
};
// C<->S: one relay datagram (RelayBind, RelayBound or RelayData) to or from the
// server's built-in relay, over the control connection instead of UDP: how a client
// whose UDP is blocked reaches the relay (server/relay/relay_core.h, "channel").
struct RelayFrame {
  static constexpr ControlType kType = ControlType::kRelayFrame;
  Bytes datagram;
};
// R->S, instead of LoginRequest: a separate relay (yellowtail-relay) offers itself.
// The server takes it only when the handshake's key is one its operator allowed
// (ServerConfig::relay_keys), answers with RelayKeys, and otherwise with a Reply
// saying why and a close. `stream` is unset when the relay has no TCP listener.
struct RelayRegister {
  static constexpr ControlType kType = ControlType::kRelayRegister;
  std::string name;
  Endpoint udp;
  Endpoint stream;
};
// S->R: the ticket keys binds are checked against (protocol/relay_ticket.h), on
// registration and again at every rotation. Sealed like every control message, so
// only the server and its relays ever hold them.
struct RelayKeys {
  static constexpr ControlType kType = ControlType::kRelayKeys;
  TicketKeyring current;
  std::optional<TicketKeyring> previous;
};
// One relay a client may be offered. Id 0 is the server's built-in relay, whose
// `udp` is unset: the server's primary discovery endpoint.
struct RelayInfo {
  std::uint32_t id = 0;
  std::string name;
  Endpoint udp;
  Endpoint stream;
  bool operator==(const RelayInfo& o) const {
    return id == o.id && name == o.name && udp == o.udp && stream == o.stream;
  }
};
// S->C after login and whenever the set changes: the relays to measure (RelayEcho)
// and report on (RelayRtts); the server picks each pair's relay from the reports.
struct RelayList {
  static constexpr ControlType kType = ControlType::kRelayList;
  std::vector<RelayInfo> relays;
};
struct RelayRtt {
  std::uint32_t id = 0;
  std::uint32_t rtt_us = 0;
};
// C->S: the round trips measured to the relays of the latest RelayList; a relay
// left out did not answer (unreachable from here).
struct RelayRtts {
  static constexpr ControlType kType = ControlType::kRelayRtts;
  std::vector<RelayRtt> rtts;
};
// How one tunnel negotiation (one TunnelInstruction, one tunnel id) ended, as the
// client saw it when it settled (client/core/tunnel.h):
enum class NegotiationOutcome : std::uint8_t {
  kDirect = 1,   // a direct path was proven (TunnelUp)
  kRelayed = 2,  // the punch window ended with the tunnel on the relay
  kFailed = 3,   // neither: no session by either path
  kKept = 4,     // the tunnel was already direct and stayed so: the plan only
                 // renewed it (a new id and relay ticket), nothing was negotiated
};
const char* to_string(NegotiationOutcome o);  // "direct", "relayed", "failed", "kept"
// C->S, once per TunnelInstruction the client received from the server, when its
// outcome is settled: how the negotiation of `tunnel_id` with `peer` ended. The
// server counts the first report of each tunnel id it planned, by the pair's NAT
// classes (server/core/negotiation_ledger.h). `time_to_direct_ms` is the time
// from the instruction to the direct path (docs/architecture.md section 5) for
// kDirect and 0 otherwise (the decoder refuses anything else). No reply.
struct TunnelOutcome {
  static constexpr ControlType kType = ControlType::kTunnelOutcome;
  std::uint64_t tunnel_id = 0;
  PublicKey peer{};
  NegotiationOutcome outcome = NegotiationOutcome::kDirect;
  std::uint32_t time_to_direct_ms = 0;
};
struct Reply {
  static constexpr ControlType kType = ControlType::kReply;
  std::uint32_t request_id = 0;
  ReplyCode code = ReplyCode::kOk;
  std::string message;
};

// S->C: the whole membership view (sent after discovery, and after join/create).
struct NetworkSnapshot {
  static constexpr ControlType kType = ControlType::kNetworkSnapshot;
  std::vector<NetworkInfo> networks;
};

// S->C: one member of one network changed (joined, went online/offline, renamed).
struct MemberUpdate {
  static constexpr ControlType kType = ControlType::kMemberUpdate;
  std::string network;
  MemberInfo member;
};
// S->C: a member left a network.
struct MemberLeft {
  static constexpr ControlType kType = ControlType::kMemberLeft;
  std::string network;
  PublicKey key{};
};

// Where one side of a pair reaches its relay, and its ticket there
// (protocol/relay_ticket.h). An unset endpoint means the server's own primary
// discovery endpoint: the relay built into yellowtail-server.
struct RelayOffer {
  Endpoint endpoint;
  RelayTicket ticket;
  // Seconds until the relay retires the ticket's key (protocol/relay_ticket.h): a
  // client asks for a new plan, and so a new ticket, before then.
  std::uint32_t valid_for_s = 0;
  // The relay's TCP listener (port 443 where deployed), for a side whose UDP does
  // not get through; unset for the built-in relay (reached over the control
  // connection instead) and for relays without one.
  Endpoint stream;
  bool operator==(const RelayOffer& o) const {
    return endpoint == o.endpoint && ticket.key_id == o.ticket.key_id && ticket.pair_id == o.ticket.pair_id &&
           ticket.side == o.ticket.side && ticket.bind_secret == o.ticket.bind_secret && valid_for_s == o.valid_for_s &&
           stream == o.stream;
  }
};

// S->C: set up a tunnel to `peer`. Both sides get one with the same tunnel id and
// start punching `start_delay_ms` after receiving it (the server subtracts each
// side's one-way delay so the probes cross inside the NAT timeouts).
// Birthday probing (TunnelInstruction::birthday), for a pair where one side's NAT
// gives every new destination a random port (APDM, random allocation) and the
// other's keeps one mapping for all (EIM). The random side opens `count` sockets,
// each sending one probe to `target`, the peer's mapped endpoint: `count` mappings
// at random ports, each open to the peer. The other side sends `count` probes to
// random ports of `target`'s IP, the random side's public IP as the server saw it
// (never a third party's), each one opening its own NAT toward that port. One probe that hits one
// of the mappings is a punch: with 256 mappings among 64,512 ports and 1024 probes,
// 1 - (1 - 256/64512)^1024, about 98%. Both go at most `rate_pps` datagrams a
// second (the client caps it with its own ClientConfig::birthday_max_pps), from the
// instruction's start plus `after_ms`. With a `ttl`, the random side's datagrams go
// out with that IP TTL: they open its own NAT's mappings and die before the peer's
// NAT, which would otherwise see them first; a Linux conntrack NAT then holds their
// tuples and moves the peer's matching probe to another port (the clash in
// TunnelInstruction::prepunch_ttl).
enum class BirthdayRole : std::uint8_t { kNone = 0, kOpenPorts = 1, kProbePorts = 2 };
struct BirthdayPlan {
  BirthdayRole role = BirthdayRole::kNone;
  std::uint16_t count = 0;
  std::uint16_t rate_pps = 0;
  std::uint16_t after_ms = 0;
  std::uint8_t ttl = 0;
  Endpoint target;
  bool operator==(const BirthdayPlan& o) const {
    return role == o.role && count == o.count && rate_pps == o.rate_pps && after_ms == o.after_ms && ttl == o.ttl &&
           target == o.target;
  }
};
constexpr std::uint16_t kMaxBirthdayCount = 4096;

// TCP hole punching (TunnelInstruction::tcp), for a pair where UDP is blocked on a
// side but outbound TCP is not. Each side learned its TCP mapping with a kTcpMapping
// connection from its punch port (client/core/tcp_mapping_probe.h); at start +
// after_ms it connects from that same port to `target`, the peer's TCP mapped
// endpoint as the server saw it. The side whose peer filters goes first, so its SYN
// opens its own NAT and dies at the peer's; the other's SYN then gets through and
// meets a socket in SYN_SENT (one side's SYN_SENT -> SYN_RCVD, the other's
// SYN_SENT -> ESTABLISHED): one connection. Unset target: no TCP punch.
//
// `accept`: the peer connects to us instead, at our TCP port mapping (a port our
// gateway maps to the port we listen on, DiscoveryReport::tcp_port_mapping); we
// await that connection from `target`'s address (the peer's public address; its
// port is not known and not checked) and open none. The peer's plan then targets
// our mapped endpoint with after_ms as usual. On the wire: a mode byte, 0 none,
// 1 connect, 2 accept.
struct TcpPunchPlan {
  Endpoint target;
  std::uint16_t after_ms = 0;
  bool accept = false;
  bool enabled() const { return !target.is_unset(); }
  bool operator==(const TcpPunchPlan& o) const {
    return target == o.target && after_ms == o.after_ms && accept == o.accept;
  }
};

struct TunnelInstruction {
  static constexpr ControlType kType = ControlType::kTunnelInstruction;
  PublicKey peer{};
  Ipv4 peer_virtual_ip;
  std::uint64_t tunnel_id = 0;
  TunnelRole role = TunnelRole::kInitiator;
  std::uint32_t start_delay_ms = 0;
  std::vector<Endpoint> candidates;  // the peer's endpoints to probe, best first
  // When non-zero, the first probe round goes out with this IP TTL only, one
  // punch interval before the rest: it creates our NAT's mapping toward each
  // candidate but expires before the peer's NAT. A stateful NAT (Linux conntrack)
  // that saw the peer's probe arrive first would otherwise hold an inbound entry
  // that clashes with our later outbound one and moves it to another port.
  std::uint8_t prepunch_ttl = 0;
  // The relay that carries this pair's traffic until (and whenever) no direct path
  // works; nullopt when the server offers none. Relay-first: both sides bind at
  // once and talk through it while punching runs (client/core/tunnel.h).
  std::optional<RelayOffer> relay = std::nullopt;
  BirthdayPlan birthday = {};
  TcpPunchPlan tcp = {};
};

// S->C: the server lost `peer`. The client checks the tunnel's liveness itself
// rather than tearing it down (outage survival).
struct PeerOffline {
  static constexpr ControlType kType = ControlType::kPeerOffline;
  PublicKey peer{};
};

// S->C: this key just logged in on another connection, seen from `by`; the server
// closes this one next. The client stays logged out instead of reconnecting: two
// clients with one key (a copied key, a cloned machine) would otherwise replace each
// other in turn, forever. Sent sealed, so only the real server can log us out.
struct SessionReplaced {
  static constexpr ControlType kType = ControlType::kSessionReplaced;
  Endpoint by;
};

struct Ping {
  static constexpr ControlType kType = ControlType::kPing;
  std::uint64_t nonce = 0;
};
struct Pong {
  static constexpr ControlType kType = ControlType::kPong;
  std::uint64_t nonce = 0;
};

using ControlMessage = std::variant<LoginRequest, LoginReply, DiscoveryReport, CreateNetwork, JoinNetwork,
                                    LeaveNetwork, SetNickname, Reply, NetworkSnapshot, MemberUpdate, MemberLeft,
                                    TunnelInstruction, PeerOffline, Ping, Pong, SessionReplaced, SetNetworkOnline,
                                    RequestTunnel, RelayFrame, RelayRegister, RelayKeys, RelayList, RelayRtts,
                                    TunnelOutcome, RefreshMapping>;

static_assert(wire_types_unique<ControlMessage>(), "two ControlMessages share a type byte");
Bytes encode_control(const ControlMessage& message);
Result<ControlMessage, DecodeError> decode_control(ByteView plaintext);

// ---------------------------------------------------------------- UDP datagrams

// The type byte of each Datagram, after version; each struct names its own (kType).
enum class DatagramType : std::uint8_t {
  kDiscoveryProbe = 1,
  kDiscoveryReply = 2,
  kPunchProbe = 3,
  kPunchAck = 4,
  kPeerHandshakeInit = 5,
  kPeerHandshakeResp = 6,
  kPeerData = 7,
  kHairpinProbe = 8,
  kRelayBind = 9,
  kRelayBound = 10,
  kRelayData = 11,
  kRelayEcho = 12,
  kRelayEchoReply = 13,
  kLifetimeProbe = 14,
};

// C->S. `token` comes from LoginReply; `transaction` matches the reply.
struct DiscoveryProbe {
  static constexpr DatagramType kType = DatagramType::kDiscoveryProbe;
  std::uint64_t token = 0;
  std::uint64_t transaction = 0;
  bool change_ip = false;    // RFC 5780: ask for the reply from the other IP
  bool change_port = false;  // RFC 5780: ask for the reply from the other port
};
// S->C: where the probe came from (the client's mapped endpoint) and which server
// endpoint saw it.
struct DiscoveryReply {
  static constexpr DatagramType kType = DatagramType::kDiscoveryReply;
  std::uint64_t transaction = 0;
  Endpoint mapped;
  Endpoint responder;
};

// C->C, unauthenticated path probes. The tunnel id is known only to the two peers
// and the server, so stray traffic does not count as a path; the handshake that
// follows authenticates.
struct PunchProbe {
  static constexpr DatagramType kType = DatagramType::kPunchProbe;
  std::uint64_t tunnel_id = 0;
  std::uint32_t sequence = 0;
};
struct PunchAck {
  static constexpr DatagramType kType = DatagramType::kPunchAck;
  std::uint64_t tunnel_id = 0;
  std::uint32_t sequence = 0;
};

struct PeerHandshakeInit {
  static constexpr DatagramType kType = DatagramType::kPeerHandshakeInit;
  std::uint32_t sender_index = 0;  // the initiator's local session index
  std::uint64_t tunnel_id = 0;
  Bytes noise;                     // Noise IK msg1
};
struct PeerHandshakeResp {
  static constexpr DatagramType kType = DatagramType::kPeerHandshakeResp;
  std::uint32_t sender_index = 0;    // the responder's local session index
  std::uint32_t receiver_index = 0;  // echoes the initiator's sender_index
  Bytes noise;                       // Noise IK msg2
};
// Encrypted peer traffic. `receiver_index` picks the session at the receiver, so a
// peer may change endpoints (NAT rebinding) without a new handshake.
struct PeerData {
  static constexpr DatagramType kType = DatagramType::kPeerData;
  std::uint32_t receiver_index = 0;
  Bytes sealed;  // Session::seal output
};

// C->C, from a client to its own mapped endpoint during discovery: if the NAT
// hairpins, it comes back to the sender. `transaction` is random and known only to
// the sender, so a copy from anywhere else is not mistaken for a hairpinned one.
struct HairpinProbe {
  static constexpr DatagramType kType = DatagramType::kHairpinProbe;
  std::uint64_t transaction = 0;
};

// C->R, UDP or the relay's stream: claim one side of a relayed pair; the mac proves
// the server gave us that side's ticket (protocol/relay_ticket.h).
struct RelayBind {
  static constexpr DatagramType kType = DatagramType::kRelayBind;
  std::uint32_t key_id = 0;
  std::uint64_t pair_id = 0;
  std::uint8_t side = 0;     // 0 or 1
  std::uint64_t sequence = 0;  // above the last bind the relay accepted for this side
  std::array<std::uint8_t, 16> mac{};
};

enum class RelayBindResult : std::uint8_t {
  kBound = 0,          // this side is bound; see peer_bound for the other
  kUnknownTicket = 1,  // the mac does not verify under any key the relay holds
  kExpired = 2,        // made under a ticket key the relay has retired
  kReplayed = 3,       // sequence not above the last accepted one
  kFull = 4,           // the relay is at its pair limit
};
const char* to_string(RelayBindResult r);

// R->C: the answer to a RelayBind (also how a client measures its RTT to the relay).
struct RelayBound {
  static constexpr DatagramType kType = DatagramType::kRelayBound;
  std::uint64_t pair_id = 0;
  std::uint8_t side = 0;
  std::uint64_t sequence = 0;  // of the bind answered
  RelayBindResult result = RelayBindResult::kBound;
  bool peer_bound = false;  // the other side is bound too: data can flow
};

// C->R->C: one datagram of the pair's tunnel (its own encoding: a PeerHandshake or
// PeerData, sealed end to end), from `side` to the other side. The relay forwards
// it unchanged between the two bound addresses only.
struct RelayData {
  static constexpr DatagramType kType = DatagramType::kRelayData;
  std::uint64_t pair_id = 0;
  std::uint8_t side = 0;  // the sender's side
  Bytes payload;
};

// C->R->C: a round trip to a relay, to measure it (RelayRtts). Answered with the
// same nonce, no larger than the request (no amplification), at most
// RelayConfig::binds_per_second_per_address a second per source address.
struct RelayEcho {
  static constexpr DatagramType kType = DatagramType::kRelayEcho;
  std::uint64_t nonce = 0;
};
struct RelayEchoReply {
  static constexpr DatagramType kType = DatagramType::kRelayEchoReply;
  std::uint64_t nonce = 0;
};

// C->S: "send me a DiscoveryReply with this transaction `wait_s` seconds from now,
// from the endpoint this arrived at to the one it came from": whether our NAT still
// holds the mapping after that long idle (client/core/mapping_lifetime.h). The
// token is the discovery token; one wait per token is outstanding (a new probe
// replaces it), so the server sends at most one datagram per probe it received.
struct LifetimeProbe {
  static constexpr DatagramType kType = DatagramType::kLifetimeProbe;
  std::uint64_t token = 0;
  std::uint64_t transaction = 0;
  std::uint16_t wait_s = 0;  // 1..kMaxLifetimeWaitS
};
constexpr std::uint16_t kMaxLifetimeWaitS = 600;

using Datagram = std::variant<DiscoveryProbe, DiscoveryReply, PunchProbe, PunchAck, PeerHandshakeInit,
                              PeerHandshakeResp, PeerData, HairpinProbe, RelayBind, RelayBound, RelayData, RelayEcho,
                              RelayEchoReply, LifetimeProbe>;

static_assert(wire_types_unique<Datagram>(), "two Datagrams share a type byte");
Bytes encode_datagram(const Datagram& datagram);
Result<Datagram, DecodeError> decode_datagram(ByteView bytes);
// The type byte of an encoded datagram, without decoding it (to route it to the
// part that decodes it); nullopt when too short or of another version. Not
// checked against the known types.
std::optional<DatagramType> peek_datagram_type(ByteView bytes);

// What a PeerData plaintext carries, and the body that follows the type byte.
enum class PeerPayloadType : std::uint8_t {
  kPacket = 1,     // the rest: an IP packet (or, without a TUN device, an application datagram)
  kKeepalive = 2,  // nothing; holds NAT mappings open and proves liveness
  kChat = 3,       // str8 network + the rest: UTF-8 text (<= kMaxChatLength bytes). The
                   // network is empty for a private chat, else the network it went to
  kPing = 4,       // u64 nonce; answered at once with kPong and the same nonce
  kPong = 5,       // u64 nonce of the kPing answered; gives round-trip time and liveness
};
// One struct for every type; the fields a type does not use stay empty / zero and
// are neither encoded nor decoded. The factories fill in the fields of each type.
struct PeerPayload {
  PeerPayloadType type = PeerPayloadType::kPacket;
  Bytes body;               // kPacket: the packet; kChat: the text
  std::string network;      // kChat only
  std::uint64_t nonce = 0;  // kPing / kPong only

  static PeerPayload packet(Bytes packet);
  static PeerPayload keepalive();
  static PeerPayload chat(std::string network, Bytes text);
  static PeerPayload ping(std::uint64_t nonce);
  static PeerPayload pong(std::uint64_t nonce);
};
Bytes encode_peer_payload(const PeerPayload& payload);
Result<PeerPayload, DecodeError> decode_peer_payload(ByteView plaintext);

}  // namespace yt
