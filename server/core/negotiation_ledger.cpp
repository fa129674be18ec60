#include "server/core/negotiation_ledger.h"

namespace yt {

void NegotiationLedger::planned(Time now, std::uint64_t tunnel_id, const PublicKey& a, const PublicKey& b,
                                std::string pair_class) {
  remember(now, tunnel_id, Entry{0, a, b, std::move(pair_class), true, false});
}

void NegotiationLedger::foreign(Time now, std::uint64_t tunnel_id) {
  // A plan of ours forwarded back to us cannot happen (we forward only to other
  // servers), so an id already known as ours stays ours.
  auto it = entries_.find(tunnel_id);
  if (it != entries_.end() && it->second.ours) return;
  remember(now, tunnel_id, Entry{0, {}, {}, {}, false, false});
}

void NegotiationLedger::remember(Time now, std::uint64_t tunnel_id, Entry entry) {
  expire(now);
  entry.serial = next_serial_++;
  order_.push_back(Made{now, entry.serial, tunnel_id});
  entries_[tunnel_id] = std::move(entry);
  while (entries_.size() > max_entries_) forget_front();
}

NegotiationLedger::Verdict NegotiationLedger::report(Time now, const PublicKey& from, const TunnelOutcome& m) {
  expire(now);
  auto it = entries_.find(m.tunnel_id);
  if (it == entries_.end()) return Verdict::kUnknown;
  Entry& e = it->second;
  if (!e.ours) return Verdict::kForeign;
  const bool sides = (from == e.a && m.peer == e.b) || (from == e.b && m.peer == e.a);
  if (!sides) return Verdict::kNotASide;
  if (e.reported) return Verdict::kDuplicate;
  e.reported = true;
  ++counts_.outcomes[{e.pair_class, m.outcome}];
  if (m.outcome == NegotiationOutcome::kDirect) {
    counts_.time_to_direct.observe(std::chrono::milliseconds(m.time_to_direct_ms));
  }
  return Verdict::kCounted;
}

void NegotiationLedger::expire(Time now) {
  while (!order_.empty() && now >= order_.front().at + memory_) forget_front();
}

void NegotiationLedger::forget_front() {
  if (order_.empty()) return;
  const Made made = order_.front();
  order_.pop_front();
  auto it = entries_.find(made.tunnel_id);
  if (it == entries_.end() || it->second.serial != made.serial) return;  // made again since: a newer item stands for it
  if (it->second.ours && !it->second.reported) ++counts_.unreported;
  entries_.erase(it);
}

}  // namespace yt
