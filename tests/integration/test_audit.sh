#!/usr/bin/env bash
# Audit log: a blocked exec appends exactly one valid JSON line to
# $XDG_STATE_HOME/interlock/audit.jsonl with the documented fields, even when
# argv holds non-UTF-8 bytes, newlines, quotes and backslashes; plain allowed
# execs write nothing.
. "$(dirname "$0")/lib.sh"

mkrepo "$HOME/project"
REPO=$HOME/project
INFO=$SANDBOX/info.json

# validate_log: every line of the audit log is valid UTF-8 JSON object
# pyscript NAME: write stdin to $SANDBOX/NAME.py (run_capture reads stdin
# from /dev/null, so scripts cannot come from a heredoc there)
pyscript() { cat >"$SANDBOX/$1.py"; }
# ensure_repo: recreate the repo if an earlier (failed) block let it be deleted
ensure_repo() { [ -d "$REPO/.git" ] || { rm -rf "$REPO"; mkrepo "$REPO"; }; cd "$REPO" || exit 1; }

pyscript validate <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    print("not UTF-8: %s" % e); sys.exit(1)
if data and not data.endswith(b"\n"):
    print("last line is not terminated by a newline"); sys.exit(1)
for n, line in enumerate(text.split("\n")[:-1], 1):
    try:
        o = json.loads(line)
    except Exception as e:
        print("line %d is not JSON: %s: %r" % (n, e, line[:300])); sys.exit(1)
    if not isinstance(o, dict):
        print("line %d is not an object" % n); sys.exit(1)
EOF
validate_log() {
    if [ ! -f "$AUDIT_LOG" ]; then _fail "$1: audit log exists" "$AUDIT_LOG"; return; fi
    run_capture "$PYTHON" "$SANDBOX/validate.py" "$AUDIT_LOG"
    if [ "$STATUS" -eq 0 ]; then _ok "$1: every audit line is valid JSON"; else
        _fail "$1: every audit line is valid JSON" "$OUT"
    fi
}

# py_blocked ARGV_REPR: a python process records its pid, ppid, cwd and
# session into $INFO, then os.execvp()s the argv given as a Python bytes-list
# expression (so it can carry any byte) in its own process
py_blocked() {
    guard "$PYTHON" -c '
import json, os, shutil, sys
argv = eval(sys.argv[1])
with open(sys.argv[2], "w") as f:
    json.dump({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(),
               "session": os.environ.get("INTERLOCK_SESSION")}, f)
# one execve (os.execvp would try every PATH entry: /usr/bin/rm and /bin/rm
# on merged-/usr systems are two exec attempts, so two decisions)
exe = shutil.which(os.fsdecode(argv[0]))
try:
    os.execv(exe, argv)
except PermissionError:
    sys.exit(126)
' "$1" "$INFO"
}

echo "# allowed execs write nothing"
cd "$REPO" || exit 1
before=$(audit_lines)
expect_ok "plain commands" guard bash -c 'true; /bin/true; ls >/dev/null; git status >/dev/null; echo rm -rf / >/dev/null'
expect_ok "python subprocess of harmless commands" guard "$PYTHON" -c 'import subprocess; subprocess.run(["true"]); subprocess.run("ls", shell=True, stdout=subprocess.DEVNULL)'
mkdir -p build/x
expect_ok "near-miss rm -rf ./build" guard rm -rf ./build
assert_eq "no audit lines for allowed execs" "$before" "$(audit_lines)"

echo "# a blocked exec writes one line"
before=$(audit_lines)
run_capture py_blocked "[b'rm', b'-rf', b'$REPO']"
assert_eq "blocked exec fails with EACCES (PermissionError)" 126 "$STATUS"
assert_contains "block line on stderr" "$ERR" "$BLOCKED_MARK"
assert_exists "repo survives" "$REPO/.git/HEAD" "$REPO/file.txt"
assert_exists "audit log at \$XDG_STATE_HOME/interlock/audit.jsonl" "$AUDIT_LOG"
assert_eq "exactly one new audit line" $((before + 1)) "$(audit_lines)"
validate_log "after one block"
pyscript fields <<'EOF'
import json, sys
rec = json.loads(open(sys.argv[1], "rb").read().decode().rstrip("\n").split("\n")[-1])
info = json.load(open(sys.argv[2]))
repo = sys.argv[3]
errors = []
def want(cond, msg):
    if not cond:
        errors.append(msg)
for k in ("time", "session", "pid", "ppid", "exe", "argv", "cwd", "event", "rule", "action", "decision"):
    want(k in rec, "missing field %r" % k)
want(rec.get("argv") == ["rm", "-rf", repo], "argv %r != %r" % (rec.get("argv"), ["rm", "-rf", repo]))
exe = rec.get("exe") or ""
want(isinstance(exe, str) and exe.startswith("/") and exe.rsplit("/", 1)[-1] == "rm",
     "exe %r is not an absolute path to rm" % exe)
want(rec.get("pid") == info["pid"], "pid %r != %r (the process that called exec)" % (rec.get("pid"), info["pid"]))
want(rec.get("ppid") == info["ppid"], "ppid %r != %r" % (rec.get("ppid"), info["ppid"]))
want(rec.get("cwd") == info["cwd"], "cwd %r != %r" % (rec.get("cwd"), info["cwd"]))
want(rec.get("event") == "exec", "event %r != 'exec'" % rec.get("event"))
want(rec.get("action") in ("deny", "confirm"), "action %r not deny/confirm" % rec.get("action"))
want(isinstance(rec.get("rule"), str) and rec.get("rule"), "rule %r is not an id" % rec.get("rule"))
want(isinstance(rec.get("decision"), str) and rec.get("decision"), "decision %r is empty" % rec.get("decision"))
want(rec.get("decision") != "allow", "decision is allow for a blocked exec")
want(info["session"] and str(rec.get("session")) == info["session"],
     "session %r != INTERLOCK_SESSION %r" % (rec.get("session"), info["session"]))
