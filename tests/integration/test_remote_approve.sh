#!/usr/bin/env bash
# Approvals from outside a headless session (issue 23): with --prompt-timeout
# and no terminal, a destructive command waits; `interlock pending` lists it;
# `interlock approve` from outside lets it run and the session goes on;
# `interlock deny` refuses it and the data stays; an approve from inside the
# guarded tree is refused, also when it cut itself loose (re-parented, empty
# environment, no preload); the time running out refuses; a notification
# command is told; and the same as an unprivileged user, where another
# user's answer is refused by the socket's peer credentials.
. "$(dirname "$0")/lib.sh"

# Sessions of this test only: other tests' sessions may be waiting too
# (pending also looks in /tmp/interlock-UID), so questions are picked by
# this sandbox's paths and answered as SESSION:ID.
export XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
HOLD=30

cat >"$SANDBOX/question.py" <<'EOF'
# question.py MARK [FIELD]: from `interlock pending --json` on stdin, the
# first question whose command mentions MARK: "SESSION:ID WORD" (or FIELD)
import json, sys
doc = json.load(sys.stdin)
for q in doc["questions"]:
    if sys.argv[1] in (q.get("command") or ""):
        if len(sys.argv) > 2:
            v = q.get(sys.argv[2])
            print(json.dumps(v) if not isinstance(v, str) else v)
        else:
            print("%s:%s %s" % (q["session"], q["id"], q["word"]))
        break
EOF

# wait_question MARK [BIN]: SESSION:ID and WORD of the question about MARK,
# once `interlock pending` lists it (empty after 15 s)
wait_question() {
    local mark=$1 bin=${2:-"$INTERLOCK_BIN"} q
    for _ in $(seq 150); do
        q=$("$bin" pending --json 2>/dev/null | "$PYTHON" "$SANDBOX/question.py" "$mark" 2>/dev/null)
        [ -n "$q" ] && { echo "$q"; return 0; }
        sleep 0.1
    done
    return 1
}

# session_bg NAME SCRIPT [run options...]: `interlock run` without a terminal,
# in the background, stdout/stderr to $SANDBOX/NAME.out/.err; pid in BG
session_bg() {
    local name=$1 script=$2
    shift 2
    "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" "$INTERLOCK_BIN" run "$@" -- bash "$script" \
        </dev/null >"$SANDBOX/$name.out" 2>"$SANDBOX/$name.err" &
    BG=$!
}

# victim_script NAME REPO: a script an agent might run: a harmless step,
# the destructive one, and work after it
victim_script() {
    cat >"$SANDBOX/$1.sh" <<EOF
echo start
rm -rf '$2'
echo "rm=\$?"
echo after >'$SANDBOX/$1.after'
EOF
}

audit_has() { # audit_has DESC JQ-LIKE-PYTHON-EXPR: some record satisfies EXPR (r is the record)
    run_capture "$PYTHON" -c '
import json, sys
ok = any(eval(sys.argv[2]) for r in map(json.loads, open(sys.argv[1])))
sys.exit(0 if ok else 1)' "$AUDIT_LOG" "$2"
    assert_status "$1" 0
}

echo "# a held question is listed, approved from outside, and the session goes on"
mkrepo "$SANDBOX/work/approved"
victim_script approve "$SANDBOX/work/approved"
session_bg approve "$SANDBOX/approve.sh" --prompt-timeout "$HOLD"
Q=$(wait_question "$SANDBOX/work/approved")
assert_contains "pending lists the waiting rm -rf" "$Q" ":q"
read -r HANDLE WORD <<<"$Q"
assert_eq "the word to type is the repository's name" "approved" "$WORD"
run_capture "$INTERLOCK_BIN" pending --json
assert_status "pending --json exits 0" 0
assert_eq "pending --json: the why" "rm -r of a git work tree or its .git directory deletes the repository's history and every uncommitted change" \
    "$(printf '%s' "$OUT" | "$PYTHON" "$SANDBOX/question.py" "$SANDBOX/work/approved" why)"
assert_eq "pending --json: the target" "$SANDBOX/work/approved" \
    "$(printf '%s' "$OUT" | "$PYTHON" "$SANDBOX/question.py" "$SANDBOX/work/approved" target)"
