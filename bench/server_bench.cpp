// The server core's hot paths, through its sans-IO interface with the bytes a real
// client sends (Noise IK handshake, sealed control messages, stream framing):
//   BM_Login            handshake + login of a client with no networks
//   BM_LoginIntoNetwork the same for a member of a network of N online members (N up
//                       to 256, the server's default cap on a network):
//                       the snapshot of N members and N tunnel plans on its report
//   BM_JoinNetwork      a join that makes a network N members: the password check
//                       (argon2id at the minimum cost), N-1 member updates, and a
//                       tunnel plan with each online member
//   BM_PlanTunnel       the planner alone (two NATed sides, one predicted)
// Client-side work (its handshake message, sealing) is outside the timing.
// Counters: logins/s, plans/s. Run: build/bench/server_bench
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/handshake.h"
#include "protocol/messages.h"
#include "protocol/random.h"
#include "protocol/session.h"
#include "protocol/stream_framer.h"
#include "server/core/memory_storage.h"
#include "server/core/server_core.h"
#include "server/core/tunnel_planner.h"

namespace {

using namespace yt;

const Endpoint kDiscovery{Ipv4::from_octets(198, 51, 100, 1), 3478};

// One client's side of the control protocol, enough to log in and send requests.
class Client {
 public:
  Client(ConnId conn, const PublicKey& server_key, const Identity& identity)
      : conn_(conn), identity_(identity), rng_(conn, 9),
        initiator_(identity_, server_key, as_bytes(std::string_view(kControlPrologue)), rng_),
        remote_{Ipv4{Ipv4::from_octets(198, 18, 0, 0).value + static_cast<std::uint32_t>(conn)}, 40000} {}

  ConnId conn() const { return conn_; }
  const Identity& identity() const { return identity_; }
  Endpoint remote() const { return remote_; }
  std::uint64_t token() const { return token_; }

  Bytes hello() {
    ControlFrame frame;
    frame.type = ControlFrameType::kHandshakeInit;
    frame.body = initiator_.write_init(ByteView()).value();
    return *frame_for_stream(encode_control_frame(frame));
  }
  Bytes sealed(const ControlMessage& m) {
    ControlFrame frame;
    frame.type = ControlFrameType::kSealed;
    frame.body = session_->seal(encode_control(m), ByteView()).value();
    return *frame_for_stream(encode_control_frame(frame));
  }
  // What the server sent: completes the handshake, notes the login's token.
  void receive(ByteView data) {
    framer_.push(data);
    while (auto frame = framer_.next()) {
      auto decoded = decode_control_frame(*frame);
      if (!decoded) continue;
      if (decoded->type == ControlFrameType::kHandshakeResp) {
        if (auto done = initiator_.read_response(decoded->body)) session_.emplace(done->keys);
      } else if (decoded->type == ControlFrameType::kSealed && session_ && !token_) {
        auto plain = session_->open(decoded->body, ByteView());
        if (!plain) continue;
        auto message = decode_control(*plain);
        if (message) {
          if (auto* reply = std::get_if<LoginReply>(&*message)) token_ = reply->discovery_token;
        }
      } else if (decoded->type == ControlFrameType::kSealed && session_) {
        (void)session_->open(decoded->body, ByteView());  // keeps the receive counter honest
      }
    }
  }

 private:
  ConnId conn_;
  Identity identity_;
  SeededRandom rng_;
  HandshakeInitiator initiator_;
  Endpoint remote_;
  std::optional<Session> session_;
  StreamFramer framer_;
  std::uint64_t token_ = 0;
};

// A server core on a manual clock, with its outputs routed to the clients.
class World {
 public:
  World() : rng_(1, 0), keys_(1, 1), server_(config(), Identity::generate(keys_), storage_, rng_) {}

  static ServerConfig config() {
    ServerConfig c;
    c.discovery_endpoints = {kDiscovery};
    c.password_strength = PwhashStrength::minimum();
    c.admission.handshakes_per_second = 1e12;  // the benchmark is the storm
    c.admission.handshake_burst = 1e12;
    c.admission.handshakes_per_address_per_second = 1e12;
    c.admission.handshake_burst_per_address = 1e12;
    c.admission.password_attempts_per_address_per_second = 1e12;
    c.admission.password_attempt_burst_per_address = 1e12;
    return c;
  }

  // A new connection, with a fresh identity or `identity` (the same member again).
  Client& connect(std::optional<Identity> identity = std::nullopt) {
    auto client = std::make_unique<Client>(next_conn_++, server_.public_key(),
                                           identity ? *identity : Identity::generate(keys_));
    Client& c = *client;
    clients_[c.conn()] = std::move(client);
    server_.on_stream_accepted(now_, c.conn(), c.remote());
    pump();
    return c;
  }
  void send(Client& c, ByteView bytes) {
    server_.on_stream_data(now_, c.conn(), bytes);
    pump();
  }
  void close(Client& c) {
    server_.on_stream_closed(now_, c.conn());
    pump();
    clients_.erase(c.conn());
  }
  // Login, discovery probe and report: online.
  void bring_online(Client& c) {
    send(c, c.hello());
    send(c, c.sealed(LoginRequest{"bench", {}}));
    probe(c);
    DiscoveryReport report;
    report.mapped_endpoint = Endpoint{c.remote().ip, 50000};
    send(c, c.sealed(report));
  }
  void probe(Client& c) {
    DiscoveryProbe probe{c.token(), 1, false, false};
    server_.on_datagram(now_, kDiscovery, c.remote(), encode_datagram(probe));
    pump();
  }
  void tick(Duration d = std::chrono::milliseconds(1)) { now_ += d; }
  std::uint64_t instructions() const { return server_.stats().tunnel_instructions; }

