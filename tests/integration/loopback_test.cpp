// The server and two clients over real sockets on loopback, with the same cores
// the simulator runs: login, a refused wrong-password join that changes nothing
// stored, a direct tunnel, and payloads both ways. Every wait is bounded.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "platform/asio_client_driver.h"
#include "platform/asio_relay_driver.h"
#include "platform/asio_server_driver.h"
#include "platform/metrics_http.h"
#include "server/core/server_metrics.h"
#include "platform/sqlite_storage.h"
#include "platform/system_random.h"
#include "platform/tests/http_exchange.h"

namespace yt {
namespace {

const Endpoint kLoopbackAny{Ipv4::from_octets(127, 0, 0, 1), 0};
constexpr auto kBound = std::chrono::seconds(15);

class LoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SystemRandom::init());
    dir_ = std::filesystem::temp_directory_path() /
           ("yt-loopback-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    auto storage = SqliteStorage::open((dir_ / "server.db").string());
    ASSERT_TRUE(storage.ok()) << storage.error();
    storage_ = std::move(*storage);
    server_identity_ = Identity::generate(rng_);
    ServerConfig config;
    config.discovery_endpoints = {kLoopbackAny};
    config.password_strength = PwhashStrength::minimum();
    config.builtin_relay = builtin_relay_;
    config.relay_keys = relay_keys_;
    auto server = AsioServerDriver::create(io_, config, server_identity_, *storage_, rng_, kLoopbackAny);
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(*server);
    server_->start();
  }
  void TearDown() override {
    clients_.clear();
    server_.reset();
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }

  AsioClientDriver& add_client(const std::string& nick, std::function<void(const ClientEvent&)> on_event,
                               std::optional<Identity> identity = std::nullopt, ClientConfig config = {}) {
    config.server = server_->control_endpoint();
    config.server_key = server_identity_.public_key;
    config.nickname = nick;
    auto client =
        AsioClientDriver::create(io_, config, identity ? *identity : Identity::generate(rng_), rng_, kLoopbackAny);
    EXPECT_TRUE(client.ok()) << client.error();
    AsioClientDriver& c = **client;
    c.set_event_handler(std::move(on_event));
    clients_.push_back(std::move(*client));
    return c;
  }

  // Runs the loop until `done` or the bound; true if done.
  bool run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(20));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }

  // Defers an action out of an event handler (handlers run inside a drain loop).
  void later(std::function<void()> action) { boost::asio::post(io_, std::move(action)); }

  // Set by a fixture before SetUp.
  bool builtin_relay_ = true;
  std::vector<PublicKey> relay_keys_;
  std::filesystem::path dir_;
  SystemRandom rng_;
  boost::asio::io_context io_;
  std::unique_ptr<SqliteStorage> storage_;
  Identity server_identity_;
  std::unique_ptr<AsioServerDriver> server_;
  std::vector<std::unique_ptr<AsioClientDriver>> clients_;
};

