#!/usr/bin/env bash
# Every shipped destructive-exec rule (recursive rm of a git work tree, $HOME,
# .git; git reset --hard, clean -fdx, push --force, branch -D, stash clear,
# checkout -- .) is run under `interlock run` through every path an agent might
# take (direct, bash -c, eval, a script, base64 | sh, python, perl, find -exec,
# xargs, make, stripped environments, wrappers, a multithreaded posix_spawn
# program), and the data must survive each time. Near-misses (rm -rf ./build,
# commit messages containing the words, reset --soft, force-with-lease ...)
# must keep working through the same paths.
#
# All targets live in the sandbox; HOME is the sandbox's home.
#
# Optional filters (space-separated names) for debugging:
#   BLOCK_CASES, NEAR_CASES, PATHS
. "$(dirname "$0")/lib.sh"

# ------------------------------------------------------------ helpers
# pyexec CMD...: an opaque program (not a wrapper the engine knows) that
# execs its arguments; used to prove re-injection after env stripping.
cat >"$SANDBOX/bin/pyexec" <<EOF
#!$PYTHON
import os, sys
os.execvp(sys.argv[1], sys.argv[1:])
EOF
chmod +x "$SANDBOX/bin/pyexec"

# spawner spawn|spawnp CMD...: posix_spawn(p) CMD (3 rounds, or
# $SPAWNER_ROUNDS) while two threads spin and four threads keep
# spawning/forking/vforking/popen-ing `true`. Exit: CMD's status if it ran,
# 126 if every round failed with EACCES, 1 otherwise.
cat >"$SANDBOX/spawner.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static atomic_int stop_flag;
static atomic_long churned;

static void *spin(void *arg)
{
    volatile unsigned long n = 0;
    (void)arg;
    while (!atomic_load(&stop_flag))
        n++;
    return NULL;
}

static void *churn(void *arg)
{
    long kind = (long)arg;
    char *tav[] = {"true", NULL};
    while (!atomic_load(&stop_flag)) {
        pid_t pid = -1;
        FILE *f;
        switch (kind % 4) {
        case 0:
            if (posix_spawnp(&pid, "true", NULL, NULL, tav, environ) != 0)
                pid = -1;
            break;
        case 1:
            pid = fork();
            if (pid == 0) {
                execlp("true", "true", (char *)NULL);
                _exit(127);
            }
            break;
        case 2:
            pid = vfork();
            if (pid == 0) {
                execve("/bin/true", tav, environ);
                _exit(127);
            }
            break;
        default:
            f = popen("true", "r");
            if (f)
                pclose(f);
            break;
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);
        atomic_fetch_add(&churned, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "spawn") && strcmp(argv[1], "spawnp"))) {
        fprintf(stderr, "usage: spawner spawn|spawnp CMD [ARG]...\n");
        return 2;
    }
    int usep = strcmp(argv[1], "spawnp") == 0;
    const char *r = getenv("SPAWNER_ROUNDS");
    int rounds = r ? atoi(r) : 3;
    pthread_t th[6];
    for (long i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, spin, NULL);
    for (long i = 0; i < 4; i++)
        pthread_create(&th[2 + i], NULL, churn, (void *)i);
    usleep(30000);

    int blocked = 0, ran = 0, other = 0, status = 0;
    for (int i = 0; i < rounds; i++) {
        pid_t pid;
        int rc = usep ? posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ)
                      : posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
        if (rc == 0) {
            waitpid(pid, &status, 0);
            ran++;
        } else {
            fprintf(stderr, "spawner: %s %s: %s\n", argv[1], argv[2], strerror(rc));
            if (rc == EACCES)
                blocked++;
            else
                other++;
        }
        usleep(5000);
    }
    atomic_store(&stop_flag, 1);
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    fprintf(stderr, "spawner: ran=%d blocked=%d other=%d churned=%ld\n", ran, blocked,
            other, atomic_load(&churned));
    if (ran)
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    return blocked == rounds ? 126 : 1;
}
EOF
if ! cc -pthread -O1 -o "$SANDBOX/bin/spawner" "$SANDBOX/spawner.c"; then
    _fail "compile spawner.c with cc -pthread"
    finish
fi

