// Named NAT configurations for scenarios, tests and the Python bindings. Each
// profile's comment in nat_profiles.cpp says which real devices or networks it
// stands for and where it departs from them; nat-models/README.md has the table.
//
// Single-device profiles:
//   full-cone, restricted-cone, port-restricted-cone, symmetric-sequential,
//   symmetric-random, linux-masquerade, cgnat, udp-blocked, tcp-443-only, one-to-one,
//   home-router-pcp, symmetric-random-natpmp (answering port mapping requests)
// Stacked profiles (several NAT devices in a row, innermost first):
//   home-behind-cgnat = { linux-masquerade (the home router), cgnat (the ISP) }
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nat-models/nat_config.h"

namespace yt::nat {

// Names accepted by profile(), in a stable order.
std::vector<std::string> profile_names();
// The configuration of a single-device profile; nullopt for unknown names and for
// stacked names (use profile_chain()).
std::optional<NatConfig> profile(std::string_view name);

// Names accepted by profile_chain() that describe more than one device.
std::vector<std::string> stacked_profile_names();
// The devices a packet from the innermost LAN crosses on its way out, innermost
// first: one config for a single-device name, several for a stacked name, nullopt
// for unknown names. The driver builds one NatModel per entry, each with its own
// public IPs (the inner device's "public" side is the outer device's LAN).
std::optional<std::vector<NatConfig>> profile_chain(std::string_view name);

}  // namespace yt::nat
