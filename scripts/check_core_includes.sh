#!/usr/bin/env bash
# The one architectural rule (docs/architecture.md section 1), checked mechanically: core code
# includes no Asio/Boost, ns-3, socket or OS header, reads no clock, draws no OS
# randomness and starts no thread. Exits non-zero and names each offending line.
set -uo pipefail
# Usage: check_core_includes.sh [ROOT]  (default: this repository)
cd "${1:-$(dirname "$0")/..}"
core_dirs=(protocol nat-models client/core server/core server/relay)
existing=()
for d in "${core_dirs[@]}"; do [[ -d $d ]] && existing+=("$d"); done

forbidden_includes='#[[:space:]]*include[[:space:]]*[<"](boost/|asio|ns3/|sys/|netinet/|arpa/|unistd\.h|linux/|fcntl\.h|thread>|mutex>|future>|condition_variable>|random>|ctime>|time\.h>|sqlite3\.h|poll\.h|signal\.h)'
forbidden_calls='steady_clock::now|system_clock::now|high_resolution_clock::now|std::random_device|randombytes_|std::thread|[^_a-z]rand\(|[^_a-z]time\(nullptr\)|gettimeofday|clock_gettime'

status=0
if hits=$(grep -rnE "$forbidden_includes" "${existing[@]}" --include='*.h' --include='*.cpp'); then
  echo "core code includes an I/O, OS or threading header:"; echo "$hits"; status=1
fi
if hits=$(grep -rnE "$forbidden_calls" "${existing[@]}" --include='*.h' --include='*.cpp'); then
  echo "core code reads a clock, draws OS randomness or starts a thread:"; echo "$hits"; status=1
fi
if ((status == 0)); then echo "core include check: ok (${existing[*]})"; fi
exit $status