t = rec.get("time")
want(isinstance(t, (str, int, float)) and str(t), "time %r is empty" % t)
if errors:
    print("record: %s" % json.dumps(rec)); print("\n".join(errors)); sys.exit(1)
EOF
run_capture "$PYTHON" "$SANDBOX/fields.py" "$AUDIT_LOG" "$INFO" "$REPO"
if [ "$STATUS" -eq 0 ]; then _ok "audit record fields match the blocked exec"; else
    _fail "audit record fields match the blocked exec" "$OUT"
fi

echo "# argv with odd bytes"
ensure_repo
before=$(audit_lines)
run_capture py_blocked "[b'rm', b'-rf', b'$REPO', b'x\\xffy\\nz', b'q\"uo\\\\te', b'\\x01\\t\\x7f', 'caf\\u00e9'.encode()]"
assert_eq "blocked exec with odd argv fails with EACCES" 126 "$STATUS"
assert_exists "repo survives (odd argv)" "$REPO/.git/HEAD"
assert_eq "exactly one new audit line (odd argv)" $((before + 1)) "$(audit_lines)"
validate_log "after odd argv"
pyscript oddargv <<'EOF'
import json, sys
rec = json.loads(open(sys.argv[1], "rb").read().decode().rstrip("\n").split("\n")[-1])
argv = rec.get("argv")
errors = []
if not isinstance(argv, list) or len(argv) != 7 or not all(isinstance(a, str) for a in argv):
    errors.append("argv is not a list of 7 strings: %r" % (argv,))
else:
    if argv[:3] != ["rm", "-rf", sys.argv[2]]:
        errors.append("argv[:3] = %r" % argv[:3])
    a = argv[3]
    if not (a.startswith("x") and a.endswith("z") and "\n" in a):
        errors.append("argv[3] %r lost its text or its newline" % a)
    if argv[4] != 'q"uo\\te':
        errors.append("argv[4] %r != %r" % (argv[4], 'q"uo\\te'))
    if "caf" not in argv[6]:
        errors.append("argv[6] %r lost its text" % argv[6])
if errors:
    print("record: %s" % json.dumps(rec)); print("\n".join(errors)); sys.exit(1)
EOF
run_capture "$PYTHON" "$SANDBOX/oddargv.py" "$AUDIT_LOG" "$REPO"
if [ "$STATUS" -eq 0 ]; then _ok "odd argv is preserved (escaped) in the record"; else
    _fail "odd argv is preserved (escaped) in the record" "$OUT"
fi

echo "# several blocks through several processes, one line each"
ensure_repo
before=$(audit_lines)
run_capture guard bash -c "rm -rf $(printf %q "$REPO") ; git reset --hard ; git clean -fdx ; true"
assert_contains "blocked in a shell" "$ERR" "$BLOCKED_MARK"
n=$(($(audit_lines) - before))
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then _ok "one line per blocked decision (got $n)"; else
    _fail "one line per blocked decision" "expected 1..3 new lines, got $n"
fi
validate_log "after shell blocks"

echo "# default location without XDG_STATE_HOME"
ensure_repo
run_capture env -u XDG_STATE_HOME "$INTERLOCK_BIN" run -- rm -rf "$REPO"
assert_contains "blocked without XDG_STATE_HOME" "$ERR" "$BLOCKED_MARK"
assert_exists "audit log at \$HOME/.local/state/interlock/audit.jsonl" \
    "$HOME/.local/state/interlock/audit.jsonl"
AUDIT_LOG=$HOME/.local/state/interlock/audit.jsonl validate_log "default location"

echo "# concurrent blocked execs do not interleave lines"
ensure_repo
cat >"$SANDBOX/bin/pyexec" <<EOF
#!$PYTHON
import os, shutil, sys
os.execv(shutil.which(sys.argv[1]), sys.argv[1:])
EOF
chmod +x "$SANDBOX/bin/pyexec"
before=$(audit_lines)
run_capture guard bash -c '
for i in 1 2 3 4 5 6 7 8; do
    ( for j in 1 2 3 4 5; do pyexec rm -rf "$1" 2>/dev/null; done ) &
done
wait; true' _ "$REPO"
assert_exists "repo survives concurrent attempts" "$REPO/.git/HEAD"
n=$(($(audit_lines) - before))
assert_eq "40 concurrent blocked execs give 40 lines" 40 "$n"
validate_log "after concurrent blocks"

echo "# a deny rule: the preload itself writes the record (no broker involved)"
mkdir -p "$SANDBOX/denyrules"
cat >"$SANDBOX/denyrules/90-deny.conf" <<'EOF'
[test-deny-printf]
on = exec
program = printf
arg = ^deny-me$
action = deny
why = test rule: this printf is denied
match = printf deny-me
EOF
before=$(audit_lines)
GUARD_OPTS=(--rules "$SANDBOX/denyrules")
# a script file, so that the wrapper's own look into `bash -c` does not
# refuse the whole command before the preload is involved
printf '/usr/bin/printf deny-me; echo "rc=$?"\n' >"$SANDBOX/deny.sh"
run_capture guard bash "$SANDBOX/deny.sh"
GUARD_OPTS=()
assert_contains "denied exec refused" "$OUT" "rc=126"
assert_not_contains "the preload may write its own audit log" "$ERR" "audit.jsonl"
assert_eq "one record for the denied exec" $((before + 1)) "$(audit_lines)"
assert_contains "the record names the deny rule" "$(tail -n 1 "$AUDIT_LOG")" '"rule":"test-deny-printf"'
validate_log "after a deny"

finish
