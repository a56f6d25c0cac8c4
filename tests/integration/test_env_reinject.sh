#!/usr/bin/env bash
# A guarded process that strips its environment (env -i, env -u LD_PRELOAD,
# LD_PRELOAD=, execve with an empty env) still starts children with the
# library loaded and the session variables set. And the hooks keep errno:
# failing execs report the same errors with and without the library.
. "$(dirname "$0")/lib.sh"

LIBNAME=$(basename "$INTERLOCK_LIB")

# probe: prints whether the library is mapped in itself (a shell that was
# started with the stripped env) and in its own child (cat), and the session
cat >"$SANDBOX/bin/probe" <<EOF
#!/bin/sh
if /bin/grep -q '/$LIBNAME\$' /proc/\$\$/maps; then echo "self=yes"; else echo "self=no"; fi
if /bin/cat /proc/self/maps | /bin/grep -q '/$LIBNAME\$'; then echo "grandchild=yes"; else echo "grandchild=no"; fi
echo "session=\${INTERLOCK_SESSION:-}"
echo "snapshot=\${INTERLOCK_SNAPSHOT:-}"
case "\${LD_PRELOAD:-}" in *$LIBNAME*) echo "preload=yes" ;; *) echo "preload=no" ;; esac
EOF
chmod +x "$SANDBOX/bin/probe"
PROBE=$SANDBOX/bin/probe

# check_probe DESC: parse the last run's stdout: outer=SESSION line then probe lines
check_probe() {
    local desc=$1 outer self grand sess pre
    outer=$(sed -n 's/^outer=//p' "$OUTF")
    self=$(sed -n 's/^self=//p' "$OUTF")
    grand=$(sed -n 's/^grandchild=//p' "$OUTF")
    sess=$(sed -n 's/^session=//p' "$OUTF")
    pre=$(sed -n 's/^preload=//p' "$OUTF")
    if [ "$STATUS" -ne 0 ]; then
        _fail "$desc: probe ran (status $STATUS)"; _last_run; return
    fi
    assert_eq "$desc: library mapped in the stripped child" yes "$self"
    assert_eq "$desc: library mapped in its child (/proc/self/maps of cat)" yes "$grand"
    assert_eq "$desc: LD_PRELOAD re-injected" yes "$pre"
    if [ -n "$outer" ] && [ "$sess" = "$outer" ]; then
        _ok "$desc: INTERLOCK_SESSION kept ($sess)"
    else
        _fail "$desc: INTERLOCK_SESSION kept" "outer session '$outer', in child '$sess'"
        _last_run
    fi
}

echo "# baseline"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; probe'
check_probe "no stripping"

echo "# stripped environments"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; env -i PATH="$PATH" probe'
check_probe "env -i PATH=\$PATH"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; env -i "$1"' _ "$PROBE"
check_probe "env -i (no PATH at all)"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; env -u LD_PRELOAD probe'
check_probe "env -u LD_PRELOAD"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; LD_PRELOAD= probe'
check_probe "LD_PRELOAD= prefix"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; unset LD_PRELOAD; probe'
check_probe "unset LD_PRELOAD in the shell"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; env -u LD_PRELOAD -u INTERLOCK_SESSION probe'
check_probe "env -u LD_PRELOAD -u INTERLOCK_SESSION"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; env LD_PRELOAD=/nonexistent/other.so probe 2>/dev/null'
check_probe "LD_PRELOAD replaced by another library"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; env INTERLOCK_SESSION=forged probe'
check_probe "INTERLOCK_SESSION set to another value"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; echo "outersnap=$INTERLOCK_SNAPSHOT"; INTERLOCK_SNAPSHOT=/tmp/forged.snap INTERLOCK_SESSION= probe'
check_probe "INTERLOCK_SESSION emptied, INTERLOCK_SNAPSHOT pointed elsewhere"
snap=$(sed -n 's/^snapshot=//p' "$OUTF")
outersnap=$(sed -n 's/^outersnap=//p' "$OUTF")
assert_not_contains "the forged snapshot path does not reach the child" "$snap" "forged"
if [ -n "$outersnap" ] && [ "$snap" = "$outersnap" ]; then
    _ok "the child has the session's own snapshot ($snap)"
