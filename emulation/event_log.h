// A simulation-wide, time-stamped log of what the nodes did. Scenarios print it;
// the determinism test compares two runs of it byte for byte.
#pragma once

#include <ns3/simulator.h>

#include <cstdio>
#include <string>
#include <vector>

namespace yt::emulation {

class EventLog {
 public:
  void add(const std::string& node, const std::string& text) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%10.6f", ns3::Simulator::Now().GetSeconds());
    lines_.push_back(std::string(stamp) + " " + node + ": " + text);
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

}  // namespace yt::emulation
