#!/usr/bin/env bash
# interlock doctor: one `ok|warn|fail  what  (hint)` line per fact, exit 1
# only when something failed; it really loads the library in a child and
# reports rule errors as FILE:LINE.
. "$(dirname "$0")/lib.sh"

# every line is a verdict, an indented detail, or the summary
check_format() {
    local bad
    bad=$(printf '%s\n' "$OUT" | grep -Ev '^(ok  |warn|fail)  [^ ]|^        [^ ]|^[0-9]+ failed, [0-9]+ warnings?$' || true)
    assert_eq "$1: every line is ok/warn/fail, a detail or the summary" "" "$bad"
}

run_capture "${_setsid[@]}" "$INTERLOCK_BIN" doctor
assert_status "doctor in a working build tree exits 0" 0
check_format "working tree"
assert_contains "library found and loadable" "$OUT" "ok    library loads: $(realpath "$INTERLOCK_LIB")"
assert_contains "a child loads the library" "$OUT" "ok    preload: a child process loads the library"
assert_contains "a child is stopped by the preload" "$OUT" "ok    preload: a probe exec in the child was refused"
assert_contains "the probe's refusal is audited (privately)" "$OUT" "ok    preload: the refusal was recorded"
assert_contains "seccomp layer reported" "$OUT" "seccomp: "
assert_contains "rule directories reported" "$OUT" "rule directory $INTERLOCK_SRC/rules.d: "
assert_contains "INTERLOCK_RULES_PATH noted" "$OUT" "INTERLOCK_RULES_PATH=$INTERLOCK_SRC/rules.d replaces"
assert_contains "rules compile" "$OUT" "ok    rules: "
assert_contains "audit log location" "$OUT" "audit log $AUDIT_LOG"
assert_contains "no terminal is a warning with a hint" "$OUT" "warn  terminal: no controlling terminal  (confirm rules fail closed"
assert_contains "sessionless snapshot reported" "$OUT" "sessionless snapshot /etc/interlock/rules.snap"
assert_not_contains "no colours when not a terminal" "$OUT" $'\033['
assert_eq "doctor writes nothing to the user's audit log" "0" "$(audit_lines)"
assert_eq "doctor leaves no temporary files" "" "$(ls -A "$TMPDIR")"

# user rule directories: the optional ones are reported as absent, then present
unset INTERLOCK_RULES_PATH
run_capture "${_setsid[@]}" "$INTERLOCK_BIN" doctor
assert_contains "user rule directory absent is fine" "$OUT" "ok    rule directory $XDG_CONFIG_HOME/interlock/rules.d: not present (optional)"
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d"
run_capture "${_setsid[@]}" "$INTERLOCK_BIN" doctor
assert_contains "user rule directory present" "$OUT" "ok    rule directory $XDG_CONFIG_HOME/interlock/rules.d: 0 files"
export INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d"

# rule errors: fail, FILE:LINE details, exit 1
mkdir -p "$SANDBOX/bad"
printf '[bad-rule]\non = exec\nprogram = rm\naction = explode\nwhy = x\nmatch = rm x\n' >"$SANDBOX/bad/50-bad.conf"
run_capture "${_setsid[@]}" "$INTERLOCK_BIN" doctor --rules "$SANDBOX/bad"
assert_status "rule errors: exit 1" 1
check_format "rule errors"
assert_contains "rule errors: a fail line" "$OUT" "fail  rules: 1 error"
assert_contains "rule errors: FILE:LINE detail" "$OUT" "        $SANDBOX/bad/50-bad.conf:4: unknown action 'explode'"

# no library: fail with a hint, exit 1
run_capture env INTERLOCK_LIBRARY="$SANDBOX/nonexistent.so" "$INTERLOCK_BIN" doctor
assert_status "missing library: exit 1" 1
assert_contains "missing library: fail line with hint" "$OUT" "fail  library: INTERLOCK_LIBRARY=$SANDBOX/nonexistent.so does not exist  (point it at libinterlock.so"

