// NAT discovery in the manner of RFC 5780: probes from the client's one UDP socket
// (the same socket as the tunnels, so the mapping measured is the one peers meet) to
// the server's discovery endpoints, read by classify_nat() (nat_classifier.h) into
// the NatProfile the client reports.
//
// Endpoint roles come from LoginReply::discovery_endpoints: the first is the primary
// P; "other IP" is one on another IP (preferring another port too, RFC 5780's
// CHANGE-REQUEST with both flags), "other port" one on P's IP with another port.
// Any of these may be missing; the profile then says what it could not measure.
//
// Two rounds, each sent at once and in parallel:
//
//   1. Filtering round, all to P: a plain probe (the mapped endpoint, and whether UDP
//      works at all), a change request for a reply from the other IP (EIF test), one
//      for a reply from P's other port (ADF test). Nothing has been sent anywhere
//      else yet, so a change reply that arrives passed the NAT's filter on its own
//      merit. When the first answer arrives (round-trip time r), unanswered change
//      requests are sent once more, and the round ends when all are answered or
//      r + discovery_absence_wait later. Without any answer, every probe is resent
//      every discovery_retry; after discovery_attempts sends and one more
//      discovery_retry, UDP counts as blocked (3 s by default) and the run ends.
//   2. Mapping round: a plain probe to every other endpoint, back to back (so an
//      APDM NAT creates its mappings in a row and its allocation step shows), then,
//      when the mapped endpoint is not our own address, a HairpinProbe to it. The
//      round ends when every server probe is answered and the hairpin probe has come
//      back or discovery_absence_wait has passed since it left. Unanswered probes
//      are resent every discovery_retry; after discovery_attempts sends the round
//      ends with what it has (those endpoints count as unanswered).
//      Claimed endpoints: a change reply the NAT filtered may still have left state
//      there. Linux conntrack keeps an entry for the dropped packet's 5-tuple, and
//      our later packet to that endpoint clashes with it: netfilter moves that flow
//      (and every later new flow of ours) to another port. That misreads an EIM NAT
//      as APDM and leaves peers a mapped endpoint we no longer use. So the probes to
//      the endpoints such replies came from are held back: the clean endpoints go
//      first (batch 1); if they all saw our primary mapping, the NAT maps
//      endpoint-independently and the held probes are dropped unsent; if any saw a
//      new mapping, the NAT makes one per destination anyway (a claimed tuple cannot
//      move it) and the held probes follow as batch 2, then the hairpin probe. With
//      no clean endpoint there is no evidence either way and nothing claimed is
//      probed (mapping stays a guess).
// Typical length: one round trip to P, plus r + 100 ms when a change reply is
// filtered, plus one round trip (at least 100 ms without hairpinning), plus one
// more for a held batch. Bound: 3 x discovery_attempts x discovery_retry + round
// trip + absence wait.
//
// Every send carries a fresh random transaction id. A reply is matched to its probe
// by it, and a reply to any send of a probe counts. Replies matching no probe of the
// latest run (nor a refresh probe, below) are counted as malformed; replies to probes of the latest run that come
// late (after their round, or after the run) are ignored without counting, so late
// change replies never reach the filtering verdict after the mapping round has
// opened the NAT's filter to the alternate endpoints.
//
// A rerun (after a reconnect) that finds the same primary mapping within
// discovery_filter_state_lifetime of our last probe to an alternate endpoint cannot
// trust its change replies (the filter state is still open); it keeps the previous
// run's filtering reading, or reports filtering as unknown if there is none.
//
// Between runs, send_refresh_probe() shows the server the mapping we have now (one
// plain probe to P), so a tunnel planned after our NAT moved us (a reboot, a
// renumbering) is planned with the current endpoint. Its reply is expected and
// ignored: the full run is not repeated.
//
// quiet_endpoint() names a server endpoint that neither a change reply nor a
// refresh probe uses, for the mapping-lifetime measurement (mapping_lifetime.h):
// traffic there opens no filter state that a rerun's filtering round would meet.
//
// Not done: rerunning on its own when the mapped endpoint changes (discovery runs
// after each login); the report's mapping_lifetime stays 0 (the measurement takes
// minutes and only sets our keepalives).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <optional>
#include <vector>

#include "client/core/client_context.h"
#include "client/core/nat_classifier.h"
#include "protocol/endpoint.h"
#include "protocol/messages.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/time.h"

namespace yt {

struct DiscoveryResult {
  Endpoint mapped;  // as the primary endpoint saw it; unset when udp_blocked
  bool udp_blocked = false;
  NatProfile profile;
};

class Discovery {
 public:
  explicit Discovery(ClientContext& ctx) : ctx_(ctx) {}

