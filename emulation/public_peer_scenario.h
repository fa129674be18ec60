// The public-peer scenario: the Linux conntrack clash that docs/nat-matrix.md
// describes, reproduced in ns-3. Three members of one network: alice behind a Linux
// NAT on a slow LAN (a busy Wi-Fi), frank on a public address close to the core (a
// server in a data centre), bob behind another Linux NAT. If frank's first punch
// datagram reaches alice's NAT before alice's own first datagram to frank leaves it,
// the NAT's conntrack holds that tuple, alice's flow to frank gets a new public
// port, and every later flow of hers leaves from that port: bob, told alice's
// original endpoint, punches at a port alice no longer uses. The server's planner
// prevents it by starting a receptive side (frank) `punch_follower_delay` after a
// filtering one; run with a follower delay of 0 to see the clash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulation/spec_scenario.h"
#include "protocol/result.h"
#include "protocol/time.h"

namespace yt::emulation {

struct PublicPeerOptions {
  std::uint64_t seed = 1;
  std::string alice_nat = "linux-masquerade";  // a nat-matrix profile name
  std::string bob_nat = "linux-masquerade";
  Duration access_delay = 20ms;  // one-way: the server's and both NAT sites' access links
  Duration public_delay = 2ms;   // one-way: frank's access link
  Duration alice_lan_delay = 30ms;  // one-way: alice's LAN (her host to her NAT)
  // The server's punch_follower_delay; empty: the server's default.
  std::optional<Duration> follower_delay;
  Duration time_limit = 15s;  // after all three are online
};

struct PublicPeerPair {
  std::string a, b;
  bool direct = false;  // a probe datagram crossed the direct tunnel both ways
};

struct PublicPeerResult {
  std::vector<PublicPeerPair> pairs;  // alice-frank, alice-bob, bob-frank
  // Ports alice's NAT could not give a new flow because an unsolicited inbound
  // tuple held them (nat::NatCounters::tuple_clashes).
  std::uint64_t alice_nat_clashes = 0;
  bool all_online = false;
  std::vector<std::string> log;  // the time-stamped event log of the server and clients
};

// Why the options are invalid (an unknown profile), or nothing when they are fine.
std::optional<std::string> check_public_peer_options(const PublicPeerOptions& options);
// The scenario one run is (spec_scenario.h): sites alice, frank (public) and bob.
ScenarioSpec public_peer_scenario(const PublicPeerOptions& options);
// One run in its own simulation; the check above is its error.
Result<PublicPeerResult, std::string> run_public_peer(const PublicPeerOptions& options);

}  // namespace yt::emulation
