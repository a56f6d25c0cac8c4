#!/usr/bin/env bash
# One judge: every host gives the same verdict on the same operation.
#   check       `interlock check --json` run inside the session (it then
#               judges as that session does);
#   preload     python making the call under `interlock run --no-seccomp`
#               (the hooks alone);
#   supervisor  a static program making it under `interlock run --strict`
#               (no preload: the seccomp supervisor alone; from a second
#               thread, as agents' runtimes make their calls).
# Each row is one operation on fixtures made afresh for every host: execs,
# opens for read/write/append/truncate/create, deletes, rmdirs, renames and
# connects, over interlock's own files, credentials, databases, git work
# trees, temp files and files born in the session. For each row the three
# verdicts (allow, log, confirm, deny, and the rule) must be equal, and the
# row's expectation (allow or stop) must hold, so that agreement on a
# wrong answer does not pass either.
. "$(dirname "$0")/lib.sh"
# the shipped rules, plus connect rules for a loopback service
export INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d:$RULES_DIR"
rm -f "$RULES_DIR/50-seccomp-test.conf"

PORTF=$SANDBOX/port
"$PYTHON" - "$PORTF" <<'EOF' &
import socket, sys, threading
socks, port = [], 0
for addr in ("127.0.0.7", "127.0.0.8", "127.0.0.9"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    port = s.getsockname()[1]
    s.listen(64)
    socks.append(s)
open(sys.argv[1], "w").write(str(port))
def serve(s):
    while True:
        s.accept()[0].close()
for s in socks:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
threading.Event().wait(600)
EOF
SERVER=$!
trap 'kill $SERVER 2>/dev/null; _cleanup' EXIT
for _ in $(seq 50); do [ -s "$PORTF" ] && break; sleep 0.1; done
PORT=$(cat "$PORTF")
cat >"$RULES_DIR/60-parity.conf" <<EOF
[test-protected-service]
on = connect
address = 127.0.0.7
port = $PORT
action = deny
why = test rule: the protected service
match = connect 127.0.0.7:$PORT

[test-watched-service]
on = connect
address = 127.0.0.9
port = $PORT
action = log
why = test rule: connects here are recorded
match = connect 127.0.0.9:$PORT
EOF

P="$HOME/proj"
T="$TMPDIR/scratch"
OWN="$XDG_CONFIG_HOME/interlock/rules.d"
# fixtures: the same tree before every host's run of every row
fixtures() {
    chmod -R u+rwX "$HOME" "$TMPDIR" 2>/dev/null
    rm -rf "$HOME" "$TMPDIR" "$XDG_CONFIG_HOME"
    mkdir -p "$HOME/.ssh" "$HOME/Documents" "$HOME/.cache/pip" "$T/sub" "$OWN" "$P/src" "$P/build"
    printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n' >"$HOME/.ssh/id_ed25519"
    echo "ssh-ed25519 AAAA pub" >"$HOME/.ssh/id_ed25519.pub"
    echo "notes" >"$HOME/Documents/notes.txt"
    echo "cached" >"$HOME/.cache/pip/wheel"
    echo "scratch" >"$T/file"
    echo "[x]" >"$OWN/50-mine.conf"
    (cd "$P" && git init -q && echo "int main;" >src/main.c && echo "rows" >app.db &&
        echo "API_KEY=secret" >.env && printf '.env\nbuild/\napp.db\n' >.gitignore &&
        echo "int edit;" >src/edit.c &&
        git add src/main.c src/edit.c .gitignore && git -c user.name=t -c user.email=t@t commit -qm first &&
        echo "int edit = 2; /* uncommitted */" >src/edit.c &&
        echo "untracked" >notes.txt && echo "o" >build/out.o) || _fail "fixtures: git"
}

# verdict_of_run: allow/log/confirm/deny RULE from the last run_capture of a
# guarded operation (status, the interlock line, the audit log's new records)
AUDIT_BEFORE=0
verdict_of_run() {
    local line rule
    if [ "$STATUS" -eq 0 ]; then
        if [ "$(audit_lines)" -gt "$AUDIT_BEFORE" ] && tail -n +"$((AUDIT_BEFORE + 1))" "$AUDIT_LOG" |
            grep -q '"decision":"allowed","by":"rule"'; then
            rule=$(tail -n +"$((AUDIT_BEFORE + 1))" "$AUDIT_LOG" | sed -n 's/.*"rule":"\([^"]*\)".*"by":"rule".*/\1/p' | head -1)
            echo "log $rule"
        else
            echo "allow -"
        fi
        return
    fi
    line=$(grep -F "$BLOCKED_MARK" "$ERRF" | head -1)
    if [ -z "$line" ]; then
        # failed on its own (ENOENT...): nothing was refused; a refusal
        # (EACCES: 13, or 126 from a shell) without a line is a defect
        case $STATUS in 13 | 126) echo "silent-refusal($STATUS) -" ;; *) echo "allow -" ;; esac
        return
    fi
    rule=$(sed -n 's/.*(rule \([^)]*\)).*/\1/p' <<<"$line")
    case $line in
    *"needs a human's confirmation"* | *"human denied"* | *"did not confirm in time"*) echo "confirm ${rule:--}" ;;
    *) echo "deny ${rule:--}" ;;
    esac
}