TEST_F(LoopbackTest, TwoClientsTunnelAndExchangePayloadsBothWays) {
  AsioClientDriver* alice = nullptr;
  AsioClientDriver* bob = nullptr;
  bool alice_synced = false, bob_synced = false, network_ready = false;
  std::uint32_t create_id = 0, wrong_join_id = 0, join_id = 0;
  std::optional<ReplyCode> wrong_join_code, join_code;
  std::optional<PublicKey> alice_peer, bob_peer;
  std::vector<std::string> alice_got, bob_got;

  alice = &add_client("alice", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) alice_synced = true;
    if (auto* d = std::get_if<RequestDone>(&e); d && d->request_id == create_id && d->code == ReplyCode::kOk)
      network_ready = true;
    if (auto* up = std::get_if<TunnelUp>(&e)) alice_peer = up->peer;
    if (auto* p = std::get_if<PacketReceived>(&e)) alice_got.emplace_back(p->packet.begin(), p->packet.end());
  });
  bob = &add_client("bob", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) bob_synced = true;
    if (auto* d = std::get_if<RequestDone>(&e)) {
      if (d->request_id == wrong_join_id) wrong_join_code = d->code;
      if (d->request_id == join_id) join_code = d->code;
    }
    if (auto* up = std::get_if<TunnelUp>(&e)) bob_peer = up->peer;
    if (auto* p = std::get_if<PacketReceived>(&e)) bob_got.emplace_back(p->packet.begin(), p->packet.end());
  });
  alice->start();
  bob->start();
  ASSERT_TRUE(run_until([&] { return alice_synced && bob_synced; })) << "clients did not log in and sync";

  auto created = alice->core().create_network(alice->now(), "lan", "secret");
  ASSERT_TRUE(created.ok());
  create_id = *created;
  alice->pump();
  ASSERT_TRUE(run_until([&] { return network_ready; }));

  auto wrong = bob->core().join_network(bob->now(), "lan", "not the password");
  ASSERT_TRUE(wrong.ok());
  wrong_join_id = *wrong;
  bob->pump();
  ASSERT_TRUE(run_until([&] { return wrong_join_code.has_value(); }));
  EXPECT_EQ(*wrong_join_code, ReplyCode::kWrongPassword);
  auto members = storage_->members("lan");
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->size(), 1u) << "a refused join must not change stored membership";

  auto join = bob->core().join_network(bob->now(), "lan", "secret");
  ASSERT_TRUE(join.ok());
  join_id = *join;
  bob->pump();
  ASSERT_TRUE(run_until([&] { return alice_peer && bob_peer; })) << "no direct tunnel";
  EXPECT_EQ(join_code, ReplyCode::kOk);
  EXPECT_EQ(*alice_peer, bob->core().public_key());
  EXPECT_EQ(*bob_peer, alice->core().public_key());

  ASSERT_TRUE(alice->core().send_to_peer(alice->now(), *alice_peer, as_bytes("ping from alice")).ok());
  alice->pump();
  ASSERT_TRUE(bob->core().send_to_peer(bob->now(), *bob_peer, as_bytes("pong from bob")).ok());
  bob->pump();
  ASSERT_TRUE(run_until([&] { return !alice_got.empty() && !bob_got.empty(); }));
  EXPECT_EQ(bob_got.front(), "ping from alice");
  EXPECT_EQ(alice_got.front(), "pong from bob");
}

// Neither client punches, so the server's built-in relay is the only path: the
// pair is relayed over real UDP sockets, and payloads cross both ways through it.
TEST_F(LoopbackTest, TwoClientsThatDoNotPunchTalkThroughTheServersRelay) {
  ClientConfig no_punch;
  no_punch.punch = false;
  // What each client reported.
  struct Seen {
    bool synced = false;
    std::uint32_t request = 0;  // the create or join to wait for
    bool request_done = false;
    std::optional<TunnelRelayed> relayed;
    std::vector<std::string> got;
  } at_alice, at_bob;
  auto recorder = [](Seen& seen) {
    return [&seen](const ClientEvent& e) {
      if (std::holds_alternative<Synced>(e)) seen.synced = true;
      if (auto* d = std::get_if<RequestDone>(&e); d && d->request_id == seen.request) seen.request_done = true;
      if (auto* r = std::get_if<TunnelRelayed>(&e)) seen.relayed = *r;
      if (auto* p = std::get_if<PacketReceived>(&e)) seen.got.emplace_back(p->packet.begin(), p->packet.end());
    };
  };
  AsioClientDriver& alice = add_client("alice", recorder(at_alice), std::nullopt, no_punch);
  AsioClientDriver& bob = add_client("bob", recorder(at_bob), std::nullopt, no_punch);
  alice.start();
  bob.start();
  ASSERT_TRUE(run_until([&] { return at_alice.synced && at_bob.synced; }));
  at_alice.request = *alice.core().create_network(alice.now(), "lan", "secret");
  alice.pump();
  ASSERT_TRUE(run_until([&] { return at_alice.request_done; }));
  at_bob.request = *bob.core().join_network(bob.now(), "lan", "secret");
  bob.pump();
  ASSERT_TRUE(run_until([&] { return at_bob.request_done && at_alice.relayed && at_bob.relayed; }))
      << "no relayed tunnel";
  EXPECT_EQ(at_alice.relayed->relay, server_->discovery_endpoints().front());
  EXPECT_EQ(at_alice.relayed->peer, bob.core().public_key());

  ASSERT_TRUE(alice.core().send_to_peer(alice.now(), bob.core().public_key(), as_bytes("via the relay")).ok());
  alice.pump();
  ASSERT_TRUE(bob.core().send_to_peer(bob.now(), alice.core().public_key(), as_bytes("and back")).ok());
  bob.pump();
  ASSERT_TRUE(run_until([&] { return !at_alice.got.empty() && !at_bob.got.empty(); }));
  EXPECT_EQ(at_bob.got.front(), "via the relay");
  EXPECT_EQ(at_alice.got.front(), "and back");
  EXPECT_GE(server_->core().relay_stats().forwarded_packets, 2u);
  for (const PeerStatus& p : alice.core().peers()) EXPECT_EQ(p.tunnel, TunnelState::kRelayed);
  // Neither punches, so the punch window is over at once: relayed is settled as
  // soon as the relay carries the pair, and the server counts it (one report of
  // the two).
  const ServerCore& core = server_->core();
  ASSERT_TRUE(run_until([&] { return core.stats().tunnel_outcomes_duplicate == 1; }));
  const std::string text = server_metrics_text(core.stats(), ServerGauges{}, core.negotiations());
  EXPECT_NE(text.find("\nyellowtail_server_negotiations_total{pair=\"no-nat+no-nat\",outcome=\"relayed\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nyellowtail_server_time_to_direct_seconds_count 0\n"), std::string::npos) << text;
}

