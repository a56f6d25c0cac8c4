#!/usr/bin/env bash
# PATH searches under interlock. The preload's execvp/execvpe and
# posix_spawnp exec the file their own search found instead of letting glibc
# try every directory, and its execve fails a missing file without a system
# call (each miss would otherwise be a round trip to the seccomp supervisor).
# What must not change: which file runs, glibc's fallbacks (a script without
# #!, a directory or a non-executable shadowing the program earlier in PATH),
# the error for a program that is nowhere, and the rules.
. "$(dirname "$0")/lib.sh"

real=$SANDBOX/path/real
mkdir -p "$SANDBOX/path/e1" "$SANDBOX/path/e2" "$SANDBOX/path/e3" "$SANDBOX/path/shadow" "$real"
printf '#!/bin/sh\necho "real tool $*"\n' >"$real/tool"
chmod +x "$real/tool"
mkdir "$SANDBOX/path/shadow/tool" # a directory by the same name comes first
printf '#!/bin/sh\necho wrong\n' >"$SANDBOX/path/e3/tool"
chmod 644 "$SANDBOX/path/e3/tool" # and a file nobody may execute
printf 'echo "no shebang $1"\n' >"$real/noshebang"
chmod +x "$real/noshebang"
SEARCH="$SANDBOX/path/e1:$SANDBOX/path/e2:$SANDBOX/path/shadow:$SANDBOX/path/e3:$real:$PATH"

# spawnp NAME ARG: posix_spawnp as glibc exports it (python's os.posix_spawnp)
cat >"$SANDBOX/bin/spawnp" <<EOF
#!$PYTHON
import os, sys
try:
    pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
except OSError as e:
    print("spawn failed:", e.strerror)
    sys.exit(127)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
EOF
chmod +x "$SANDBOX/bin/spawnp"

# same_as_bare DESC CMD...: the same stdout and status under interlock as bare
# (stderr may differ only by the program name glibc reports)
same_as_bare() {
    local desc=$1 bare_out bare_status
    shift
    run_capture env PATH="$SEARCH" "$@"
    bare_out=$OUT bare_status=$STATUS
    run_capture guard env PATH="$SEARCH" "$@"
    if grep -qF "$BLOCKED_MARK" "$ERRF"; then
        _fail "$desc: interlock refused it"
        _last_run
    elif [ "$STATUS" != "$bare_status" ] || [ "$OUT" != "$bare_out" ]; then
        _fail "$desc: under interlock status $STATUS, output $(printf '%q' "$OUT");" \
            "bare status $bare_status, output $(printf '%q' "$bare_out")"
        _last_run
    else
        _ok "$desc: as bare (status $bare_status, $(printf '%q' "$bare_out"))"
    fi
}

same_as_bare "execvp past a directory and a non-executable file" env tool one
assert_eq "execvp ran the real tool" "real tool one" "$OUT"
same_as_bare "posix_spawnp past the same" spawnp tool two
assert_eq "posix_spawnp ran the real tool" "real tool two" "$OUT"
same_as_bare "execvp of a script without #! (glibc runs it with sh)" env noshebang three
assert_eq "the script ran" "no shebang three" "$OUT"
printf '#!/bin/sh\necho never\n' >"$SANDBOX/path/e2/readonly"
chmod 644 "$SANDBOX/path/e2/readonly"
same_as_bare "execvp of a program found only without execute permission" env readonly
assert_eq "glibc's walk reports EACCES (126)" 126 "$STATUS"
cp "$real/noshebang" "$SANDBOX/work/local-script"
same_as_bare "execvp of a script without #! by its path" bash -c "cd '$SANDBOX/work' && env ./local-script five"
assert_eq "the script ran by its path" "no shebang five" "$OUT"
same_as_bare "execvp of a program that is nowhere" env no-such-program-here
assert_eq "exit status of a missing program" 127 "$STATUS"
same_as_bare "python subprocess walking PATH itself" \
    "$PYTHON" -c 'import subprocess; print(subprocess.run(["tool", "four"], capture_output=True, text=True).stdout.strip())'
assert_eq "subprocess ran the real tool" "real tool four" "$OUT"
same_as_bare "python subprocess of a program that is nowhere" \
    "$PYTHON" -c 'import subprocess
try:
    subprocess.run(["no-such-program-here"])
except FileNotFoundError as e:
    print("not found", e.errno)'
