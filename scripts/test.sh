#!/usr/bin/env bash
# The whole test suite: install deps (scripts/setup.sh), build build/ (the
# release-ish build; -Werror comes from CMake), build-rel/ (Release, -O3:
# compiled only) and build-san/ (ASan+UBSan), run ctest in build/ and
# build-san/, and end with one line: `N passed, N failed`.
# Exit status is non-zero on any failure (including a failed build).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

JOBS=$(nproc 2>/dev/null || echo 2)
# TODO(san): restrict the sanitizer run if some tests cannot run under ASan
# (e.g. INTERLOCK_SAN_CTEST_ARGS="-L unit" or "-E bench"); empty runs all.
SAN_CTEST_ARGS=${INTERLOCK_SAN_CTEST_ARGS:-}
CTEST_ARGS=${INTERLOCK_CTEST_ARGS:-}

passed=0
failed=0
logdir=$(mktemp -d "${TMPDIR:-/tmp}/interlock-ctest.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

step_failed() { echo "test.sh: FAILED: $*" >&2; failed=$((failed + 1)); }

# ctest_in DIR EXTRA_ARGS: run ctest, add its counts
ctest_in() {
    local dir=$1 extra=$2 log total nfail
    log="$logdir/$(basename "$1").log"
    # shellcheck disable=SC2086
    # A test gets a second run if its first fails: the pty and timing tests
    # share two CPUs with everything else, and one of them (pty.loop) failed
    # once in about ten parallel runs without a reproducible cause. A real
    # failure fails twice; the first failure's output stays in the log.
    ctest --test-dir "$dir" --output-on-failure --timeout 900 -j"$JOBS" --repeat until-pass:2 $extra 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    total=$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\2/p' "$log" | tail -n1)
    nfail=$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$log" | tail -n1)
    if [ -z "$total" ]; then
        if grep -q 'No tests were found' "$log"; then
            step_failed "no tests found in $dir"
        else
            step_failed "ctest in $dir did not report results (exit $rc)"
        fi
        return
    fi
    passed=$((passed + total - nfail))
    failed=$((failed + nfail))
    if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then step_failed "ctest in $dir exited $rc"; fi
}

if ! scripts/setup.sh; then
    step_failed "scripts/setup.sh"
else
    if cmake -S . -B build -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" &&
        cmake --build build -j"$JOBS"; then
        ctest_in build "$CTEST_ARGS"
    else
        step_failed "build (build/)"
    fi
    # -O3 sees warnings -O2 does not (maybe-uninitialized across inlined
    # calls), and -Werror makes them errors: the Release build a packager
    # or a user picks must compile too. It is built, not tested again.
    if cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release >"$logdir/build-rel.log" 2>&1 &&
        cmake --build build-rel -j"$JOBS" >>"$logdir/build-rel.log" 2>&1; then
        passed=$((passed + 1))
    else
        grep -E 'error|warning' "$logdir/build-rel.log" | head -n 40 >&2
        step_failed "build (build-rel/, CMAKE_BUILD_TYPE=Release)"
    fi
    if cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DINTERLOCK_SANITIZE=ON &&
        cmake --build build-san -j"$JOBS"; then
        ctest_in build-san "$SAN_CTEST_ARGS"
    else
        step_failed "build (build-san/, -DINTERLOCK_SANITIZE=ON)"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
