// One tunnel to one peer: hole punching, the peer Noise IK handshake, the AEAD session
// and keepalives. Owned by TunnelTable, which routes datagrams to it.
//
// Timeline (all from the instruction's arrival, `instructed_at`):
//   [instructed_at, start)        kWaiting: nothing sent (start = + start_delay_ms)
//   [start, start+punch_duration) PunchProbe to every candidate every punch_interval
//                                 (backing off after punch_fast_for, client_config.h)
//                                 until a session exists. With a prepunch_ttl, the
//                                 first round goes out with that TTL (it only opens
//                                 our own NAT, see TunnelInstruction).
//   A probe or ack from endpoint E (any time before the window ends): the initiator
//   sends PeerHandshakeInit to E (kHandshaking) and resends the same bytes every
//   handshake_retry while the window lasts. The responder answers a valid init from
//   the expected key with PeerHandshakeResp to its source. Each side is kDirect with
//   path = the source of the authenticated handshake message; TunnelUp reports
//   time_to_direct = now - instructed_at.
//   Window over without a session: kFailed + TunnelFailed.
//
// Relay-first (when the instruction offers a relay): from the instruction on, the
// tunnel binds to the relay (relay_link.h) while punching runs as above. The
// initiator sends its handshake init through the relay as soon as it is bound, and
// to every endpoint a probe arrives from; the responder answers each copy where it
// came from. The first answer sets the path: through the relay (kRelayed,
// TunnelRelayed) or direct (kDirect, TunnelUp). A relayed tunnel keeps punching
// for the rest of its window; a probe from the peer's endpoint E is answered with
// a sealed kPing sent straight to E (at most one per direct_probe_interval), and the
// peer answers every ping on the path it came by. An authenticated packet other
// than a ping arriving straight from E proves both directions (the peer sends
// there only after the same proof, or answers our ping), so the path moves to E:
// kDirect, TunnelUp. There is one session for both paths, and packets still in
// flight on the relay are accepted by its replay window after the switch, so
// nothing is lost or duplicated; a relayed packet never moves the path back.
// A relayed tunnel whose punch window ends stays relayed; the core asks the server
// to plan the pair again with backoff (tunnel_retry.h), and a new instruction gives
// it a new punch window (adopt()). Its new relay pair is bound beside the one in
// use, which carries the traffic until the new one is proven: bound with the peer
// bound too, or the peer's data arriving on it. Nothing is dropped at the switch.
//
// Fallback: a direct tunnel with a relay keeps its relay binding fresh
// (relay_refresh_interval). When we have sent since the last packet that came
// directly and nothing came directly for path_check_after, pings check the path
// every path_check_interval; path_check_misses unanswered and the tunnel moves to
// the relay (kRelayed, TunnelRelayed with fallback). The peer follows when its own
// check fails, or at once when relayed data arrives while its direct path has been
// silent for path_check_after (stragglers of an upgrade come within an RTT of the
// direct packets, so they never look like that).
//
// Without a session when the window ends, a tunnel with a usable relay keeps trying
// the relay for one more punch_duration before it fails.
//
// tunnel.cpp holds the punch, handshake and session; tunnel_paths.cpp the relay link
// and the moves between the direct and the relayed path.
//
// Outcome report: each plan from the server is one negotiation, and its outcome
// goes back to the server once, as a TunnelOutcome (protocol/messages.h), when it
// is settled: kDirect when the direct path is up (with the time from that plan's
// instruction), kRelayed when the punch window ended with the tunnel relayed
// (or, the window over, when the relay's handshake completes), kFailed when the
// tunnel gave up. A plan adopted by a tunnel that is direct is reported kKept at
// once. A plan superseded before it settled (a newer plan, the tunnel closed) is
// not reported; neither is a resume plan (PlanSource::kResume), which the server
// never made. A report the control connection cannot take now is not kept.
//
// Retransmitted inits are byte-identical (one HandshakeInitiator writes msg1 once),
// and the replay guard refuses a second read of them, so the responder keeps its last
// answer and resends it for an identical init instead of failing the handshake.
//
// Once direct: every authenticated PeerData refreshes last_received and moves the
// path to its source (NAT rebinding). A kPing goes out as soon as the tunnel is
// direct and then every ping_interval, or every liveness_probe_interval while the
// server is lost or has reported the peer offline (liveness checks); the peer answers
// each at once with a kPong carrying the same nonce, which gives the round-trip time
// (rtt()). A keepalive goes out when nothing at all was sent for keepalive_interval
// (only when ping_interval is the longer). No authenticated packet for peer_timeout:
// TunnelDown. While liveness checks are on, liveness_probe_misses pings in a row
// with no authenticated packet since the first of them: TunnelDown too, in about
// misses x liveness_probe_interval rather than peer_timeout.
//
// A later instruction for a direct tunnel (see adopt()) keeps the session and path,
// so traffic is not interrupted, and takes the new tunnel id and role for future
// handshakes: if the peer lost its state (restart) it punches and handshakes under
// the new id, and we answer - as initiator by starting a fresh handshake on its probe,
// as responder by accepting its init. If our path is not among the new candidates
// and nothing has arrived on it for keepalive_interval, the peer's endpoint moved
// (its NAT gave it a new mapping): we punch toward the candidates for one punch
// window too (until data arrives again), since a filtering NAT of ours would drop
// its probes otherwise. The new session replaces the old one, which stays open for
// receiving until the next replacement, so packets in flight across the switch are
// not lost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/core/birthday_punch.h"
#include "client/core/client_context.h"
#include "client/core/client_types.h"
#include "client/core/relay_link.h"
#include "client/core/session_indexes.h"
#include "client/core/tcp_punch.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/packet_batch.h"
#include "protocol/session.h"
#include "protocol/time.h"