# a library that is not loadable: fail with the loader's message
printf 'not an ELF file\n' >"$SANDBOX/libbroken.so"
run_capture env INTERLOCK_LIBRARY="$SANDBOX/libbroken.so" "$INTERLOCK_BIN" doctor
assert_status "unloadable library: exit 1" 1
assert_contains "unloadable library: fail line" "$OUT" "fail  library $SANDBOX/libbroken.so does not load"

# a library that loads but needs a function nothing defines: every symbol is
# bound at once, so the loader says so here (not at the first call)
if command -v cc >/dev/null 2>&1; then
    printf 'void il_no_such_function(void);\nvoid execve_like(void) { il_no_such_function(); }\n' >"$SANDBOX/unres.c"
    cc -shared -fPIC -o "$SANDBOX/libunres.so" "$SANDBOX/unres.c"
    run_capture env INTERLOCK_LIBRARY="$SANDBOX/libunres.so" "$INTERLOCK_BIN" doctor
    assert_status "unresolvable import: exit 1" 1
    assert_contains "unresolvable import: fail line with the loader's words" "$OUT" "undefined symbol: il_no_such_function"
fi

# unwritable audit location: a warning, not a failure
mkdir -p "$SANDBOX/ro"
chmod 555 "$SANDBOX/ro"
if [ "$(id -u)" -ne 0 ]; then
    run_capture env XDG_STATE_HOME="$SANDBOX/ro/state" "${_setsid[@]}" "$INTERLOCK_BIN" doctor
    assert_contains "unwritable audit log: warn" "$OUT" "warn  audit log $SANDBOX/ro/state/interlock/audit.jsonl cannot be created"
fi
chmod 755 "$SANDBOX/ro"

# with a terminal: colours unless NO_COLOR, and the terminal line is ok
tty_run() { # NO_COLOR_VALUE ARGS...: run interlock with a pty as its terminal
    "$PYTHON" - "$@" <<'PY'
import os, pty, sys
nc = sys.argv[1]
argv = [os.environ["INTERLOCK_BIN"]] + sys.argv[2:]
env = dict(os.environ)
if nc == "-":
    env.pop("NO_COLOR", None)
else:
    env["NO_COLOR"] = nc
pid, fd = pty.fork()
if pid == 0:
    os.execve(argv[0], argv, env)
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
run_capture tty_run - doctor
assert_contains "terminal: colours on a terminal" "$OUT" $'\033[32mok'
assert_contains "terminal: /dev/tty available" "$OUT" "terminal: /dev/tty is available for prompts"
run_capture tty_run 1 doctor
assert_not_contains "terminal: NO_COLOR disables colours" "$OUT" $'\033['
run_capture tty_run "" doctor
assert_contains "terminal: an empty NO_COLOR does not" "$OUT" $'\033['

assert_status "doctor --help" 0 "$INTERLOCK_BIN" doctor --help
assert_status "doctor with a bad argument: 125" 125 "$INTERLOCK_BIN" doctor --bogus

# A --rules DIR that is not there is a typo: an error before any check, not
# an optional directory reported as ok.
run_capture "$INTERLOCK_BIN" doctor --rules "$SANDBOX/no-such-rules"
assert_status "doctor --rules DIR that does not exist: 125" 125
assert_contains "... says which" "$ERR" "$SANDBOX/no-such-rules"
assert_not_contains "... and calls nothing ok" "$OUT" "ok "
mkdir -p "$SANDBOX/extra-rules"
run_capture "$INTERLOCK_BIN" doctor --rules "$SANDBOX/extra-rules"
assert_contains "doctor --rules DIR that exists: listed" "$OUT" "rule directory $SANDBOX/extra-rules: 0 files"
run_capture "$INTERLOCK_BIN" doctor --profile no-such-profile
assert_status "doctor --profile no rule names: 125" 125
assert_contains "... names the profiles there are" "$ERR" "the rules name:"
run_capture "$INTERLOCK_BIN" doctor --profile staging
assert_not_contains "doctor --profile the rules name: no error" "$ERR" "no rule names"

finish