# born FILE CMD...: CMD after FILE was written inside the session
born_wrap() { # prints the argv prefix for a row that needs a born file
    [ -n "$BORN" ] && printf '%s\0' sh -c 'printf born >"$1" && shift && exec "$@"' sh "$BORN"
}

# the three hosts; each prints "ACTION RULE"
host_check() {
    local kind=$1
    shift
    local -a a
    case $kind in
    exec) a=(-- "$@") ;;
    read | write | append | truncate | create) a=(--open "$kind" -- "$@") ;;
    delete | rmdir | rename) a=("--$kind" -- "$@") ;;
    connect) a=(--connect -- "$1:$2") ;;
    esac
    local -a pre=()
    [ -n "$BORN" ] && pre=(sh -c 'printf born >"$1" && shift && exec "$@"' sh "$BORN")
    GUARD_OPTS=(--no-seccomp)
    run_capture guard "${pre[@]}" "$INTERLOCK_BIN" check --json "${a[@]}"
    parse_check_json
    echo "$CHECK_ACTION $([ "$CHECK_RULE" = null ] && echo - || echo "$CHECK_RULE")"
}
host_preload() {
    local -a pre=()
    [ -n "$BORN" ] && pre=(sh -c 'printf born >"$1" && shift && exec "$@"' sh "$BORN")
    GUARD_OPTS=(--no-seccomp)
    AUDIT_BEFORE=$(audit_lines)
    run_capture guard "${pre[@]}" "$PYTHON" "$SANDBOX/op.py" "$@"
    verdict_of_run
}
host_supervisor() {
    local kind=$1
    shift
    local -a pre=()
    [ -n "$BORN" ] && pre=(sh -c 'printf born >"$1" && shift && exec "$@"' sh "$BORN")
    local -a a
    case $kind in
    read) a=(open r "$@") ;; write) a=(open w "$@") ;; append) a=(open a "$@") ;;
    truncate) a=(open t "$@") ;; create) a=(open c "$@") ;; delete) a=(unlink "$@") ;;
    *) a=("$kind" "$@") ;;
    esac
    GUARD_OPTS=(--strict)
    AUDIT_BEFORE=$(audit_lines)
    run_capture guard "${pre[@]}" "$SANDBOX/bin/inthread" "${a[@]}"
    verdict_of_run
}
cat >"$SANDBOX/op.py" <<'EOF'
import os, socket, sys
kind, args = sys.argv[1], sys.argv[2:]
flags = {"read": os.O_RDONLY, "write": os.O_WRONLY, "append": os.O_WRONLY | os.O_APPEND,
         "truncate": os.O_WRONLY | os.O_TRUNC, "create": os.O_WRONLY | os.O_CREAT | os.O_EXCL}
try:
    if kind == "exec":
        os.execv(args[0], args)
    elif kind in flags:
        os.close(os.open(args[0], flags[kind], 0o600))
    elif kind == "delete":
        os.unlink(args[0])
    elif kind == "rmdir":
        os.rmdir(args[0])
    elif kind == "rename":
        os.rename(args[0], args[1])
    elif kind == "connect":
        socket.create_connection((args[0], int(args[1])), timeout=5).close()
