// Two real servers on one real PostgreSQL (tests/postgres/with_postgres.sh starts
// it and sets YT_POSTGRES_URL; without it the test is skipped), on loopback
// sockets with the real cores: alice logs in to server A, bob to server B; they
// share a network, see each other online, get a tunnel planned across the servers
// and exchange payloads. Then server B stops: bob fails over to A by himself and
// the pair keeps talking. Every wait is bounded.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <pqxx/pqxx>

#include <cstdlib>
#include <deque>
#include <functional>

#include "platform/asio_client_driver.h"
#include "platform/asio_server_driver.h"
#include "platform/postgres_federation.h"
#include "platform/postgres_storage.h"
#include "platform/system_random.h"

namespace yt {
namespace {

using namespace std::chrono_literals;

const Endpoint kLoopbackAny{Ipv4::from_octets(127, 0, 0, 1), 0};
constexpr auto kBound = std::chrono::seconds(20);

struct Server {
  std::unique_ptr<PostgresStorage> storage;
  std::unique_ptr<PostgresFederation> link;
  std::unique_ptr<AsioServerDriver> driver;
};

class PostgresFederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = std::getenv("YT_POSTGRES_URL") ? std::getenv("YT_POSTGRES_URL") : "";
    if (url_.empty()) GTEST_SKIP() << "YT_POSTGRES_URL is not set (run under tests/postgres/with_postgres.sh)";
    ASSERT_TRUE(SystemRandom::init());
    {
      pqxx::connection c(url_);
      pqxx::work w(c);
      w.exec("DROP TABLE IF EXISTS memberships, networks, clients, yt_schema_version, yt_servers, yt_presence, "
             "yt_federation_queue");
      w.commit();
    }
    identity_ = Identity::generate(rng_);
  }
  void TearDown() override {
    clients_.clear();
    for (Server& s : servers_) {
      if (s.link) s.link->stop();
    }
    servers_.clear();
  }

  Server& start_server(const std::string& name) {
    Server s;
    auto storage = PostgresStorage::open(url_);
    EXPECT_TRUE(storage.ok()) << storage.error();
    s.storage = std::move(*storage);
    auto link = PostgresFederation::open(io_, url_, name);
    EXPECT_TRUE(link.ok()) << link.error();
    s.link = std::move(*link);
    ServerConfig config;
    config.discovery_endpoints = {kLoopbackAny};
    config.password_strength = PwhashStrength::minimum();
    config.federation_id = s.link->server_id();
    auto driver = AsioServerDriver::create(io_, config, identity_, *s.storage, rng_, kLoopbackAny);
    EXPECT_TRUE(driver.ok()) << driver.error();
    s.driver = std::move(*driver);
    s.driver->start();
    s.link->attach(*s.driver);
    servers_.push_back(std::move(s));
    return servers_.back();
  }

  AsioClientDriver& add_client(const std::string& nick, Endpoint server, std::vector<Endpoint> fallbacks,
                               std::function<void(const ClientEvent&)> on_event) {
    ClientConfig config;
    config.server = server;
    config.fallback_servers = std::move(fallbacks);
    config.server_key = identity_.public_key;
    config.nickname = nick;
    auto client = AsioClientDriver::create(io_, config, Identity::generate(rng_), rng_, kLoopbackAny);
    EXPECT_TRUE(client.ok()) << client.error();
    (*client)->set_event_handler(std::move(on_event));
    clients_.push_back(std::move(*client));
    return *clients_.back();
  }

  bool run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(20));
      if (io_.stopped()) io_.restart();
    }
    return done();
  }

  std::string url_;
  SystemRandom rng_;
  boost::asio::io_context io_;
  Identity identity_;
  std::deque<Server> servers_;  // stable references
  std::vector<std::unique_ptr<AsioClientDriver>> clients_;
};

struct Seen {
  int logins = 0;
  bool synced = false;
  std::uint32_t request = 0;
  std::optional<ReplyCode> done;
  std::optional<PublicKey> direct_with;
  std::vector<std::string> got;
  bool peer_online = false;
};

std::function<void(const ClientEvent&)> recorder(Seen& seen) {
  return [&seen](const ClientEvent& e) {
    if (std::holds_alternative<LoggedIn>(e)) ++seen.logins;
    if (std::holds_alternative<Synced>(e)) seen.synced = true;
    if (auto* d = std::get_if<RequestDone>(&e); d && d->request_id == seen.request) seen.done = d->code;
    if (auto* up = std::get_if<TunnelUp>(&e)) seen.direct_with = up->peer;
    if (auto* p = std::get_if<PacketReceived>(&e)) seen.got.emplace_back(p->packet.begin(), p->packet.end());
  };
}

