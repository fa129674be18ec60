#include "client/core/discovery.h"

#include <algorithm>

namespace yt {

Discovery::Probe Discovery::make_probe(Kind kind, Endpoint to, bool change_ip, bool change_port) {
  Probe p;
  p.kind = kind;
  p.to = to;
  p.change_ip = change_ip;
  p.change_port = change_port;
  return p;
}

void Discovery::start(Time now, std::uint64_t token, const std::vector<Endpoint>& endpoints) {
  phase_ = Phase::kFiltering;
  token_ = token;
  endpoints_.clear();
  for (const Endpoint& e : endpoints) {
    if (std::find(endpoints_.begin(), endpoints_.end(), e) == endpoints_.end()) endpoints_.push_back(e);
  }
  probes_.clear();
  transactions_.clear();
  run_started_ = now;
  alternates_sent_before_ = alternates_sent_;
  alternates_mapping_before_ = alternates_mapping_;
  sends_ = 0;
  mapped_.reset();
  if (endpoints_.empty()) {
    retry_at_ = now;
    sends_ = ctx_.config.discovery_attempts;  // nothing to send: give up at once
    return;
  }
  const Endpoint primary = endpoints_.front();
  auto find = [&](auto match) -> std::optional<Endpoint> {
    for (const Endpoint& e : endpoints_) {
      if (match(e)) return e;
    }
    return std::nullopt;
  };
  probes_.push_back(make_probe(Kind::kPrimary, primary));
  // RFC 5780 asks for the reply from the other IP *and* port; another IP alone
  // tells EIF from the rest just as well (ADF and APDF both filter on the IP).
  if (find([&](Endpoint e) { return e.ip != primary.ip && e.port != primary.port; })) {
    probes_.push_back(make_probe(Kind::kOtherIp, primary, true, true));
  } else if (find([&](Endpoint e) { return e.ip != primary.ip; })) {
    probes_.push_back(make_probe(Kind::kOtherIp, primary, true, false));
  }
  if (find([&](Endpoint e) { return e.ip == primary.ip && e.port != primary.port; })) {
    probes_.push_back(make_probe(Kind::kOtherPort, primary, false, true));
  }
  send_round(now);
}

void Discovery::send(Time now, std::size_t index) {
  const Probe& p = probes_[index];
  std::uint64_t transaction = ctx_.rng.next_u64();
  transactions_[transaction] = Sent{index, now};
  if (p.kind == Kind::kHairpin) {
    ctx_.send_datagram(p.to, HairpinProbe{transaction});
    return;
  }
  if (p.kind == Kind::kMapping) {
    alternates_sent_ = now;
    alternates_mapping_ = *mapped_;
  }
  ctx_.send_datagram(p.to, DiscoveryProbe{token_, transaction, p.change_ip, p.change_port});
}

void Discovery::send_round(Time now) {
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    const Probe& p = probes_[i];
    if (!p.answered && !p.held && !p.dropped && !p.given_up && in_current_round(p.kind)) send(now, i);
  }
  ++sends_;
  retry_at_ = now + ctx_.config.discovery_retry;
}

void Discovery::start_mapping_round(Time now) {
  phase_ = Phase::kMapping;
  sends_ = 0;
  // Back to back, clean endpoints first, each group in configuration order, so an
  // APDM NAT's allocations are consecutive in the order observed; the hairpin probe
  // last, so its mapping (APDM) does not sit between.
  const std::vector<Endpoint> claimed = claimed_endpoints();
  for (bool held : {false, true}) {
    for (std::size_t i = 1; i < endpoints_.size(); ++i) {
      if ((std::find(claimed.begin(), claimed.end(), endpoints_[i]) != claimed.end()) != held) continue;
      Probe p = make_probe(Kind::kMapping, endpoints_[i]);
      p.held = held;
      p.batch = held ? 2 : 1;
      probes_.push_back(p);
    }
  }
  const auto& lan = ctx_.config.lan_endpoints;
  const bool behind_nat = std::find(lan.begin(), lan.end(), *mapped_) == lan.end();
  if (behind_nat) {
    Probe hairpin = make_probe(Kind::kHairpin, *mapped_);
    hairpin.held = holding();
    probes_.push_back(hairpin);
  }
  hairpin_until_ = now + ctx_.config.discovery_absence_wait;
  send_round(now);
}

std::optional<Endpoint> Discovery::change_source(const Probe& p) const {
  if (!p.change_ip && !p.change_port) return std::nullopt;
  // The server's rule (server/core/discovery_responder.h): the first endpoint in
  // configuration order that differs from the probed one exactly as asked.
  for (const Endpoint& e : endpoints_) {
    if ((e.ip != p.to.ip) == p.change_ip && (e.port != p.to.port) == p.change_port) return e;
  }
  return std::nullopt;
}