namespace yt {

// What a tunnel needs from its table, for the duration of one call.
struct TunnelEnv {
  ClientContext& ctx;
  SessionIndexes& indexes;
  HandshakeReplayGuard& guard;
};

// kPeerPrologue followed by the tunnel id, u64 big-endian (messages.h).
Bytes peer_prologue(std::uint64_t tunnel_id);

// The way a tunnel datagram came or goes: straight to or from `endpoint` (the
// peer's) through our socket `socket` (0 the main one; birthday probing opens
// others), or over our TCP punch connection `stream` to it (non-zero: tcp_punch.h),
// or through the tunnel's relay (`endpoint` is then the relay's).
struct PeerPath {
  Endpoint endpoint;
  bool relayed = false;
  SocketId socket = 0;
  ConnId stream = 0;
  bool operator==(const PeerPath& o) const {
    return endpoint == o.endpoint && relayed == o.relayed && socket == o.socket && stream == o.stream;
  }
  bool operator!=(const PeerPath& o) const { return !(*this == o); }
};

// Where a plan came from: the server, which hears its outcome, or a resume between
// the peers themselves (peer_cache.h), which it does not.
enum class PlanSource : std::uint8_t { kServer, kResume };

class Tunnel {
 public:
  Tunnel(const TunnelInstruction& instruction, Time now, const ClientConfig& config, PlanSource source);

  // Takes the id, role, candidates, relay and address of a newer instruction for the
  // same peer while the tunnel has a session (direct or relayed). An in-flight
  // re-handshake under the old id is abandoned. Punches again when relayed, or when
  // the path is not among the candidates (above).
  void adopt(const TunnelInstruction& instruction, Time now, PlanSource source, TunnelEnv& env);

  void on_timer(Time now, TunnelEnv& env);
  std::optional<Time> next_deadline(const ClientConfig& config) const;

  // A PunchProbe or PunchAck from `from.endpoint`, on our socket `from.socket`.
  void on_punch(Time now, PeerPath from, std::uint32_t sequence, bool is_ack, TunnelEnv& env);
  // Precondition: init.tunnel_id == tunnel_id().
  void on_handshake_init(Time now, PeerPath from, const PeerHandshakeInit& init, TunnelEnv& env);
  // Precondition: resp.receiver_index is one of this tunnel's indexes.
  void on_handshake_resp(Time now, PeerPath from, const PeerHandshakeResp& resp, TunnelEnv& env);
  // Opens one PeerData; nullopt when it is dropped (and counted).
  std::optional<PeerPayload> on_data(Time now, PeerPath from, const PeerData& data, TunnelEnv& env);
  // on_data in two steps, for the batched data plane: open_data authenticates and
  // decrypts into `out` (sealed.size() - kSessionOverhead bytes of room) and returns
  // the plaintext's size; the caller then either takes a kPacket body itself after
  // follow_path(), or hands the plaintext to on_plaintext() for everything else.
  std::optional<std::size_t> open_data(Time now, std::uint32_t receiver_index, ByteView sealed, std::uint8_t* out,
                                       TunnelEnv& env);
  std::optional<PeerPayload> on_plaintext(Time now, PeerPath from, ByteView plaintext, TunnelEnv& env);
  // What an authenticated packet from `from` says about the path (NAT rebinding,
  // relay fallback, liveness).
  void follow_path(Time now, PeerPath from, PeerPayloadType type, TunnelEnv& env);
  // The relay's answer to a bind of ours (ignored unless it is one).
  void on_relay_bound(Time now, Endpoint from, const RelayBound& m, TunnelEnv& env);

