// How long our NAT keeps an idle UDP mapping, measured, so that tunnels send
// keepalives just often enough: a NAT that forgets after 20 s loses no tunnel, and
// one that keeps mappings for minutes is not woken every 25 s.
//
// After discovery, we ask the server (LifetimeProbe) to answer us after W seconds of
// silence, at one of its discovery endpoints that nothing else of ours talks to
// (Discovery::quiet_endpoint: not the primary, which refresh probes and the built-in
// relay use, and no change reply's source, whose filter state must stay closed for
// the next discovery run). The answer
// comes through only if the NAT still holds the mapping, and its filter still lets
// that endpoint in, after W idle seconds. W climbs kWaits while answers come;
// an unanswered wait is tried once more (one lost datagram is not a verdict), then
// it is the upper bound and the ladder stops. Keepalives then go every
// kKeepaliveShare of the longest answered wait (the gap covers the answer's own
// travel and clock slack); below the first wait, every kFloorKeepalive.
//
// A NAT that filters endpoint-independently keeps one mapping for all our flows,
// so our tunnels' traffic refreshes it during the wait: an answer then proves
// nothing about an idle mapping unless we sent nothing at all meanwhile, and such
// a wait is repeated (kMaxInconclusive times, then the ladder stops where it is).
// A filtering NAT keeps state per destination, and nothing of ours refreshes the
// state for that server endpoint but the probe.
//
// Until the first answer the configured keepalive applies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "client/core/client_context.h"
#include "protocol/endpoint.h"
#include "protocol/messages.h"
#include "protocol/time.h"

namespace yt {

class MappingLifetime {
 public:
  static constexpr std::array<std::uint16_t, 4> kWaits = {15, 30, 60, 120};  // seconds
  static constexpr double kKeepaliveShare = 0.8;
  static constexpr Duration kFloorKeepalive = std::chrono::seconds(5);
  static constexpr Duration kAnswerGrace = std::chrono::seconds(3);
  static constexpr int kMaxInconclusive = 2;

  explicit MappingLifetime(ClientContext& ctx) : ctx_(ctx) {}

  // Measures from now on, for the mapping discovery found (`mapped`), asking
  // `server` with discovery token `token`. A measurement already made for the same
  // mapped endpoint stands and nothing is sent. `quiet_required`: the NAT filters
  // endpoint-independently (or we do not know): see above.
  void start(Time now, Endpoint server, std::uint64_t token, Endpoint mapped, bool quiet_required);
  // The server connection is gone: the wait in flight is abandoned (its answer would
  // be ignored); what was measured stays.
  void cancel();

  void on_timer(Time now);
  std::optional<Time> next_deadline() const;
  // True when `reply` answered our wait (it is then consumed).
  bool on_reply(Time now, const DiscoveryReply& reply);

  // The keepalive interval the measurement supports, or nullopt before any verdict.
  std::optional<Duration> keepalive() const;
  // Bounds found so far on the idle lifetime (waits answered / not answered).
  std::optional<Duration> lower_bound() const { return lower_; }
  std::optional<Duration> upper_bound() const { return upper_; }
  bool measuring() const { return pending_.has_value() || next_send_at_.has_value(); }

 private:
  void send(Time now);
  void next_step(Time now, bool repeat);

  struct Pending {
    std::uint64_t transaction = 0;
    Time deadline{};
    std::uint64_t sent_after = 0;  // ctx.datagrams_sent right after the probe
  };

  ClientContext& ctx_;
  Endpoint server_;
  std::uint64_t token_ = 0;
  bool quiet_required_ = true;
  std::optional<Endpoint> measured_for_;
  std::size_t step_ = 0;      // index into kWaits
  int tries_ = 0;             // unanswered sends of this step
  int inconclusive_ = 0;      // answered, but not idle, at this step
  std::optional<Pending> pending_;
  std::optional<Time> next_send_at_;
  std::optional<Duration> lower_, upper_;
};

}  // namespace yt
