# shellcheck shell=bash disable=SC2034,SC2155
# Harness for interlock integration tests. Source it from a test_*.sh script:
#
#     . "$(dirname "$0")/lib.sh"
#     ... assertions ...
#     finish
#
# CTest runs every tests/integration/test_*.sh as `bash FILE` with INTERLOCK_BIN,
# INTERLOCK_LIB and INTERLOCK_SRC in the environment; by hand the defaults below
# point at the build/ directory of this checkout.
#
# Safety: everything destructive a test runs targets paths inside $SANDBOX only.
# Rules about /, system directories and devices are exercised with
# `interlock check --json` (which never runs anything), never with `run`.
# Never put `~` or an unexpanded $HOME inside a command string that may run with
# a stripped environment (env -i): a shell without HOME expands `~` from passwd.

set -u

_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${INTERLOCK_SRC:=$(cd "$_lib_dir/../.." && pwd)}"
: "${INTERLOCK_BIN:=$INTERLOCK_SRC/build/interlock}"
: "${INTERLOCK_LIB:=$INTERLOCK_SRC/build/libinterlock.so}"
export INTERLOCK_SRC INTERLOCK_BIN INTERLOCK_LIB
TEST_NAME=$(basename "${0%.sh}")

if [ ! -x "$INTERLOCK_BIN" ]; then
    echo "$TEST_NAME: FAIL: INTERLOCK_BIN=$INTERLOCK_BIN is not an executable (build first)" >&2
    exit 1
fi
if [ ! -f "$INTERLOCK_LIB" ]; then
    echo "$TEST_NAME: FAIL: INTERLOCK_LIB=$INTERLOCK_LIB does not exist (build first)" >&2
    exit 1
fi

# Resolve the real python3 before HOME changes: a pyenv/asdf shim stops working
# with a foreign HOME and forks a dozen processes per call besides.
PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PYTHON=
if [ -z "$PYTHON" ] || [ ! -x "$PYTHON" ]; then
    echo "$TEST_NAME: FAIL: python3 is required" >&2
    exit 1
fi
export PYTHON

# ---------------------------------------------------------------- sandbox
SANDBOX=$(mktemp -d "${TMPDIR:-/tmp}/interlock-test.XXXXXXXX") || exit 1
SANDBOX=$(cd "$SANDBOX" && pwd -P) || exit 1
# everything below (HOME included) is derived from SANDBOX: never go on
# without a fresh, private directory
case "$SANDBOX" in
/?*/interlock-test.*) [ -d "$SANDBOX" ] && [ -z "$(ls -A "$SANDBOX")" ] || exit 1 ;;
*) echo "$TEST_NAME: FAIL: bad sandbox '$SANDBOX'" >&2; exit 1 ;;
esac
export SANDBOX
_cleanup() {
    # files inside .git/objects are read-only; make everything removable first
    chmod -R u+rwX "$SANDBOX" 2>/dev/null
    rm -rf "$SANDBOX"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP

export HOME="$SANDBOX/home/user"
export XDG_STATE_HOME="$SANDBOX/xdg/state"
export XDG_CONFIG_HOME="$SANDBOX/xdg/config"
export XDG_CACHE_HOME="$SANDBOX/xdg/cache"
export XDG_DATA_HOME="$SANDBOX/xdg/data"
export INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d"
export AUDIT_LOG="$XDG_STATE_HOME/interlock/audit.jsonl"
# In the sanitizer build the interlock binary itself carries ASan; when a test
# runs it inside a guarded session, libinterlock.so is preloaded ahead of the
# ASan runtime, which ASan refuses by default. It does not interpose malloc,
# so the order is harmless here.
if [ "${INTERLOCK_SANITIZE:-OFF}" = ON ]; then
    export ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi
mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" \
    "$SANDBOX/bin" "$SANDBOX/work" "$SANDBOX/tmp"
# helper programs first, then the real python, then the inherited PATH
export PATH="$SANDBOX/bin:$(dirname "$PYTHON"):$PATH"
export TMPDIR="$SANDBOX/tmp"
export LC_ALL=C
# git: no system/global config, no pager, no prompts, deterministic identity
export GIT_CONFIG_NOSYSTEM=1 GIT_PAGER=cat PAGER=cat GIT_TERMINAL_PROMPT=0 GIT_EDITOR=true
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE LD_PRELOAD INTERLOCK_SESSION
cd "$SANDBOX/work" || exit 1

# --------------------------------------------------------------- counters
PASS=0
FAIL=0
FAILED_NAMES=()
_ok() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
_fail() {
    FAIL=$((FAIL + 1))
    FAILED_NAMES+=("$1")
    printf 'FAIL %s\n' "$1"
    shift
    local line
    for line in "$@"; do printf '       %s\n' "$line"; done
}
# have_tool CMD PACKAGE: 0 when CMD is installed. scripts/setup.sh installs
# PACKAGE, so a missing one is a failure (a quiet skip would hide that the
# case never ran), unless INTERLOCK_TEST_ALLOW_SKIP=1 says to skip it.
have_tool() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "${INTERLOCK_TEST_ALLOW_SKIP:-}" = 1 ]; then
        printf 'SKIP %s missing (package %s)\n' "$1" "$2"
    else
        _fail "$1 is installed (package $2; scripts/setup.sh installs it)"
    fi
    return 1
}
# print the last captured run (for failure diagnostics)
_last_run() {
    printf '       last command: %s\n' "${LAST_CMD:-?}"
    printf '       status: %s\n' "${STATUS:-?}"
    if [ -s "${ERRF:-/nonexistent}" ]; then
        printf '       stderr:\n'
        head -c 2000 "$ERRF" | sed 's/^/         | /'
    fi
    if [ -s "${OUTF:-/nonexistent}" ]; then
        printf '       stdout:\n'
        head -c 1000 "$OUTF" | sed 's/^/         | /'
    fi
}