CASEN=0
# newcase: a fresh case directory under $HOME/src (sets D)
newcase() {
    CASEN=$((CASEN + 1))
    D="$HOME/src/c$CASEN"
    mkdir -p "$D"
}
# setup a repo with a local bare remote "origin" holding main (sets REPO, REMOTE, SHA0)
repo_with_remote() {
    REMOTE="$D/remote.git"
    REPO="$D/repo"
    mkbare "$REMOTE"
    mkrepo "$REPO"
    git -C "$REPO" remote add origin "$REMOTE"
    git -C "$REPO" push -q origin main 2>/dev/null
    git -C "$REPO" fetch -q origin 2>/dev/null
    SHA0=$(git -C "$REPO" rev-parse HEAD)
}
remote_main() { git --git-dir="$REMOTE" rev-parse main 2>/dev/null; }

# ------------------------------------------------ destructive cases (blocked)
# setup_X: builds fresh data, sets CWD and ARGV; verify_X DESC: data survived
setup_rm_worktree() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    CWD=$D; ARGV=(rm -rf "$REPO")
}
verify_rm_worktree() { assert_exists "$1: work tree survives" "$REPO/file.txt" "$REPO/.git/HEAD"; }

setup_rm_home() {
    newcase
    echo keep >"$HOME/keep.txt"
    CWD=$SANDBOX/work; ARGV=(rm -rf "$HOME")
}
verify_rm_home() {
    assert_exists "$1: \$HOME survives" "$HOME/keep.txt"
    mkdir -p "$HOME"
}

setup_rm_dotgit() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    CWD=$REPO; ARGV=(rm -rf .git)
}
verify_rm_dotgit() { assert_exists "$1: .git survives" "$REPO/.git/HEAD" "$REPO/.git/objects"; }

setup_git_reset_hard() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo "uncommitted work" >"$REPO/file.txt"
    CWD=$REPO; ARGV=(git reset --hard)
}
verify_git_reset_hard() {
    assert_eq "$1: uncommitted change survives" "uncommitted work" "$(cat "$REPO/file.txt" 2>&1)"
}

setup_git_clean() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo "untracked" >"$REPO/untracked.txt"
    mkdir -p "$REPO/newdir"; echo x >"$REPO/newdir/x"
    echo "ignored.log" >"$REPO/.gitignore"; echo log >"$REPO/ignored.log"
    CWD=$REPO; ARGV=(git clean -fdx)
}
verify_git_clean() {
    assert_exists "$1: untracked and ignored files survive" \
        "$REPO/untracked.txt" "$REPO/newdir/x" "$REPO/ignored.log"
}

setup_git_push_force() {
    newcase; repo_with_remote
    echo rewritten >"$REPO/file.txt"
    git -C "$REPO" commit -q -a --amend -m "rewritten history"
    CWD=$REPO; ARGV=(git push --force origin main)
}
verify_git_push_force() { assert_eq "$1: remote history survives" "$SHA0" "$(remote_main)"; }

setup_git_branch_D() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    git -C "$REPO" checkout -q -b feature
    echo feature >"$REPO/feature.txt"; git -C "$REPO" add feature.txt
    git -C "$REPO" commit -q -m "unmerged work"
    git -C "$REPO" checkout -q main
    CWD=$REPO; ARGV=(git branch -D feature)
}
verify_git_branch_D() {
    if git -C "$REPO" rev-parse -q --verify refs/heads/feature >/dev/null; then
        _ok "$1: branch survives"
    else
        _fail "$1: branch survives" "refs/heads/feature is gone"; _last_run
    fi
}

setup_git_stash_clear() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo "stashed work" >"$REPO/file.txt"
    git -C "$REPO" stash -q
    CWD=$REPO; ARGV=(git stash clear)
}
verify_git_stash_clear() {
    assert_eq "$1: stash survives" 1 "$(git -C "$REPO" stash list | wc -l | tr -d ' ')"
}

setup_git_checkout_dot() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo "uncommitted work" >"$REPO/file.txt"
    CWD=$REPO; ARGV=(git checkout -- .)
}
verify_git_checkout_dot() {
    assert_eq "$1: uncommitted change survives" "uncommitted work" "$(cat "$REPO/file.txt" 2>&1)"
}