assert_eq "pending --json: the cwd" "$SANDBOX/work" \
    "$(printf '%s' "$OUT" | "$PYTHON" "$SANDBOX/question.py" "$SANDBOX/work/approved" cwd)"
age=$(printf '%s' "$OUT" | "$PYTHON" "$SANDBOX/question.py" "$SANDBOX/work/approved" age)
assert_eq "pending --json: the age is a number of seconds" "ok" "$([[ "$age" =~ ^[0-9]+$ ]] && echo ok)"
run_capture "$PYTHON" -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$OUT"
run_capture "$INTERLOCK_BIN" pending
assert_contains "pending (text) shows the command" "$OUT" "rm -rf $SANDBOX/work/approved"
assert_contains "pending (text) says how to answer" "$OUT" "interlock approve"
assert_exists "still waiting: the repository is there" "$SANDBOX/work/approved/.git"
run_capture "$INTERLOCK_BIN" approve "$HANDLE" --word "$WORD"
assert_status "approve --word WORD from outside: exit 0" 0
assert_contains "approve says what it did" "$OUT" "allowed once"
wait "$BG"
assert_eq "the session ends as the script does" 0 "$?"
assert_missing "approved: the rm ran" "$SANDBOX/work/approved"
assert_exists "the session went on after it" "$SANDBOX/approve.after"
assert_contains "the rm exited 0" "$(cat "$SANDBOX/approve.out")" "rm=0"
audit_has "audit: allowed by remote, naming the question" \
    'r["decision"] == "allowed" and r["by"] == "remote" and r.get("approval", "").startswith("q") and "approved" in " ".join(r["argv"])'

echo "# denied from outside: the data stays and the session goes on"
mkrepo "$SANDBOX/work/denied"
victim_script deny "$SANDBOX/work/denied"
session_bg deny "$SANDBOX/deny.sh" --prompt-timeout "$HOLD"
Q=$(wait_question "$SANDBOX/work/denied")
read -r HANDLE WORD <<<"$Q"
run_capture "$INTERLOCK_BIN" deny "$HANDLE"
assert_status "deny from outside: exit 0" 0
wait "$BG"
assert_exists "denied: the repository is intact" "$SANDBOX/work/denied/.git/HEAD" "$SANDBOX/work/denied/file.txt"
assert_exists "the session went on" "$SANDBOX/deny.after"
assert_contains "the agent was told a human denied it" "$(cat "$SANDBOX/deny.err")" "a human denied it"
assert_contains "the rm failed as a blocked exec does" "$(cat "$SANDBOX/deny.out")" "rm=126"
audit_has "audit: denied by remote" 'r["decision"] == "denied" and r["by"] == "remote" and "denied" in " ".join(r["argv"])'
run_capture "$INTERLOCK_BIN" deny "$HANDLE"
assert_status "deny of a question no longer waiting: exit 2" 2

echo "# the wrong word denies"
mkrepo "$SANDBOX/work/wrong"
victim_script wrong "$SANDBOX/work/wrong"
session_bg wrong "$SANDBOX/wrong.sh" --prompt-timeout "$HOLD"
read -r HANDLE WORD <<<"$(wait_question "$SANDBOX/work/wrong")"
run_capture "$INTERLOCK_BIN" approve "$HANDLE" --word yes
assert_status "approve with another word: exit 1" 1
wait "$BG"
assert_exists "wrong word: the repository is intact" "$SANDBOX/work/wrong/.git/HEAD"
audit_has "audit: wrong-word" 'r["by"] == "wrong-word" and "wrong" in " ".join(r["argv"])'

