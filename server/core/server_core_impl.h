// Internal to server/core, not a contract: the state behind ServerCore, shared by
// the files that implement its parts, one job each:
//   server_core.cpp       connections, frames, handshake, login, discovery, timers
//   presence.cpp          online/offline fan-out, snapshots, tunnel instructions
//   network_requests.cpp  Create/Join/Leave/SetNickname
//   relay_registry.cpp    separate relays, ticket keys, relay per pair by RTT
//   federation.cpp        mirrors of clients other servers host (federation.h)
//   sequential_plans.cpp  plans behind a sequential NAT, one at a time, fresh base
//
// Closing is deferred: doom() emits CloseStream (if asked) and queues the
// connection; reap(), run at the end of every entry point, announces it offline and
// erases it. So no handler ever erases a connection another frame above it on the
// call stack still refers to, and fan-out loops never see the map change under them.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "server/core/federation.h"
#include "server/core/negotiation_ledger.h"
#include "server/core/server_control_channel.h"
#include "server/core/server_core.h"
#include "server/core/ticket_issuer.h"
#include "server/core/tunnel_planner.h"
#include "server/relay/relay_core.h"

namespace yt {

struct ServerCore::Impl {
  // One control connection and, once logged in, the client behind it.
  struct Client {
    ConnId conn = 0;
    Endpoint remote;
    ServerControlChannel channel;
    Time accepted_at;
    Time deadline;  // login or idle timeout, whichever applies now (see deadlines_)

    PublicKey key{};  // valid once channel.established()
    bool logged_in = false;
    bool online = false;   // sent its DiscoveryReport; peers see it online
    bool closing = false;  // doomed: no more input or output; reap() removes it
    bool retired = false;  // offline fan-out already done

    ClientRecord record;  // valid when logged_in; nickname kept current
    std::uint64_t discovery_token = 0;
    std::vector<Endpoint> lan_endpoints;
    std::optional<Endpoint> mapped_at_primary;  // where probes to the primary endpoint came from
    std::optional<Endpoint> mapped_anywhere;    // latest probe source at any endpoint
    // Probe sources in the order they first appeared (capped): the last is the
    // newest mapping the client's NAT made, the base of port prediction.
    std::vector<Endpoint> probe_sources;
    std::optional<Endpoint> newest_mapping;
    // The source of its latest kTcpMapping connection: its TCP mapped endpoint, for
    // TCP hole punching (messages.h, TcpPunchPlan).
    std::optional<Endpoint> tcp_mapped;
    bool fresh_base = false;          // newest_mapping came from a RefreshMapping probe
    std::size_t refresh_cursor = 0;   // the next of config.refresh_endpoints to send it to
    DiscoveryReport report;  // the latest (valid when online); its profile goes to the tunnel planner
    // Networks it chose to appear offline in (SetNetworkOnline), for this session.
    std::set<std::string> offline_networks;
    // Round trips it measured to the relays of our RelayList, by relay id.
    std::map<std::uint32_t, Duration> relay_rtts;
    // A separate relay (RelayRegister), not a client: it never logs in.
    bool relay = false;
    std::uint32_t relay_id = 0;
    // Non-zero: a mirror of a client another server (this id) hosts (federation.h).
    // A mirror has no connection here; what is sent to it is forwarded to its host.
    std::uint32_t host = 0;
    // Doomed because it logged in on another server: it goes without telling its
    // peers it went offline (it did not).
    bool moved_away = false;
    // Online, and seen online by the members of `network`.
    bool online_in(const std::string& network) const { return online && !offline_networks.count(network); }
  };

  Impl(ServerConfig config, Identity identity, Storage& storage, RandomSource& rng);

  // ---- server_core.cpp
  void accept(Time now, ConnId conn, Endpoint remote);
  void receive(Time now, ConnId conn, ByteView data);
  void peer_closed(ConnId conn);
  void datagram(Endpoint local, Endpoint remote, ByteView data);
  void expire(Time now);
  // Moves the built-in relay's outputs to ours.
  void drain_relay();
  // A relay datagram over the control connection (the client's UDP is blocked).
  void relay_frame(Client& c, const RelayFrame& m);
  // Gives both sides of a new plan a ticket for the pair's relay (pick_relay).
  void offer_relay(TunnelPlan& plan, const Client& a, const Client& b);
  void handle_frame(Client& c, ByteView frame, Time now);
  // A kTcpMapping connection (`probe`): records its source for the client whose
  // discovery token it names, and closes it.
  void handle_tcp_mapping(Client& probe, std::uint64_t token);
  void handle_message(Client& c, ControlMessage& message);
  void handle_login(Client& c, const LoginRequest& m);
  void handle_report(Client& c, const DiscoveryReport& m);

