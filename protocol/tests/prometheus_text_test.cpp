// The Prometheus text format writer (protocol/prometheus_text.h).
#include "protocol/prometheus_text.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(PrometheusText, FamiliesSamplesAndEscapedLabels) {
  std::string out;
  prometheus_metric(out, "yt_things_total", "counter", "Things counted.", 42);
  prometheus_header(out, "yt_pairs", "gauge", "Pairs by class.");
  prometheus_sample(out, "yt_pairs{class=\"" + prometheus_label_value("a\"b") + "\"}", 7);
  EXPECT_EQ(out,
            "# HELP yt_things_total Things counted.\n# TYPE yt_things_total counter\nyt_things_total 42\n"
            "# HELP yt_pairs Pairs by class.\n# TYPE yt_pairs gauge\nyt_pairs{class=\"a\\\"b\"} 7\n");
  EXPECT_EQ(prometheus_label_value("eim+adm"), "eim+adm");
  EXPECT_EQ(prometheus_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace yt
