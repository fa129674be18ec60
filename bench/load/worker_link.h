// The line protocol between yellowtail-load and its worker processes, over a pair
// of pipes. A worker runs a slice of the clients (one process holds at most as
// many sockets as its descriptor limit allows); the coordinator starts each phase
// in every worker and adds up what they report. One message per line, words
// separated by spaces:
//   coordinator -> worker   "<phase>"                    start that phase
//   worker -> coordinator   "count <phase> <n>"          progress in the phase
//                           "sample <name> <seconds>..." latencies, at the phase's end
//                           "value <name> <n>"           a total, at the phase's end
//                           "done <phase>"               the phase is over here
//                           "error <text>"               the worker gives up
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace yt::load {

class LineReader {
 public:
  // Reads what is available on the non-blocking `fd`; false on end of file or error.
  bool fill(int fd);
  // The next complete line, without its newline.
  std::optional<std::string> next();

 private:
  std::string buffer_;
};

// Writes `line` and a newline, all of it (the pipe blocks when full). False on error.
bool write_line(int fd, const std::string& line);

std::vector<std::string> split_words(const std::string& line);

}  // namespace yt::load
