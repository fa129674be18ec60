#include "protocol/driver_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "protocol/time.h"

namespace yt {
namespace {

// Outputs of the fake core. Feed asks the driver to hand the core an input, the way
// a synchronously refused connect does in ns-3.
struct Note {
  std::string text;
};
struct Feed {
  int input = 0;
};

class FakeCore {
 public:
  using Output = std::variant<Note, Feed>;

  void emit(Output output) { outputs_.push_back(std::move(output)); }
  // An input: "<n>" noted, and, while n > 0, another Feed with n - 1. Each input
  // also moves the deadline, so the final one is the last input's.
  void on_input(int n) {
    emit(Note{"in" + std::to_string(n)});
    if (n > 0) emit(Feed{n - 1});
    deadline_ = time_from_us(1000 + n);
  }
  void set_deadline(std::optional<Time> deadline) { deadline_ = deadline; }

  std::vector<Output> drain_outputs() {
    ++drains;
    std::vector<Output> out;
    out.swap(outputs_);
    return out;
  }
  std::optional<Time> next_deadline() const { return deadline_; }

  int drains = 0;

 private:
  std::vector<Output> outputs_;
  std::optional<Time> deadline_;
};

// A driver as the real ones are written: every input is followed by pump().
class FakeDriver {
 public:
  explicit FakeDriver(FakeCore& core) : core_(core) {}

  void pump() {
    ++pump_calls;
    loop_.pump(core_,
               Overloaded{
                   [this](Note& n) {
                     performed.push_back(n.text);
                     max_depth = std::max(max_depth, ++depth_);
                     --depth_;
                   },
                   [this](Feed& f) {
                     performed.push_back("feed" + std::to_string(f.input));
                     ++depth_;
                     max_depth = std::max(max_depth, depth_);
                     core_.on_input(f.input);
                     pump();
                     --depth_;
                   },
               },
               [this](std::optional<Time> deadline) {
                 EXPECT_FALSE(loop_.pumping());
                 rearms.push_back(deadline);
               });
  }

  std::vector<std::string> performed;
  std::vector<std::optional<Time>> rearms;
  int pump_calls = 0;
  int max_depth = 0;

 private:
  FakeCore& core_;
  DriverLoop loop_;
  int depth_ = 0;
};

TEST(DriverLoop, PerformsOutputsInOrderThenRearmsOnce) {
  FakeCore core;
  core.emit(Note{"a"});
  core.emit(Note{"b"});
  core.emit(Note{"c"});
  core.set_deadline(time_from_us(42));
  FakeDriver driver(core);
  driver.pump();
  EXPECT_EQ(driver.performed, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(driver.rearms.size(), 1u);
  EXPECT_EQ(driver.rearms[0], time_from_us(42));
  EXPECT_EQ(core.drains, 2);  // the outputs, then the empty drain that ends the loop
}

TEST(DriverLoop, RearmsEvenWithoutOutputs) {
  // An input may move the deadline without producing anything to perform.
  FakeCore core;
  core.set_deadline(time_from_us(7));
  FakeDriver driver(core);
  driver.pump();
  EXPECT_TRUE(driver.performed.empty());
  ASSERT_EQ(driver.rearms.size(), 1u);
  EXPECT_EQ(driver.rearms[0], time_from_us(7));
}

TEST(DriverLoop, PassesNoDeadlineThrough) {
  FakeCore core;
  core.emit(Note{"a"});
  FakeDriver driver(core);
  driver.pump();
  ASSERT_EQ(driver.rearms.size(), 1u);
  EXPECT_EQ(driver.rearms[0], std::nullopt);
}

TEST(DriverLoop, FoldsReentrantPumpsIntoTheRunningLoop) {
  FakeCore core;
  core.emit(Feed{2});
  core.emit(Note{"after"});
  FakeDriver driver(core);
  driver.pump();
  // Each Feed's outputs come after the rest of the batch it arrived in, and in the
  // same outermost pump.
  EXPECT_EQ(driver.performed,
            (std::vector<std::string>{"feed2", "after", "in2", "feed1", "in1", "feed0", "in0"}));
  EXPECT_EQ(driver.pump_calls, 4);  // the outer one and one per Feed, each returning at once
  EXPECT_EQ(driver.max_depth, 1);   // no handler ran inside another
  ASSERT_EQ(driver.rearms.size(), 1u);
  EXPECT_EQ(driver.rearms[0], time_from_us(1000));  // the last input's deadline
  EXPECT_TRUE(core.drain_outputs().empty());
}

TEST(DriverLoop, EachOutermostPumpRearmsOnce) {
  FakeCore core;
  FakeDriver driver(core);
  core.on_input(1);
  driver.pump();
  core.set_deadline(std::nullopt);
  core.emit(Note{"x"});
  driver.pump();
  EXPECT_EQ(driver.rearms, (std::vector<std::optional<Time>>{time_from_us(1000), std::nullopt}));
}

TEST(DriverLoop, ThrowingHandlerDoesNotLeaveTheLoopStuck) {
  struct Throwing {
    void operator()(Note&) const { throw std::runtime_error("perform failed"); }
    void operator()(Feed&) const {}
  };
  FakeCore core;
  DriverLoop loop;
  core.emit(Note{"a"});
  int rearms = 0;
  auto rearm = [&rearms](std::optional<Time>) { ++rearms; };
  EXPECT_THROW(loop.pump(core, Throwing{}, rearm), std::runtime_error);
  EXPECT_FALSE(loop.pumping());

  core.emit(Feed{0});
  loop.pump(core, Throwing{}, rearm);
  EXPECT_EQ(rearms, 1);
  EXPECT_TRUE(core.drain_outputs().empty());
}

}  // namespace
}  // namespace yt