std::optional<Endpoint> Discovery::quiet_endpoint() const {
  if (endpoints_.empty()) return std::nullopt;
  const Endpoint primary = endpoints_.front();
  // The change replies' sources, as start() asks for them and the server picks them.
  std::vector<Endpoint> sources;
  std::optional<Endpoint> other_ip = change_source(make_probe(Kind::kOtherIp, primary, true, true));
  if (!other_ip) other_ip = change_source(make_probe(Kind::kOtherIp, primary, true, false));
  for (std::optional<Endpoint> source : {other_ip, change_source(make_probe(Kind::kOtherPort, primary, false, true))}) {
    if (source) sources.push_back(*source);
  }
  for (std::size_t i = 1; i < endpoints_.size(); ++i) {
    if (std::find(sources.begin(), sources.end(), endpoints_[i]) == sources.end()) return endpoints_[i];
  }
  return std::nullopt;
}

std::vector<Endpoint> Discovery::claimed_endpoints() const {
  std::vector<Endpoint> out;
  for (const Probe& p : probes_) {
    if (p.answered || !in_filtering_round(p.kind)) continue;
    if (auto source = change_source(p)) out.push_back(*source);
  }
  return out;
}

bool Discovery::holding() const {
  return std::any_of(probes_.begin(), probes_.end(), [](const Probe& p) { return p.held; });
}

void Discovery::release_held(Time now) {
  bool new_mapping_seen = false;
  for (const Probe& p : probes_) {
    if (p.kind == Kind::kMapping && !p.held && p.mapped && *p.mapped != *mapped_) new_mapping_seen = true;
  }
  for (Probe& p : probes_) {
    if (!p.held) {
      if (p.kind == Kind::kMapping && !p.answered) p.given_up = true;  // its attempts are spent
      continue;
    }
    p.held = false;
    if (p.kind == Kind::kMapping && !new_mapping_seen) p.dropped = true;
  }
  sends_ = 0;
  hairpin_until_ = now + ctx_.config.discovery_absence_wait;
  send_round(now);
}

bool Discovery::send_refresh_probe() {
  if (endpoints_.empty()) return false;
  return send_refresh_probe(endpoints_.front());
}

bool Discovery::send_refresh_probe(Endpoint to) {
  if (token_ == 0) return false;
  // Unanswered refreshes are forgotten beyond a handful: a late reply then counts
  // as malformed, which costs nothing.
  constexpr std::size_t kMaxRefreshes = 16;
  if (refreshes_.size() >= kMaxRefreshes) refreshes_.pop_front();
  std::uint64_t transaction = ctx_.rng.next_u64();
  refreshes_.push_back(transaction);
  ctx_.send_datagram(to, DiscoveryProbe{token_, transaction, false, false});
  return true;
}

std::optional<DiscoveryResult> Discovery::on_reply(Time now, Endpoint from, const DiscoveryReply& reply) {
  if (auto r = std::find(refreshes_.begin(), refreshes_.end(), reply.transaction); r != refreshes_.end()) {
    refreshes_.erase(r);
    return std::nullopt;  // the server has seen the mapping
  }
  auto it = transactions_.find(reply.transaction);
  if (it == transactions_.end() || probes_[it->second.probe].kind == Kind::kHairpin) {
    // Not an answer to any probe of ours: forged or misrouted.
    ++ctx_.stats.malformed_datagrams;
    return std::nullopt;
  }
  Probe& p = probes_[it->second.probe];
  // Duplicates, answers to a round already over, answers after the run: normal.
  if (phase_ == Phase::kIdle || p.answered || !in_current_round(p.kind)) return std::nullopt;
  p.answered = true;
  p.mapped = reply.mapped;
  if (p.kind == Kind::kOtherIp) p.conclusive = from.ip != p.to.ip;
  if (p.kind == Kind::kOtherPort) p.conclusive = from.ip == p.to.ip && from.port != p.to.port;
  if (phase_ == Phase::kFiltering && !mapped_) {
    mapped_ = reply.mapped;
    const Duration rtt = now - it->second.at;
    // A second chance for change replies against loss; a reply that is filtered
    // stays away however often it is asked for.
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      if (!probes_[i].answered && probes_[i].kind != Kind::kPrimary) send(now, i);
    }
    settle_at_ = now + rtt + ctx_.config.discovery_absence_wait;
  }
  return progress(now);
}