else
    _fail "the child has the session's own snapshot" "session '$outersnap', in child '$snap'"
fi
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; env -i PATH="$PATH" env -u LD_PRELOAD bash -c "LD_PRELOAD= probe"'
check_probe "stripped three times over"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; exec "$1" -c "import os, sys; os.execve(sys.argv[1], [sys.argv[1]], {})" "$2"' _ "$PYTHON" "$PROBE"
check_probe "python3 os.execve with an empty env"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; "$1" -c "import subprocess, sys; sys.exit(subprocess.run([sys.argv[1]], env={}).returncode)" "$2"' _ "$PYTHON" "$PROBE"
check_probe "python3 subprocess.run with env={}"
run_capture guard bash -c 'echo "outer=$INTERLOCK_SESSION"; perl -e "%ENV = (); exec \$ARGV[0] or die" "$1"' _ "$PROBE"
check_probe "perl %ENV=() then exec"

echo "# errno is preserved"
printf 'echo hello\n' >"$SANDBOX/work/noexec.sh"
chmod 644 "$SANDBOX/work/noexec.sh"
cd "$SANDBOX/work" || exit 1
run_capture guard "$PYTHON" -c '
import os, sys
try:
    os.execv("/nonexistent/dir/prog", ["prog"])
except FileNotFoundError:
    sys.exit(0)
except OSError as e:
    print("wrong error: %r" % e); sys.exit(3)
sys.exit(4)'
assert_eq "python os.execv of a missing path raises FileNotFoundError" 0 "$STATUS"
[ "$STATUS" -eq 0 ] || _last_run
run_capture guard "$PYTHON" -c '
import os, sys
try:
    os.execv("./noexec.sh", ["noexec.sh"])
except PermissionError:
    sys.exit(0)
except OSError as e:
    print("wrong error: %r" % e); sys.exit(3)
sys.exit(4)'
assert_eq "python os.execv of a non-executable file raises PermissionError" 0 "$STATUS"
assert_not_contains "... and that is not reported as an interlock block" "$ERR" "$BLOCKED_MARK"
run_capture guard "$PYTHON" -c '
import os, sys
try:
    os.execv("/", ["/"])
except PermissionError:
    sys.exit(0)
except OSError as e:
    print("wrong error: %r" % e); sys.exit(3)
sys.exit(4)'
assert_eq "python os.execv of a directory raises PermissionError" 0 "$STATUS"
run_capture guard "$PYTHON" -c '
import subprocess, sys
try:
    subprocess.run(["no-such-command-xyz"])
except FileNotFoundError:
    sys.exit(0)
sys.exit(4)'
assert_eq "python subprocess of a missing command raises FileNotFoundError" 0 "$STATUS"
assert_status "bash: command not found is 127" 127 guard bash -c 'no-such-command-xyz'
assert_not_contains "... and that is not reported as an interlock block" "$ERR" "$BLOCKED_MARK"
assert_status "bash: non-executable file is 126" 126 guard bash -c './noexec.sh'
assert_contains "... with 'Permission denied'" "$ERR" "Permission denied"
assert_not_contains "... and not reported as an interlock block" "$ERR" "$BLOCKED_MARK"
assert_status "sh: command not found is 127" 127 guard sh -c 'no-such-command-xyz'
assert_status "env: command not found is 127" 127 guard env no-such-command-xyz

