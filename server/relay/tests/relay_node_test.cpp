// A separate relay's node against the real server core, wired by hand: it
// registers, gets the keys the server's tickets are made under, forwards for a
// pair the server introduced, keeps going while the server is away, and says why
// when it is refused.
#include "server/relay/relay_node.h"

#include <gtest/gtest.h>

#include <map>

#include "server/core/memory_storage.h"
#include "server/core/server_core.h"

namespace yt {
namespace {

const Endpoint kServer{Ipv4::from_octets(198, 51, 100, 1), 443};
const Endpoint kDiscovery{Ipv4::from_octets(198, 51, 100, 1), 3478};
const Endpoint kRelayUdp{Ipv4::from_octets(192, 0, 2, 10), 3478};
const Endpoint kRelayTcp{Ipv4::from_octets(192, 0, 2, 10), 443};

// One server core and one relay node, their control connection carried in memory.
struct Wired {
  SeededRandom server_rng{1, 1}, relay_rng{2, 2}, key_rng{3, 3};
  Identity server_id = Identity::generate(key_rng);
  Identity relay_id = Identity::generate(key_rng);
  MemoryStorage storage;
  std::optional<ServerCore> server;
  RelayNode node;
  Time now = time_from_us(1'000'000);
  std::map<ConnId, ConnId> server_conn_of;  // node's control conn -> server's conn id
  ConnId next_server_conn = 1;
  std::vector<SendDatagram> relay_datagrams;
  std::vector<RelayNodeNotice> notices;
  bool allow_relay = true;

  explicit Wired(bool allow = true, std::optional<PublicKey> pinned = std::nullopt)
      : node(node_config(pinned), relay_id, relay_rng), allow_relay(allow) {
    start_server();
  }
  // A server core with the same identity over the same storage (first start or
  // restart after a crash).
  void start_server() {
    ServerConfig config;
    config.discovery_endpoints = {kDiscovery};
    config.password_strength = PwhashStrength::minimum();
    if (allow_relay) config.relay_keys = {relay_id.public_key};
    server.emplace(config, server_id, storage, server_rng);
  }
  RelayNodeConfig node_config(std::optional<PublicKey> pinned) {
    RelayNodeConfig c;
    c.server = kServer;
    c.server_key = pinned ? *pinned : server_id.public_key;
    c.name = "relay-eu";
    c.udp = kRelayUdp;
    c.stream = kRelayTcp;
    return c;
  }

