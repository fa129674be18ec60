// What yellowtaild remembers across restarts besides its key: whether it is logged
// out (and why, when it was not the user), the nickname they last set, and which
// networks they took offline.
// Kept as JSON in <state_dir>/state.json (mode 0600), rewritten atomically on every
// change, so a restart (or a crash) resumes as the user left it.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "protocol/result.h"

namespace yt {

struct DaemonState {
  bool logged_out = false;
  std::string nickname;  // empty: use the configured one
  std::set<std::string> offline_networks;
  std::string logout_reason;  // empty: logged in, or the user logged out
  // The UDP port we last had, when the configuration leaves it to the system: bound
  // again at the next start, so NAT mappings (ours and peers' filters) still lead
  // to us and cached tunnels resume as they were. 0: none yet.
  std::uint16_t udp_port = 0;

  friend bool operator==(const DaemonState& a, const DaemonState& b) {
    return a.logged_out == b.logged_out && a.nickname == b.nickname && a.offline_networks == b.offline_networks &&
           a.logout_reason == b.logout_reason && a.udp_port == b.udp_port;
  }
};

// The file is small by construction; anything much larger is not ours.
constexpr std::size_t kMaxStateFileSize = 1 << 20;

// Loads `path`; a missing file is a fresh state. A file that is not valid state is
// an error naming the file (the user decides whether to delete it).
Result<DaemonState, std::string> load_daemon_state(const std::string& path);
Status<std::string> save_daemon_state(const std::string& path, const DaemonState& state);

}  // namespace yt