  // Starts a run (abandoning any run in progress): the filtering round goes out now.
  // With no endpoints there is nothing to probe and the run ends at the next on_timer
  // with udp_blocked.
  void start(Time now, std::uint64_t token, const std::vector<Endpoint>& endpoints);
  void cancel() { phase_ = Phase::kIdle; }
  bool running() const { return phase_ != Phase::kIdle; }
  // One plain probe to the primary endpoint (above). False when there is none, or no
  // run has given us a token yet.
  bool send_refresh_probe();
  // The same to `to`, one of the server's addresses this socket has not sent to:
  // our NAT makes a new mapping for it, so the server sees its newest port
  // (RefreshMapping). False before a run gave us a token.
  bool send_refresh_probe(Endpoint to);

  // Each returns the result when the input ended the run.
  std::optional<DiscoveryResult> on_reply(Time now, Endpoint from, const DiscoveryReply& reply);
  // A discovery endpoint other than the primary that no change reply comes from;
  // nullopt when the server has none (one address and port, or two endpoints).
  std::optional<Endpoint> quiet_endpoint() const;
  std::optional<DiscoveryResult> on_hairpin(Time now, Endpoint from, const HairpinProbe& probe);
  std::optional<DiscoveryResult> on_timer(Time now);
  std::optional<Time> next_deadline() const;

 private:
  enum class Phase : std::uint8_t { kIdle, kFiltering, kMapping };
  enum class Kind : std::uint8_t { kPrimary, kOtherIp, kOtherPort, kMapping, kHairpin };
  struct Probe {
    Kind kind = Kind::kPrimary;
    Endpoint to;
    bool change_ip = false;
    bool change_port = false;
    bool answered = false;
    // Change requests: the reply came from where it was asked to come from. A server
    // that could not honour the request answers from the probed endpoint instead.
    bool conclusive = false;
    std::optional<Endpoint> mapped;
    // Mapping round: `held` waits for the clean probes' verdict (claimed endpoint);
    // `dropped` was never sent, as they showed an endpoint-independent mapping;
    // `given_up` ran out of attempts before the held ones went (counts unanswered).
    bool held = false;
    bool dropped = false;
    bool given_up = false;
    int batch = 0;
  };
  struct Sent {
    std::size_t probe = 0;
    Time at;
  };
  struct FilterReading {
    std::optional<bool> other_ip;
    std::optional<bool> other_port;
  };

  static Probe make_probe(Kind kind, Endpoint to, bool change_ip = false, bool change_port = false);
  static bool in_filtering_round(Kind kind) {
    return kind == Kind::kPrimary || kind == Kind::kOtherIp || kind == Kind::kOtherPort;
  }
  bool in_current_round(Kind kind) const { return in_filtering_round(kind) == (phase_ == Phase::kFiltering); }
  void send(Time now, std::size_t index);
  // Sends every unanswered probe of the current round; counts a round of sends.
  void send_round(Time now);
  void start_mapping_round(Time now);
  // Where the server answers a change request from; nullopt for plain probes.
  std::optional<Endpoint> change_source(const Probe& p) const;
  // The sources of change replies that never arrived (see "Claimed endpoints").
  std::vector<Endpoint> claimed_endpoints() const;
  bool holding() const;
  // The clean batch is settled: drops or sends the held probes, sends the hairpin.
  void release_held(Time now);
  std::optional<DiscoveryResult> progress(Time now);
  DiscoveryResult finish();
  FilterReading filter_reading() const;

  ClientContext& ctx_;
  Phase phase_ = Phase::kIdle;
  std::uint64_t token_ = 0;
  std::vector<Endpoint> endpoints_;  // deduplicated, primary first
  std::vector<Probe> probes_;
  std::map<std::uint64_t, Sent> transactions_;  // every send of the latest run
  std::deque<std::uint64_t> refreshes_;           // refresh probes not answered yet, oldest first (bounded)
  Time run_started_{};
  int sends_ = 0;                    // rounds of sends in the current round
  Time retry_at_{};                  // next resend, or the end of the round's attempts
  std::optional<Endpoint> mapped_;   // the primary mapping, from the first answer
  Time settle_at_{};                 // kFiltering, once mapped_ is known
  Time hairpin_until_{};             // kMapping

  // Across runs: the filter state our mapping probes left in the NAT.
  std::optional<Time> alternates_sent_;  // our last probe to a non-primary endpoint
  Endpoint alternates_mapping_;          // the primary mapping then
  std::optional<Time> alternates_sent_before_;  // the two above when the latest run started
  Endpoint alternates_mapping_before_;
  std::optional<FilterReading> last_clean_reading_;  // from the latest unpolluted run
};

}  // namespace yt