  // True when `source` is a mapping not seen before (it became newest_mapping).
  bool note_probe_source(Client& c, Endpoint source);
  Client* find_conn(ConnId conn);
  // Logged in here, or (federation) a mirror of a client logged in elsewhere.
  Client* find_logged_in(const PublicKey& key);
  Client* find_online(const PublicKey& key);
  // Logged in on a connection of this server; never a mirror.
  Client* find_hosted(const PublicKey& key);
  void set_deadline(Client& c, Time deadline);
  // `droppable` (relay frames only): see SendStream in protocol/io_boundary.h; a
  // sealed frame dropped is a gap the session's replay window accepts.
  void send(Client& c, const ControlMessage& message, bool droppable = false);
  void send_raw(Client& c, Bytes framed);
  void doom(Client& c, bool emit_close);
  void retire(Client& c);
  void reap();
  std::uint64_t fresh_token();

  // ---- presence.cpp
  void go_online(Client& c);
  void go_offline(Client& c);
  // Online peers sharing at least one network with `key`, each with the shared
  // network names (sorted). Ordered by key, so fan-out order is deterministic.
  Result<std::map<PublicKey, std::vector<std::string>>, StorageError> online_peers(const PublicKey& key);
  // How `c` appears to the members of `network`.
  MemberInfo member_info(const Client& c, const std::string& network) const;
  Result<MemberInfo, StorageError> lookup_member(const PublicKey& key, const std::string& network);
  // Whether `a` and `b` are both online in some network they share (the condition
  // for a tunnel), given `a`'s online_peers.
  static bool share_online_network(const Client& a, const Client& b,
                                   const std::map<PublicKey, std::vector<std::string>>& peers_of_a);
  Result<NetworkSnapshot, StorageError> build_snapshot(const PublicKey& key);
  void send_snapshot(Client& c, const NetworkSnapshot& snapshot);
  // build + send; false when storage failed (counted), and nothing was sent.
  bool resync(Client& c);
  void instruct_if_new(Client& a, Client& b);
  // Plans and sends the pair's instructions now (instruct_if_new decided it is due).
  void plan_now(Client& a, Client& b);
  void handle_request_tunnel(Client& c, const RequestTunnel& m);
  void handle_tunnel_outcome(Client& c, const TunnelOutcome& m);
  void forget_tunnel(const PublicKey& a, const PublicKey& b);
  TunnelSide tunnel_side(const Client& c) const;

  // ---- relay_registry.cpp
  void handle_relay_register(Client& c, const RelayRegister& m);
  void handle_relay_rtts(Client& c, const RelayRtts& m);
  // A registered relay's connection ended: clients hear the new list, and pairs
  // it carried are planned again with another relay.
  void relay_gone(Client& c);
  // The current ticket key, made now if there is none (and then given to every
  // relay); and publishing after a rotation.
  const TicketKeyring& ticket_ring();
  void publish_ticket_keys();
  RelayList relay_list() const;
  void send_relay_list_to_clients();
  // The relay for a pair: the smallest sum of both sides' measured round trips
  // among relays both reach; a side whose UDP is blocked reaches the built-in one
  // only (over its control connection). Without measurements: the built-in relay,
  // else the first registered one. nullopt: no relay at all.
  std::optional<std::uint32_t> pick_relay(const Client& a, const Client& b) const;

  // ---- federation.cpp
  bool federated() const { return config_.federation_id != 0; }
  ClientPresence presence_of(const Client& c) const;
  // Tells the other servers how `c` (hosted here) stands now.
  void publish_presence(const Client& c);
  void forward(const Client& mirror, const ControlMessage& message);
  void presence_arrived(const PresenceNotice& notice);
  void forwarded_arrived(const ForwardedMessage& message);
  void server_gone(std::uint32_t server);
  // A mirror came online or went away: our own clients hear it (see federation.h).
  void mirror_online(Client& mirror);
  void mirror_offline(const Client& mirror);

  // ---- sequential_plans.cpp
  // The public IP whose sequential NAT `c`'s next mapping must be predicted on,
  // when plans for it are serialized (config.serialize_sequential_plans).
  std::optional<Ipv4> sequential_ip(const Client& c) const;
  void queue_plan(Ipv4 ip, const Client& a, const Client& b);
  // Starts what is due in every queue (a refresh, or a plan).
  void run_plan_queues();
  // A discovery probe from `c` reached refresh endpoint `local`.
  void refresh_arrived(Client& c);
  std::optional<Time> next_plan_deadline() const;
  bool is_refresh_endpoint(Endpoint local) const;

