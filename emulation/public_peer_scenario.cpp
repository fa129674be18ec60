#include "emulation/public_peer_scenario.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "emulation/matrix_scenario.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "office";

}  // namespace

std::optional<std::string> check_public_peer_options(const PublicPeerOptions& options) {
  std::vector<std::string> known = matrix_profile_names();
  for (const std::string* name : {&options.alice_nat, &options.bob_nat}) {
    if (std::find(known.begin(), known.end(), *name) == known.end()) return "unknown NAT profile '" + *name + "'";
  }
  return std::nullopt;
}

ScenarioSpec public_peer_scenario(const PublicPeerOptions& options) {
  auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  ScenarioSpec spec;
  spec.seed = options.seed;
  spec.server_delay_ms = ms(options.access_delay);
  SiteSpec alice = site_of_one("alice", {named_nat(options.alice_nat)}, ms(options.access_delay));
  alice.lan_delay_ms = ms(options.alice_lan_delay);
  SiteSpec frank = site_of_one("frank", {}, ms(options.public_delay));
  SiteSpec bob = site_of_one("bob", {named_nat(options.bob_nat)}, ms(options.access_delay));
  spec.sites = {alice, frank, bob};
  // All three are members from the start: the run is about the tunnels.
  spec.networks[kNetwork] = {"alice", "frank", "bob"};
  spec.events = {client_event(0.5, "start", "alice"), client_event(0.6, "start", "frank"),
                 client_event(0.7, "start", "bob")};
  if (options.follower_delay) spec.punch_follower_delay_ms = ms(*options.follower_delay);
  spec.time_limit_s = std::chrono::duration<double>(options.time_limit).count();
  spec.duration_s = 30 + *spec.time_limit_s;
  return spec;
}

Result<PublicPeerResult, std::string> run_public_peer(const PublicPeerOptions& options) {
  if (auto error = check_public_peer_options(options)) return Err{*error};
  auto ran = run_spec(public_peer_scenario(options));
  if (!ran) return Err{ran.error()};
  PublicPeerResult result;
  auto direct = [&](const std::string& a, const std::string& b) {
    return std::any_of(ran->pairs.begin(), ran->pairs.end(), [&](const SpecPair& p) {
      return ((p.a == a && p.b == b) || (p.a == b && p.b == a)) && p.outcome == "direct";
    });
  };
  for (const auto& [a, b] : {std::pair{"alice", "frank"}, std::pair{"alice", "bob"}, std::pair{"bob", "frank"}}) {
    result.pairs.push_back({a, b, direct(a, b)});
  }
  result.alice_nat_clashes = ran->sites.at(0).tuple_clashes;
  result.all_online = std::all_of(ran->clients.begin(), ran->clients.end(),
                                  [](const SpecClient& c) { return c.online_at_s >= 0; });
  result.log = ran->log;
  return result;
}

}  // namespace yt::emulation
