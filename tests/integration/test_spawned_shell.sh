#!/usr/bin/env bash
# An agent's tool call is a spawned `bash -c STRING` whose output the agent
# collects; a failed spawn is reported by its errno alone (python's
# subprocess raises PermissionError, node emits "spawn EACCES"), so a refusal
# of the shell itself would reach the model without its reason. With no
# terminal to ask on, the shell runs and the command inside it is refused at
# its own exec: the line is in the shell's captured stderr with status 126
# (lib/preload/exec_check.c, cli/seccomp/trap_exec.c). With and without the
# seccomp layer. Not so when the string shows what no exec would: a builtin,
# or a command fed by the string's own pipe or here-document (engine:
# decide.c mark_exec_judged).
. "$(dirname "$0")/lib.sh"

mkrepo "$SANDBOX/work/repo"
mkdir -p "$SANDBOX/.run"
edit() { echo "uncommitted edit" >"$SANDBOX/work/repo/file.txt"; }

cat >"$SANDBOX/spawn.py" <<'PY'
import subprocess, sys
try:
    r = subprocess.run(["/bin/bash", "-c", sys.argv[1]], capture_output=True, text=True)
    print("status=%d" % r.returncode)
    print(r.stdout, end="")
    print(r.stderr, end="")
except OSError as e:
    print("spawn-error=%s" % e)
PY
cat >"$SANDBOX/spawn.js" <<'JS'
const c = require('child_process').spawn('/bin/bash', ['-c', process.argv[2]]);
let out = '';
c.stdout.on('data', d => out += d);
c.stderr.on('data', d => out += d);
c.on('error', e => console.log('spawn-error=' + e.message));
c.on('close', code => console.log('status=' + code + '\n' + out));
JS

for opts in "" "--no-seccomp"; do
    GUARD_OPTS=(${opts:+$opts})
    label=${opts:-seccomp}
    edit
    _runno=$((_runno + 1))
    OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
    (cd "$SANDBOX/work/repo" && guard "$PYTHON" "$SANDBOX/spawn.py" \
        'echo before >../marker; git reset --hard') </dev/null >"$OUTF" 2>"$ERRF"
    OUT=$(cat "$OUTF")
    assert_contains "$label: python's bash -c ran (status 126), not a spawn error" "$OUT" "status=126"
    assert_contains "$label: python captured interlock's line" "$OUT" "$BLOCKED_MARK"
    assert_contains "$label: ... with the rule" "$OUT" "(rule git-reset-hard)"
    assert_eq "$label: the edit is intact" "uncommitted edit" "$(cat "$SANDBOX/work/repo/file.txt")"
    assert_exists "$label: the allowed command before it in the string ran" "$SANDBOX/work/marker"
    rm -f "$SANDBOX/work/marker"
    if [[ "$OUT" != *"$BLOCKED_MARK"* ]]; then _last_run; fi

    if have_tool node nodejs; then
        _runno=$((_runno + 1))
        OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
        (cd "$SANDBOX/work/repo" && guard node "$SANDBOX/spawn.js" 'git reset --hard') </dev/null >"$OUTF" 2>"$ERRF"
        OUT=$(cat "$OUTF")
        assert_contains "$label: node's bash -c ran (status 126)" "$OUT" "status=126"
        assert_not_contains "$label: ... no spawn error" "$OUT" "spawn-error"
        assert_contains "$label: node captured interlock's line" "$OUT" "(rule git-reset-hard)"
        assert_eq "$label: the edit is intact (node)" "uncommitted edit" "$(cat "$SANDBOX/work/repo/file.txt")"
    fi
done
GUARD_OPTS=()

# What the string alone shows stays judged on the string, the shell refused
# whole: a builtin no exec hook sees (echo feeding nsupdate a delete script).
# Commands in a here-document a shell runs are execs of their own.
printf '#!/bin/sh\ncat >"%s/nsupdate-ran"\n' "$SANDBOX" >"$SANDBOX/bin/nsupdate"
chmod +x "$SANDBOX/bin/nsupdate"
_runno=$((_runno + 1))
OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
LAST_CMD="python: bash -c 'echo update delete ... | nsupdate'"
guard "$PYTHON" "$SANDBOX/spawn.py" 'echo "update delete api.example.com A" | nsupdate -k /tmp/k' \
    </dev/null >"$OUTF" 2>"$ERRF"
assert_missing "builtin echo | nsupdate: nothing ran" "$SANDBOX/nsupdate-ran"
assert_contains "builtin echo | nsupdate: the shell itself was refused" "$(cat "$OUTF")" "spawn-error="
assert_contains "builtin echo | nsupdate: audited as the nsupdate script rule" \
    "$(tail -n 1 "$AUDIT_LOG" 2>/dev/null)" '"rule":"nsupdate-delete-script"'
_runno=$((_runno + 1))
OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
edit
(cd "$SANDBOX/work/repo" && guard "$PYTHON" "$SANDBOX/spawn.py" 'echo before >../marker; sh <<EOF
git reset --hard
EOF') </dev/null >"$OUTF" 2>"$ERRF"
assert_eq "here-document run by sh: the edit is intact" "uncommitted edit" "$(cat "$SANDBOX/work/repo/file.txt")"
assert_contains "here-document run by sh: git in it refused at its exec, the line captured" \
    "$(cat "$OUTF")" "(rule git-reset-hard)"
rm -f "$SANDBOX/work/marker"

# a shell string that needs no human is not changed: the reset of a clean
# tree runs, through python's bash -c
git -C "$SANDBOX/work/repo" checkout -q -- file.txt
_runno=$((_runno + 1))
OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
(cd "$SANDBOX/work/repo" && guard "$PYTHON" "$SANDBOX/spawn.py" 'git reset --hard') </dev/null >"$OUTF" 2>"$ERRF"
assert_contains "clean tree: git reset --hard runs" "$(cat "$OUTF")" "status=0"

finish
