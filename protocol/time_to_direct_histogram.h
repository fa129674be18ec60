// Time to direct (docs/architecture.md section 5) as a Prometheus histogram, one
// owner for both the daemon's (its own tunnels, client/daemon/client_metrics.h)
// and the server's (the negotiations its clients report, server/core/
// server_metrics.h). Plain counts: no clock, no lock; formatting is text().
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "protocol/time.h"

namespace yt {

class TimeToDirectHistogram {
 public:
  // Upper bounds, seconds; +Inf follows. A punch takes a few round trips after
  // the start delay (~0.1 to 1 s); a re-planned pair's may take its whole window.
  static constexpr std::array<double, 8> kBounds = {0.1, 0.25, 0.5, 1, 2, 5, 10, 30};
  void observe(Duration d);
  std::uint64_t count() const;
  // The text format (0.0.4): HELP, TYPE, cumulative buckets, sum and count of
  // metric `name`.
  std::string text(const std::string& name, const std::string& help) const;

 private:
  std::array<std::uint64_t, kBounds.size() + 1> counts_{};  // per bucket, not cumulative
  double sum_ = 0;
};

}  // namespace yt