  // TCP hole punching (tcp_punch.h). plan_tcp: the plan of the instruction the
  // tunnel was made with or adopted; ignored without a TCP punch port (the server
  // has not learned our mapping; an accepting plan needs none) or while a TCP path
  // is in use. Once connected (or, accepting, once the peer's connection came in),
  // both sides send a PunchProbe over it, and from there on it is a direct path
  // like any (on_punch and the rest, with PeerPath::stream set). A direct path over
  // UDP is preferred: a UDP packet moves a TCP path, a TCP packet never moves a
  // UDP one. The TCP path closing moves the tunnel to the relay at once.
  void plan_tcp(const TcpPunchPlan& plan, TunnelEnv& env);
  std::optional<ConnId> tcp_conn() const {
    return tcp_ && tcp_->conn() != 0 ? std::optional<ConnId>(tcp_->conn()) : std::nullopt;
  }
  PeerPath tcp_path() const { return tcp_ ? PeerPath{tcp_->target(), false, 0, tcp_->conn()} : PeerPath{}; }
  void on_tcp_connected(TunnelEnv& env);
  // A connection the driver accepted on our TCP listener (tcp_listener.h): taken
  // when this tunnel's plan awaits one from `remote`'s address; false otherwise.
  bool on_tcp_accepted(ConnId conn, Endpoint remote, TunnelEnv& env);
  // The tunnel datagrams that arrived on it, to be handled as from tcp_path().
  std::vector<Bytes> on_tcp_data(ByteView data, TunnelEnv& env);
  void on_tcp_closed(Time now, TunnelEnv& env);

  // Seals and sends on the current path (direct or relayed). kNoTunnel without a
  // session.
  Status<SendError> send(Time now, const PeerPayload& payload, TunnelEnv& env);
  // Seals one IP packet straight into `out` as a PeerData for the direct path: the
  // batched data plane's send. False (nothing added) when the tunnel has no session
  // that can seal or is relayed: then send() is the way.
  bool seal_packet(Time now, ByteView ip_packet, PacketBatch& out, TunnelEnv& env);

  // Releases every session index and, if the tunnel was up, emits TunnelDown.
  void close(const std::string& reason, TunnelEnv& env);

  // Our host's addresses changed (roaming): our packets now leave through another
  // NAT mapping. A ping goes out on the path at once, so the peer learns the new
  // endpoint from an authenticated packet; the relay binding is claimed again from
  // the new endpoint. A direct path that brings nothing back within
  // roam_check_wait() falls back to the relay at once, without the full path
  // check: a peer whose NAT filters by endpoint drops our new address until a new
  // plan opens it, and the move itself is the evidence the check waits for.
  void on_network_changed(Time now, TunnelEnv& env);
  static constexpr Duration kMinRoamCheckWait = std::chrono::milliseconds(500);
  Duration roam_check_wait() const;

  void set_liveness_checks(bool server_lost) { server_lost_ = server_lost; }
  void set_peer_offline(bool offline) {
    peer_offline_ = offline;
    if (offline) offline_since_heard_ = true;
  }
  // A member update said the peer is offline (it logged out, or went offline in a
  // network): its next plan may be for a new process.
  void note_peer_went_offline() { offline_since_heard_ = true; }

