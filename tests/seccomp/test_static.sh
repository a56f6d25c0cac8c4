#!/usr/bin/env bash
# Programs the preload cannot see: a static program that execs through
# syscall(2), and `env -u LD_PRELOAD` / `env -i` chains. The seccomp layer
# must stop the destructive ones (the data survives) and let the harmless
# ones run. No terminal: a confirm rule fails closed ("no-terminal").
. "$(dirname "$0")/lib.sh"

V="$SANDBOX/work/victim"

# expect_refused DESC CMD...: CMD fails, the victim survives, the agent is told
expect_refused() {
    local desc=$1
    shift
    victim "$V"
    run_capture guard "$@"
    if [ "$STATUS" -ne 0 ] && [ -f "$V/data" ] && grep -qF "$BLOCKED_MARK" "$ERRF"; then
        _ok "$desc: refused (status $STATUS), data intact"
    else
        _fail "$desc: expected refusal with the data intact"
        _last_run
    fi
}

# -- the preload is not there: only the supervisor sees these
expect_refused "static raw execve of rm -r" rawexec /bin/rm -r "$V"
expect_refused "static raw execve of a deny rule" rawexec /usr/bin/shred "$V/data"
expect_refused "static -> env -i rm -r" rawexec /usr/bin/env -i /bin/rm -r "$V"
expect_refused "static -> env -u LD_PRELOAD sh -c" rawexec /usr/bin/env -u LD_PRELOAD /bin/sh -c "rm -rf '$V'"
expect_refused "static -> sh -c (no preload in sh)" rawexec /bin/sh -c "cd '$SANDBOX/work' && rm -r victim"
# -- the preload is there and re-injects; the static program then bypasses it
expect_refused "env -i -> static" env -i "$SANDBOX/bin/rawexec" /bin/rm -r "$V"
expect_refused "env -u LD_PRELOAD sh -c static" env -u LD_PRELOAD sh -c "'$SANDBOX/bin/rawexec' /bin/rm -rf '$V'"
expect_refused "sh -c rm (preload)" sh -c "rm -r '$V'"
assert_contains "the refusal says why and which rule" "$ERR" "(rule test-rm-r)"

# -- a static program spawning `sh -c STRING` with the session's environment
# (Codex CLI does this for every tool call, and reads only the errno of a
# failed spawn), with the shipped rules (which look into shell strings):
# the shell runs and the command inside it is refused at its own exec, so
# the line reaches the shell's stderr with the shell's 126
R="$SANDBOX/work/repo"
mkrepo "$R"
SHIPPED="$INTERLOCK_SRC/rules.d"
INTERLOCK_RULES_PATH=$SHIPPED run_capture guard env RAWEXEC_KEEP_ENV=1 rawexec /bin/sh -c \
    "cd '$SANDBOX/work' && echo before; rm -r repo; echo after-\$?"
assert_exists "static -> sh -c with the preload: the work tree is intact" "$R/.git/HEAD" "$R/file.txt"
assert_contains "... the shell ran up to the refused command" "$OUT" "before"
assert_contains "... which failed with 126 in the shell" "$OUT" "after-126"
assert_contains "... the shell's stderr has the line" "$ERR" "$BLOCKED_MARK"
assert_contains "... naming the rule" "$ERR" "(rule fs-rm-git)"
assert_not_contains "... the shell itself was not refused" "$ERR" "rawexec: execve"
# the same shell without this session's preload in its environment: refused whole
INTERLOCK_RULES_PATH=$SHIPPED run_capture guard env RAWEXEC_KEEP_ENV=1 RAWEXEC_UNSET=LD_PRELOAD rawexec /bin/sh -c \
    "cd '$SANDBOX/work' && echo before; rm -r repo"
assert_exists "static -> sh -c without LD_PRELOAD: the work tree is intact" "$R/.git/HEAD" "$R/file.txt"
assert_contains "... the shell is refused whole" "$ERR" "rawexec: execve /bin/sh: EACCES"
assert_contains "... with the line" "$ERR" "$BLOCKED_MARK"
assert_not_contains "... nothing in it ran" "$OUT" "before"

# the audit log has the supervisor's record of a refusal
victim "$V"
before=$(audit_lines)
run_capture guard rawexec /usr/bin/shred "$V/data"
assert_eq "static deny: one audit record" "$((before + 1))" "$(audit_lines)"
assert_contains "static deny: record names the rule" "$(tail -n 1 "$AUDIT_LOG")" '"rule":"test-shred"'
assert_contains "static deny: record says denied" "$(tail -n 1 "$AUDIT_LOG")" '"decision":"denied"'

# -- harmless things work
expect_ok "static raw execve of echo" rawexec /bin/echo hello
assert_eq "static echo output" "hello" "$OUT"
expect_ok "static -> env -i sh -c" rawexec /usr/bin/env -i /bin/sh -c "echo fine > '$SANDBOX/work/out'"
assert_eq "env -i sh -c wrote its file" "fine" "$(cat "$SANDBOX/work/out" 2>/dev/null)"
mkdir -p "$SANDBOX/work/plain"
expect_ok "static rm of a file (no rule)" rawexec /bin/rm "$SANDBOX/work/out"
assert_missing "rm of a file ran" "$SANDBOX/work/out"
run_capture guard rawexec /nonexistent/rm -r "$V"
assert_eq "missing program: ENOENT, no question" "2" "$STATUS"

# -- the layer is what stops it: with --no-seccomp the static program wins
victim "$V"
GUARD_OPTS=(--no-seccomp)
run_capture guard rawexec /bin/rm -r "$V"
assert_missing "--no-seccomp: static rm -r is not seen (the hole this layer closes)" "$V"
GUARD_OPTS=()

# -- many at once: twenty processes without the preload each exec an rm -r
# (the supervisor's loop must refuse it) and an echo (answered at once by
# its receiving thread), all interleaved. Every refusal and every echo
# must come back, to the right process.
for i in $(seq 20); do victim "$SANDBOX/work/many$i"; done
run_capture guard env -u LD_PRELOAD sh -c '
    for i in $(seq 20); do ( "$1" /bin/rm -r "$2/many$i"; "$1" /bin/echo "ran$i" ) & done; wait' \
    sh "$SANDBOX/bin/rawexec" "$SANDBOX/work"
assert_eq "20 parallel harmless execs all ran" "20" "$(printf '%s\n' "$OUT" | grep -c '^ran[0-9]*$')"
assert_eq "20 parallel rm -r all refused" "20" "$(grep -c "$BLOCKED_MARK" "$ERRF")"
intact=0
for i in $(seq 20); do [ -f "$SANDBOX/work/many$i/data" ] && intact=$((intact + 1)); done
assert_eq "20 parallel rm -r: every victim intact" "20" "$intact"
for i in $(seq 20); do
    printf '%s\n' "$OUT" | grep -qx "ran$i" || { _fail "echo $i missing from the parallel run"; break; }
done
finish
