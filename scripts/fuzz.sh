#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ in build-fuzz/ (clang-14, ASan + UBSan) and
# runs each for a bounded time on a copy of its checked-in corpus, two at a time.
# Exit status is non-zero when any target crashed, leaked, ran out of memory or
# timed out. See --help.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(control_frame_fuzz datagram_fuzz handshake_fuzz stream_framer_fuzz ip_packet_fuzz
             nat_packet_fuzz daemon_config_fuzz control_request_fuzz relay_core_fuzz federation_fuzz
             tun_offload_fuzz port_mapping_fuzz)

usage() {
  cat <<EOF
usage: scripts/fuzz.sh [--make-seeds] [TARGET...]

Builds the fuzz targets in build-fuzz/ (configured once, with clang-14 and
-fsanitize=fuzzer,address,undefined) and runs each TARGET (default: all) for
FUZZ_SECONDS seconds (default 20) on a temporary copy of fuzz/corpus/TARGET/, two
at a time. Prints one line per target with its number of executions and PASS or
FAIL; a FAIL shows the end of the target's log and where the crashing input was
written. Exit status 1 if any target failed.

  --make-seeds   rebuild and rerun make_seeds, which rewrites the generated seeds
                 in fuzz/corpus/ from the real encoders (regression-* seeds stay),
                 then exit without fuzzing
  -h, --help     this text

Environment: FUZZ_SECONDS (default 20), FUZZ_JOBS (targets at once, default 2).
Targets: ${all_targets[*]}
To reproduce a failure: build-fuzz/fuzz/TARGET CRASH_FILE
EOF
}

make_seeds=0
targets=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --make-seeds) make_seeds=1 ;;
    -*) echo "fuzz: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    *)
      if [[ " ${all_targets[*]} " != *" $arg "* ]]; then
        echo "fuzz: unknown target '$arg' (see --help)" >&2
        exit 2
      fi
      targets+=("$arg")
      ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: FUZZ_SECONDS must be a positive integer" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: FUZZ_JOBS must be a positive integer" >&2; exit 2; }

scripts/setup.sh
if [[ ! -f build-fuzz/build.ninja ]]; then
  # Debug keeps assert() live; -O1 is libFuzzer's usual trade of speed for build time.
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" \
    -DYT_BUILD_FUZZ=ON -DYT_BUILD_EMULATION=OFF -DYT_BUILD_BENCH=OFF >/dev/null
fi
echo "fuzz: building ${#all_targets[@]} fuzz targets in build-fuzz/" >&2
cmake --build build-fuzz -j"$(nproc)" --target fuzzers

if ((make_seeds)); then
  exec build-fuzz/fuzz/make_seeds fuzz/corpus
fi

work=$(mktemp -d /tmp/yt-fuzz.XXXXXX)
artifacts=$(mktemp -d /tmp/yt-fuzz-artifacts.XXXXXX)
declare -A target_of=()  # running fuzzer pid -> target
declare -A rc_of=()
cleanup() {
  local pid
  for pid in "${!target_of[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  rmdir "$artifacts" 2>/dev/null || true  # kept only when it holds a crash
}
trap cleanup EXIT

# The sanitizers abort on the first report so libFuzzer keeps the input.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_target() {
  local t=$1 extra=()
  mkdir -p "$work/corpus/$t"
  cp -r "fuzz/corpus/$t/." "$work/corpus/$t/"
  # The framer's frames go up to 64 KiB; the other inputs are small by nature.
  [[ $t == stream_framer_fuzz ]] && extra=(-max_len=70000)
  exec "build-fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t-" "${extra[@]}" "$work/corpus/$t" >"$work/$t.log" 2>&1
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time" >&2
# run_target execs the fuzzer, so $! is the fuzzer itself and cleanup can stop it.
start() {
  run_target "$1" &
  target_of[$!]=$1
}
reap() {
  local pid rc=0
  wait -n -p pid || rc=$?
  rc_of[${target_of[$pid]}]=$rc
  unset "target_of[$pid]"
}
for t in "${targets[@]}"; do
  ((${#target_of[@]} < jobs)) || reap
  start "$t"
done
while ((${#target_of[@]})); do reap; done

declare -A status=()
failed=0
for t in "${targets[@]}"; do
  rc=${rc_of[$t]}
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$work/$t.log" | tail -1)
  if [[ $rc == 0 ]]; then
    status[$t]=PASS
  else
    status[$t]=FAIL
    failed=1
  fi
  printf '%-22s %10s executions  %s\n' "$t" "${runs:-?}" "${status[$t]}"
done

for t in "${targets[@]}"; do
  [[ ${status[$t]} == FAIL ]] || continue
  echo
  echo "---- $t (exit ${rc_of[$t]}): end of its log"
  tail -n 40 "$work/$t.log"
done
if ((failed)); then
  echo
  echo "fuzz: FAILED; crashing inputs in $artifacts (reproduce: build-fuzz/fuzz/TARGET FILE)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