assert_eq "FileNotFoundError with ENOENT" "not found 2" "$OUT"
same_as_bare "execve of a missing absolute path" bash -c "$SANDBOX/path/e1/tool; echo status \$?"
assert_eq "bash reports 127" "status 127" "$OUT"

# An unprivileged user: a program only root may execute comes first in
# PATH. glibc's walk gets EACCES there and goes on; the preload's search
# checks with the user's own (effective) ids and goes straight on.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    NB=65534
    U=$SANDBOX/nobody
    mkdir -p "$U/home" "$U/state" "$U/tmp" "$SANDBOX/path/rootonly"
    chown -R "$NB:$NB" "$U"
    chmod 755 "$SANDBOX" "$SANDBOX/path" "$SANDBOX/path/rootonly" "$real"
    printf '#!/bin/sh\necho root only\n' >"$SANDBOX/path/rootonly/tool"
    chmod 700 "$SANDBOX/path/rootonly/tool"
    as_nobody() {
        setpriv --reuid=$NB --regid=$NB --clear-groups -- env -u XDG_RUNTIME_DIR HOME="$U/home" \
            XDG_STATE_HOME="$U/state" XDG_CONFIG_HOME="$U/home/.config" TMPDIR="$U/tmp" \
            PATH="$SANDBOX/path/rootonly:$real:/usr/bin:/bin" "$@"
    }
    run_capture as_nobody env tool six
    assert_eq "nobody, bare: glibc goes past the root-only file" "real tool six" "$OUT"
    run_capture as_nobody "$INTERLOCK_BIN" run -- env tool six
    assert_eq "nobody, guarded: the same file runs" "real tool six" "$OUT"
    assert_not_contains "nobody, guarded: no block line" "$ERR" "$BLOCKED_MARK"
fi

# The rules still see the program the search found.
mkrepo "$SANDBOX/work/repo"
echo "uncommitted" >"$SANDBOX/work/repo/file.txt"
ln -s "$(command -v git)" "$SANDBOX/path/real/git"
expect_blocked "execvp of git reset --hard found late in PATH" \
    guard env PATH="$SEARCH" git -C "$SANDBOX/work/repo" reset --hard
expect_blocked "posix_spawnp of the same" \
    guard env PATH="$SEARCH" spawnp git -C "$SANDBOX/work/repo" reset --hard
expect_blocked "python subprocess of the same" guard env PATH="$SEARCH" "$PYTHON" -c \
    'import subprocess, sys; sys.exit(subprocess.run(["git", "-C", sys.argv[1], "reset", "--hard"]).returncode)' \
    "$SANDBOX/work/repo"
assert_eq "the uncommitted change survived" "uncommitted" "$(cat "$SANDBOX/work/repo/file.txt")"

# What reaches the kernel: no exec of a file that is not there, so the
# supervisor is not asked about one. Bare, glibc tries e1 and e2 first.
QUICK="$SANDBOX/path/e1:$SANDBOX/path/e2:$real:$PATH"
count_misses() { grep -c 'execve("[^"]*/tool".*ENOENT' "$1"; }
if command -v strace >/dev/null; then
    for how in "env tool" "spawnp tool" "$PYTHON -c 'import subprocess; subprocess.run([\"tool\"])'"; do
        strace -f -qq -e trace=execve -o "$SANDBOX/bare.trace" env PATH="$QUICK" bash -c "$how" >/dev/null 2>&1
        assert_eq "bare $how: the walk tries e1 and e2" 2 "$(count_misses "$SANDBOX/bare.trace")"
        strace -f -qq -e trace=execve -o "$SANDBOX/guard.trace" "$INTERLOCK_BIN" run -- \
            env PATH="$QUICK" bash -c "$how" >/dev/null 2>&1 </dev/null
        assert_eq "guarded $how: no exec of a missing file reaches the kernel" 0 \
            "$(count_misses "$SANDBOX/guard.trace")"
        assert_eq "guarded $how: the tool ran" 1 "$(grep -c 'execve("[^"]*/real/tool".*= 0' "$SANDBOX/guard.trace")"
    done
    strace -f -qq -e trace=execve -o "$SANDBOX/guard.trace" "$INTERLOCK_BIN" run -- \
        env PATH="$QUICK" env no-such-program-here >/dev/null 2>&1 </dev/null
    assert_eq "guarded execvp of a program that is nowhere: no exec reaches the kernel" 0 \
        "$(grep -c 'execve("[^"]*/no-such-program-here"' "$SANDBOX/guard.trace")"
else
    _fail "strace is needed to see which execs reach the kernel (scripts/setup.sh installs it)"
fi

finish