echo "# an approve from inside the guarded tree is refused"
mkrepo "$SANDBOX/work/inside"
cat >"$SANDBOX/detach.py" <<'EOF'
# detach.py BIN HANDLE WORD OUT: approve from a process cut loose from the
# session: double fork (re-parented away from the wrapper), new session,
# and an exec by raw system call with an empty environment but for
# XDG_RUNTIME_DIR, where the sessions are (the preload's
# exec hook cannot put the session back, so nothing of interlock is loaded)
import ctypes, os, sys, time
bin_, handle, word, out = sys.argv[1:5]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1); os.dup2(fd, 2)
        libc = ctypes.CDLL(None, use_errno=True)
        args = [bin_.encode(), b"approve", handle.encode(), b"--word", word.encode(), None]
        argv = (ctypes.c_char_p * len(args))(*args)
        # where the sessions are, and nothing else
        envp = (ctypes.c_char_p * 2)(("XDG_RUNTIME_DIR=" + os.environ["XDG_RUNTIME_DIR"]).encode(), None)
        libc.syscall(59, bin_.encode(), argv, envp)  # SYS_execve on x86_64
        os._exit(99)
    os._exit(0)
os.wait()
for _ in range(100):   # the detached one has written its verdict
    if os.path.exists(out) and os.path.getsize(out) > 0:
        break
    time.sleep(0.1)
EOF
# inside_scripts DIR REPO: DIR/inside-victim.sh deletes REPO while
# DIR/inside.sh, in the same tree, tries to approve that: directly, through
# env -i, and cut loose (detach.py); their outputs in DIR/inside.*
# (python: $INSIDE_PYTHON, else $PYTHON)
inside_scripts() {
    local d=$1 repo=$2 PYTHON=${INSIDE_PYTHON:-$PYTHON}
    cat >"$d/inside.sh" <<EOF
q=
while [ -z "\$q" ]; do sleep 0.1; q=\$("$INTERLOCK_BIN" pending --json | "$PYTHON" "$SANDBOX/question.py" "$repo"); done
set -- \$q
"$INTERLOCK_BIN" approve "\$1" --word "\$2" >"$d/inside.direct" 2>&1
echo "direct=\$?" >>"$d/inside.direct"
env -i XDG_RUNTIME_DIR="\$XDG_RUNTIME_DIR" ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} "$INTERLOCK_BIN" approve "\$1" --word "\$2" >"$d/inside.envi" 2>&1
echo "envi=\$?" >>"$d/inside.envi"
"$PYTHON" "$SANDBOX/detach.py" "$INTERLOCK_BIN" "\$1" "\$2" "$d/inside.detached"
EOF
    cat >"$d/inside-victim.sh" <<EOF
bash '$d/inside.sh' &
rm -rf '$repo'
echo "rm=\$?"
wait
EOF
}
if [ "$(uname -m)" != x86_64 ]; then
    sed -i 's/libc.syscall(59,/libc.syscall(221,/' "$SANDBOX/detach.py" # aarch64's execve
fi
mkdir -p "$SANDBOX/in"
inside_scripts "$SANDBOX/in" "$SANDBOX/work/inside"
session_bg inside "$SANDBOX/in/inside-victim.sh" --prompt-timeout 8
wait "$BG"
assert_contains "a descendant's approve is refused" "$(cat "$SANDBOX/in/inside.direct")" "refused:"
assert_contains "... exit 3" "$(cat "$SANDBOX/in/inside.direct")" "direct=3"
assert_contains "... because it descends from the wrapper" "$(cat "$SANDBOX/in/inside.direct")" "descends from the wrapper"
assert_contains "env -i does not help (the preload puts the session back)" "$(cat "$SANDBOX/in/inside.envi")" "refused:"
assert_contains "re-parented, empty environment, no preload: refused by the seccomp filter it keeps" \
    "$(cat "$SANDBOX/in/inside.detached")" "seccomp filter"
assert_exists "nothing from inside approved it: the repository is intact" "$SANDBOX/work/inside/.git/HEAD"
assert_contains "the question ran out of time" "$(cat "$SANDBOX/inside.err")" "did not confirm in time"
if [ "$(id -u)" = 0 ]; then
    # root's tree keeps a filter even without the layer: the one refusing TIOCSTI
    mkrepo "$SANDBOX/work/noseccomp"
    mkdir -p "$SANDBOX/noseccomp"
    inside_scripts "$SANDBOX/noseccomp" "$SANDBOX/work/noseccomp"
    session_bg noseccomp "$SANDBOX/noseccomp/inside-victim.sh" --prompt-timeout 8 --no-seccomp
    wait "$BG"
    assert_contains "--no-seccomp as root: the cut-loose process still has the TIOCSTI filter: refused" \
        "$(cat "$SANDBOX/noseccomp/inside.detached")" "seccomp filter"
    assert_exists "--no-seccomp as root: the repository is intact" "$SANDBOX/work/noseccomp/.git/HEAD"