# ------------------------------------------------ near-miss cases (allowed)
setup_rm_build() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    mkdir -p "$REPO/build/obj"; echo o >"$REPO/build/obj/x.o"
    CWD=$REPO; ARGV=(rm -rf ./build)
}
verify_rm_build() {
    assert_missing "$1: ./build is gone" "$REPO/build"
    assert_exists "$1: rest of the repo is intact" "$REPO/file.txt" "$REPO/.git/HEAD"
}

setup_rm_node_modules() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    mkdir -p "$REPO/node_modules/left-pad"; echo '{}' >"$REPO/node_modules/left-pad/package.json"
    CWD=$REPO; ARGV=(rm -rf node_modules)
}
verify_rm_node_modules() {
    assert_missing "$1: node_modules is gone" "$REPO/node_modules"
    assert_exists "$1: rest of the repo is intact" "$REPO/file.txt"
}

setup_rm_scratch() {
    newcase
    SCRATCH=$(mktemp -d "$TMPDIR/scratch.XXXXXX")
    mkdir -p "$SCRATCH/a/b"; echo x >"$SCRATCH/a/b/c"
    CWD=$SANDBOX/work; ARGV=(rm -rf "$SCRATCH")
}
verify_rm_scratch() { assert_missing "$1: scratch dir is gone" "$SCRATCH"; }

setup_commit_msg() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo change >"$REPO/file.txt"; git -C "$REPO" add file.txt
    CWD=$REPO; ARGV=(git commit -q -m "reset --hard")
}
verify_commit_msg() {
    assert_eq "$1: commit made" "reset --hard" "$(git -C "$REPO" log -1 --format=%s)"
}

setup_log_grep() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo change >"$REPO/file.txt"
    git -C "$REPO" commit -q -a -m "document the push --force policy"
    CWD=$REPO; ARGV=(git log --format=%s "--grep=push --force")
}
verify_log_grep() { assert_contains "$1: log found the commit" "$OUT" "document the push --force policy"; }

setup_grep_r() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo 'clean: rm -rf build' >"$REPO/notes.txt"
    CWD=$REPO; ARGV=(grep -r "rm -rf" .)
}
verify_grep_r() { assert_contains "$1: grep found the text" "$OUT" "notes.txt"; }

setup_reset_soft() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo second >"$REPO/file.txt"; git -C "$REPO" commit -q -a -m second
    CWD=$REPO; ARGV=(git reset --soft HEAD~1)
}
verify_reset_soft() {
    assert_eq "$1: HEAD moved back" 1 "$(git -C "$REPO" rev-list --count HEAD)"
    assert_eq "$1: change kept in the index" "second" "$(git -C "$REPO" show :file.txt)"
}

setup_restore_staged() {
    newcase; mkrepo "$D/repo"; REPO="$D/repo"
    echo staged >"$REPO/file.txt"; git -C "$REPO" add file.txt
    CWD=$REPO; ARGV=(git restore --staged file.txt)
}
verify_restore_staged() {
    assert_eq "$1: index reset to HEAD" "committed content" "$(git -C "$REPO" show :file.txt)"
    assert_eq "$1: work tree kept" "staged" "$(cat "$REPO/file.txt")"
}

setup_push_plain() {
    newcase; repo_with_remote
    echo more >"$REPO/file.txt"; git -C "$REPO" commit -q -a -m more
    CWD=$REPO; ARGV=(git push -q origin main)
}
verify_push_plain() { assert_eq "$1: remote updated" "$(git -C "$REPO" rev-parse HEAD)" "$(remote_main)"; }

setup_push_lease() {
    newcase; repo_with_remote
    echo rewritten >"$REPO/file.txt"
    git -C "$REPO" commit -q -a --amend -m "rewritten"
    CWD=$REPO; ARGV=(git push -q --force-with-lease origin main)
}
verify_push_lease() { assert_eq "$1: remote updated" "$(git -C "$REPO" rev-parse HEAD)" "$(remote_main)"; }

