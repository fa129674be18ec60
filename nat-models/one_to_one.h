// Address bindings of a one-to-one (basic) NAT: public IP k <-> one internal host.
// Static bindings come from NatConfig::one_to_one_hosts; other hosts are bound to a
// free public IP the first time they send. Bindings never time out: there are at
// most as many as public IPs, and a 1:1 NAT (cloud elastic IP, DMZ) is configured,
// not learned.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "protocol/endpoint.h"

namespace yt::nat {

class OneToOneTable {
 public:
  // Forgets dynamic bindings and binds static_hosts[k] to public index k for every
  // k < public_count (later duplicates of a host are skipped).
  void reset(std::size_t public_count, const std::vector<Ipv4>& static_hosts);
  // The public index bound to `internal`, or nullopt.
  std::optional<std::size_t> find(Ipv4 internal) const;
  // find(), binding the lowest free index when unbound; nullopt when all are taken.
  std::optional<std::size_t> bind(Ipv4 internal);
  // The host bound to public index `index`, or nullopt.
  std::optional<Ipv4> host_at(std::size_t index) const;
  std::size_t bound_count() const;

 private:
  std::vector<std::optional<Ipv4>> bound_;  // by public index
};

}  // namespace yt::nat