std::optional<DiscoveryResult> Discovery::on_hairpin(Time now, Endpoint, const HairpinProbe& probe) {
  auto it = transactions_.find(probe.transaction);
  if (it == transactions_.end() || probes_[it->second.probe].kind != Kind::kHairpin) {
    ++ctx_.stats.malformed_datagrams;
    return std::nullopt;
  }
  Probe& p = probes_[it->second.probe];
  if (phase_ != Phase::kMapping || p.answered) return std::nullopt;
  p.answered = true;
  return progress(now);
}

std::optional<DiscoveryResult> Discovery::on_timer(Time now) {
  if (phase_ == Phase::kIdle) return std::nullopt;
  return progress(now);
}

std::optional<DiscoveryResult> Discovery::progress(Time now) {
  const int attempts = ctx_.config.discovery_attempts;
  if (phase_ == Phase::kFiltering) {
    if (!mapped_) {
      if (now < retry_at_) return std::nullopt;
      // The last send also gets one discovery_retry to be answered before giving up.
      if (sends_ < attempts) {
        send_round(now);
        return std::nullopt;
      }
      return finish();  // UDP blocked
    }
    const bool all_answered = std::all_of(probes_.begin(), probes_.end(), [](const Probe& p) { return p.answered; });
    if (!all_answered && now < settle_at_) return std::nullopt;
    start_mapping_round(now);
  }
  bool server_pending = false;
  bool hairpin_pending = false;
  for (const Probe& p : probes_) {
    if (p.answered || p.held || p.dropped || p.given_up) continue;
    if (p.kind == Kind::kMapping) server_pending = true;
    if (p.kind == Kind::kHairpin) hairpin_pending = true;
  }
  // The clean batch is answered, or out of attempts (what never answered stays
  // unanswered): time for the held probes' verdict.
  if (holding() && (!server_pending || (now >= retry_at_ && sends_ >= attempts))) {
    release_held(now);
    return std::nullopt;
  }
  if (!server_pending && (!hairpin_pending || now >= hairpin_until_)) return finish();
  if (now < retry_at_) return std::nullopt;
  if (sends_ >= attempts) return finish();  // what never answered stays unanswered
  send_round(now);
  return std::nullopt;
}

std::optional<Time> Discovery::next_deadline() const {
  switch (phase_) {
    case Phase::kIdle:
      return std::nullopt;
    case Phase::kFiltering:
      return mapped_ ? settle_at_ : retry_at_;
    case Phase::kMapping: {
      // Each deadline leads somewhere: at retry_at_ a resend or the end; at
      // hairpin_until_ the end, once only the hairpin probe is outstanding.
      const bool server_pending = std::any_of(probes_.begin(), probes_.end(), [](const Probe& p) {
        return p.kind == Kind::kMapping && !p.answered && !p.held && !p.dropped && !p.given_up;
      });
      return server_pending ? retry_at_ : std::min(retry_at_, hairpin_until_);
    }
  }
  return std::nullopt;
}

Discovery::FilterReading Discovery::filter_reading() const {
  FilterReading reading;
  for (const Probe& p : probes_) {
    if (p.kind != Kind::kOtherIp && p.kind != Kind::kOtherPort) continue;
    std::optional<bool>& seen = p.kind == Kind::kOtherIp ? reading.other_ip : reading.other_port;
    if (!p.answered) {
      seen = false;
    } else if (p.conclusive) {
      seen = true;
    }  // else: the server could not honour the change request; the test did not run
  }
  return reading;
}

DiscoveryResult Discovery::finish() {
  phase_ = Phase::kIdle;
  DiscoveryObservations seen;
  seen.lan_endpoints = ctx_.config.lan_endpoints;
  if (!mapped_) return DiscoveryResult{Endpoint{}, true, classify_nat(seen)};

  seen.mappings.push_back(MappingObservation{endpoints_.front(), mapped_, false});
  for (const Probe& p : probes_) {
    if (p.kind == Kind::kMapping && !p.dropped) seen.mappings.push_back(MappingObservation{p.to, p.mapped, p.batch});
    if (p.kind == Kind::kHairpin) seen.hairpin = p.answered;
  }
  FilterReading reading = filter_reading();
  // The state as it was when this run's change replies were asked for (this run's
  // own mapping round came after them).
  const bool polluted = alternates_sent_before_ && alternates_mapping_before_ == *mapped_ &&
                        run_started_ < *alternates_sent_before_ + ctx_.config.discovery_filter_state_lifetime;
  if (polluted) {
    reading = last_clean_reading_.value_or(FilterReading{});
  } else {
    last_clean_reading_ = reading;
  }
  seen.reply_from_other_ip = reading.other_ip;
  seen.reply_from_other_port = reading.other_port;
  return DiscoveryResult{*mapped_, false, classify_nat(seen)};
}

}  // namespace yt