# ------------------------------------------------------------ exec paths
# Each path_X runs ARGV (or CMDSTR, its shell-quoted form) under `interlock run`.
path_direct()      { guard "${ARGV[@]}"; }
path_bash_c()      { guard bash -c "$CMDSTR"; }
path_eval()        { guard bash -c 'eval "$1"' _ "$CMDSTR"; }
path_script() {
    local s="$SANDBOX/scripts/case$CASEN.sh"
    mkdir -p "$SANDBOX/scripts"
    printf '#!/bin/sh\n%s\n' "$CMDSTR" >"$s"
    chmod +x "$s"
    guard "$s"
}
path_base64() {
    local b
    b=$(printf '%s\n' "$CMDSTR" | base64 -w0)
    guard bash -c "echo $b | base64 -d | sh"
}
path_py_run() {
    guard "$PYTHON" -c 'import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)' "${ARGV[@]}"
}
path_py_system() {
    guard "$PYTHON" -c 'import os, sys; sys.exit(0 if os.system(sys.argv[1]) == 0 else 1)' "$CMDSTR"
}
path_py_execvp() { guard "$PYTHON" -c 'import os, sys; os.execvp(sys.argv[1], sys.argv[1:])' "${ARGV[@]}"; }
path_py_shell() {
    guard "$PYTHON" -c 'import subprocess, sys; sys.exit(subprocess.run(sys.argv[1], shell=True).returncode)' "$CMDSTR"
}
path_perl_list()   { guard perl -e 'exit(system(@ARGV) == 0 ? 0 : 1)' "${ARGV[@]}"; }
path_perl_string() { guard perl -e 'exit(system($ARGV[0]) == 0 ? 0 : 1)' "$CMDSTR"; }
path_find() {
    if [ "${ARGV[0]}" = rm ]; then
        # find TARGET -exec rm -rf {} +
        local n=${#ARGV[@]}
        guard find "${ARGV[n - 1]}" -exec "${ARGV[@]:0:n-1}" {} +
    else
        guard find . -maxdepth 0 -exec "${ARGV[@]}" \;
    fi
}
path_xargs() { guard bash -c 'p=$1; shift; printf "%s\0" "$@" | xargs -0 "$p"' _ "${ARGV[@]}"; }
path_make() {
    local mk="$SANDBOX/make/case$CASEN.mk"
    mkdir -p "$SANDBOX/make"
    printf 'all:\n\t%s\n' "${CMDSTR//\$/\$\$}" >"$mk"
    guard make -s -f "$mk"
}
path_env_i()           { guard env -i PATH="$PATH" "${ARGV[@]}"; }
path_env_u()           { guard env -u LD_PRELOAD "${ARGV[@]}"; }
path_ld_empty()        { guard bash -c "LD_PRELOAD= $CMDSTR"; }
# the same three, with an opaque program in between that execs the command:
# only a re-injected LD_PRELOAD can still see that exec
path_env_i_opaque()    { guard env -i PATH="$PATH" pyexec "${ARGV[@]}"; }
path_env_u_opaque()    { guard env -u LD_PRELOAD pyexec "${ARGV[@]}"; }
path_ld_empty_opaque() { guard bash -c "LD_PRELOAD= pyexec $CMDSTR"; }
path_nice()            { guard nice "${ARGV[@]}"; }
path_timeout()         { guard timeout 5 "${ARGV[@]}"; }
path_nohup()           { guard nohup "${ARGV[@]}"; }
path_stdbuf()          { guard stdbuf -o0 "${ARGV[@]}"; }
path_spawn() {
    local a=("${ARGV[@]}")
    a[0]=$(command -v "${a[0]}")
    guard spawner spawn "${a[@]}"
}
path_spawnp()          { guard spawner spawnp "${ARGV[@]}"; }

ALL_PATHS="direct bash_c eval script base64 py_run py_system py_execvp py_shell
    perl_list perl_string find xargs make env_i env_u ld_empty env_i_opaque
    env_u_opaque ld_empty_opaque nice timeout nohup stdbuf spawn spawnp"
ALL_BLOCK="rm_worktree rm_home rm_dotgit git_reset_hard git_clean git_push_force
    git_branch_D git_stash_clear git_checkout_dot"
ALL_NEAR="rm_build rm_node_modules rm_scratch commit_msg log_grep grep_r reset_soft
    restore_staged push_plain push_lease"

# run_one block|near CASE PATH
run_one() {
    local kind=$1 case=$2 path=$3 desc
    "setup_$case" >/dev/null 2>&1
    CMDSTR=$(shquote "${ARGV[@]}")
    desc="$case via $path [$CMDSTR]"
    cd "$CWD" || return
    if [ "$kind" = block ]; then
        expect_blocked "$desc" "path_$path"
    else
        expect_ok "$desc" "path_$path"
    fi
    cd "$SANDBOX/work" || return
    "verify_$case" "$desc"
}

echo "# destructive commands: blocked, data survives"
for c in ${BLOCK_CASES:-$ALL_BLOCK}; do
    for p in ${PATHS:-$ALL_PATHS}; do run_one block "$c" "$p"; done
done

echo "# near-misses: allowed, and they work"
export SPAWNER_ROUNDS=1
for c in ${NEAR_CASES:-$ALL_NEAR}; do
    for p in ${PATHS:-$ALL_PATHS}; do run_one near "$c" "$p"; done
done
unset SPAWNER_ROUNDS

if [ -z "${BLOCK_CASES:-}${NEAR_CASES:-}${PATHS:-}" ]; then
    echo "# other spellings of the same operations (direct)"
    spell() { # spell CWD ARGV... ; then verify with the given case verifier
        CWD=$1; shift; ARGV=("$@")
        CMDSTR=$(shquote "${ARGV[@]}")
        cd "$CWD" && expect_blocked "spelling [$CMDSTR]" path_direct
        cd "$SANDBOX/work" || exit 1
    }
    for flags in "-r -f" "-fr" "-Rf" "--recursive --force" "-r" "-R" "--recursive"; do
        setup_rm_worktree
        # shellcheck disable=SC2086
        spell "$D" rm $flags "$REPO"
        verify_rm_worktree "rm $flags"
    done
    setup_rm_worktree; spell "$D" rm -rf "$REPO/"; verify_rm_worktree "rm -rf REPO/"
    setup_rm_worktree; mkdir -p "$REPO/sub"
    spell "$REPO/sub" rm -rf ..; verify_rm_worktree "rm -rf .. from a subdir"
    setup_rm_worktree; mkdir -p "$REPO/sub"; spell "$REPO" rm -rf "$REPO/sub/../../repo"
    verify_rm_worktree "rm -rf with .. segments"
    setup_rm_worktree; spell "$D" rm -rf -- "$REPO"; verify_rm_worktree "rm -rf -- REPO"
    setup_rm_home; spell "$SANDBOX/work" rm -rf "$HOME/"; verify_rm_home "rm -rf \$HOME/"
    setup_rm_home; spell "$HOME" rm -rf "$HOME/src/.."; verify_rm_home "rm -rf \$HOME/src/.."
    setup_rm_home; spell "$SANDBOX/work" rm -rf "$(dirname "$HOME")"
    verify_rm_home "rm -rf parent of \$HOME"
    setup_rm_dotgit; spell "$D" rm -rf "$REPO/.git"; verify_rm_dotgit "rm -rf REPO/.git"
    setup_rm_dotgit; spell "$REPO" rm -rf .git/objects; verify_rm_dotgit "rm -rf .git/objects"
    setup_git_reset_hard; spell "$D" git -C "$REPO" reset --hard HEAD
    verify_git_reset_hard "git -C REPO reset --hard HEAD"
    setup_git_clean; spell "$REPO" git clean -f -d -x; verify_git_clean "git clean -f -d -x"
    setup_git_clean; spell "$REPO" git clean -xfd; verify_git_clean "git clean -xfd"
    setup_git_push_force; spell "$REPO" git push -f origin main; verify_git_push_force "git push -f"
    setup_git_push_force; spell "$REPO" git push origin +main; verify_git_push_force "git push +main"
    setup_git_checkout_dot; spell "$REPO" git checkout .; verify_git_checkout_dot "git checkout ."
    setup_git_checkout_dot; spell "$REPO" git checkout -- file.txt
    verify_git_checkout_dot "git checkout -- file.txt"

    echo "# the block message"
    setup_rm_worktree
    cd "$D" && run_capture guard rm -rf "$REPO"
    cd "$SANDBOX/work" || exit 1
    assert_eq "blocked direct exec reports status 126" 126 "$STATUS"
    assert_eq "exactly one 'interlock: blocked:' line" 1 "$(grep -c "^$BLOCKED_MARK" "$ERRF")"
    line=$(grep -m1 "^$BLOCKED_MARK" "$ERRF")
    assert_contains "block line names the rule" "$line" "(rule "
    assert_contains "block line names the command" "$line" "rm"
fi

finish
