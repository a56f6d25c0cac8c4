#!/usr/bin/env bash
# The command-line contract scripts rely on (README, docs/interlock.1):
# `check` exits by verdict (0 allow/log, 2 confirm, 3 deny, 125 error) and
# with --json prints exactly one JSON document on stdout; a command given
# as one string is judged as a command line, and says so; typos in options
# are errors, not silent no-ops; every command answers --help; `run`
# removes cloud tokens from the environment and says which; session
# directories left behind by a killed wrapper are swept, and nothing else is.
. "$(dirname "$0")/lib.sh"

IL=$INTERLOCK_BIN
mkrepo "$HOME/project"
cd "$HOME/project" || exit 1
mkdir -p "$SANDBOX/rules-extra"
cat >"$SANDBOX/rules-extra/90-test.conf" <<'EOF'
[test-frobnicate-everything]
on = exec
program = frobnicate
words = ^everything\b
action = deny
why = frobnicating everything cannot be undone
match = frobnicate everything

[test-frobnicate-gently]
on = exec
program = frobnicate
words = ^gently\b
action = log
why = logged only
match = frobnicate gently
EOF
EXTRA=(--rules "$SANDBOX/rules-extra")

# json_doc: stdout of the last run is exactly one JSON object on one line;
# prints its action and input, or PARSE-ERROR
json_doc() {
    "$PYTHON" - "$OUTF" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
try:
    o = json.loads(text)
except Exception as e:
    print("PARSE-ERROR %s" % e); sys.exit(0)
lines = text.rstrip("\n").split("\n")
if not isinstance(o, dict) or len(lines) != 1:
    print("PARSE-ERROR not one object on one line"); sys.exit(0)
print("%s %s" % (o.get("action"), o.get("input")))
EOF
}

echo "# check: exit status by verdict, one JSON document on stdout"
# verdict DESC WANT_STATUS WANT_ACTION CHECK-ARGS...
verdict() {
    local desc=$1 status=$2 action=$3
    shift 3
    run_capture "$IL" check --json "$@"
    assert_eq "$desc: exit status" "$status" "$STATUS"
    local doc
    doc=$(json_doc)
    assert_eq "$desc: stdout is one JSON object saying $action" "$action" "${doc%% *}"
    assert_contains "$desc: the human-readable verdict is on stderr" "$ERR" "$action:"
    run_capture "$IL" check "$@"
    assert_eq "$desc: the same status without --json" "$status" "$STATUS"
    assert_contains "$desc: without --json the verdict is on stdout" "$OUT" "$action:"
}
verdict "allow" 0 allow -- ls -la
verdict "log" 0 log "${EXTRA[@]}" -- frobnicate gently
verdict "confirm" 2 confirm -- git push --force origin main
verdict "deny" 3 deny -- rm -rf /
verdict "deny from --rules" 3 deny "${EXTRA[@]}" -- frobnicate everything
verdict "open (confirm)" 2 confirm --open truncate -- "$HOME/project/.git/HEAD"
verdict "delete (confirm)" 2 confirm --delete -- /etc/passwd
verdict "rmdir (allow)" 0 allow --rmdir -- "$SANDBOX/tmp/scratch"
verdict "rename (confirm)" 2 confirm --rename -- /etc/passwd "$SANDBOX/tmp/passwd"
verdict "connect (allow)" 0 allow --connect -- example.com:443
verdict "connect in a profile (deny)" 3 deny --profile staging --connect -- db.prod.example.com:5432
verdict "rm's own unlink of a tracked file (--program rm)" 0 allow --program rm --delete -- "$HOME/project/file.txt"
run_capture "$IL" check --json --bogus -- ls
assert_status "an unknown option: 125" 125
assert_eq "an error prints no JSON" "" "$OUT"
run_capture "$IL" check --json --rules "$SANDBOX/nope" -- ls
assert_status "check --rules DIR that does not exist: 125" 125
assert_eq "... and no JSON" "" "$OUT"

