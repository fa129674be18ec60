#!/usr/bin/env bash
# The include check must pass on the tree and must fail on a core file that
# includes a socket header or reads the clock; otherwise it guards nothing.
set -u
check="$(dirname "$0")/../../scripts/check_core_includes.sh"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

"$check" >/dev/null || { echo "FAIL: the check rejects the repository itself"; "$check"; exit 1; }

mkdir -p "$root/protocol" "$root/client/core"
echo '#include <vector>' > "$root/protocol/fine.h"
"$check" "$root" >/dev/null || { echo "FAIL: a clean tree was rejected"; exit 1; }

echo '#include <sys/socket.h>' > "$root/protocol/bad.h"
if "$check" "$root" >/dev/null; then echo "FAIL: a socket include in protocol/ passed"; exit 1; fi
rm "$root/protocol/bad.h"

echo 'auto t = std::chrono::steady_clock::now();' > "$root/client/core/clock.cpp"
if "$check" "$root" >/dev/null; then echo "FAIL: a clock read in client/core passed"; exit 1; fi
echo "include check test: ok"
