// The Prometheus text exposition format (version 0.0.4), written once for every
// metrics page (server, relay, daemon): a family's HELP and TYPE lines, samples,
// and label values escaped. Formatting only; serving is platform/metrics_http.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace yt {

// "# HELP name help" and "# TYPE name type" (counter, gauge, histogram).
inline void prometheus_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// One sample line; `series` is the name, with its {labels} when it has any.
inline void prometheus_sample(std::string& out, std::string_view series, std::uint64_t value) {
  out.append(series).append(" ").append(std::to_string(value)).append("\n");
}

// A family of one unlabelled sample.
inline void prometheus_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                              std::uint64_t value) {
  prometheus_header(out, name, type, help);
  prometheus_sample(out, name, value);
}

// `value` as a label value: backslash, double quote and line feed escaped.
inline std::string prometheus_label_value(std::string_view value) {
  std::string out;
  for (char ch : value) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace yt