echo "# check: a command given as one string"
run_capture "$IL" check --json -- "git push --force origin main"
assert_status "one string naming no program: judged as a command line (confirm)" 2
assert_eq "... the JSON says input shell" "confirm shell" "$(json_doc)"
assert_contains "... and stderr says how it was read" "$ERR" "judged as a shell command line"
run_capture "$IL" check --json -- "rm -rf /"
assert_status "one string 'rm -rf /': deny" 3
run_capture "$IL" check --json --argv -- "git push --force origin main"
assert_status "--argv: the one string is a program name (allow)" 0
assert_eq "... the JSON says input argv" "allow argv" "$(json_doc)"
assert_not_contains "... and nothing is said about command lines" "$ERR" "command line"
run_capture "$IL" check --json -c "cd / && rm -rf usr"
assert_status "-c LINE: a command line, cd and all (confirm)" 2
assert_eq "... input shell" "confirm shell" "$(json_doc)"
assert_contains "... the target is /usr" "$OUT" '"target":"/usr"'
run_capture "$IL" check --json -c "echo hi | sh -c 'rm -rf /'"
assert_status "-c LINE: a pipe into sh -c (deny)" 3
run_capture "$IL" check --json --shell -- "echo ok; git push --force origin main"
assert_status "--shell -- LINE: every command in it (confirm)" 2
run_capture "$IL" check --json -c "echo 'rm -rf /'"
assert_status "-c LINE whose danger is only quoted text: allow" 0
run_capture "$IL" check --json -- git push --force origin main
assert_eq "several operands: an argv, as before" "confirm argv" "$(json_doc)"
printf '#!/bin/sh\nexit 0\n' >"$SANDBOX/bin/my tool"
chmod +x "$SANDBOX/bin/my tool"
run_capture "$IL" check --json -- "my tool"
assert_status "one string naming a program with a space: that program (allow)" 0
assert_eq "... input argv" "allow argv" "$(json_doc)"
assert_contains "... and stderr says so" "$ERR" "is a program"
assert_status "--shell with two operands: 125" 125 "$IL" check --shell -- "git reset --hard" extra
assert_contains "... with a message" "$ERR" "one command line"
assert_status "-c with operands after it: 125" 125 "$IL" check -c "ls" -- more
assert_status "--argv and -c together: 125" 125 "$IL" check --argv -c "ls"
assert_status "--shell with --open: 125" 125 "$IL" check --shell --open read -- /etc/hostname

echo "# check inside a session answers with the session's snapshot"
run_capture guard "$IL" check --json -- frobnicate everything
assert_eq "a session without the extra rules: allow" "allow argv" "$(json_doc)"
GUARD_OPTS=("${EXTRA[@]}")
run_capture guard "$IL" check --json -- frobnicate everything
assert_status "a session with --rules DIR: its snapshot denies (3 through run)" 3
assert_eq "... as its JSON says" "deny argv" "$(json_doc)"
GUARD_OPTS=()

echo "# typos are errors"
BAD=(--rules "$SANDBOX/no-such-dir")
typo() { # typo DESC CMD...: CMD must exit 125 naming the bad directory
    local desc=$1
    shift
    run_capture "$@"
    assert_eq "$desc --rules DIR that does not exist: 125" 125 "$STATUS"
    assert_contains "$desc --rules DIR that does not exist: names it" "$ERR" "$SANDBOX/no-such-dir"
}
typo run "$IL" run "${BAD[@]}" -- touch "$SANDBOX/ran"
typo check "$IL" check "${BAD[@]}" -- ls
for sub in lint list test; do typo "rules $sub" "$IL" rules "$sub" "${BAD[@]}"; done
typo "rules compile" "$IL" rules compile "${BAD[@]}" --output "$SANDBOX/x.snap"
typo doctor "$IL" doctor "${BAD[@]}"
typo shell-init "$IL" shell-init "${BAD[@]}" bash
assert_missing "run with a bad --rules ran nothing" "$SANDBOX/ran"
run_capture "$IL" doctor --rules "$SANDBOX/no-such-dir"
assert_not_contains "doctor with a bad --rules calls nothing ok" "$OUT" "ok "
run_capture "$IL" check --rules "$HOME/project/file.txt" -- ls
assert_status "--rules naming a file: 125" 125
assert_contains "... not a directory" "$ERR" "Not a directory"
badprofile() { # badprofile DESC CMD...
    local desc=$1
    shift
    run_capture "$@"
    assert_eq "$desc --profile no rule names: 125" 125 "$STATUS"
    assert_contains "$desc --profile no rule names: lists the profiles" "$ERR" "the rules name: staging"
}
badprofile run "$IL" run --profile nosuchprofile -- touch "$SANDBOX/ran"
badprofile check "$IL" check --profile nosuchprofile -- ls
badprofile "rules list" "$IL" rules list --profile nosuchprofile
badprofile doctor "$IL" doctor --profile nosuchprofile
assert_missing "run with a bad --profile ran nothing" "$SANDBOX/ran"
assert_status "a profile the rules name works (check)" 3 "$IL" check --profile staging --connect -- db.prod.example.com:5432
GUARD_OPTS=(--profile offline)
assert_status "a profile the rules name works (run)" 0 guard true
GUARD_OPTS=()
assert_status "shell-init --profile: 125 (a dev shell has no profile)" 125 "$IL" shell-init --profile staging bash
assert_status "log --decision maybe: 125" 125 "$IL" log --decision maybe
assert_status "log --file that does not exist: 125" 125 "$IL" log --file "$SANDBOX/missing.jsonl"
assert_status "run --pass-env with a bad name: 125" 125 "$IL" run --pass-env 'NOT A NAME' -- true

