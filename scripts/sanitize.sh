#!/usr/bin/env bash
# The test suite under sanitizers (issue #7):
#   asan  build-asan/ (-DDRUGTRACE_SANITIZE=ON: AddressSanitizer + UBSan), the whole suite
#   tsan  build-tsan/ (-DDRUGTRACE_TSAN=ON: ThreadSanitizer), the tests that run threads against
#         the daemon or its HTTP layer: ingest http/upload, cli serve/upload/backup, the regulator
#         and case-action APIs (reader threads and the writer), ledger backup and WAL checkpointer,
#         and the hardening tests (crash loop, fault VFS, hostile clients)
#
# Both are built at -O1 -g1 (RelWithDebInfo with its flags replaced; NDEBUG stays off, so
# assertions are checked too): the optimisation the sanitizers' documentation recommends, with
# line numbers in every report, and a shorter compile than -O2 -g on this 2-core machine.
#
#   scripts/sanitize.sh [asan] [tsan]        (both when none is named; JOBS=2 by default)
#
# Every process (the test binaries and each daemon they start) writes its sanitizer reports to
# <build>/sanitizer-reports/, so a report from a daemon that a test later kills is not lost: the run
# fails if any report was written, even when every test passed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${JOBS:-2}"
kinds=("$@")
if [[ ${#kinds[@]} -eq 0 ]]; then kinds=(asan tsan); fi
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" -DDRUGTRACE_BENCH=OFF)

# Runs ctest in $1 with the remaining arguments; fails on a failing test or any report file.
run_suite() {
  local build="$1"
  shift
  local reports="$build/sanitizer-reports"
  rm -rf "$reports"
  mkdir -p "$reports"
  local rc=0
  ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan:${ASAN_OPTIONS_EXTRA:-}" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
  TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:log_path=$reports/tsan" \
    ctest --test-dir "$build" -j"$jobs" --output-on-failure "$@" || rc=$?
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitize.sh: sanitizer reports in $reports:" >&2
    for f in "$reports"/*; do
      echo "---- $f" >&2
      head -n 80 "$f" >&2
    done
    rc=1
  fi
  return "$rc"
}

status=0
for kind in "${kinds[@]}"; do
  case "$kind" in
    asan)
      build="$root/build-asan"
      cmake -S "$root" -B "$build" -G Ninja -DDRUGTRACE_SANITIZE=ON "${flags[@]}" >/dev/null
      ninja -C "$build" -j"$jobs"
      echo "== ASan+UBSan: the whole suite"
      run_suite "$build" || status=1
      ;;
    tsan)
      build="$root/build-tsan"
      cmake -S "$root" -B "$build" -G Ninja -DDRUGTRACE_TSAN=ON "${flags[@]}" >/dev/null
      ninja -C "$build" -j"$jobs" drugtrace test_ingest test_cli test_ledger test_hardening
      echo "== TSan: the daemon's concurrent tests"
      run_suite "$build" \
        -R 'http: |upload: |serve: |backup|regulator api: |case actions api: |WAL checkpointer|^hardening:' ||
        status=1
      ;;
    *)
      echo "usage: scripts/sanitize.sh [asan] [tsan]" >&2
      exit 2
      ;;
  esac
done
exit "$status"