fi

echo "# no answer in time: refused"
mkrepo "$SANDBOX/work/timeout"
victim_script timeout "$SANDBOX/work/timeout"
session_bg timeout "$SANDBOX/timeout.sh" --prompt-timeout 2
wait "$BG"
assert_exists "timeout: the repository is intact" "$SANDBOX/work/timeout/.git/HEAD"
assert_contains "timeout: the agent is told" "$(cat "$SANDBOX/timeout.err")" "the human did not confirm in time"
assert_exists "timeout: the session went on" "$SANDBOX/timeout.after"
audit_has "audit: timeout" 'r["by"] == "timeout" and "timeout" in " ".join(r["argv"])'

echo "# without --prompt-timeout (and no terminal): refused at once, nothing waits"
mkrepo "$SANDBOX/work/atonce"
victim_script atonce "$SANDBOX/work/atonce"
start=$(date +%s)
session_bg atonce "$SANDBOX/atonce.sh"
wait "$BG"
assert_eq "refused at once (under 5 s)" ok "$([ $(($(date +%s) - start)) -lt 5 ] && echo ok)"
assert_contains "no terminal: the agent is told" "$(cat "$SANDBOX/atonce.err")" "no human terminal is available"
assert_exists "the repository is intact" "$SANDBOX/work/atonce/.git/HEAD"

echo "# a notification command is run for a waiting question"
mkrepo "$SANDBOX/work/notified"
victim_script notified "$SANDBOX/notified-x"
sed -i "s|$SANDBOX/notified-x|$SANDBOX/work/notified|" "$SANDBOX/notified.sh"
session_bg notified "$SANDBOX/notified.sh" --prompt-timeout "$HOLD" \
    --notify "printf '%s|%s|%s|%s\n' \"\$INTERLOCK_QUESTION_ID\" \"\$INTERLOCK_QUESTION_COMMAND\" \"\$INTERLOCK_QUESTION_WORD\" \"\${LD_PRELOAD:-}\${INTERLOCK_SESSION:-}\" >'$SANDBOX/notice'"
read -r HANDLE WORD <<<"$(wait_question "$SANDBOX/work/notified")"
for _ in $(seq 50); do [ -s "$SANDBOX/notice" ] && break; sleep 0.1; done
assert_contains "the notification names the question" "$(cat "$SANDBOX/notice" 2>/dev/null)" "${HANDLE#*:}|"
assert_contains "... its command and word" "$(cat "$SANDBOX/notice" 2>/dev/null)" "rm -rf $SANDBOX/work/notified|notified|"
assert_eq "... and runs unguarded (no preload, no session)" "" "$(cut -d'|' -f4 "$SANDBOX/notice" 2>/dev/null)"
"$INTERLOCK_BIN" deny "$HANDLE" >/dev/null 2>&1
wait "$BG"

echo "# bad usage"
assert_status "approve without an id: 125" 125 "$INTERLOCK_BIN" approve
assert_status "pending with an argument: 125" 125 "$INTERLOCK_BIN" pending extra
assert_status "run --notify '': 125" 125 "$INTERLOCK_BIN" run --notify '' -- true
assert_status "approve of nothing waiting: 2" 2 "$INTERLOCK_BIN" approve q999 --word x
for sub in pending approve deny; do
    run_capture "$INTERLOCK_BIN" "$sub" --help
    assert_contains "interlock $sub --help" "$OUT" "usage: interlock $sub"
done