# finish: summary line; exit 1 if anything failed
finish() {
    echo "$TEST_NAME: $PASS passed, $FAIL failed"
    if [ "$FAIL" -ne 0 ]; then
        local n
        for n in "${FAILED_NAMES[@]}"; do echo "  failed: $n"; done
        exit 1
    fi
    exit 0
}

# ------------------------------------------------------------ run helpers
# Upper bound for one guarded run: a hang (deadlock in a hook) fails the
# assertion instead of the whole ctest run.
: "${GUARD_TIMEOUT:=60}"
_setsid=()
# No controlling terminal: a confirm verdict must fail closed and can never
# wait for a prompt, even when a developer runs the test from a terminal.
if command -v setsid >/dev/null 2>&1; then _setsid=(setsid -w); fi

# guard CMD...: run CMD under `interlock run` (extra run options in GUARD_OPTS)
GUARD_OPTS=()
guard() {
    "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" \
        "$INTERLOCK_BIN" run ${GUARD_OPTS[@]+"${GUARD_OPTS[@]}"} -- "$@"
}

# run_capture CMD...: run CMD (a command or function) with stdin from
# /dev/null; sets STATUS, OUTF, ERRF (files), OUT, ERR (contents)
_runno=0
run_capture() {
    _runno=$((_runno + 1))
    OUTF="$SANDBOX/.run/$_runno.out"
    ERRF="$SANDBOX/.run/$_runno.err"
    mkdir -p "$SANDBOX/.run"
    LAST_CMD=$(printf '%q ' "$@")
    "$@" </dev/null >"$OUTF" 2>"$ERRF"
    STATUS=$?
    OUT=$(cat "$OUTF")
    ERR=$(cat "$ERRF")
    return 0
}

# mkrepo DIR: a git work tree with one committed file (file.txt) on branch main
mkrepo() {
    local dir=$1
    mkdir -p "$dir" || return 1
    git -c init.defaultBranch=main init -q "$dir" || return 1
    git -C "$dir" symbolic-ref HEAD refs/heads/main
    git -C "$dir" config user.name "Interlock Test"
    git -C "$dir" config user.email "test@interlock.invalid"
    git -C "$dir" config commit.gpgsign false
    echo "committed content" >"$dir/file.txt"
    git -C "$dir" add file.txt
    git -C "$dir" commit -q -m "initial commit" || return 1
}

# mkbare DIR: an empty bare repository (a local "remote")
mkbare() {
    git -c init.defaultBranch=main init -q --bare "$1"
}

# ------------------------------------------------------------- assertions
# assert_eq DESC EXPECTED ACTUAL
assert_eq() {
    if [ "$2" == "$3" ]; then _ok "$1"; else
        _fail "$1" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$3")"
    fi
}

