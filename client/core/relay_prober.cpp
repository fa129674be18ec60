#include "client/core/relay_prober.h"

#include <algorithm>

namespace yt {

void RelayProber::start(Time now, const RelayList& list, std::optional<Endpoint> server_relay) {
  list_ = list;
  server_relay_ = server_relay;
  over_tcp_ = false;
  builtin_rtt_.reset();
  targets_.clear();
  for (const RelayInfo& relay : list.relays) {
    Target t;
    t.id = relay.id;
    t.udp = relay.udp;
    if (t.udp.is_unset()) {
      if (!server_relay) continue;
      t.udp = *server_relay;
    }
    targets_.push_back(t);
  }
  report_.reset();
  begin_round(now);
}

void RelayProber::remeasure_over_tcp(Time now, std::optional<Duration> builtin_rtt) {
  over_tcp_ = true;
  builtin_rtt_ = builtin_rtt;
  targets_.clear();
  for (const RelayInfo& relay : list_.relays) {
    if (relay.id == 0 || relay.stream.is_unset()) continue;  // the built-in one is builtin_rtt
    Target t;
    t.id = relay.id;
    t.udp = relay.udp;
    t.stream = relay.stream;
    targets_.push_back(t);
  }
  report_.reset();
  begin_round(now);
}

void RelayProber::cancel() {
  targets_.clear();
  list_ = RelayList{};
  over_tcp_ = false;
  round_started_.reset();
  next_round_at_.reset();
  report_.reset();
}

void RelayProber::begin_round(Time now) {
  next_round_at_.reset();
  if (targets_.empty()) {
    round_started_.reset();
    if (over_tcp_ && builtin_rtt_) end_round(now);  // nothing to send: the report is the built-in relay
    return;
  }
  for (Target& t : targets_) {
    t.best.reset();
    std::fill(std::begin(t.answered), std::end(t.answered), false);
  }
  round_started_ = now;
  echoes_sent_ = 0;
  next_echo_at_ = now;
}

void RelayProber::on_reply(Time now, Endpoint from, const RelayEchoReply& m) {
  if (!round_started_) return;
  for (Target& t : targets_) {
    if (t.udp != from) continue;
    for (int i = 0; i < echoes_sent_; ++i) {
      if (t.answered[i] || t.nonce[i] != m.nonce) continue;
      t.answered[i] = true;
      const Duration rtt = now - t.sent_at[i];
      if (!t.best || rtt < *t.best) t.best = rtt;
    }
  }
  if (echoes_sent_ == kEchoes && all_answered()) end_round(now);
}

void RelayProber::on_timer(Time now, ClientContext& ctx) {
  remeasure_interval_ = ctx.config.relay_remeasure_interval;
  if (next_round_at_ && now >= *next_round_at_) begin_round(now);
  if (!round_started_) return;
  if (now >= *round_started_ + kRoundTime) {
    end_round(now);
    return;
  }
  while (echoes_sent_ < kEchoes && now >= next_echo_at_) {
    for (Target& t : targets_) {
      t.nonce[echoes_sent_] = ctx.rng.next_u64();
      t.sent_at[echoes_sent_] = now;
      if (!t.stream.is_unset() && ctx.send_to_relay_stream) {
        ctx.send_to_relay_stream(t.stream, t.udp, RelayEcho{t.nonce[echoes_sent_]});
      } else {
        ctx.send_datagram(t.udp, RelayEcho{t.nonce[echoes_sent_]});
      }
    }
    ++echoes_sent_;
    next_echo_at_ = now + kEchoSpacing;
  }
}

std::optional<Time> RelayProber::next_deadline() const {
  if (round_started_) {
    const Time end = *round_started_ + kRoundTime;
    return echoes_sent_ < kEchoes ? std::min(next_echo_at_, end) : end;
  }
  return next_round_at_;
}

std::optional<RelayRtts> RelayProber::take_report() {
  std::optional<RelayRtts> out;
  out.swap(report_);
  return out;
}

void RelayProber::end_round(Time now) {
  RelayRtts report;
  const bool listed_builtin = !list_.relays.empty() && list_.relays.front().id == 0;
  if (over_tcp_ && builtin_rtt_ && listed_builtin) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(*builtin_rtt_).count();
    report.rtts.push_back(RelayRtt{0, static_cast<std::uint32_t>(std::max<std::int64_t>(1, us))});
  }
  for (const Target& t : targets_) {
    if (!t.best) continue;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(*t.best).count();
    report.rtts.push_back(RelayRtt{t.id, static_cast<std::uint32_t>(std::max<std::int64_t>(1, us))});
  }
  report_ = std::move(report);
  round_started_.reset();
  next_round_at_ = now + remeasure_interval_;
}

bool RelayProber::all_answered() const {
  for (const Target& t : targets_) {
    for (bool a : t.answered) {
      if (!a) return false;
    }
  }
  return true;
}

}  // namespace yt
