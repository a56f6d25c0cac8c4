#!/usr/bin/env bash
# Threads racing to their first exec: a multithreaded program whose threads all
# fork/vfork/posix_spawn /bin/true at the same moment, as the very first execs
# of the process (so they race with the preload's lazy initialisation). Run
# many times under one session; every run must finish (no deadlock in a
# forked child that inherited a half-taken lock) and every child must run.
. "$(dirname "$0")/lib.sh"

cat >"$SANDBOX/race.c" <<'EOF'
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
static pthread_barrier_t bar;
static void *worker(void *arg)
{
    long k = (long)arg;
    char *av[] = {"true", NULL};
    pthread_barrier_wait(&bar);
    for (int i = 0; i < 4; i++) {
        pid_t pid = -1;
        if (k % 3 == 0) {
            pid = fork();
            if (pid == 0) { execv("/bin/true", av); _exit(127); }
        } else if (k % 3 == 1) {
            if (posix_spawn(&pid, "/bin/true", NULL, NULL, av, environ) != 0) pid = -1;
        } else {
            pid = vfork();
            if (pid == 0) { execve("/bin/true", av, environ); _exit(127); }
        }
        int st;
        if (pid > 0 && (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
            fprintf(stderr, "race: child failed\n");
            exit(1);
        }
    }
    return NULL;
}
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 8;
    pthread_t th[64];
    pthread_barrier_init(&bar, NULL, (unsigned)n);
    for (long i = 0; i < n; i++) pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    return 0;
}
EOF
if ! cc -O1 -pthread -o "$SANDBOX/bin/race" "$SANDBOX/race.c"; then
    _fail "compile race.c with cc -pthread"
    finish
fi
RUNS=${RACE_RUNS:-40}
# a hung run costs its 3 s timeout; leave room for all of them
# shellcheck disable=SC2034 # read by guard()
GUARD_TIMEOUT=$((RUNS * 3 + 60))

# baseline without the library: the program itself must be sound
run_capture bash -c 'h=0; for i in $(seq 10); do timeout 5 race 8 || h=$((h+1)); done; echo "failures=$h"'
assert_eq "race program works without the library" "failures=0" "$OUT"

run_capture guard bash -c '
h=0
for i in $(seq "$1"); do
    timeout 3 race 8; s=$?
    if [ $s -ne 0 ]; then echo "run $i: status $s$( [ $s = 124 ] && echo " (hung)")"; h=$((h+1)); fi
done
echo "failures=$h"' _ "$RUNS"
if [ "$STATUS" -eq 0 ] && [ "$(tail -n1 "$OUTF")" = "failures=0" ]; then
    _ok "$RUNS runs of 8 threads racing to their first fork/vfork/posix_spawn + exec: all finished"
else
    _fail "$RUNS runs of 8 threads racing to their first fork/vfork/posix_spawn + exec: all finished" \
        "$(grep -c hung "$OUTF") of $RUNS runs hung (a forked child spinning/blocked in the preload), $(grep -c '^run' "$OUTF") failed"
    _last_run
fi

finish