# assert_exists DESC PATH...
assert_exists() {
    local desc=$1 p missing=()
    shift
    for p in "$@"; do [ -e "$p" ] || [ -L "$p" ] || missing+=("$p"); done
    if [ ${#missing[@]} -eq 0 ]; then _ok "$desc"; else
        _fail "$desc" "missing: ${missing[*]}"
        _last_run
    fi
}

# assert_missing DESC PATH...
assert_missing() {
    local desc=$1 p present=()
    shift
    for p in "$@"; do if [ -e "$p" ] || [ -L "$p" ]; then present+=("$p"); fi; done
    if [ ${#present[@]} -eq 0 ]; then _ok "$desc"; else
        _fail "$desc" "still present: ${present[*]}"
        _last_run
    fi
}

# assert_status DESC EXPECTED [CMD...]: with CMD, run it first (run_capture);
# without, check STATUS of the last run_capture
assert_status() {
    local desc=$1 want=$2
    shift 2
    if [ $# -gt 0 ]; then run_capture "$@"; fi
    if [ "$STATUS" == "$want" ]; then _ok "$desc"; else
        _fail "$desc" "expected status $want, got $STATUS"
        _last_run
    fi
}

# assert_contains DESC HAYSTACK NEEDLE (fixed string)
assert_contains() {
    if [[ "$2" == *"$3"* ]]; then _ok "$1"; else
        _fail "$1" "expected to contain: $(printf '%q' "$3")" \
            "in: $(printf '%q' "${2:0:1500}")"
    fi
}

# assert_not_contains DESC HAYSTACK NEEDLE
assert_not_contains() {
    if [[ "$2" != *"$3"* ]]; then _ok "$1"; else
        _fail "$1" "expected NOT to contain: $(printf '%q' "$3")" \
            "in: $(printf '%q' "${2:0:1500}")"
    fi
}

BLOCKED_MARK='interlock: blocked: '

# expect_blocked DESC CMD...: CMD must fail (status 126, or any non-zero
# status from a program that reports the failed exec its own way) and stderr
# must carry the interlock block line
expect_blocked() {
    local desc=$1
    shift
    run_capture "$@"
    if [ "$STATUS" -ne 0 ] && grep -qF "$BLOCKED_MARK" "$ERRF"; then
        _ok "$desc: blocked (status $STATUS)"
    elif [ "$STATUS" -eq 0 ]; then
        _fail "$desc: expected to be blocked, but it ran (status 0)"
        _last_run
    else
        _fail "$desc: failed with status $STATUS but without an '$BLOCKED_MARK' line"
        _last_run
    fi
}

# expect_ok DESC CMD...: CMD must succeed and print no block line
expect_ok() {
    local desc=$1
    shift
    run_capture "$@"
    if [ "$STATUS" -eq 0 ] && ! grep -qF "$BLOCKED_MARK" "$ERRF"; then
        _ok "$desc: allowed"
    else
        _fail "$desc: expected to run, status $STATUS"
        _last_run
    fi
}

# check_json ARGV...: `interlock check --json -- ARGV` (extra check options
# in CHECK_OPTS); sets STATUS and, from the last stdout line, CHECK_ACTION,
# CHECK_RULE ("null" when null) and CHECK_WHY
CHECK_OPTS=()
check_json() {
    run_capture "$INTERLOCK_BIN" check ${CHECK_OPTS[@]+"${CHECK_OPTS[@]}"} --json -- "$@"
    parse_check_json
}
# parse_check_json: parse the last line of the last run's stdout
parse_check_json() {
    local parsed
    parsed=$(tail -n 1 "$OUTF" | "$PYTHON" -c '
import json, sys
try:
    o = json.loads(sys.stdin.read())
except Exception as e:
    print("PARSE-ERROR\tnull\t%s" % e); sys.exit(0)
if not isinstance(o, dict):
    print("PARSE-ERROR\tnull\tnot an object"); sys.exit(0)
r = o.get("rule")
print("%s\t%s\t%s" % (o.get("action", "MISSING"),
      "null" if r is None else r,
      (o.get("why") or "").replace("\t", " ").replace("\n", " ")))
')
    IFS=$'\t' read -r CHECK_ACTION CHECK_RULE CHECK_WHY <<<"$parsed"
}

# audit_lines: number of lines in the audit log (0 if absent)
audit_lines() {
    if [ -f "$AUDIT_LOG" ]; then wc -l <"$AUDIT_LOG" | tr -d ' '; else echo 0; fi
}

# shquote ARG...: one shell-quoted command line
shquote() {
    local out='' a
    for a in "$@"; do out+="$(printf '%q' "$a") "; done
    printf '%s' "${out% }"
}
