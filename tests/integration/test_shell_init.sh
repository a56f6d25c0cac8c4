#!/usr/bin/env bash
# The dev-shell mode: eval "$(interlock shell-init bash)" guards the shell it
# runs in (an interactive shell re-executes itself so that it is preloaded;
# here a child bash started after the eval plays that part). What it runs is
# judged by the same rules as under `interlock run`; with no terminal to ask
# on, a confirmation fails closed. interlock_deactivate ends the session for
# the processes already running in it too.
. "$(dirname "$0")/lib.sh"

mkdir -p "$HOME/.ssh"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nplanted-shell-secret\n' >"$HOME/.ssh/id_ed25519"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdqZr3pQ0 dev@box" >"$HOME/.ssh/id_ed25519.pub"
mkrepo "$SANDBOX/work/repo"
echo "uncommitted" >"$SANDBOX/work/repo/file.txt"

run_capture "$INTERLOCK_BIN" shell-init bash
assert_status "shell-init bash prints the session" 0
INIT=$OUT
assert_contains "it exports the preload" "$INIT" "LD_PRELOAD"
printf '%s\n' "$INIT" >"$SANDBOX/init.sh"

# in_session SCRIPT: a shell evals shell-init's output (a session of its
# own, which only that shell may end), then runs SCRIPT preloaded, as the
# re-executed interactive shell would (exec keeps its pid)
in_session() {
    bash -c 'eval "$("$INTERLOCK_BIN" shell-init bash)"; export -f interlock_deactivate; exec bash -c "$1"' _ "$1" \
        </dev/null
}

run_capture in_session 'grep -c libinterlock /proc/$$/maps'
assert_eq "the session's shell has the library" 1 "$([ "${OUT:-0}" -gt 0 ] && echo 1)"

run_capture in_session "rm -rf '$SANDBOX/work/repo'"
if [ "$STATUS" -ne 0 ] && grep -qF "$BLOCKED_MARK" "$ERRF"; then
    _ok "rm -rf of a work tree in the dev shell: blocked (status $STATUS)"
else
    _fail "rm -rf of a work tree in the dev shell was not blocked (status $STATUS)"
    _last_run
fi
assert_eq "the work tree is intact" "uncommitted" "$(cat "$SANDBOX/work/repo/file.txt")"

run_capture in_session "cat '$HOME/.ssh/id_ed25519'"
assert_not_contains "cat of the key prints nothing of it" "$OUT" "planted-shell-secret"
assert_contains "and says why" "$ERR" "$BLOCKED_MARK"

run_capture in_session "ls '$HOME/.ssh' && cat '$HOME/.ssh/id_ed25519.pub' && git -C '$SANDBOX/work/repo' status --short"
assert_status "ls, a public key and git status work" 0
assert_contains "git status ran" "$OUT" "M file.txt"
assert_not_contains "without a block line" "$ERR" "$BLOCKED_MARK"

# Opens no rule names cost no look at whether the session has ended (a
# system call each): a python opening 200 files asks at most a few times.
if command -v strace >/dev/null; then
    for i in $(seq 200); do echo x >"$SANDBOX/work/f$i.txt"; done
    run_capture in_session "strace -f -qq -e trace=access,faccessat,faccessat2 -o '$SANDBOX/access.trace' \
        $PYTHON -c 'import sys