 private:
  void pump() {
    for (ServerCore::Output& out : server_.drain_outputs()) {
      if (auto* s = std::get_if<SendStream>(&out)) {
        auto it = clients_.find(s->conn);
        if (it != clients_.end()) it->second->receive(s->data);
      }
    }
  }

  SeededRandom rng_, keys_;
  MemoryStorage storage_;
  ServerCore server_;
  Time now_ = time_from_us(1'000'000);
  ConnId next_conn_ = 1;
  std::map<ConnId, std::unique_ptr<Client>> clients_;
};

void BM_Login(benchmark::State& state) {
  World world;
  for (auto _ : state) {
    state.PauseTiming();
    world.tick();
    Client& c = world.connect();
    Bytes hello = c.hello();
    state.ResumeTiming();
    world.send(c, hello);
    state.PauseTiming();
    Bytes login = c.sealed(LoginRequest{"bench", {}});
    state.ResumeTiming();
    world.send(c, login);
    state.PauseTiming();
    world.close(c);
    state.ResumeTiming();
  }
  state.counters["logins/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Login)->Unit(benchmark::kMicrosecond);

// A network of `n` online members, made by the first, joined by the rest.
std::vector<Client*> network_of(World& world, std::size_t n) {
  std::vector<Client*> members;
  for (std::size_t i = 0; i < n; ++i) {
    world.tick();
    Client& c = world.connect();
    world.bring_online(c);
    world.send(c, c.sealed(i == 0 ? ControlMessage{CreateNetwork{1, "big", "pw"}} : ControlMessage{JoinNetwork{1, "big", "pw"}}));
    members.push_back(&c);
  }
  return members;
}

void BM_LoginIntoNetwork(benchmark::State& state) {
  World world;
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<Client*> members = network_of(world, n);
  Client* member = members.back();  // logs out and in again, each iteration
  const std::uint64_t plans_before = world.instructions();
  for (auto _ : state) {
    state.PauseTiming();
    const Identity same = member->identity();
    world.close(*member);
    world.tick(std::chrono::seconds(11));  // past the planner's per-pair rate limit
    member = &world.connect(same);
    Bytes hello = member->hello();
    state.ResumeTiming();
    world.send(*member, hello);
    state.PauseTiming();
    Bytes login = member->sealed(LoginRequest{"bench", {}});
    state.ResumeTiming();
    world.send(*member, login);  // the reply, and the snapshot of n members
    world.probe(*member);
    state.PauseTiming();
    DiscoveryReport report;
    report.mapped_endpoint = Endpoint{member->remote().ip, 50000};
    Bytes sealed_report = member->sealed(report);
    state.ResumeTiming();
    world.send(*member, sealed_report);  // online: a plan with each online member
  }
  const double plans = static_cast<double>(world.instructions() - plans_before) / 2;  // one instruction per side
  state.counters["plans/s"] = benchmark::Counter(plans, benchmark::Counter::kIsRate);
  state.counters["logins/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LoginIntoNetwork)->Arg(10)->Arg(100)->Arg(256)->Unit(benchmark::kMillisecond);

void BM_JoinNetwork(benchmark::State& state) {
  World world;
  const auto n = static_cast<std::size_t>(state.range(0));
  network_of(world, n - 1);  // the joiner makes n
  Client& joiner = world.connect();
  world.bring_online(joiner);
  const std::uint64_t plans_before = world.instructions();
  std::uint32_t id = 1;
  for (auto _ : state) {
    state.PauseTiming();
    world.tick();
    Bytes join = joiner.sealed(JoinNetwork{++id, "big", "pw"});
    state.ResumeTiming();
    world.send(joiner, join);
    state.PauseTiming();
    world.send(joiner, joiner.sealed(LeaveNetwork{++id, "big"}));
    state.ResumeTiming();
  }
  const double plans = static_cast<double>(world.instructions() - plans_before) / 2;
  state.counters["plans/s"] = benchmark::Counter(plans, benchmark::Counter::kIsRate);
  state.counters["joins/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JoinNetwork)->Arg(10)->Arg(100)->Arg(256)->Unit(benchmark::kMillisecond);

void BM_PlanTunnel(benchmark::State& state) {
  TunnelSide a, b;
  a.key.fill(1);
  b.key.fill(2);
  a.virtual_ip = Ipv4::from_octets(25, 0, 0, 1);
  b.virtual_ip = Ipv4::from_octets(25, 0, 0, 2);
  a.mapped = Endpoint{Ipv4::from_octets(203, 0, 113, 1), 40000};
  b.mapped = Endpoint{Ipv4::from_octets(203, 0, 113, 2), 50000};
  b.newest_mapping = Endpoint{Ipv4::from_octets(203, 0, 113, 2), 50002};
  a.lan_endpoints = {Endpoint{Ipv4::from_octets(192, 168, 1, 2), 4500}};
  b.lan_endpoints = {Endpoint{Ipv4::from_octets(192, 168, 1, 3), 4500}};
  b.profile.mapping = MappingBehavior::kAddressPortDependent;
  b.profile.mapping_known = true;
  b.profile.allocation = PortAllocation::kSequential;
  b.profile.port_delta = 1;
  PlanOptions options;
  std::uint64_t id = 0;
  for (auto _ : state) benchmark::DoNotOptimize(plan_tunnel(a, b, ++id, options));
  state.counters["plans/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PlanTunnel);

}  // namespace
