#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/, one at a time, each for SECONDS (default 60), on the
# committed seeds in fuzz/corpus/<target>/ plus a scratch corpus in the build directory (new
# inputs go there, never into the source tree). Crashes are written to
# <build>/fuzz-artifacts/<target>-crash-*; minimise one with
#   <build>/fuzz/fuzz_<target> -minimize_crash=1 -runs=10000 <crash file>
# and commit the result under fuzz/corpus/<target>/ with a regression test.
#
#   scripts/fuzz.sh [--build DIR] [SECONDS] [TARGET ...]     TARGET: code upload http checkpoint proof
#
# The build directory (default build-fuzz/) is configured with
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DDRUGTRACE_FUZZ=ON -DDRUGTRACE_TESTS=OFF \
#     -DDRUGTRACE_BENCH=OFF && ninja -C build-fuzz -j2
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
if [[ "${1:-}" == "--build" ]]; then
  build="$(cd "$2" && pwd)"
  shift 2
fi
seconds=60
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(code upload http checkpoint proof); fi

declare -A max_len=([code]=256 [upload]=16384 [http]=16384 [checkpoint]=4096 [proof]=8192)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=0
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  seeds="$root/fuzz/corpus/$t"
  if [[ ! -x "$bin" ]]; then
    echo "fuzz.sh: $bin is not built (configure $build with -DDRUGTRACE_FUZZ=ON)" >&2
    exit 2
  fi
  if [[ -z "${max_len[$t]:-}" || ! -d "$seeds" ]]; then
    echo "fuzz.sh: unknown target '$t' (no $seeds)" >&2
    exit 2
  fi
  scratch="$build/fuzz-corpus/$t"
  mkdir -p "$scratch" "$build/fuzz-artifacts"
  # No -jobs/-workers: with them libFuzzer forks a child that logs to ./fuzz-<n>.log (shared by
  # concurrent runs, and not the log read below).
  # libFuzzer's -timeout is wall-clock time, which a paused (SIGSTOP) or starved fuzzer spends
  # without running. The http target checks its own patience in running time (fuzz/http_fuzz.cc)
  # and aborts, which libFuzzer reports as a crash with the input, so its alarm is off.
  timeout=30
  if [[ "$t" == http ]]; then timeout=0; fi
  args=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048
        -max_len="${max_len[$t]}" -print_final_stats=1
        -artifact_prefix="$build/fuzz-artifacts/$t-")
  if [[ -f "$root/fuzz/$t.dict" ]]; then args+=(-dict="$root/fuzz/$t.dict"); fi
  log="$build/fuzz-artifacts/$t.log"
  echo "== fuzz $t for ${seconds}s (log $log)"
  if "$bin" "${args[@]}" "$scratch" "$seeds" >"$log" 2>&1; then
    status=ok
  else
    status="FAILED (see $log)"
    failed=1
    tail -n 60 "$log" >&2
  fi
  execs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -n1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | awk '{print $2}')"
  summary+=("$t: ${execs:-?} executions, coverage ${cov:-?}, $status")
done
printf '%s\n' "${summary[@]}"
exit "$failed"