for i in range(1, 201):
    open(\"$SANDBOX/work/f%d.txt\" % i).read()'"
    assert_status "python opens 200 files in the dev shell" 0
    n=$(grep -c 'rules.snap' "$SANDBOX/access.trace")
    if [ "$n" -le 5 ]; then _ok "the session's end was looked up $n times for 200 opens"; else
        _fail "the session's end was looked up $n times for 200 opens (one per open)"
    fi
else
    _fail "strace is needed to count the lookups (scripts/setup.sh installs it)"
fi

# interlock_deactivate, then the same shell process and a python that was
# already running read the key and delete the tree: the session is over.
cat >"$SANDBOX/reader.py" <<EOF
import os, sys, time
open(sys.argv[1], "w").close()          # started, inside the session
while os.path.exists(sys.argv[1]):       # until the shell has deactivated
    time.sleep(0.01)
print(open(sys.argv[2]).read().strip().splitlines()[-1])
EOF
run_capture in_session "
$PYTHON '$SANDBOX/reader.py' '$SANDBOX/started' '$HOME/.ssh/id_ed25519' > '$SANDBOX/reader.out' 2>&1 &
while [ ! -e '$SANDBOX/started' ]; do sleep 0.01; done
snap=\$INTERLOCK_SNAPSHOT
interlock_deactivate
[ -e \"\$snap\" ] && echo 'snapshot still there'
rm '$SANDBOX/started'
wait
rm -rf '$SANDBOX/work/repo' && echo removed"
assert_status "after interlock_deactivate the shell runs what it refused" 0
assert_contains "the tree was removed" "$OUT" "removed"
assert_not_contains "the snapshot is gone" "$OUT" "snapshot still there"
assert_missing "no work tree left" "$SANDBOX/work/repo"
assert_eq "a process already running reads the key once the session is over" "planted-shell-secret" \
    "$(cat "$SANDBOX/reader.out")"
if command -v strace >/dev/null; then
    # a process still preloaded with the ended session's variables
    run_capture in_session "keep=\$(env | grep -E '^(LD_PRELOAD|INTERLOCK_SESSION|INTERLOCK_SNAPSHOT)='); interlock_deactivate
        export \$keep; strace -f -qq -e trace=access,faccessat,faccessat2 -o '$SANDBOX/ended.trace' \
        $PYTHON -c 'import sys
for i in range(1, 201):
    open(\"$SANDBOX/work/f%d.txt\" % i).read()
print(\"preloaded\" if \"libinterlock\" in open(\"/proc/self/maps\").read() else \"bare\")'"
    assert_eq "the reader runs preloaded, in the ended session" "preloaded" "$OUT"
    n=$(grep -c 'rules.snap' "$SANDBOX/ended.trace")
    if [ "$n" -le 2 ]; then _ok "an ended session was looked up $n times for 200 opens"; else
        _fail "an ended session was looked up $n times for 200 opens"
    fi
fi

# Session directories: shell-init records its shell as the session's holder;
# interlock_deactivate removes the directory whole; one whose shell exited
# without it (every printed, not eval'ed, shell-init) is swept when the next
# session starts.
export XDG_RUNTIME_DIR="$SANDBOX/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"
BASE=$XDG_RUNTIME_DIR/interlock
run_capture bash -c '"$INTERLOCK_BIN" shell-init bash >/dev/null; echo $$'
printed=$(ls "$BASE" | grep '^shell-')
assert_eq "a printed shell-init leaves one session directory" 1 "$(grep -c . <<<"$printed")"
assert_eq "... held by the shell that ran it" "$OUT" "$(cut -d' ' -f1 "$BASE/$printed/owner" 2>/dev/null)"
run_capture in_session 'interlock_deactivate && echo "dir=${INTERLOCK_SNAPSHOT%/*}"'
assert_status "a session starts and ends" 0
ended=${OUT#dir=}
assert_missing "interlock_deactivate removes its directory, holder record and all" "$ended"
assert_missing "the printed session's directory was swept (its shell is gone)" "$BASE/$printed"
bash -c 'eval "$("$INTERLOCK_BIN" shell-init bash)"; echo "${INTERLOCK_SNAPSHOT%/*}" >"$1"; exec sleep 60' _ \
    "$SANDBOX/live.dir" </dev/null >/dev/null 2>&1 &
liveshell=$!
for _ in $(seq 100); do [ -s "$SANDBOX/live.dir" ] && break; sleep 0.1; done
run_capture bash -c '"$INTERLOCK_BIN" shell-init bash >/dev/null'
assert_exists "a session whose shell is alive is kept by the next one" "$(cat "$SANDBOX/live.dir")/rules.snap"
kill "$liveshell"
wait "$liveshell" 2>/dev/null
run_capture "$INTERLOCK_BIN" shell-init --rules "$SANDBOX/no-such-rules" bash
assert_status "shell-init --rules DIR that does not exist: 125" 125
assert_eq "... and prints nothing to eval" "" "$OUT"
assert_status "shell-init --profile: 125 (a dev shell has no profile)" 125 "$INTERLOCK_BIN" shell-init --profile staging bash

finish