  // Moves outputs both ways until both are quiet.
  void pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      for (auto& out : node.drain_outputs()) {
        moved = true;
        if (auto* open = std::get_if<OpenStream>(&out)) {
          if (!server) {
            node.on_stream_closed(now, open->conn);  // refused
            continue;
          }
          server_conn_of[open->conn] = next_server_conn++;
          server->on_stream_accepted(now, server_conn_of[open->conn], Endpoint{kRelayUdp.ip, 50000});
          node.on_stream_connected(now, open->conn);
        } else if (auto* s = std::get_if<SendStream>(&out)) {
          if (server && server_conn_of.count(s->conn)) server->on_stream_data(now, server_conn_of[s->conn], s->data);
        } else if (auto* c = std::get_if<CloseStream>(&out)) {
          if (server && server_conn_of.count(c->conn)) server->on_stream_closed(now, server_conn_of[c->conn]);
          server_conn_of.erase(c->conn);
        } else if (auto* d = std::get_if<SendDatagram>(&out)) {
          relay_datagrams.push_back(*d);
        }
      }
      if (server) {
        for (auto& out : server->drain_outputs()) {
          moved = true;
          ConnId node_conn = 0;
          auto conn_of = [&](ConnId server_conn) {
            for (auto& [n, s] : server_conn_of) {
              if (s == server_conn) node_conn = n;
            }
          };
          if (auto* s = std::get_if<SendStream>(&out)) {
            conn_of(s->conn);
            if (node_conn) node.on_stream_data(now, node_conn, s->data);
          } else if (auto* c = std::get_if<CloseStream>(&out)) {
            conn_of(c->conn);
            if (node_conn) {
              server_conn_of.erase(node_conn);
              node.on_stream_closed(now, node_conn);
            }
          }
        }
      }
      for (auto& n : node.take_notices()) notices.push_back(n);
      if (!moved) return;
    }
    ADD_FAILURE() << "no quiet after 100 rounds";
  }
  void advance(Duration d) {
    const Time until = now + d;
    for (int i = 0; i < 100000; ++i) {
      std::optional<Time> next = node.next_deadline();
      if (server) {
        auto s = server->next_deadline();
        if (s && (!next || *s < *next)) next = s;
      }
      if (!next || *next > until) break;
      now = std::max(now, *next);
      node.on_timer(now);
      if (server) server->on_timer(now);
      pump();
    }
    now = until;
    pump();
  }
  bool has_notice(RelayNodeNotice::Kind kind, const std::string& part = "") const {
    for (const auto& n : notices) {
      if (n.kind == kind && n.text.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

TEST(RelayNodeTest, RegistersGetsTheKeysAndStaysRegisteredByPinging) {
  Wired w;
  w.node.start(w.now);
  w.pump();
  EXPECT_TRUE(w.node.registered());
  EXPECT_TRUE(w.node.has_keys());
  EXPECT_TRUE(w.has_notice(RelayNodeNotice::Kind::kRegistered, "registered with"));
  EXPECT_EQ(w.server->stats().relays_registered, 1u);
  // Well past the server's idle timeout, and past a key rotation.
  w.advance(std::chrono::minutes(40));
  EXPECT_TRUE(w.node.registered());
  EXPECT_TRUE(w.has_notice(RelayNodeNotice::Kind::kKeysRotated));
  EXPECT_EQ(w.server->stats().relays_registered, 1u);  // never dropped and re-registered
}

TEST(RelayNodeTest, AKeyTheServerDoesNotAllowIsToldWhyAndRetriesWithBackoff) {
  Wired w(/*allow=*/false);
  w.node.start(w.now);
  w.pump();
  EXPECT_FALSE(w.node.registered());
  EXPECT_TRUE(w.has_notice(RelayNodeNotice::Kind::kRefused, "not allowed"));
  w.advance(std::chrono::seconds(5));
  EXPECT_GE(w.server->stats().relay_registrations_refused, 2u);  // it tried again
  EXPECT_LE(w.server->stats().relay_registrations_refused, 4u);  // with backoff, not in a loop
}

TEST(RelayNodeTest, AServerWithAnotherKeyIsRefused) {
  SeededRandom r(9, 9);
  Wired w(/*allow=*/true, Identity::generate(r).public_key);
  w.node.start(w.now);
  w.pump();
  EXPECT_FALSE(w.node.registered());
  EXPECT_FALSE(w.notices.empty());
}

TEST(RelayNodeTest, KeepsForwardingThroughAServerOutageAndRegistersAgain) {
  Wired w;
  w.node.start(w.now);
  w.pump();
  ASSERT_TRUE(w.node.registered());
  w.server.reset();  // the server crashes
  w.pump();
  // The node notices at its next read or timeout; until then, and after, it keeps
  // the keys it has.
  w.node.on_stream_closed(w.now, RelayNode::kControlConnBase);
  w.pump();
  EXPECT_TRUE(w.node.has_keys());
  EXPECT_TRUE(w.has_notice(RelayNodeNotice::Kind::kLost));
  w.advance(std::chrono::seconds(30));  // reconnects refused meanwhile
  EXPECT_FALSE(w.node.registered());
  // The server is back (same identity, same storage): the node registers again.
  w.start_server();
  w.advance(std::chrono::seconds(61));
  EXPECT_TRUE(w.node.registered());
}

TEST(RelayNodeTest, AfterALongOutageItIsBackWithinTenSecondsOfTheServer) {
  Wired w;
  w.node.start(w.now);
  w.pump();
  ASSERT_TRUE(w.node.registered());
  w.server.reset();
  w.node.on_stream_closed(w.now, RelayNode::kControlConnBase);
  w.advance(std::chrono::minutes(5));
  EXPECT_FALSE(w.node.registered());
  w.start_server();
  w.advance(std::chrono::seconds(10));
  EXPECT_TRUE(w.node.registered());
}

TEST(RelayNodeTest, EchoesAndGarbageOnTheRelaySocket) {
  Wired w;
  w.node.start(w.now);
  w.pump();
  const Endpoint client{Ipv4::from_octets(203, 0, 113, 5), 40000};
  w.node.on_datagram(w.now, client, encode_datagram(RelayEcho{5}));
  w.node.on_datagram(w.now, client, Bytes{1, 2, 3});
  w.pump();
  ASSERT_EQ(w.relay_datagrams.size(), 1u);
  EXPECT_EQ(w.relay_datagrams[0].to, client);
  EXPECT_EQ(w.node.stats().echoes_answered, 1u);
  EXPECT_EQ(w.node.stats().dropped_malformed, 1u);
  EXPECT_TRUE(w.node.registered());
}

}  // namespace
}  // namespace yt
