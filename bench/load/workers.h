// The coordinator's side of the worker processes (load_worker.h): forks them,
// starts each phase in all of them, and adds up their progress and results.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/load/load_worker.h"
#include "bench/load/worker_link.h"
#include "protocol/result.h"

namespace yt::load {

struct PhaseResult {
  bool complete = false;
  double seconds = 0;                                   // from the start to the last "done"
  std::map<std::string, std::vector<double>> samples;   // by name, all workers
  std::map<std::string, std::uint64_t> values;          // by name, summed
  std::size_t progress = 0;                             // summed, at the end
};

class Workers {
 public:
  Workers() = default;
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  // Forks one worker per slice and waits (at most `timeout` s) until each has
  // made its clients.
  Status<std::string> start(const std::vector<WorkerSlice>& slices, double timeout);
  // Starts `phase` in every worker, runs `meanwhile` (if any: e.g. the server's
  // crash and restart, while the workers watch), then waits until all are done
  // with it or `timeout` seconds passed, printing "what: progress/target" every 2 s.
  PhaseResult run(const std::string& phase, std::size_t target, double timeout, const std::string& what,
                  const std::function<void()>& meanwhile = {});
  // "stop", then reaps them (SIGKILL after 5 s).
  void stop();

 private:
  struct Worker {
    pid_t pid = -1;
    int commands = -1;  // we write
    int reports = -1;   // we read, non-blocking
    LineReader reader;
    std::size_t progress = 0;
    bool done = false;
    bool failed = false;
  };
  // Reads every worker's reports for up to `wait_ms`; calls `line` for each.
  void poll(int wait_ms, const std::function<void(Worker&, const std::vector<std::string>&)>& line);

  std::vector<Worker> workers_;
};

}  // namespace yt::load