echo "# an unprivileged user; another user's answer is refused"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    NB=65534
    chmod 755 "$SANDBOX" "$SANDBOX/bin"
    U="$SANDBOX/nobody"
    mkdir -p "$U/home" "$U/state" "$U/work" "$U/tmp" "$U/run"
    chmod 700 "$U/run"
    cp "$SANDBOX/question.py" "$U/question.py"
    mkrepo "$U/work/repo"
    victim_script nobody "$U/work/repo"
    mv "$SANDBOX/nobody.sh" "$U/victim.sh"
    sed -i "s|$SANDBOX/nobody.after|$U/after|" "$U/victim.sh"
    chown -R "$NB:$NB" "$U"
    as_nobody() {
        setpriv --reuid=$NB --regid=$NB --clear-groups -- \
            env HOME="$U/home" XDG_STATE_HOME="$U/state" XDG_CONFIG_HOME="$U/home/.config" \
            XDG_RUNTIME_DIR="$U/run" TMPDIR="$U/tmp" "$@"
    }
    as_nobody "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" "$INTERLOCK_BIN" run --prompt-timeout "$HOLD" \
        -- bash "$U/victim.sh" </dev/null >"$SANDBOX/nb.out" 2>"$SANDBOX/nb.err" &
    BG=$!
    q=
    for _ in $(seq 150); do
        q=$(as_nobody "$INTERLOCK_BIN" pending --json 2>/dev/null | "$PYTHON" "$U/question.py" "$U/work/repo")
        [ -n "$q" ] && break
        sleep 0.1
    done
    read -r HANDLE WORD <<<"$q"
    assert_contains "nobody: pending lists its own question" "$HANDLE" ":q"
    sock=$(ls "$U"/run/interlock/*/answer.sock 2>/dev/null | head -n1)
    cat >"$SANDBOX/as_other.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect: %s" % e.strerror); sys.exit(0)
s.send(("v=1\nop=answer\nid=%s\ntyped=%s\n" % (sys.argv[2], sys.argv[3])).encode())
print(s.recv(65536).decode())
EOF
    run_capture "$PYTHON" "$SANDBOX/as_other.py" "$sock" "${HANDLE#*:}" "$WORD"
    assert_contains "root, another user, reaches the socket and is refused (SO_PEERCRED)" "$OUT" "status=refused"
    assert_contains "... as another user" "$OUT" "another user"
    run_capture setpriv --reuid=65533 --regid=65533 --clear-groups -- "$PYTHON" "$SANDBOX/as_other.py" "$sock" "${HANDLE#*:}" "$WORD"
    assert_contains "a third user cannot even connect" "$OUT" "connect: Permission denied"
    assert_exists "nobody: still waiting, repository intact" "$U/work/repo/.git/HEAD"
    run_capture as_nobody "$INTERLOCK_BIN" approve "$HANDLE" --word "$WORD"
    assert_status "nobody approves its own session's question from outside it" 0
    wait "$BG"
    assert_missing "nobody: the approved rm ran" "$U/work/repo"
    assert_exists "nobody: the session went on" "$U/after"

    # The documented limit (docs/agents.md): a non-root tree under
    # --no-seccomp has no filter, so a process that is re-parented, has an
    # empty environment and no preload is outside by every check.
    mkdir -p "$U/limit" && mkrepo "$U/limit/repo" && chown -R "$NB:$NB" "$U/limit"
    # a python the unprivileged user can run ($PYTHON may be under /root)
    INSIDE_PYTHON=$(command -v /usr/bin/python3 || echo python3) inside_scripts "$U/limit" "$U/limit/repo"
    as_nobody "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" "$INTERLOCK_BIN" run --prompt-timeout 8 --no-seccomp \
        -- bash "$U/limit/inside-victim.sh" </dev/null >"$SANDBOX/nbl.out" 2>"$SANDBOX/nbl.err"
    assert_contains "nobody, --no-seccomp: a descendant is still refused" "$(cat "$U/limit/inside.direct")" "refused:"
    assert_contains "nobody, --no-seccomp: env -i is still refused (the preload puts the session back)" \
        "$(cat "$U/limit/inside.envi")" "refused:"
    assert_contains "nobody, --no-seccomp: the cut-loose, preload-free process is let answer (the limit)" \
        "$(cat "$U/limit/inside.detached")" "allowed once"
else
    echo "(not root or no setpriv: the unprivileged and two-user checks need root to switch users)"
fi

finish
