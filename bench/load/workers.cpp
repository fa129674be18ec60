#include "bench/load/workers.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace yt::load {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

Workers::~Workers() { stop(); }

Status<std::string> Workers::start(const std::vector<WorkerSlice>& slices, double timeout) {
  for (const WorkerSlice& slice : slices) {
    int down[2], up[2];  // coordinator -> worker, worker -> coordinator
    if (::pipe2(down, O_CLOEXEC) != 0) return Err{std::string("pipe failed")};
    if (::pipe2(up, O_CLOEXEC) != 0) {
      ::close(down[0]);
      ::close(down[1]);
      return Err{std::string("pipe failed")};
    }
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid < 0) return Err{std::string("fork failed")};
    if (pid == 0) {
      ::close(down[1]);
      ::close(up[0]);
      for (const Worker& w : workers_) {  // the other workers' pipes are not ours
        ::close(w.commands);
        ::close(w.reports);
      }
      ::_exit(run_worker(slice, down[0], up[1]));
    }
    ::close(down[0]);
    ::close(up[1]);
    ::fcntl(up[0], F_SETFL, ::fcntl(up[0], F_GETFL) | O_NONBLOCK);
    Worker w;
    w.pid = pid;
    w.commands = down[1];
    w.reports = up[0];
    workers_.push_back(std::move(w));
  }
  std::size_t ready = 0;
  std::string error;
  const Clock::time_point started = Clock::now();
  while (ready < workers_.size() && error.empty() && since(started) < timeout) {
    poll(100, [&](Worker& w, const std::vector<std::string>& words) {
      if (words[0] == "ready") ++ready;
      if (words[0] == "error" || words[0] == "gone") {
        w.failed = true;
        error = words.size() > 1 ? words[1] : "a worker exited";
        for (std::size_t k = 2; k < words.size(); ++k) error += " " + words[k];
      }
    });
  }
  if (!error.empty()) return Err{"worker: " + error};
  if (ready < workers_.size()) return Err{std::string("the workers did not make their clients in time")};
  return Ok{};
}

void Workers::poll(int wait_ms, const std::function<void(Worker&, const std::vector<std::string>&)>& line) {
  std::vector<pollfd> fds;
  for (const Worker& w : workers_) fds.push_back(pollfd{w.reports, POLLIN, 0});
  ::poll(fds.data(), fds.size(), wait_ms);
  for (Worker& w : workers_) {
    if (w.failed) continue;
    const bool open = w.reader.fill(w.reports);
    while (auto text = w.reader.next()) {
      std::vector<std::string> words = split_words(*text);
      if (!words.empty()) line(w, words);
    }
    if (!open && !w.failed) {
      w.failed = true;
      line(w, {"gone"});
    }
  }
}

PhaseResult Workers::run(const std::string& phase, std::size_t target, double timeout, const std::string& what,
                         const std::function<void()>& meanwhile) {
  PhaseResult result;
  for (Worker& w : workers_) {
    w.progress = 0;
    w.done = false;
    if (!w.failed) write_line(w.commands, phase);
  }
  if (meanwhile) meanwhile();
  const Clock::time_point started = Clock::now();
  Clock::time_point next_print = started + std::chrono::seconds(2);
  auto all_done = [&] {
    for (const Worker& w : workers_) {
      if (!w.done) return false;
    }
    return true;
  };
  bool failed = false;
  while (!all_done() && !failed && since(started) < timeout) {
    poll(50, [&](Worker& w, const std::vector<std::string>& words) {
      const std::string& kind = words[0];
      if (kind == "count" && words.size() == 3) {
        w.progress = std::strtoull(words[2].c_str(), nullptr, 10);
      } else if (kind == "sample" && words.size() >= 2) {
        std::vector<double>& into = result.samples[words[1]];
        for (std::size_t k = 2; k < words.size(); ++k) into.push_back(std::strtod(words[k].c_str(), nullptr));
      } else if (kind == "value" && words.size() == 3) {
        result.values[words[1]] += std::strtoull(words[2].c_str(), nullptr, 10);
      } else if (kind == "done") {
        w.done = true;
      } else if (kind == "error" || kind == "gone") {
        std::string text;
        for (std::size_t k = 1; k < words.size(); ++k) text += " " + words[k];
        std::printf("    a worker failed:%s\n", text.empty() ? " it exited" : text.c_str());
        failed = true;
      }
    });
    if (Clock::now() >= next_print) {
      std::size_t sum = 0;
      for (const Worker& w : workers_) sum += w.progress;
      std::printf("    %s: %zu/%zu after %.0f s\n", what.c_str(), sum, target, since(started));
      std::fflush(stdout);
      next_print += std::chrono::seconds(2);
    }
  }
  result.seconds = since(started);
  for (const Worker& w : workers_) result.progress += w.progress;
  result.complete = all_done() && !failed;
  return result;
}

void Workers::stop() {
  for (Worker& w : workers_) {
    if (w.commands >= 0) {
      write_line(w.commands, "stop");
      ::close(w.commands);
      w.commands = -1;
    }
  }
  for (Worker& w : workers_) {
    const Clock::time_point started = Clock::now();
    int status = 0;
    while (w.pid > 0 && ::waitpid(w.pid, &status, WNOHANG) == 0) {
      if (since(started) > 5) {
        ::kill(w.pid, SIGKILL);
        ::waitpid(w.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    w.pid = -1;
    if (w.reports >= 0) ::close(w.reports);
    w.reports = -1;
  }
  workers_.clear();
}

}  // namespace yt::load