  // ---- network_requests.cpp
  void handle_create(Client& c, const CreateNetwork& m);
  void handle_join(Client& c, const JoinNetwork& m);
  void handle_leave(Client& c, const LeaveNetwork& m);
  void handle_set_nickname(Client& c, const SetNickname& m);
  void handle_set_network_online(Client& c, const SetNetworkOnline& m);
  void forget_tunnels_no_longer_shared(Client& c);
  void reply(Client& c, std::uint32_t request_id, ReplyCode code, std::string message);
  void reply_storage_error(Client& c, std::uint32_t request_id);
  // Whether a password check or hash may run for `c` now (admission.h); if not,
  // the request is answered with kTryLater and false returned.
  bool admit_password_work(Client& c, std::uint32_t request_id);

  ServerConfig config_;
  Identity identity_;
  Storage& storage_;
  RandomSource& rng_;
  ServerStats stats_;
  HandshakeReplayGuard replay_guard_;
  Admission admission_;
  std::vector<Output> outputs_;

  std::map<ConnId, Client> conns_;
  std::set<std::pair<Time, ConnId>> deadlines_;  // one entry per live connection
  std::vector<ConnId> doomed_;
  std::map<PublicKey, ConnId> by_key_;        // logged-in clients
  std::map<std::uint64_t, ConnId> by_token_;  // discovery tokens of logged-in clients

  // LifetimeProbe answers due later, one per discovery token (a new probe replaces
  // the old), in time order; sent only if the token is still a logged-in client's.
  struct LifetimeWait {
    Time at;
    Endpoint local, remote;
    std::uint64_t transaction = 0;
  };
  std::map<std::uint64_t, LifetimeWait> lifetime_waits_;
  std::set<std::pair<Time, std::uint64_t>> lifetime_order_;
  void wait_lifetime(Endpoint local, Endpoint remote, const LifetimeProbe& probe);
  void send_due_lifetime_replies(Time now);

  // Pairs already told to build a tunnel, both directions, kept while both stay
  // online in a network they share: the server instructs a pair again only when
  // one of them asks (RequestTunnel) or the pair was forgotten.
  std::map<PublicKey, std::set<PublicKey>> tunnels_;
  // When each pair was last planned (lower key first), for the last
  // tunnel_retry_interval only: the rate limit of RequestTunnel.
  std::map<std::pair<PublicKey, PublicKey>, Time> planned_at_;
  // The same plans in the order they were made, so expired ones are dropped from
  // the front instead of by a scan of every recent plan at each new one (which
  // made a join storm quadratic).
  std::deque<std::pair<Time, std::pair<PublicKey, PublicKey>>> plan_order_;
  // Plans awaiting their TunnelOutcome, and the outcomes counted.
  NegotiationLedger negotiations_;
  // Pairs (lower key first) whose last plan ended relayed, with when: their next
  // plan may add TCP where UDP failed (TcpPunchOptions::udp_failed). A direct
  // outcome clears the pair; at most max_negotiations are kept, oldest report
  // first out (udp_failed_order_).
  std::map<std::pair<PublicKey, PublicKey>, Time> udp_failed_;
  std::deque<std::pair<Time, std::pair<PublicKey, PublicKey>>> udp_failed_order_;
  void note_outcome(const PublicKey& a, const PublicKey& b, NegotiationOutcome outcome);
  TicketIssuer tickets_;
  std::optional<RelayCore> relay_;  // the built-in relay (id 0); nullopt when off
  // Registered separate relays, by id (from 1, never reused in this process):
  // what clients are told of each, and its control connection.
  struct RegisteredRelay {
    RelayInfo info;
    ConnId conn = 0;
  };
  std::map<std::uint32_t, RegisteredRelay> relays_;
  std::uint32_t next_relay_id_ = 1;
  // The relay each planned pair (lower key first) was given, while it is planned.
  std::map<std::pair<PublicKey, PublicKey>, std::uint32_t> pair_relay_;
  // Plans waiting behind one sequential NAT's public IP (sequential_plans.cpp).
  struct PlanQueue {
    std::deque<std::pair<PublicKey, PublicKey>> waiting;
    // The pair whose sides were asked to RefreshMapping, and whom we wait for.
    std::optional<std::pair<PublicKey, PublicKey>> refreshing;
    std::set<PublicKey> awaiting;
    Time refresh_deadline{};
    Time next_start{};  // spacing after the previous plan
  };
  std::map<Ipv4, PlanQueue> plan_queues_;

  // Clients other servers host, by key (federation.h); only online ones are kept.
  std::map<PublicKey, Client> mirrors_;
  std::vector<FederationMessage> federation_outputs_;
  Time now_{};  // of the input being handled
  std::size_t online_count_ = 0;
};

}  // namespace yt