  const PublicKey& peer() const { return peer_; }
  std::uint64_t tunnel_id() const { return tunnel_id_; }
  TunnelRole role() const { return role_; }
  TunnelState state() const { return state_; }
  bool closed() const { return closed_; }
  bool direct() const { return state_ == TunnelState::kDirect; }
  bool relayed() const { return state_ == TunnelState::kRelayed; }
  // A session and a path to send it on: direct or relayed.
  bool can_send() const { return !closed_ && current_.has_value(); }
  PeerPath path() const { return path_; }
  const std::optional<RelayLink>& relay() const { return relay_; }
  const std::optional<RelayLink>& next_relay() const { return next_relay_; }
  // One of this tunnel's relay pairs (in use, pending, or the one before).
  bool relay_pair(std::uint64_t pair_id) const {
    for (const std::optional<RelayLink>* link : {&relay_, &next_relay_, &old_relay_}) {
      if (*link && (*link)->pair_id() == pair_id) return true;
    }
    return false;
  }
  // Whether relay traffic for `m.pair_id` from `from` is ours (either link).
  bool accepts_relay(Endpoint from, const RelayData& m) const;
  // Relay data of ours arrived on `pair_id`: a pending link it proves is promoted.
  void on_relay_traffic(Time now, std::uint64_t pair_id, TunnelEnv& env);
  // The relay refused our binding (its ticket expired with the key rotation, or the
  // relay is full), or its ticket expires within `margin`: only a new instruction
  // brings a new ticket.
  bool relay_needs_ticket(Time now, Duration margin) const {
    return relay_ && (relay_->refusal() || (relay_->valid_until() && now + margin >= *relay_->valid_until()));
  }
  // The first punch window (or a re-plan's) is still open.
  bool punch_window_open() const { return punching_possible(); }
  // Why the tunnel failed (kFailed); empty otherwise.
  const std::string& failure() const { return failure_; }
  std::optional<Time> last_received() const;
  // The round trip of the last answered ping; nullopt before the first answer.
  std::optional<Duration> rtt() const { return rtt_; }
  bool liveness_checks() const { return server_lost_ || peer_offline_; }

 private:
  struct KeyedSession {
    Session session;
    std::uint32_t local_index = 0;
    std::uint32_t remote_index = 0;
    // The peer holds it too. A responder's new session is not confirmed until a
    // packet under it arrives: its answer may still be on the way (or lost, or
    // slower than the direct path), and data sealed under it before then would
    // reach a peer that cannot open it.
    bool confirmed = true;
  };

  void send_probes(Time now, TunnelEnv& env);
  // When the next probe round is due, the one at `now` sent (ClientConfig::punch_fast_for).
  void schedule_next_probe(Time now, const ClientConfig& cfg);
  KeyedSession* session_for(std::uint32_t receiver_index);
  // Sends one encoded tunnel datagram on `path`.
  void transmit(const PeerPath& path, Bytes datagram, TunnelEnv& env) const;
  Status<SendError> send_on(Time now, const PeerPayload& payload, const PeerPath& path, TunnelEnv& env);
  void start_handshake(Time now, PeerPath to, Time until, TunnelEnv& env);
  // An initiator with a handshake in flight sends it on `path` too, from now on.
  void add_handshake_path(PeerPath path, TunnelEnv& env);
  void probe_direct(Time now, PeerPath to, TunnelEnv& env);
  void move_to_direct(Time now, PeerPath to, TunnelEnv& env);
  void fall_back_to_relay(Time now, TunnelEnv& env);
  // Direct with a relay: the path check and the relay refresh (fallback above).
  void watch_direct_path(Time now, TunnelEnv& env);
  bool direct_path_suspect(Time now, const ClientConfig& config) const;
  // Relayed: when we have sent and nothing came back through the relay for
  // path_check_after, our binding may point at an address we no longer have (our
  // NAT rebooted with a new address or port): bind again, path_check_interval
  // later, then backing off to RelayLink::kMaxRetry while the silence lasts.
  void watch_relay_path(Time now, TunnelEnv& env);
  // Sends the binds that are due on the relay link and on a re-plan's pending one.
  void run_relay(Time now, TunnelEnv& env);
  // When the tunnel gives up without a session.
  Time give_up_at() const;
  bool relay_usable() const { return relay_ && !relay_->refusal(); }
  void abandon_handshake(TunnelEnv& env);
  void install_session(Time now, PeerPath from, const SessionKeys& keys, std::uint32_t local_index,
                       std::uint32_t remote_index, TunnelEnv& env);
  Duration ping_period(const ClientConfig& config) const;
  Duration peer_timeout(const ClientConfig& config) const;
  Time next_ping_at(const ClientConfig& config) const;
  bool send_ping(Time now, TunnelEnv& env);
  void on_ping_payload(Time now, const PeerPath& from, const PeerPayload& payload, TunnelEnv& env);
  // Punching toward the candidates in the first window: until a direct path, the
  // window's end, or failure.
  bool punching_possible() const {
    return state_ != TunnelState::kFailed && state_ != TunnelState::kDirect && !punch_over_;
  }
  // Direct, and punching toward a peer whose endpoint moved (adopt()).
  bool repunching(Time now) const { return current_ && now < repunch_end_; }

