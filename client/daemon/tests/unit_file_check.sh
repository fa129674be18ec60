#!/usr/bin/env bash
# Checks yellowtaild.service with systemd-analyze verify, pointing ExecStart at the
# built daemon. Exit 77 (skipped) where systemd-analyze is not installed.
set -euo pipefail
unit=${1:?usage: unit_file_check.sh UNIT_FILE DAEMON_BIN}
daemon=${2:?}
command -v systemd-analyze >/dev/null || { echo "SKIPPED: systemd-analyze is not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/yellowtaild|$daemon|" "$unit" >"$dir/yellowtaild.service"
out=$(systemd-analyze verify "$dir/yellowtaild.service" 2>&1) || { echo "$out"; exit 1; }
# verify also warns about things outside the unit (other units on this machine);
# only lines naming our unit count.
if grep -q "yellowtaild.service" <<<"$out"; then echo "$out"; exit 1; fi
echo "yellowtaild.service: ok"