# errno probe: every exec-family entry point, failing or succeeding; its output
# must be the same with and without the library
cat >"$SANDBOX/errno_probe.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* run one exec attempt in a forked child; report rc and errno */
#define TRY_EXEC(name, call)                                                   \
    do {                                                                       \
        fflush(stdout);                                                        \
        pid_t p_ = fork();                                                     \
        if (p_ == 0) {                                                         \
            errno = 0;                                                         \
            int rc_ = (call);                                                  \
            printf("%s: rc=%d errno=%d (%s)\n", name, rc_, errno, strerror(errno)); \
            fflush(stdout);                                                    \
            _exit(0);                                                          \
        }                                                                      \
        int st_;                                                               \
        waitpid(p_, &st_, 0);                                                  \
        if (!WIFEXITED(st_) || WEXITSTATUS(st_) != 0)                          \
            printf("%s: child status %d\n", name, st_);                        \
    } while (0)

int main(void)
{
    char *av[] = {"prog", NULL};
    char *ev[] = {"A=1", NULL};
    int fd;

    /* to stderr, so that stdout is the same with and without the library */
    {
        char line[4096];
        int mapped = 0;
        FILE *m = fopen("/proc/self/maps", "r");
        while (m && fgets(line, sizeof line, m))
            if (strstr(line, "/libinterlock"))
                mapped = 1;
        if (m)
            fclose(m);
        fprintf(stderr, "mapped=%s\n", mapped ? "yes" : "no");
    }

    TRY_EXEC("execve missing", execve("/nonexistent/prog", av, environ));
    TRY_EXEC("execv missing", execv("/nonexistent/prog", av));
    TRY_EXEC("execl missing", execl("/nonexistent/prog", "prog", (char *)NULL));
    TRY_EXEC("execle missing", execle("/nonexistent/prog", "prog", (char *)NULL, ev));
    TRY_EXEC("execvp missing", execvp("no-such-command-xyz", av));
    TRY_EXEC("execlp missing", execlp("no-such-command-xyz", "x", (char *)NULL));
    TRY_EXEC("execvpe missing", execvpe("no-such-command-xyz", av, ev));
    TRY_EXEC("execve noexec", execve("./noexec.sh", av, environ));
    TRY_EXEC("execv directory", execv("/", av));
    TRY_EXEC("execve enotdir", execve("./noexec.sh/x", av, environ));
    TRY_EXEC("execve empty path", execve("", av, environ));
    TRY_EXEC("execvp empty name", execvp("", av));
    TRY_EXEC("execveat missing", execveat(AT_FDCWD, "nonexistent-prog", av, environ, 0));
    TRY_EXEC("execveat bad fd", execveat(-1, "prog", av, environ, 0));
    fd = open("./noexec.sh", O_RDONLY);
    TRY_EXEC("fexecve noexec", fexecve(fd, av, environ));
    close(fd);
    TRY_EXEC("fexecve bad fd", fexecve(-1, av, environ));
    /* PATH search: a non-executable hit earlier in PATH gives EACCES at the end */
    setenv("PATH", "/nonexistent:.:/nonexistent2", 1);
    TRY_EXEC("execvp eacces in PATH", execvp("noexec.sh", av));
    setenv("PATH", "/usr/bin:/bin", 1);
    TRY_EXEC("execve enoexec", execve("./noshebang", av, environ));

    /* execvp falls back to /bin/sh for a file without #! (ENOEXEC) */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char *a[] = {"noshebang", NULL};
        setenv("PATH", ".:/usr/bin:/bin", 1);
        execvp("noshebang", a);
        _exit(99);
    }
    int st;
    waitpid(p, &st, 0);
    printf("execvp noshebang runs via sh: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* spawn family: error numbers are returned, errno untouched on success */
    pid_t pid;
    int rc;
    errno = 4242;
    rc = posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, av, environ);
    printf("posix_spawn missing: rc=%d\n", rc);
    errno = 4242;
    rc = posix_spawnp(&pid, "no-such-command-xyz", NULL, NULL, av, environ);
    printf("posix_spawnp missing: rc=%d\n", rc);
    errno = 4242;
    rc = posix_spawn(&pid, "./noexec.sh", NULL, NULL, av, environ);
    printf("posix_spawn noexec: rc=%d\n", rc);
    char *tv[] = {"true", NULL};
    errno = 4242;
    rc = posix_spawnp(&pid, "true", NULL, NULL, tv, environ);
    printf("posix_spawnp true: rc=%d errno=%d\n", rc, errno);
    if (rc == 0) {
        waitpid(pid, &st, 0);
        printf("posix_spawnp true: exit %d\n", WEXITSTATUS(st));
    }
    errno = 4242;
    rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, (char *[]){"sh", "-c", "exit 5", NULL}, environ);
    printf("posix_spawn sh: rc=%d errno=%d\n", rc, errno);
    if (rc == 0) {
        waitpid(pid, &st, 0);
        printf("posix_spawn sh: exit %d\n", WEXITSTATUS(st));
    }
    errno = 4242;
    rc = system("exit 3");
    printf("system exit 3: rc=%d status=%d errno=%d\n", rc, WEXITSTATUS(rc), errno);
    errno = 4242;
    rc = system(NULL);
    printf("system NULL: %s errno=%d\n", rc ? "shell available" : "no shell", errno);
    errno = 4242;
    rc = system("no-such-command-xyz 2>/dev/null");
    printf("system missing: status=%d errno=%d\n", WEXITSTATUS(rc), errno);
    errno = 4242;
    FILE *f = popen("echo popen-output", "r");
    int e = errno;
    char buf[64] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        rc = pclose(f);
        buf[strcspn(buf, "\n")] = 0;
        printf("popen: '%s' errno-after-popen=%d pclose=%d\n", buf, e, WEXITSTATUS(rc));
    } else {
        printf("popen failed errno=%d\n", errno);
    }
    errno = 4242;
    f = popen("echo x", "bogus-mode");
    printf("popen bad mode: %s errno=%d\n", f ? "opened" : "NULL", errno);
    return 0;
}
EOF
printf 'exit 7\n' >"$SANDBOX/work/noshebang"
chmod 755 "$SANDBOX/work/noshebang"
if cc -O1 -Wno-nonnull -o "$SANDBOX/bin/errno_probe" "$SANDBOX/errno_probe.c"; then
    cd "$SANDBOX/work" || exit 1
    "$SANDBOX/bin/errno_probe" >"$SANDBOX/errno.bare" 2>/dev/null
    run_capture guard "$SANDBOX/bin/errno_probe"
    cp "$OUTF" "$SANDBOX/errno.guarded"
    cp "$ERRF" "$SANDBOX/errno.guarded.err"
    if [ "$STATUS" -eq 0 ] && diff -u "$SANDBOX/errno.bare" "$SANDBOX/errno.guarded" >"$SANDBOX/errno.diff"; then
        _ok "errno probe: same results with and without the library ($(wc -l <"$SANDBOX/errno.bare") checks)"
    else
        _fail "errno probe: same results with and without the library (status $STATUS)" \
            "$(cat "$SANDBOX/errno.diff")"
        _last_run
    fi
    # sanity of the bare run itself (guards against a probe that tests nothing)
    assert_contains "errno probe (bare): execve missing is ENOENT" "$(cat "$SANDBOX/errno.bare")" "execve missing: rc=-1 errno=2 "
    assert_contains "errno probe (bare): execve noexec is EACCES" "$(cat "$SANDBOX/errno.bare")" "execve noexec: rc=-1 errno=13 "
    assert_contains "errno probe (bare): execvp noshebang via sh" "$(cat "$SANDBOX/errno.bare")" "execvp noshebang runs via sh: exit 7"
    assert_contains "the guarded errno probe had the library loaded" "$(cat "$SANDBOX/errno.guarded.err")" "mapped=yes"
else
    _fail "compile errno_probe.c"
fi

finish