except PermissionError:
    sys.exit(13)
EOF

ROWS=0
# row EXPECT [born=FILE] KIND ARGS...: EXPECT is allow (allow or log) or stop
row() {
    local expect=$1
    shift
    BORN=
    case $1 in born=*) BORN=${1#born=}; shift ;; esac
    local desc="$*" c p s
    ROWS=$((ROWS + 1))
    fixtures; c=$(host_check "$@")
    fixtures; p=$(host_preload "$@")
    fixtures; s=$(host_supervisor "$@")
    desc=${desc//$HOME/\~}
    desc=${desc//$SANDBOX/\$SANDBOX}
    if [ "$c" = "$p" ] && [ "$p" = "$s" ]; then
        _ok "$desc: all three say $c"
    else
        _fail "$desc: the hosts disagree" "check:      $c" "preload:    $p" "supervisor: $s"
    fi
    case "$expect:${c%% *}" in
    allow:allow | allow:log | stop:confirm | stop:deny) ;;
    *) _fail "$desc: expected $expect, check says $c" ;;
    esac
}

# execs
row stop exec /bin/rm -rf "$P"
row allow exec /bin/rm -rf "$T"
row stop exec /usr/bin/git -C "$P" reset --hard
row allow exec /usr/bin/git -C "$P" status --short
row stop exec /bin/sh -c "rm -rf $HOME/Documents"
# opens: credentials, databases, .git, the session's own, missing files
row stop read "$HOME/.ssh/id_ed25519"
row allow read "$HOME/.ssh/id_ed25519.pub"
row allow read "$HOME/.ssh/id_rsa"
row stop read "$P/.env"
row allow born="$P/.env.local" read "$P/.env.local"
row stop truncate "$P/app.db"
row allow born="$P/test.db" truncate "$P/test.db"
row stop write "$P/.git/config"
row allow write "$P/src/main.c"
row allow truncate "$T/file"
row allow create "$T/new"
# interlock's own files: whatever the rules say
row stop write "$OWN/50-mine.conf"
row stop create "$OWN/50-new.conf"
row stop append "$AUDIT_LOG"
row stop truncate "$AUDIT_LOG"
row allow read "$OWN/50-mine.conf"
# deletes and renames: what would be lost
row allow delete "$P/src/main.c"
row stop delete "$P/src/edit.c"
row stop delete "$P/notes.txt"
row allow born="$P/new.txt" delete "$P/new.txt"
row allow delete "$P/build/out.o"
row stop delete "$P/app.db"
row allow born="$P/scratch.db" delete "$P/scratch.db"
row stop delete "$HOME/.ssh/id_ed25519"
row stop delete "$HOME/Documents/notes.txt"
row allow delete "$HOME/.cache/pip/wheel"
row allow delete "$T/file"
row stop rmdir "$HOME/Documents"
row allow rmdir "$T/sub"
row stop rename "$HOME/.ssh/id_ed25519" "$T/key"
row allow rename "$P/app.db" "$P/app.db.bak"
row stop rename "$P/app.db" "$P/app.old"
row stop rename "$HOME/.ssh/id_ed25519" "$HOME/.ssh/x.pub"
row allow rename "$P/src/main.c" "$T/main.c"
row stop rename "$P/src/edit.c" "$T/edit.c"
row stop rename "$P/src" "$T/src"
row stop rename "$P/.git" "$T/history"
# a rename onto a file replaces it: judged as the truncation it amounts to
row stop rename "$T/file" "$HOME/.ssh/id_ed25519"
row stop rename "$T/file" "$P/app.db"
row allow born="$HOME/.ssh/id_session" rename "$T/file" "$HOME/.ssh/id_session"
row allow rename "$T/file" "$P/notes.txt"
row stop delete "$OWN/50-mine.conf"
row stop rename "$T/file" "$OWN/50-planted.conf"
row stop rmdir "$OWN"
# connects
row stop connect 127.0.0.7 "$PORT"
row allow connect 127.0.0.8 "$PORT"
row allow connect 127.0.0.9 "$PORT"
assert_eq "every row ran" "52" "$ROWS"

finish
