#!/usr/bin/env bash
# Builds the test binaries in a second tree (build-asan/) with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs them there. Any sanitizer report aborts its
# test, so the exit status is non-zero. Binaries that only wrap others (the Python
# module, the nat-matrix guard, the netns test) are left to the normal tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=(protocol_tests nat_models_tests client_core_tests server_core_tests relay_core_tests platform_tests
       daemon_tests sim_tests loopback_tests durability_tests emulation_tests federation_tests)
# CTest names: the binaries' own, and the PostgreSQL runs of two of them.
ctest_names=(${tests[@]/federation_tests/} postgres_storage postgres_federation)
if [[ ! -f build-asan/build.ninja ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
    -DYT_SANITIZE=ON -DYT_BUILD_BENCH=OFF >/dev/null
fi
echo "sanitize: building ${#tests[@]} test binaries with ASan+UBSan in build-asan/" >&2
cmake --build build-asan -j"$(nproc)" --target "${tests[@]}"
regex="^($(IFS='|'; echo "${ctest_names[*]}"))\$"
cd build-asan
# detect_leaks: a leak is a bug too. halt_on_error and abort so ctest sees a failure.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/../scripts/lsan_suppressions.txt:print_suppressions=0
ctest --output-on-failure -j"$(nproc)" --timeout 900 -R "$regex"
