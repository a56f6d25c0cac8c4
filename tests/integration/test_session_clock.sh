#!/usr/bin/env bash
# Older than the session, or the session's own, right at its start: a test
# harness (or a script) writes its fixture and starts interlock at once,
# and an agent's first command makes a file and removes it at once. File
# birth times come from the kernel's coarse clock and, since Linux 6.13,
# from the newest fine-grained time handed out (multigrain timestamps), so
# a start taken from the coarse clock let a key written a millisecond
# before `interlock run` count as the agent's (39 of 40 reads went through)
# and, with ties broken the other way, counted a file made a millisecond
# after it as the user's. See cli/commands/session_clock.c.
#
# Driven from python, as agent harnesses start interlock: no shell and no
# wrapper between the fixture's write and the start.
. "$(dirname "$0")/lib.sh"

have_tool python3 python3 || finish

REPO=$HOME/src/app
mkrepo "$REPO" || { _fail "mkrepo"; finish; }
mkdir -p "$HOME/.ssh"

cat >"$SANDBOX/rounds.py" <<'EOF'
import os, subprocess, sys

interlock, repo, home, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
key = os.path.join(home, ".ssh", "id_ed25519")

def run(*argv):
    # no terminal (a question is a refusal), stdin closed
    return subprocess.run([interlock, "run", "--", *argv], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True, timeout=60)

read, kept, own = 0, 0, 0
for i in range(rounds):
    # a key written just before the session: not the agent's
    with open(key, "w") as f:
        f.write("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-%d\n" % i)
    r = run("cat", key)
    if ("secret-%d" % i) in r.stdout or r.returncode == 0:
        read += 1
    # an untracked file written just before: the user's new work
    draft = os.path.join(repo, "draft-%d.txt" % i)
    with open(draft, "w") as f:
        f.write("the user's draft\n")
    run("rm", "-f", draft)
    if os.path.exists(draft):
        kept += 1
    # a file the command makes and removes at once: the agent's own
    r = run("sh", "-c", 'cd "$1" && echo x >"new-$2.txt" && rm "new-$2.txt"', "sh", repo, str(i))
    if r.returncode == 0 and not os.path.exists(os.path.join(repo, "new-%d.txt" % i)):
        own += 1
    else:
        sys.stderr.write(r.stderr)
print(read, kept, own)
EOF

N=12
run_capture python3 "$SANDBOX/rounds.py" "$INTERLOCK_BIN" "$REPO" "$HOME" "$N"
assert_status "the rounds ran" 0
read -r read kept own <<<"$OUT"
assert_eq "a key written just before the session: never read ($N rounds)" 0 "$read"
assert_eq "an untracked draft written just before: never deleted ($N rounds)" "$N" "$kept"
assert_eq "a file the command made at once: removed without a question ($N rounds)" "$N" "$own"
[ "$own" = "$N" ] || printf '%s\n' "$ERR" | head -5

finish