TEST_F(PostgresFederationTest, ClientsOnTwoServersTunnelAndSurviveOneServerStopping) {
  Server& a = start_server("server-a");
  Server& b = start_server("server-b");
  ASSERT_NE(a.link->server_id(), b.link->server_id());
  const Endpoint a_at = a.driver->control_endpoint();
  const Endpoint b_at = b.driver->control_endpoint();

  Seen at_alice, at_bob;
  AsioClientDriver& alice = add_client("alice", a_at, {b_at}, recorder(at_alice));
  AsioClientDriver& bob = add_client("bob", b_at, {a_at}, recorder(at_bob));
  alice.start();
  bob.start();
  ASSERT_TRUE(run_until([&] { return at_alice.synced && at_bob.synced; })) << "no login on both servers";
  EXPECT_EQ(a.driver->core().online_clients(), 1u);
  EXPECT_EQ(b.driver->core().online_clients(), 1u);

  at_alice.request = *alice.core().create_network(alice.now(), "lan", "secret");
  alice.pump();
  ASSERT_TRUE(run_until([&] { return at_alice.done.has_value(); }));
  ASSERT_EQ(*at_alice.done, ReplyCode::kOk);
  at_bob.request = *bob.core().join_network(bob.now(), "lan", "secret");
  bob.pump();
  ASSERT_TRUE(run_until([&] { return at_alice.direct_with && at_bob.direct_with; }))
      << "no tunnel across the servers (alice mirrors " << b.driver->core().mirrored_clients() << ")";
  EXPECT_EQ(*at_alice.direct_with, bob.core().public_key());
  EXPECT_EQ(a.driver->core().mirrored_clients(), 1u);
  EXPECT_EQ(b.driver->core().mirrored_clients(), 1u);
  const std::uint64_t planned =
      a.driver->core().stats().tunnel_instructions + b.driver->core().stats().tunnel_instructions;
  EXPECT_EQ(planned, 2u) << "one plan, one instruction per side";

  ASSERT_TRUE(alice.core().send_to_peer(alice.now(), bob.core().public_key(), as_bytes("hello from A")).ok());
  alice.pump();
  ASSERT_TRUE(bob.core().send_to_peer(bob.now(), alice.core().public_key(), as_bytes("hello from B")).ok());
  bob.pump();
  ASSERT_TRUE(run_until([&] { return !at_alice.got.empty() && !at_bob.got.empty(); }));
  EXPECT_EQ(at_bob.got.front(), "hello from A");
  EXPECT_EQ(at_alice.got.front(), "hello from B");

  // Server B stops: bob's connection closes, he fails over to A, and A hosts both.
  Server& stopping = servers_[1];
  stopping.link->stop();
  stopping.driver->stop();
  ASSERT_TRUE(run_until([&] { return at_bob.logins >= 2 && a.driver->core().online_clients() == 2; }))
      << "bob did not fail over to server A";
  EXPECT_EQ(a.driver->core().mirrored_clients(), 0u);
  at_alice.got.clear();
  ASSERT_TRUE(bob.core().send_to_peer(bob.now(), alice.core().public_key(), as_bytes("still here")).ok());
  bob.pump();
  ASSERT_TRUE(run_until([&] { return !at_alice.got.empty(); }));
  EXPECT_EQ(at_alice.got.front(), "still here");
}

// A server that starts while clients are online elsewhere learns who is online
// from the presence table, so its first client sees them at once.
TEST_F(PostgresFederationTest, AServerStartedLaterKnowsWhoIsOnlineElsewhere) {
  Server& a = start_server("server-a");
  Seen at_alice, at_bob;
  AsioClientDriver& alice = add_client("alice", a.driver->control_endpoint(), {}, recorder(at_alice));
  alice.start();
  ASSERT_TRUE(run_until([&] { return at_alice.synced; }));
  at_alice.request = *alice.core().create_network(alice.now(), "lan", "secret");
  alice.pump();
  ASSERT_TRUE(run_until([&] { return at_alice.done.has_value(); }));

  Server& b = start_server("server-b");
  EXPECT_EQ(b.driver->core().mirrored_clients(), 1u);  // before any client of its own
  AsioClientDriver& bob = add_client("bob", b.driver->control_endpoint(), {}, recorder(at_bob));
  bob.start();
  ASSERT_TRUE(run_until([&] { return at_bob.synced; }));
  at_bob.request = *bob.core().join_network(bob.now(), "lan", "secret");
  bob.pump();
  ASSERT_TRUE(run_until([&] { return at_alice.direct_with && at_bob.direct_with; }));
  EXPECT_EQ(*at_bob.direct_with, alice.core().public_key());
}

}  // namespace
}  // namespace yt