// A separate relay (the real yellowtail-relay driver) registers with the server,
// which has no relay of its own: a pair that does not punch talks through it.
class LoopbackRelayTest : public LoopbackTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SystemRandom::init());
    relay_identity_ = Identity::generate(rng_);
    builtin_relay_ = false;
    relay_keys_ = {relay_identity_.public_key};
    LoopbackTest::SetUp();
    RelayNodeConfig config;
    config.server = server_->control_endpoint();
    config.server_key = server_identity_.public_key;
    config.name = "relay-one";
    auto relay = AsioRelayDriver::create(io_, config, relay_identity_, rng_, kLoopbackAny, kLoopbackAny);
    ASSERT_TRUE(relay.ok()) << relay.error();
    relay_ = std::move(*relay);
    relay_->set_notice_handler([this](const RelayNodeNotice& n) { notices_.push_back(n.text); });
    relay_->start();
  }
  void TearDown() override {
    relay_.reset();
    LoopbackTest::TearDown();
  }
  Identity relay_identity_;
  std::unique_ptr<AsioRelayDriver> relay_;
  std::vector<std::string> notices_;
};

TEST_F(LoopbackRelayTest, ARegisteredRelayCarriesAPairThatDoesNotPunch) {
  ASSERT_TRUE(run_until([&] { return relay_->node().registered(); })) << "relay did not register";
  ASSERT_FALSE(notices_.empty());
  EXPECT_NE(notices_.front().find("registered with"), std::string::npos);
  ClientConfig no_punch;
  no_punch.punch = false;
  std::optional<TunnelRelayed> relayed_a, relayed_b;
  std::vector<std::string> got_b;
  bool synced_a = false, synced_b = false;
  AsioClientDriver& alice = add_client("alice", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) synced_a = true;
    if (auto* r = std::get_if<TunnelRelayed>(&e)) relayed_a = *r;
  }, std::nullopt, no_punch);
  AsioClientDriver& bob = add_client("bob", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) synced_b = true;
    if (auto* r = std::get_if<TunnelRelayed>(&e)) relayed_b = *r;
    if (auto* p = std::get_if<PacketReceived>(&e)) got_b.emplace_back(p->packet.begin(), p->packet.end());
  }, std::nullopt, no_punch);
  alice.start();
  bob.start();
  ASSERT_TRUE(run_until([&] { return synced_a && synced_b; }));
  ASSERT_TRUE(alice.core().create_network(alice.now(), "lan", "secret").ok());
  alice.pump();
  ASSERT_TRUE(run_until([&] { return storage_->members("lan").ok() && storage_->members("lan")->size() == 1; }));
  ASSERT_TRUE(bob.core().join_network(bob.now(), "lan", "secret").ok());
  bob.pump();
  ASSERT_TRUE(run_until([&] { return relayed_a && relayed_b; })) << "no relayed tunnel";
  EXPECT_EQ(relayed_a->relay, relay_->udp_endpoint());
  EXPECT_EQ(relayed_b->relay, relay_->udp_endpoint());
  ASSERT_TRUE(alice.core().send_to_peer(alice.now(), bob.core().public_key(), as_bytes("via relay-one")).ok());
  alice.pump();
  ASSERT_TRUE(run_until([&] { return !got_b.empty(); }));
  EXPECT_EQ(got_b.front(), "via relay-one");
  EXPECT_GE(relay_->node().stats().forwarded_packets, 1u);
  EXPECT_GE(relay_->node().stats().echoes_answered, 1u);  // the clients measured it
  EXPECT_EQ(server_->core().stats().relay_offers_separate, 1u);
}

