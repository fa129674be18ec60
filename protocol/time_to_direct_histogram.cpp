#include "protocol/time_to_direct_histogram.h"

#include <cstdio>

#include "protocol/prometheus_text.h"

namespace yt {
namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

void TimeToDirectHistogram::observe(Duration d) {
  const double s = std::chrono::duration<double>(d).count();
  std::size_t k = 0;
  while (k < kBounds.size() && s > kBounds[k]) ++k;
  ++counts_[k];
  sum_ += s;
}

std::uint64_t TimeToDirectHistogram::count() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : counts_) n += c;
  return n;
}

std::string TimeToDirectHistogram::text(const std::string& name, const std::string& help) const {
  std::string out;
  prometheus_header(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t k = 0; k < kBounds.size(); ++k) {
    cumulative += counts_[k];
    out += name + "_bucket{le=\"" + number(kBounds[k]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += counts_.back();
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  out += name + "_sum " + number(sum_) + "\n";
  out += name + "_count " + std::to_string(cumulative) + "\n";
  return out;
}

}  // namespace yt
