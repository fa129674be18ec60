// NAT discovery: DiscoveryProbes over the client's UDP socket to the server's primary
// discovery endpoint, retried until a DiscoveryReply names the mapped endpoint or the
// attempts run out (then UDP counts as blocked).
//
// Each attempt carries a fresh random transaction id; a reply to any attempt of the
// current run is accepted, so a slow first reply is not wasted. Further replies to the
// run's probes (a slow path answers every retry) are ignored; a reply matching no
// probe of the latest run is counted as malformed.
//
// Only the basic profile is produced for now (behind_nat, udp_blocked, public IP);
// the RFC 5780 mapping / filtering / allocation tests are a later issue, and until
// then those fields keep NatProfile's defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "client/core/client_context.h"
#include "protocol/endpoint.h"
#include "protocol/messages.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/time.h"

namespace yt {

struct DiscoveryResult {
  Endpoint mapped;           // unset when udp_blocked
  bool udp_blocked = false;
};

class Discovery {
 public:
  explicit Discovery(ClientContext& ctx) : ctx_(ctx) {}

  // Starts a run: the first probe goes out now. With no endpoints there is nothing to
  // probe and the run ends at the next on_timer with udp_blocked.
  void start(Time now, std::uint64_t token, const std::vector<Endpoint>& endpoints);
  void cancel() { running_ = false; }
  bool running() const { return running_; }

  // A result ends the run.
  std::optional<DiscoveryResult> on_reply(Time now, Endpoint from, const DiscoveryReply& reply);
  std::optional<DiscoveryResult> on_timer(Time now);
  std::optional<Time> next_deadline() const;

 private:
  void send_probe(Time now);

  ClientContext& ctx_;
  bool running_ = false;
  std::uint64_t token_ = 0;
  std::optional<Endpoint> target_;
  int sent_ = 0;
  Time next_at_{};
  std::set<std::uint64_t> transactions_;
};

// The profile reported after discovery: behind a NAT unless the mapped endpoint is one
// of our own socket addresses.
NatProfile basic_profile(const DiscoveryResult& result, const std::vector<Endpoint>& lan_endpoints);

}  // namespace yt
