// The tunnel negotiations this server planned, remembered until their outcome
// arrives (TunnelOutcome, protocol/messages.h), and the counts of those outcomes
// by NAT-pair class (protocol/nat_taxonomy.h) for the operator's metrics.
//
// A plan is remembered under its tunnel id with its two sides and their pair class
// for ServerConfig::negotiation_memory, at most ServerConfig::max_negotiations of
// them (the oldest forgotten first). The first report from either side of it is
// counted, once: (class, outcome), and for kDirect its time to direct. Later
// reports of the same id are duplicates (the other side's, as a rule).
//
// Several servers (federation.h): a plan is counted where it was made. The
// planner always hosts one side (the lower key's host, or the server a join or
// RequestTunnel arrived at) and so hears that side's report; the other side's
// server learns the id from the forwarded instruction (foreign()) and sets its
// report aside as foreign. So each negotiation is counted once across the
// servers, unless the planner's side moves to another server before it reports.
//
// Single-threaded and clock-free like the rest of the core: every call takes `now`,
// and entries past their memory go at the next call (no timer of its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/time.h"
#include "protocol/time_to_direct_histogram.h"

namespace yt {

// What the outcomes reported so far add up to.
struct NegotiationCounts {
  // (pair class, outcome) -> negotiations, for the first report of each.
  std::map<std::pair<std::string, NegotiationOutcome>, std::uint64_t> outcomes;
  // Of the kDirect ones: the time to direct their reporter measured.
  TimeToDirectHistogram time_to_direct;
  // Plans of ours forgotten (past their memory, or the oldest when full) before
  // either side reported: clients that went away first, or that do not report.
  std::uint64_t unreported = 0;
};

class NegotiationLedger {
 public:
  NegotiationLedger(Duration memory, std::size_t max_entries) : memory_(memory), max_entries_(max_entries) {}

  // This server planned `tunnel_id` for the pair (a, b) of class `pair_class`.
  void planned(Time now, std::uint64_t tunnel_id, const PublicKey& a, const PublicKey& b, std::string pair_class);
  // Another server planned `tunnel_id` and forwarded it to a client of ours.
  void foreign(Time now, std::uint64_t tunnel_id);

  enum class Verdict {
    kCounted,    // the first report of a plan of ours: counted
    kDuplicate,  // the plan's outcome was counted already
    kUnknown,    // no plan of that id remembered (never made, forgotten, or before a restart)
    kForeign,    // planned by another server, which counts it
    kNotASide,   // `from` is not a side of the plan, or `peer` not the other one
  };
  // A report from the authenticated client `from`.
  Verdict report(Time now, const PublicKey& from, const TunnelOutcome& m);

  // Forgets what is past its memory (NegotiationCounts::unreported).
  void expire(Time now);

  const NegotiationCounts& counts() const { return counts_; }
  // Plans remembered now, ours and foreign.
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint64_t serial = 0;  // of its order_ item
    PublicKey a{}, b{};
    std::string pair_class;
    bool ours = true;
    bool reported = false;
  };
  void remember(Time now, std::uint64_t tunnel_id, Entry entry);
  void forget_front();

  Duration memory_;
  std::size_t max_entries_;
  std::map<std::uint64_t, Entry> entries_;
  struct Made {
    Time at;
    std::uint64_t serial = 0;
    std::uint64_t tunnel_id = 0;
  };
  // Entries in the order made; an id made again leaves a stale item behind,
  // recognised by its serial.
  std::deque<Made> order_;
  std::uint64_t next_serial_ = 0;
  NegotiationCounts counts_;
};

}  // namespace yt