// A copied key: the second login replaces the first, which hears why (the message
// must reach it before the server closes the stream) and stays out rather than
// logging back in and replacing the second in turn.
TEST_F(LoopbackTest, TwoCopiesOfOneKeyDoNotReplaceEachOtherForever) {
  Identity shared = Identity::generate(rng_);
  bool first_synced = false, second_synced = false;
  std::optional<Endpoint> first_replaced_by;
  int second_replaced = 0;
  AsioClientDriver& first = add_client("first", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) first_synced = true;
    if (auto* r = std::get_if<LoggedInElsewhere>(&e)) first_replaced_by = r->by;
  }, shared);
  first.start();
  ASSERT_TRUE(run_until([&] { return first_synced; }));
  AsioClientDriver& second = add_client("second", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) second_synced = true;
    if (std::holds_alternative<LoggedInElsewhere>(e)) ++second_replaced;
  }, shared);
  second.start();
  ASSERT_TRUE(run_until([&] { return first_replaced_by.has_value() && second_synced; }));
  EXPECT_EQ(first_replaced_by->ip, Ipv4::from_octets(127, 0, 0, 1));
  EXPECT_EQ(first.core().state(), ClientState::kStopped);
  // Longer than the reconnect backoff: the first stays out, the second stays in.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  run_until([&] { return std::chrono::steady_clock::now() >= until; });
  EXPECT_EQ(first.core().state(), ClientState::kStopped);
  EXPECT_EQ(second.core().state(), ClientState::kOnline);
  EXPECT_EQ(second_replaced, 0);
}

TEST_F(LoopbackTest, WrongPinnedServerKeyIsRefusedWithAClearReason) {
  ClientConfig config;
  config.server = server_->control_endpoint();
  config.server_key = Identity::generate(rng_).public_key;  // not the server's
  auto client = AsioClientDriver::create(io_, config, Identity::generate(rng_), rng_, kLoopbackAny);
  ASSERT_TRUE(client.ok());
  std::optional<std::string> reason;
  (*client)->set_event_handler([&](const ClientEvent& e) {
    if (auto* f = std::get_if<LoginFailed>(&e)) reason = f->reason;
  });
  (*client)->start();
  ASSERT_TRUE(run_until([&] { return reason.has_value(); }));
  EXPECT_NE(reason->find("key"), std::string::npos) << *reason;
  EXPECT_EQ((*client)->core().state(), ClientState::kConnecting);
}

TEST_F(LoopbackTest, PortInUseIsAClearError) {
  Endpoint taken = server_->control_endpoint();
  auto second = AsioServerDriver::create(io_, ServerConfig{}, server_identity_, *storage_, rng_, taken);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find(taken.to_string()), std::string::npos) << second.error();
}

