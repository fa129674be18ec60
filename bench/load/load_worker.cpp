#include "bench/load/load_worker.h"

#include <fcntl.h>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "bench/load/load_clients.h"
#include "bench/load/worker_link.h"
#include "platform/system_random.h"

namespace yt::load {
namespace {

using namespace std::chrono_literals;

constexpr auto kReportEvery = 200ms;
constexpr char kPassword[] = "load";

std::string network_of(std::size_t global, std::size_t size) { return "load-" + std::to_string(global / size); }

std::string samples_line(const std::string& name, const std::vector<double>& seconds) {
  std::string line = "sample " + name;
  char value[32];
  for (double s : seconds) {
    std::snprintf(value, sizeof value, " %.6f", s);
    line += value;
  }
  return line;
}

class Worker {
 public:
  Worker(const WorkerSlice& slice, int reports_fd) : slice_(slice), reports_(reports_fd), clients_(io_, rng_) {}

  bool create() {
    auto made = clients_.create(slice_.first, slice_.count, slice_.server, slice_.server_key);
    if (!made) return report("error " + made.error()), false;
    return report("ready");
  }

  // Runs the loop for a moment; false when the phase asked for is unknown.
  void step() {
    io_.restart();
    io_.run_for(10ms);
  }

  bool start(const std::string& phase) {
    if (phase == "stop") {
      describe_stragglers();
      for (std::size_t k = 0; k < clients_.size(); ++k) clients_[k].driver->stop();
      step();
      return false;
    }
    phase_ = phase;
    next_report_ = Clock::now();
    if (phase == "login" || phase == "restart") {
      clients_.start_all();  // sets `started`, clears `synced` (a running core just keeps running)
    } else if (phase == "networks") {
      creating_ = true;
      for (std::size_t k = 0; k < clients_.size(); ++k) {
        const std::size_t global = slice_.first + k;
        if (global % slice_.network_size == 0) {
          expected_requests_ += clients_.create_network(k, network_of(global, slice_.network_size), kPassword) ? 1 : 0;
        }
      }
    } else if (phase == "tunnels") {
      expected_sides_ = 0;
      for (std::size_t k = 0; k < clients_.size(); k += slice_.network_size) {
        const std::size_t members = std::min(slice_.network_size, clients_.size() - k);
        expected_sides_ += members * (members - 1);
      }
    } else {
      report("error unknown phase " + phase);
      return false;
    }
    return true;
  }

  // Progress of the running phase: reports, and ends it when complete.
  void watch() {
    if (phase_.empty()) return;
    const std::size_t n = progress();
    if (Clock::now() >= next_report_) {
      report("count " + phase_ + " " + std::to_string(n));
      next_report_ = Clock::now() + kReportEvery;
    }
    if (phase_ == "networks" && creating_ && requests_done() >= expected_requests_) {
      creating_ = false;  // every create answered: the members join now
      for (std::size_t k = 0; k < clients_.size(); ++k) {
        const std::size_t global = slice_.first + k;
        if (global % slice_.network_size != 0) {
          expected_requests_ += clients_.join_network(k, network_of(global, slice_.network_size), kPassword) ? 1 : 0;
        }
      }
      return;
    }
    if (n < target()) return;
    report("count " + phase_ + " " + std::to_string(n));
    finish();
    report("done " + phase_);
    phase_.clear();
  }

 private:
  // A phase that did not complete: what the first few clients left behind were
  // doing, on stderr, so a storm's stragglers can be understood.
  void describe_stragglers() const {
    if (phase_ != "login" && phase_ != "restart") return;
    int shown = 0;
    for (std::size_t k = 0; k < clients_.size() && shown < 5; ++k) {
      const LoadClient& c = clients_[k];
      if (c.synced) continue;
      ++shown;
      const ClientStats& s = c.driver->core().stats();
      std::fprintf(stderr,
                   "    not back: client %zu, state %s, %llu reconnects, %llu busy, %llu other login failures, "
                   "last: %s\n",
                   slice_.first + k, to_string(c.driver->core().state()),
                   static_cast<unsigned long long>(s.reconnects), static_cast<unsigned long long>(c.busy),
                   static_cast<unsigned long long>(c.login_failures), c.last_failure.c_str());
    }
  }
  std::size_t requests_done() const {
    std::size_t n = 0;
    for (std::size_t k = 0; k < clients_.size(); ++k) n += clients_[k].done.size();
    return n;
  }
  std::size_t sides_up() const {
    std::size_t n = 0;
    for (std::size_t k = 0; k < clients_.size(); ++k) n += clients_[k].tunnels_up;
    return n;
  }
  std::size_t progress() const {
    if (phase_ == "login" || phase_ == "restart") return clients_.synced();
    if (phase_ == "networks") return requests_done();
    if (phase_ == "tunnels") return sides_up();
    return 0;
  }
  std::size_t target() const {
    if (phase_ == "login" || phase_ == "restart") return clients_.size();
    if (phase_ == "networks") return creating_ ? static_cast<std::size_t>(-1) : expected_requests_;
    if (phase_ == "tunnels") return expected_sides_;
    return 0;
  }
  void finish() {
    if (phase_ == "login" || phase_ == "restart") {
      std::vector<double> latency;
      std::uint64_t busy = 0;
      for (std::size_t k = 0; k < clients_.size(); ++k) {
        LoadClient& c = clients_[k];
        if (c.started && c.synced) latency.push_back(std::chrono::duration<double>(*c.synced - *c.started).count());
        busy += c.busy;
        c.busy = 0;
      }
      report(samples_line(phase_, latency));
      report("value busy " + std::to_string(busy));
    } else if (phase_ == "networks") {
      std::vector<double> creates, joins;
      std::size_t refused = 0;
      for (std::size_t k = 0; k < clients_.size(); ++k) {
        const LoadClient& c = clients_[k];
        const bool creator = (slice_.first + k) % slice_.network_size == 0;
        for (std::size_t r = 0; r < c.done.size(); ++r) {
          (creator ? creates : joins).push_back(c.request_seconds[r]);
          refused += c.done[r].second == ReplyCode::kOk ? 0 : 1;
        }
      }
      report(samples_line("create", creates));
      report(samples_line("join", joins));
      report("value refused " + std::to_string(refused));
    }
  }
  bool report(const std::string& line) { return write_line(reports_, line); }

  WorkerSlice slice_;
  int reports_;
  boost::asio::io_context io_;
  SystemRandom rng_;
  LoadClients clients_;
  std::string phase_;
  Clock::time_point next_report_{};
  bool creating_ = false;
  std::size_t expected_requests_ = 0;
  std::size_t expected_sides_ = 0;
};

}  // namespace

int run_worker(const WorkerSlice& slice, int commands_fd, int reports_fd) {
  if (!SystemRandom::init()) return write_line(reports_fd, "error cannot initialize libsodium"), 1;
  ::fcntl(commands_fd, F_SETFL, ::fcntl(commands_fd, F_GETFL) | O_NONBLOCK);
  Worker worker(slice, reports_fd);
  if (!worker.create()) return 1;
  LineReader commands;
  for (;;) {
    worker.step();
    const bool open = commands.fill(commands_fd);
    while (auto line = commands.next()) {
      if (!worker.start(*line)) return *line == "stop" ? 0 : 1;
    }
    if (!open) return 1;  // the coordinator went away without saying stop
    worker.watch();
  }
}

}  // namespace yt::load