echo "# --help everywhere"
for cmd in run check rules log doctor shell-init "rules lint" "rules list" "rules test" "rules compile" \
    "rules predicates"; do
    # shellcheck disable=SC2086
    run_capture "$IL" $cmd --help
    assert_eq "$cmd --help: exit 0" 0 "$STATUS"
    assert_contains "$cmd --help: usage on stdout" "$OUT" "usage:"
    assert_contains "$cmd --help: names the command" "$OUT" "interlock ${cmd}"
    assert_eq "$cmd --help: nothing on stderr" "" "$ERR"
done
run_capture "$IL" --help
for w in --no-strict --pass-env --shell --json "2 confirm, 3 deny" 125; do
    assert_contains "interlock --help mentions $w" "$OUT" "$w"
done
run_capture "$IL" check --help
assert_contains "check --help documents the exit statuses" "$OUT" "0 allow or log, 2 confirm (a human must approve), 3 deny"
run_capture "$IL" run --help
assert_contains "run --help explains the removed variables" "$OUT" "removes the"
assert_contains "run --help names --pass-env" "$OUT" "--pass-env NAME"
man1=$(cat "$INTERLOCK_SRC/docs/interlock.1")
assert_contains "interlock(1) documents check's exit statuses" "$man1" "2 for
.B confirm"
readme=$(cat "$INTERLOCK_SRC/README.md")
assert_contains "the README documents check's exit statuses" "$readme" "0 allow or log, 2 confirm"

echo "# run: cloud tokens leave the environment, --pass-env keeps one"
export GITHUB_TOKEN=ghp_planted NPM_TOKEN=npm_planted ANTHROPIC_API_KEY=sk-ant-planted
run_capture guard sh -c 'echo "gh=${GITHUB_TOKEN-unset} npm=${NPM_TOKEN-unset} model=${ANTHROPIC_API_KEY-unset}"'
assert_eq "tokens are removed, the agent's own key is kept" "gh=unset npm=unset model=sk-ant-planted" "$OUT"
assert_eq "one stderr line says which" 1 "$(grep -c 'removed from the guarded environment' "$ERRF")"
assert_contains "... naming GITHUB_TOKEN" "$ERR" "GITHUB_TOKEN"
assert_contains "... and NPM_TOKEN" "$ERR" "NPM_TOKEN"
assert_not_contains "... not the agent's key" "$ERR" "ANTHROPIC_API_KEY"
GUARD_OPTS=(--pass-env GITHUB_TOKEN)
run_capture guard sh -c 'echo "gh=${GITHUB_TOKEN-unset} npm=${NPM_TOKEN-unset}"'
assert_eq "--pass-env keeps that one" "gh=ghp_planted npm=unset" "$OUT"
GUARD_OPTS=(--pass-env GITHUB_TOKNE)
run_capture guard true
assert_status "a --pass-env name interlock does not remove: still runs" 0
assert_contains "... with a warning (a typo?)" "$ERR" "--pass-env GITHUB_TOKNE: not a variable interlock removes"
GUARD_OPTS=()
unset GITHUB_TOKEN NPM_TOKEN ANTHROPIC_API_KEY

