#!/usr/bin/env bash
# Sessionless use (an image-wide LD_PRELOAD or /etc/ld.so.preload, no
# wrapper): `interlock rules compile` writes a snapshot, and a process with
# only LD_PRELOAD and that snapshot - no INTERLOCK_SESSION - is guarded by it.
# No controlling terminal (setsid -w, stdin /dev/null): confirm fails closed.
. "$(dirname "$0")/common.sh"

P="$SANDBOX/prefix"
install_to "$P"
IL="$P/bin/interlock"
LIB=$(installed_lib "$P")
SNAP="$SANDBOX/etc/interlock/rules.snap"

# ------------------------------------------------------------ compile
run_capture "$IL" rules compile --output "$SNAP"
assert_status "rules compile --output" 0
assert_contains "rules compile says what it wrote" "$OUT" "$SNAP: "
assert_exists "the snapshot exists (parent directory created)" "$SNAP"
assert_eq "the snapshot is read-only (0444)" "444" "$(stat -c %a "$SNAP")"
assert_eq "no temporary file is left behind" "rules.snap" "$(ls -A "$SANDBOX/etc/interlock")"
cp "$SNAP" "$SANDBOX/first.snap"
run_capture "$IL" rules compile --output "$SNAP"
assert_status "recompiling replaces the read-only file" 0
if cmp -s "$SNAP" "$SANDBOX/first.snap"; then _ok "compiling twice gives the same bytes"; else
    _fail "compiling twice gives the same bytes"; fi
mkdir -p "$SANDBOX/empty-rules"
run_capture "$IL" rules compile --rules "$SANDBOX/empty-rules" --output="$SANDBOX/eq.snap"
assert_status "--output=PATH form" 0
run_capture "$IL" rules compile --rules "$SANDBOX/nonexistent" --output="$SANDBOX/typo.snap"
assert_status "a --rules DIR that does not exist is an error" 125
assert_missing "... and nothing is written" "$SANDBOX/typo.snap"
mkdir -p "$SANDBOX/bad"
printf '[broken\n' >"$SANDBOX/bad/10-bad.conf"
run_capture "$IL" rules compile --rules "$SANDBOX/bad" --output "$SANDBOX/bad.snap"
assert_status "bad rules: compile fails with 125" 125
assert_contains "bad rules: FILE:LINE" "$ERR" "$SANDBOX/bad/10-bad.conf:1:"
assert_missing "bad rules: nothing written" "$SANDBOX/bad.snap"
run_capture "$IL" rules compile --output "/proc/interlock-cannot-write-here/rules.snap"
assert_status "unwritable output: 125" 125

# doctor: is the snapshot the preload would read current?
run_capture env INTERLOCK_SNAPSHOT="$SNAP" "$IL" doctor
assert_contains "doctor: the compiled snapshot is current" "$OUT" "ok    sessionless snapshot $SNAP is current"
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d"
printf '[local-extra]\non = exec\nprogram = frobnicate\naction = deny\nwhy = test\nmatch = frobnicate\n' \
    >"$XDG_CONFIG_HOME/interlock/rules.d/90-local.conf"
run_capture env INTERLOCK_SNAPSHOT="$SNAP" "$IL" doctor
assert_contains "doctor: a rule change makes the snapshot stale" "$OUT" "warn  sessionless snapshot $SNAP differs from the rules in force"
rm -rf "$XDG_CONFIG_HOME/interlock"
printf 'garbage' >"$SANDBOX/garbage.snap"
run_capture env INTERLOCK_SNAPSHOT="$SANDBOX/garbage.snap" "$IL" doctor
assert_status "doctor: an unreadable snapshot is a failure" 1
assert_contains "doctor: says the snapshot is not readable" "$OUT" "fail  sessionless snapshot $SANDBOX/garbage.snap is not readable"

# ---------------------------------------------------- guarded, no session
# sessionless CMD...: CMD with only the preload and the snapshot, no terminal
sessionless() {
    "${_setsid[@]}" timeout -k 5 60 env -u INTERLOCK_SESSION LD_PRELOAD="$LIB" INTERLOCK_SNAPSHOT="$SNAP" "$@"
}
mkrepo "$SANDBOX/work/repo"
before=$(audit_lines)
expect_blocked "sessionless: rm -rf of a git work tree" sessionless bash -c "rm -rf '$SANDBOX/work/repo'"
assert_exists "sessionless: the repository survives" "$SANDBOX/work/repo/.git" "$SANDBOX/work/repo/file.txt"
assert_contains "sessionless: confirm fails closed without a terminal" "$ERR" "no human terminal is available"
assert_eq "sessionless: one audit record" "$((before + 1))" "$(audit_lines)"
assert_contains "sessionless: the record says no-terminal" "$(tail -n 1 "$AUDIT_LOG")" '"by":"no-terminal"'

expect_blocked "sessionless: python subprocess rm -rf" sessionless "$PYTHON" -c \
    "import subprocess,sys; sys.exit(subprocess.call(['rm','-rf','$SANDBOX/work/repo']))"
assert_exists "sessionless: still there after python" "$SANDBOX/work/repo/.git"
expect_blocked "sessionless: env -i does not drop the guard" sessionless env -i /bin/sh -c "rm -rf '$SANDBOX/work/repo'"
assert_exists "sessionless: still there after env -i" "$SANDBOX/work/repo/.git"

expect_ok "sessionless: harmless commands work" sessionless bash -c \
    "cd '$SANDBOX/work/repo' && git status --short && echo hello | tr a-z A-Z && mkdir -p build/o && rm -rf build && ls"
assert_contains "sessionless: harmless output" "$OUT" "HELLO"
assert_missing "sessionless: harmless rm ran" "$SANDBOX/work/repo/build"

# a snapshot that cannot be read refuses guarded commands instead of allowing them
expect_blocked "sessionless: unreadable snapshot fails closed" \
    env -u INTERLOCK_SESSION LD_PRELOAD="$LIB" INTERLOCK_SNAPSHOT="$SANDBOX/missing.snap" \
    "${_setsid[@]}" bash -c "rm -rf '$SANDBOX/work/repo'"
assert_exists "sessionless: still there with an unreadable snapshot" "$SANDBOX/work/repo/.git"

# the log shows the sessionless decisions
run_capture "$IL" log --decision denied --rule fs-rm-git -n 0
assert_contains "log shows the sessionless refusal" "$OUT" "rm -rf $SANDBOX/work/repo"

finish
