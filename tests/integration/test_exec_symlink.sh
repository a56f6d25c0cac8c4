#!/usr/bin/env bash
# A symlink to a program runs that program: `ln -s /usr/bin/git g; ./g reset
# --hard` is git reset --hard, and `ln -s /bin/rm zap; ./zap -rf ~/proj` is
# rm. Real git and rm under `interlock run`, through every way an exec is
# made (a shell, a PATH search, python's os.execv, posix_spawn, a chain of
# links, a relative link), by the preload alone (--no-seccomp), by the
# supervisor alone (a static program's raw execve, with --strict too), and
# the data must survive each time; the same links running harmless
# commands work. A hard link made in the session names no program either
# (the exemptions by name, test_cred_owners.sh).
. "$(dirname "$0")/lib.sh"

PROJ=$HOME/proj
# fresh_proj: a work tree with an uncommitted edit git reset --hard loses
fresh_proj() {
    rm -rf "$PROJ"
    mkrepo "$PROJ" && echo "uncommitted edit" >"$PROJ/file.txt"
}
kept() { # DESC: the edit and the tree are still there
    if [ -f "$PROJ/file.txt" ] && [ "$(cat "$PROJ/file.txt")" = "uncommitted edit" ]; then
        _ok "$1: the work survived"
    else
        _fail "$1: the work is gone"
        _last_run
    fi
}

GIT=$(command -v git)
RM=$(command -v rm)
mkdir -p "$SANDBOX/links"
cd "$SANDBOX/links" || exit 1
ln -s "$GIT" g
ln -s "$RM" zap
ln -s zap zap2 # a chain, relative
ln -s "$SANDBOX/links/g" "$SANDBOX/bin/gg" # found by a PATH search

# a static program that execs with a raw system call (no preload sees it)
cat >"$SANDBOX/rawexec.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	char *envp[] = { "PATH=/usr/bin:/bin", 0 };
	if (argc < 2)
		return 2;
	syscall(SYS_execve, argv[1], argv + 1, envp);
	return errno == EACCES ? 126 : 1;
}
EOF
STATIC=1
cc -static -O2 -o "$SANDBOX/bin/rawexec" "$SANDBOX/rawexec.c" 2>/dev/null || STATIC=0

for mode in default no-seccomp; do
    GUARD_OPTS=()
    [ "$mode" = no-seccomp ] && GUARD_OPTS=(--no-seccomp)
    fresh_proj
    expect_blocked "$mode: ./g reset --hard (g -> git)" guard ./g -C "$PROJ" reset --hard
    kept "$mode: ./g reset --hard"
    expect_blocked "$mode: sh -c 'gg reset --hard' (a PATH search)" guard sh -c "cd '$PROJ' && gg reset --hard"
    kept "$mode: gg reset --hard"
    expect_blocked "$mode: python os.execv of the link" guard "$PYTHON" -c \
        'import os, sys; os.execv(sys.argv[1], sys.argv[1:])' ./g -C "$PROJ" reset --hard
    kept "$mode: python os.execv"
    expect_blocked "$mode: python os.execvp (execvpe's search)" guard "$PYTHON" -c \
        'import os, sys; os.execvp(sys.argv[1], sys.argv[1:])' gg -C "$PROJ" reset --hard
    kept "$mode: python os.execvp"
    expect_blocked "$mode: python subprocess (posix_spawn or fork+exec)" guard "$PYTHON" -c \
        'import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=False))' ./g -C "$PROJ" reset --hard
    kept "$mode: python subprocess"
    expect_blocked "$mode: ./zap -rf ~/proj (zap -> rm)" guard ./zap -rf "$PROJ"
    kept "$mode: ./zap -rf"
    expect_blocked "$mode: ./zap2 -rf ~/proj (zap2 -> zap -> rm)" guard bash -c "./zap2 -rf '$PROJ'"
    kept "$mode: ./zap2 -rf"
    expect_blocked "$mode: exec -a innocent ./zap -rf" guard bash -c "exec -a innocent ./zap -rf '$PROJ'"
    kept "$mode: exec -a"
    # near-misses: the same links, harmless commands
    expect_ok "$mode: ./g status" guard ./g -C "$PROJ" status --short
    expect_ok "$mode: ./zap of a scratch file" guard sh -c "touch '$SANDBOX/tmp/x' && ./zap '$SANDBOX/tmp/x'"
    assert_missing "$mode: the scratch file is gone" "$SANDBOX/tmp/x"
done
GUARD_OPTS=()

# the supervisor: a static program execs the link (the preload is not there)
if [ "$STATIC" = 1 ]; then
    for opts in "" "--strict"; do
        GUARD_OPTS=($opts)
        fresh_proj
        expect_blocked "static raw execve ${opts:-(default)}: ./g reset --hard" guard rawexec ./g -C "$PROJ" reset --hard
        kept "static ${opts:-(default)}: ./g"
        expect_blocked "static raw execve ${opts:-(default)}: ./zap2 -rf" guard rawexec ./zap2 -rf "$PROJ"
        kept "static ${opts:-(default)}: ./zap2"
        expect_ok "static raw execve ${opts:-(default)}: ./g status" guard rawexec ./g -C "$PROJ" status --short
    done
    GUARD_OPTS=(--no-seccomp)
    fresh_proj
    run_capture guard rawexec ./zap -rf "$PROJ"
    assert_missing "--no-seccomp: a static program's exec is not seen (the supervisor is what catches it)" "$PROJ/file.txt"
    GUARD_OPTS=()
else
    printf 'SKIP static program (no static libc)\n'
fi

# interlock check judges the link as the program it runs
fresh_proj
check_json ./g -C "$PROJ" reset --hard
assert_eq "check: ./g reset --hard is git's" "git-reset-hard" "$CHECK_RULE"
check_json ./zap2 -rf /
assert_eq "check: ./zap2 -rf / is rm's" "fs-rm-root" "$CHECK_RULE"

finish