echo "# session directories: a session that is over is swept, nothing else"
export XDG_RUNTIME_DIR="$SANDBOX/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"
BASE=$XDG_RUNTIME_DIR/interlock
sessions() { ls "$BASE" 2>/dev/null | grep -E '^(shell-)?[0-9a-f]+$' | sort; }
# wait_for_file PATH: up to 10 s
wait_for_file() { local i; for i in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
wait_gone() { local i; for i in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

assert_status "a plain run" 0 guard true
assert_eq "a session that ended leaves no directory" "" "$(sessions)"

# A wrapper killed with SIGKILL: its guarded child lives on and still holds
# the session; once it is gone too, the next session sweeps the directory.
# (in a subshell: the shell does not report the killed job)
("${_setsid[@]}" "$IL" run -- sh -c "echo \$\$ >'$SANDBOX/child.pid'; exec sleep 60" </dev/null >/dev/null 2>&1 &)
wait_for_file "$SANDBOX/child.pid" || _fail "the guarded child started"
killed=$(sessions)
owner=$(cat "$BASE/$killed/owner" 2>/dev/null)
wrapper=${owner%% *}
assert_contains "the session records its wrapper by pid and start time" "$owner" "$wrapper "
kill -9 "$wrapper" && wait_gone "$wrapper"
child=$(cat "$SANDBOX/child.pid")
assert_status "a new session starts" 0 guard true
assert_exists "the killed wrapper's directory stays while its child runs" "$BASE/$killed"
kill "$child" && wait_gone "$child"
assert_status "another session starts" 0 guard true
assert_missing "then the killed wrapper's directory is swept" "$BASE/$killed"

# A live wrapper's directory is kept, and goes when it ends.
"${_setsid[@]}" "$IL" run -- sh -c "echo \$\$ >'$SANDBOX/live.pid'; exec sleep 60" </dev/null >/dev/null 2>&1 &
livewrap=$!
wait_for_file "$SANDBOX/live.pid" || _fail "the live session's child started"
live=$(sessions)
assert_status "a session starts beside a live one" 0 guard true
assert_exists "a live session's directory is kept" "$BASE/$live/rules.snap"
kill "$(cat "$SANDBOX/live.pid")"
wait "$livewrap"
assert_missing "a wrapper that ends removes its directory (owner file and all)" "$BASE/$live"

# Directories made by hand, with every kind of holder record.
ns=$(readlink /proc/self/ns/pid)
boot=$(cat /proc/sys/kernel/random/boot_id)
stat=$(cat /proc/$$/stat)
rest=${stat##*) }
# shellcheck disable=SC2086
set -- $rest
mystart=${20}
# fake NAME OWNER-LINE: a session directory with a snapshot and an owner
fake() {
    mkdir -m 700 "$BASE/$1" && echo snapshot >"$BASE/$1/rules.snap"
    [ -z "$2" ] || printf '%s\n' "$2" >"$BASE/$1/owner"
}
fake 00000000000000a1 "999999999 1 $ns $boot"            # holder gone
fake 00000000000000a2 "$$ 1 $ns $boot"                     # pid reused by another process
fake 00000000000000a3 "$$ $mystart $ns other-boot"         # from an earlier boot
fake 00000000000000b1 "$$ $mystart $ns $boot"              # holder alive
fake 00000000000000b2 "999999999 1 pid:[1] $boot"          # another pid namespace: cannot tell
fake 00000000000000b3 "999999999 1 $ns $boot"              # holder gone, but a process names it
fake 00000000000000b4 ""                                   # no record, just made
fake 00000000000000a4 ""                                   # no record, long idle
touch -d '2 hours ago' "$BASE/00000000000000a4"
fake shell-00000000000000b5 ""
echo $$ >"$BASE/shell-00000000000000b5/shell.pid"          # an older dev shell's record, alive
fake shell-00000000000000a5 ""
echo 999999999 >"$BASE/shell-00000000000000a5/shell.pid"   # ... and one whose shell is gone
touch -d '2 hours ago' "$BASE/shell-00000000000000a5"
mkdir -m 700 "$BASE/not-a-session" && touch -d '2 hours ago' "$BASE/not-a-session"
mkdir -p "$SANDBOX/victim" && echo precious >"$SANDBOX/victim/data"
ln -s "$SANDBOX/victim" "$BASE/00000000000000c1"          # a symlink named like a session
ln -s "$SANDBOX/victim/data" "$BASE/00000000000000a1/link" # a link inside a swept one
INTERLOCK_SESSION=00000000000000b3 sleep 60 &
holder=$!
sleep 0.2
assert_status "a session starts among them" 0 guard true
for d in a1 a2 a3 a4; do
    assert_missing "swept: 00000000000000$d" "$BASE/00000000000000$d"
done
assert_missing "swept: a dev shell whose shell is gone" "$BASE/shell-00000000000000a5"
for d in b1 b2 b3 b4; do
    assert_exists "kept: 00000000000000$d" "$BASE/00000000000000$d/rules.snap"
done
assert_exists "kept: a dev shell whose shell is alive" "$BASE/shell-00000000000000b5/rules.snap"
assert_exists "kept: what is not named like a session" "$BASE/not-a-session"
assert_exists "kept: a symlink named like a session" "$BASE/00000000000000c1"
assert_eq "a symlink is never followed: its target is intact" "precious" "$(cat "$SANDBOX/victim/data")"
kill "$holder" && wait_gone "$holder"
assert_status "the next session starts" 0 guard true
assert_missing "swept once no process names it: 00000000000000b3" "$BASE/00000000000000b3"

finish