  PublicKey peer_{};
  Ipv4 peer_virtual_ip_;
  std::uint64_t tunnel_id_ = 0;
  TunnelRole role_ = TunnelRole::kInitiator;
  std::vector<Endpoint> candidates_;
  std::uint8_t prepunch_ttl_ = 0;
  TunnelState state_ = TunnelState::kWaiting;
  bool closed_ = false;
  std::string failure_;

  Time instructed_at_{};
  // The negotiation of the latest plan from the server, until its outcome is
  // reported (outcome report, above); nullopt for a resume plan.
  struct Negotiation {
    std::uint64_t tunnel_id = 0;
    Time instructed_at{};
    bool reported = false;
  };
  std::optional<Negotiation> negotiation_;
  // Reports the negotiation's outcome if it is settled now and not yet reported.
  void report_outcome(Time now, TunnelEnv& env);
  void send_outcome(NegotiationOutcome outcome, Duration time_to_direct, TunnelEnv& env);
  Time start_at_{};
  Time punch_end_{};
  Time next_probe_at_{};
  Time repunch_end_{};  // direct only: probes go out until then (adopt())
  bool punch_over_ = false;  // the first window ended (relayed, or waiting on the relay)
  std::uint32_t probe_sequence_ = 0;
  // Birthday probing of the latest plan that asked for it, while it may help:
  // its sockets close once the path is direct (but the one the path uses), when
  // the punch window ends, and with the tunnel.
  std::optional<BirthdayPunch> birthday_;
  void end_birthday(TunnelEnv& env);
  // TCP hole punching of the latest plan that asked for it, until it is over and
  // not the path.
  std::optional<TcpPunch> tcp_;
  void end_tcp(TunnelEnv& env);
  Time next_direct_probe_at_{};  // relayed: when a probe may next get a direct kPing

  std::optional<RelayLink> relay_;
  std::optional<RelayLink> next_relay_;  // a re-plan's new pair, until proven (above)
  std::optional<RelayLink> old_relay_;   // the pair before, receive-only: the peer may switch later
  void promote_next_relay(Time now, TunnelEnv& env);

  // Initiator side of a handshake in flight.
  std::optional<HandshakeInitiator> initiator_;
  std::uint32_t pending_index_ = 0;
  Bytes pending_init_;  // the encoded PeerHandshakeInit, resent as is
  std::vector<PeerPath> handshake_paths_;  // where it goes: the relay, endpoints probes came from
  Time next_handshake_at_{};
  Time handshake_until_{};

  // Responder side: the last init answered and the encoded answer.
  std::uint32_t answered_sender_index_ = 0;
  Bytes answered_noise_;
  Bytes answered_resp_;

  std::optional<KeyedSession> current_;
  // Across a re-handshake: receives, and sends until current_ is confirmed.
  std::optional<KeyedSession> previous_;
  std::uint64_t session_tunnel_id_ = 0;   // the tunnel id current_ was made under
  PeerPath path_;
  Time last_received_{};
  Time last_direct_received_{};  // of the last authenticated packet that came directly
  // The first packet we sent directly since then: silence is measured from it.
  std::optional<Time> direct_unanswered_since_;
  int unanswered_path_checks_ = 0;
  Time next_path_check_at_{};
  Time next_relay_refresh_at_{};
  // The first packet we sent through the relay since the last that came through it.
  std::optional<Time> relay_unanswered_since_;
  Time next_relay_rebind_at_{};
  Duration relay_rebind_wait_{0};  // 0: no rebind for this silence yet
  std::optional<Time> roamed_at_;  // a direct path's check after our network changed
  Time last_sent_{};

  std::optional<Time> last_ping_at_;   // nullopt: the first ping is due
  std::uint64_t ping_nonce_ = 0;       // of the last ping sent; a counter: the session authenticates
  int unanswered_pings_ = 0;           // pings sent since the last authenticated packet
  std::optional<Duration> rtt_;

  bool server_lost_ = false;
  bool peer_offline_ = false;
  // The server said the peer went offline, and nothing has come from it since: a
  // plan after that is for a peer that may have restarted (another port).
  bool offline_since_heard_ = false;
};

}  // namespace yt
