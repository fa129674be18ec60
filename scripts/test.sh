#!/usr/bin/env bash
# Sets up what is missing, builds, and runs every test: unit, simulated, loopback,
# ns-3 and (as root) network-namespace tests, then the test binaries again under
# ASan+UBSan (scripts/sanitize.sh), then every libFuzzer target for 20 s each
# (scripts/fuzz.sh). Exit status is the suite's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
scripts/check_core_includes.sh
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 600)
scripts/sanitize.sh
scripts/fuzz.sh
