// A ready-made simulated world for the end-to-end tests: one server with two
// discovery endpoints and clients with public addresses, plus helpers that run the
// common flows (log in, make a network, wait for tunnels).
#pragma once

#include <string>

#include "tests/sim/fake_network.h"

namespace yt::sim {

inline const Endpoint kServerControl{Ipv4::from_octets(198, 51, 100, 1), 443};
inline const Endpoint kDiscoveryPrimary{Ipv4::from_octets(198, 51, 100, 1), 3478};
inline const Endpoint kDiscoverySecondary{Ipv4::from_octets(198, 51, 100, 2), 3478};

inline ServerConfig sim_server_config() {
  ServerConfig config;
  config.password_strength = PwhashStrength::minimum();  // Argon2 at full cost is seconds per test
  return config;
}

inline void add_sim_server(FakeNetwork& net) {
  net.add_server(kServerControl, {kDiscoveryPrimary, kDiscoverySecondary}, sim_server_config());
}

// The same server with its built-in relay off: tests of what happens to pairs
// that have no relay to fall back on.
inline void add_sim_server_without_relay(FakeNetwork& net) {
  ServerConfig config = sim_server_config();
  config.builtin_relay = false;
  net.add_server(kServerControl, {kDiscoveryPrimary, kDiscoverySecondary}, config);
}

// Client n lives at 203.0.113.n:40000+n.
inline std::size_t add_public_client(FakeNetwork& net, const std::string& name, std::uint8_t n) {
  ClientOptions options;
  options.name = name;
  options.address = Endpoint{Ipv4::from_octets(203, 0, 113, n), static_cast<std::uint16_t>(40000 + n)};
  return net.add_client(std::move(options));
}

// A client at `address` whose datagrams pass through `translator` (a NAT model, a
// firewall rule) and who is reached at `public_ip`.
inline std::size_t add_translated_client(FakeNetwork& net, const std::string& name, Endpoint address,
                                         AddressTranslator& translator, Ipv4 public_ip, ClientConfig config = {}) {
  ClientOptions options;
  options.name = name;
  options.address = address;
  options.translator = &translator;
  options.public_ip = public_ip;
  options.config = std::move(config);
  return net.add_client(std::move(options));
}

inline bool is_online(const FakeNetwork& net, std::size_t i) { return net.client(i).state() == ClientState::kOnline; }

// Client i has a tunnel to `peer` in `state`.
inline bool tunnel_state_is(FakeNetwork& net, std::size_t i, const PublicKey& peer, TunnelState state) {
  for (const PeerStatus& p : net.client(i).peers()) {
    if (p.key == peer) return p.has_tunnel && p.tunnel == state;
  }
  return false;
}

inline bool has_direct_tunnel(FakeNetwork& net, std::size_t i, const PublicKey& peer) {
  return tunnel_state_is(net, i, peer, TunnelState::kDirect);
}

// Runs until a RequestDone with `id` reached client i; its code, or nullopt.
inline std::optional<ReplyCode> await_request(FakeNetwork& net, std::size_t i, std::uint32_t id,
                                              Duration limit = 5s) {
  std::optional<ReplyCode> code;
  net.run_until(
      [&] {
        for (const RequestDone& done : net.events_of<RequestDone>(i)) {
          if (done.request_id == id) code = done.code;
        }
        return code.has_value();
      },
      limit);
  return code;
}

// Starts both clients, waits for them to be online, and has `a` create `network`
// and `b` join it; no wait for tunnels. False on any step failing.
inline bool join_pair(FakeNetwork& net, std::size_t a, std::size_t b, const std::string& network = "lan",
                      const std::string& password = "hunter2") {
  net.start_client(a);
  net.start_client(b);
  if (!net.run_until([&] { return is_online(net, a) && is_online(net, b); }, 10s)) return false;
  auto created = net.with_client(a, [&](ClientCore& c, Time now) { return c.create_network(now, network, password); });
  if (!created || await_request(net, a, created.value()) != ReplyCode::kOk) return false;
  auto joined = net.with_client(b, [&](ClientCore& c, Time now) { return c.join_network(now, network, password); });
  return joined && await_request(net, b, joined.value()) == ReplyCode::kOk;
}

// join_pair, then waits until each has a direct tunnel to the other.
inline bool connect_pair(FakeNetwork& net, std::size_t a, std::size_t b, const std::string& network = "lan",
                         const std::string& password = "hunter2") {
  if (!join_pair(net, a, b, network, password)) return false;
  const PublicKey ka = net.client(a).public_key();
  const PublicKey kb = net.client(b).public_key();
  return net.run_until([&] { return has_direct_tunnel(net, a, kb) && has_direct_tunnel(net, b, ka); }, 15s);
}

}  // namespace yt::sim
