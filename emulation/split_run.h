// One simulation run by two processes, one per core (link_windows.h says how the
// network is cut). Both build the whole network, then fork: the parent runs
// partition 0 (the server, its relays and control nodes, about half of the
// households), the child partition 1 (the other households). After every window
// of simulated time each posts what crossed to the other, through a socket pair;
// at the end of the run the child reports to the parent and ends.
#pragma once

#include <sys/types.h>

#include <string>

#include "protocol/result.h"

namespace yt::emulation {

class SplitRun {
 public:
  // Forks. In the child, partition() is 1.
  static Result<SplitRun, std::string> Fork();
  SplitRun(SplitRun&& other) noexcept;
  SplitRun& operator=(SplitRun&&) = delete;
  SplitRun(const SplitRun&) = delete;
  ~SplitRun();  // closes the socket; the parent then waits for the child

  int partition() const { return child_ == 0 ? 1 : 0; }
  // Sends `message` whole. While the other process is not reading, what it sends
  // is read into memory meanwhile, so two posts at once never block each other.
  // False when the other process is gone.
  bool Post(const std::string& message);
  // The other process's next message, in the order it posted them; waits for it.
  // An error when the other process is gone.
  Result<std::string, std::string> Take();
  // The parent: waits for the child's end; whether it exited with status 0.
  bool WaitChild();
  // The child's end, with status 0 when `ok` (it never returns).
  [[noreturn]] static void EndChild(bool ok);

 private:
  SplitRun(int fd, pid_t child) : fd_(fd), child_(child) {}
  // Reads what is there (waiting for something if `wait`) into inbox_. False at
  // the end of the stream or an error.
  bool Pull(bool wait);
  std::string Gone() const;

  int fd_ = -1;
  pid_t child_ = 0;    // 0 in the child
  std::string inbox_;  // read, not yet taken
  std::size_t inbox_start_ = 0;
};

}  // namespace yt::emulation
