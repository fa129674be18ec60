// Measures the round trip to each relay the server lists (RelayList) with
// RelayEcho, so the server can give each pair the relay closest to both sides
// (the smallest sum of the two sides' round trips).
//
// A round sends kEchoes echoes to every relay, kEchoSpacing apart, and keeps each
// relay's fastest answer (a queue or a lost datagram only ever adds delay). It ends
// when every echo is answered or kRoundTime after it began; a relay that never
// answered is left out of the report (unreachable from here: the server will not
// pick it for us). Rounds repeat every relay_remeasure_interval, and a new list
// starts one at once.
//
// Over TCP: a client whose UDP is blocked measures instead the relays it can reach
// without UDP: separate relays over their TCP listeners (echoes through
// RelayStreams) and the built-in relay, whose round trip is that of the control
// connection it would use.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "client/core/client_context.h"
#include "protocol/messages.h"
#include "protocol/time.h"

namespace yt {

class RelayProber {
 public:
  static constexpr int kEchoes = 3;
  static constexpr Duration kEchoSpacing = std::chrono::milliseconds(50);
  // Far above any relay worth using; a relay slower than this counts as unreachable.
  static constexpr Duration kRoundTime = std::chrono::seconds(1);

  // A new list from the server. `server_relay` is where the built-in relay (the
  // entry with an unset endpoint) is; without it that entry is not measured.
  void start(Time now, const RelayList& list, std::optional<Endpoint> server_relay);
  // Forgets the list (the connection to the server ended).
  void cancel();
  // Our UDP is blocked: measures the list again over TCP, `builtin_rtt` standing
  // for the built-in relay (the control connection's round trip, if known).
  void remeasure_over_tcp(Time now, std::optional<Duration> builtin_rtt);

  void on_reply(Time now, Endpoint from, const RelayEchoReply& m);
  // Sends the echoes that are due; ends the round when it is over.
  void on_timer(Time now, ClientContext& ctx);
  std::optional<Time> next_deadline() const;

  bool has_list() const { return !list_.relays.empty(); }
  bool over_tcp() const { return over_tcp_; }
  // A round is running: its report is not ready yet.
  bool measuring() const { return round_started_.has_value(); }
  // The report of the round that just ended, once.
  std::optional<RelayRtts> take_report();

 private:
  struct Target {
    std::uint32_t id = 0;
    Endpoint udp;
    Endpoint stream;  // set when measured over the relay's TCP listener
    std::uint64_t nonce[kEchoes] = {};
    Time sent_at[kEchoes] = {};
    bool answered[kEchoes] = {};
    std::optional<Duration> best;
  };
  void begin_round(Time now);
  void end_round(Time now);
  bool all_answered() const;

  std::vector<Target> targets_;
  RelayList list_;
  std::optional<Endpoint> server_relay_;
  bool over_tcp_ = false;
  std::optional<Duration> builtin_rtt_;  // over TCP: the built-in relay's, given
  std::optional<Time> round_started_;
  int echoes_sent_ = 0;  // per target, this round
  Time next_echo_at_{};
  std::optional<Time> next_round_at_;
  Duration remeasure_interval_ = std::chrono::minutes(10);
  std::optional<RelayRtts> report_;
};

}  // namespace yt
