#!/usr/bin/env bash
# Sets up what is missing, builds, and runs the main job: the simulated demo (a
# server and two clients in ns-3 building a direct tunnel), printing what happened.
# Extra arguments go to `yellowtail-sim demo` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh >/dev/null
exec build/emulation/yellowtail-sim demo "$@"