// An operator's scrape of a real server's metrics: the numbers move with real
// logins, discovery and tunnel planning. The scrape is a blocking HTTP exchange on
// a thread of its own while the server's loop runs here.
std::string scrape(Endpoint at) {
  return test::http_exchange(at, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST_F(LoopbackTest, ServerMetricsMoveWithRealTraffic) {
  const ServerCore& core = server_->core();
  auto metrics = MetricsHttp::start(io_, Endpoint{Ipv4::from_octets(127, 0, 0, 1), 0}, [&core] {
    return server_metrics_text(core.stats(),
                               ServerGauges{core.online_clients(), core.admitted_connections(), core.max_connections(),
                                            core.relay_pairs()},
                               core.negotiations());
  });
  ASSERT_TRUE(metrics.ok()) << metrics.error();
  auto scraped = [&] {
    std::string text;
    std::atomic<bool> done{false};
    std::thread scraper([&] {
      text = scrape((*metrics)->endpoint());
      done = true;
    });
    run_until([&] { return done.load(); });
    scraper.join();
    return text;
  };
  const std::string before = scraped();
  EXPECT_NE(before.find("\nyellowtail_server_logins_total 0\n"), std::string::npos) << before;
  EXPECT_NE(before.find("\nyellowtail_server_clients_online 0\n"), std::string::npos) << before;

  bool alice_synced = false, bob_synced = false;
  std::optional<PublicKey> tunnel;
  AsioClientDriver& alice = add_client("alice", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) alice_synced = true;
    if (auto* up = std::get_if<TunnelUp>(&e)) tunnel = up->peer;
  });
  AsioClientDriver& bob = add_client("bob", [&](const ClientEvent& e) {
    if (std::holds_alternative<Synced>(e)) bob_synced = true;
  });
  alice.start();
  bob.start();
  ASSERT_TRUE(run_until([&] { return alice_synced && bob_synced; }));
  ASSERT_TRUE(alice.core().create_network(alice.now(), "lan", "secret").ok());
  alice.pump();
  ASSERT_TRUE(run_until([&] {
    auto members = storage_->members("lan");
    return members.ok() && !members->empty();
  }));
  ASSERT_TRUE(bob.core().join_network(bob.now(), "lan", "secret").ok());
  bob.pump();
  ASSERT_TRUE(run_until([&] { return tunnel.has_value(); }));
  // The sides report how the negotiation ended: the first report counts.
  auto direct_reported = [&core] {
    for (const auto& [key, count] : core.negotiations().outcomes) {
      if (key.second == NegotiationOutcome::kDirect && count > 0) return true;
    }
    return false;
  };
  ASSERT_TRUE(run_until(direct_reported));

  const std::string after = scraped();
  EXPECT_NE(after.find("\nyellowtail_server_logins_total 2\n"), std::string::npos) << after;
  EXPECT_NE(after.find("\nyellowtail_server_clients_online 2\n"), std::string::npos) << after;
  EXPECT_NE(after.find("\nyellowtail_server_tunnel_instructions_total 2\n"), std::string::npos) << after;
  EXPECT_EQ(after.find("\nyellowtail_server_discovery_replies_total 0\n"), std::string::npos) << after;
  // Both on loopback: neither is behind a NAT. One negotiation, direct, and its
  // time to direct; the other side's report of it is a duplicate.
  EXPECT_EQ(before.find("\nyellowtail_server_negotiations_total{"), std::string::npos) << before;
  EXPECT_NE(after.find("\nyellowtail_server_negotiations_total{pair=\"no-nat+no-nat\",outcome=\"direct\"} 1\n"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find("\nyellowtail_server_time_to_direct_seconds_count 1\n"), std::string::npos) << after;
  EXPECT_NE(after.find("\nyellowtail_server_tunnel_outcomes_unknown_total 0\n"), std::string::npos) << after;
  EXPECT_NE(after.find("\nyellowtail_server_tunnel_outcomes_not_a_side_total 0\n"), std::string::npos) << after;
  EXPECT_EQ((*metrics)->scrapes(), 2u);
}

}  // namespace
}  // namespace yt
