// The process's open-file limit, which bounds how many connections a server can hold.
#pragma once

#include <cstddef>

namespace yt {

// Raises the soft RLIMIT_NOFILE to the hard limit (a server's connections are file
// descriptors; the default soft limit of 1024 is a desktop's, not a server's) and
// returns the soft limit now in force.
std::size_t raise_fd_limit();
// The soft limit in force.
std::size_t fd_limit();

}  // namespace yt
