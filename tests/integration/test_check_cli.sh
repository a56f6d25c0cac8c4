#!/usr/bin/env bash
# `interlock check --json` verdicts. Commands too dangerous to ever run in a
# test (/, system directories, devices) are only evaluated here, never run.
# Also: bad usage and bad rules exit 125 with FILE:LINE, and rule directories
# merge like sysctl.d.
. "$(dirname "$0")/lib.sh"

mkrepo "$HOME/project"
mkdir -p "$HOME/project/build" "$SANDBOX/work/plain"
cd "$HOME/project" || exit 1
# the user's work, so that git operations have something to lose (they
# are asked only then: 20-git.conf `loses`): a branch only it holds, a
# stash entry, an uncommitted edit, an untracked file
git checkout -q -b feature && echo f >f.txt && git add f.txt && git commit -q -m f && git checkout -q main
echo "stashed" >>file.txt && git stash -q
echo "uncommitted" >>file.txt && echo "new" >notes.md

# expect_verdict DESC ACTIONS ARGV...: ACTIONS is a |-list of allowed actions;
# for anything but allow, the rule must be named and why must be non-empty;
# the exit status is the verdict's (0 allow/log, 2 confirm, 3 deny)
expect_verdict() {
    local desc=$1 want=$2 status
    shift 2
    check_json "$@"
    case $CHECK_ACTION in allow | log) status=0 ;; confirm) status=2 ;; deny) status=3 ;; *) status=125 ;; esac
    if [ "$STATUS" != "$status" ]; then
        _fail "$desc: $CHECK_ACTION exits $status, not $STATUS"
        _last_run
    elif [[ "|$want|" == *"|$CHECK_ACTION|"* ]]; then
        if [ "$CHECK_ACTION" = allow ]; then
            _ok "$desc: $CHECK_ACTION"
        elif [ "$CHECK_RULE" != null ] && [ -n "$CHECK_RULE" ] && [ -n "$CHECK_WHY" ]; then
            _ok "$desc: $CHECK_ACTION (rule $CHECK_RULE)"
        else
            _fail "$desc: $CHECK_ACTION but rule=$CHECK_RULE why='$CHECK_WHY'"
            _last_run
        fi
    else
        _fail "$desc: expected $want, got '$CHECK_ACTION' (rule $CHECK_RULE)"
        _last_run
    fi
}
blocked() { expect_verdict "$(shquote "$@")" 'deny|confirm' "$@"; }
allowed() { expect_verdict "$(shquote "$@")" 'allow|log' "$@"; }

echo "# dangerous targets (evaluated only)"
blocked rm -rf /
blocked rm -rf /usr
blocked rm -rf /etc
blocked rm -fr /var/lib
blocked rm -r -f /home
blocked rm --recursive --force /boot
blocked sudo rm -rf --no-preserve-root /
blocked sudo -u root rm -rf /usr
blocked doas rm -rf /usr/lib
blocked env -i rm -rf /
blocked env FOO=bar rm -rf /
blocked nice -n 10 rm -rf /
blocked timeout 5 rm -rf /etc
blocked nohup rm -rf /
blocked setsid rm -rf /
blocked stdbuf -o0 rm -rf /
blocked busybox rm -rf /
blocked dd if=/dev/zero of=/dev/sda
blocked dd if=/dev/urandom of=/dev/nvme0n1 bs=1M
blocked mkfs.ext4 /dev/sdb1
blocked mkfs -t xfs /dev/vdb
blocked wipefs -a /dev/sda
blocked shred -n 1 /dev/sda
blocked sfdisk /dev/sda
blocked chmod -R 777 /
blocked chmod -R 000 /usr
blocked chown -R nobody /
blocked chown -R nobody:nogroup /etc
blocked find / -delete
blocked find /usr -name '*.so' -delete
blocked find / -exec rm -rf {} +
blocked bash -c 'cd / && rm -rf usr'
blocked sh -c 'rm -rf /'
blocked bash -c 'echo hi; rm -rf /etc'
blocked bash -c 'sudo rm -rf / --no-preserve-root'
blocked bash -c "eval 'rm -rf /'"
blocked sh -c 'cd /usr; rm -rf .'
blocked rm -rf "$HOME"
blocked rm -rf ~
blocked rm -rf "$(dirname "$HOME")"
blocked rm -rf "$HOME/project"
blocked rm -rf .git
blocked rm -rf "$HOME/project/.git"
blocked git reset --hard
blocked git reset --hard HEAD~3
blocked git -C "$HOME/project" reset --merge
blocked git checkout -- .
blocked git restore .
blocked git clean -fdx
blocked git clean -f
blocked git push --force origin main
blocked git push -f origin main
blocked git push origin +main
blocked git push origin --delete main
blocked git push origin :main
blocked git push --mirror origin
blocked git branch -D feature
blocked git stash clear
blocked git stash drop
blocked git filter-branch --tree-filter true HEAD
blocked git filter-repo --path secret --invert-paths

echo "# harmless commands"
allowed ls -la
allowed true
allowed echo rm -rf /
allowed printf '%s\n' 'rm -rf /'
allowed rm -rf ./build
allowed rm -rf build
allowed rm -rf node_modules
allowed rm -rf "$TMPDIR/scratch"
allowed rm -rf /tmp/interlock-scratch-does-not-exist
allowed rm file.txt
allowed rm -f /tmp/some-file
allowed mkdir -p /tmp/x
allowed grep -r "rm -rf" .
allowed git status
allowed git commit -m "reset --hard"
allowed git commit -m "rm -rf /"
allowed git log --grep="push --force"
allowed git reset --soft HEAD~1
allowed git reset HEAD file.txt
allowed git restore --staged file.txt
allowed git push origin main
allowed git push --force-with-lease origin main
allowed git clean -n
allowed git clean -nfd
allowed git branch -d merged
allowed git stash
allowed git stash list
allowed dd if=/dev/zero of=./disk.img bs=1M count=1
allowed chmod -R 755 ./build
allowed chmod 644 /tmp/x
allowed bash -c 'cd build && rm -rf obj'
allowed sh -c 'echo "rm -rf /"'
cd "$SANDBOX/work/plain" || exit 1
allowed find . -name '*.o' -delete
cd "$HOME/project" || exit 1

echo "# a command given as one string is judged as a command line"
blocked 'git push --force origin main'
blocked 'rm -rf /'
blocked 'cd / && rm -rf usr'
blocked 'echo ok | sh -c "git reset --hard"'
allowed 'echo rm -rf /'
allowed 'git status'
allowed 'rm -rf ./build'

echo "# rule directories: add, and replace by file name"
mkdir -p "$SANDBOX/rules-a" "$SANDBOX/rules-b"
cat >"$SANDBOX/rules-a/90-test.conf" <<'EOF'
[test-frobnicate]
on = exec
program = frobnicate
words = ^everything\b
action = deny
why = frobnicating everything cannot be undone
match = frobnicate everything
no-match = frobnicate something
EOF
cat >"$SANDBOX/rules-b/90-test.conf" <<'EOF'
# same file name in a later directory replaces the earlier file
[test-frobnicate-gently]
on = exec
program = frobnicate
words = ^gently\b
action = log
why = logged only
match = frobnicate gently
EOF
run_capture "$INTERLOCK_BIN" check --rules "$SANDBOX/rules-a" --json -- frobnicate everything
parse_check_json
assert_eq "--rules DIR adds a rule (action)" deny "$CHECK_ACTION"
assert_eq "--rules DIR adds a rule (rule id)" test-frobnicate "$CHECK_RULE"
assert_eq "--rules DIR adds a rule (why)" "frobnicating everything cannot be undone" "$CHECK_WHY"
run_capture "$INTERLOCK_BIN" check --rules "$SANDBOX/rules-a" --rules "$SANDBOX/rules-b" --json -- frobnicate everything
parse_check_json
assert_eq "same-named file in a later --rules dir replaces the earlier one" allow "$CHECK_ACTION"
assert_eq "replaced rule is gone (rule null)" null "$CHECK_RULE"
run_capture "$INTERLOCK_BIN" check --rules "$SANDBOX/rules-a" --rules "$SANDBOX/rules-b" --json -- frobnicate gently
parse_check_json
assert_eq "rule from the replacing file is active" log "$CHECK_ACTION"
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d"
cp "$SANDBOX/rules-a/90-test.conf" "$XDG_CONFIG_HOME/interlock/rules.d/"
run_capture "$INTERLOCK_BIN" check --json -- frobnicate everything
parse_check_json
assert_eq "INTERLOCK_RULES_PATH replaces the XDG dir (user rule ignored)" allow "$CHECK_ACTION"
rm -rf "$XDG_CONFIG_HOME/interlock"
cat >"$SANDBOX/rules-b/95-off.conf" <<'EOF'
# redefining a rule id with action = allow switches it off
[test-frobnicate]
on = exec
program = frobnicate
action = allow
EOF
rm "$SANDBOX/rules-b/90-test.conf"
run_capture "$INTERLOCK_BIN" check --rules "$SANDBOX/rules-a" --rules "$SANDBOX/rules-b" --json -- frobnicate everything
parse_check_json
assert_eq "rule id redefined with action = allow is switched off" allow "$CHECK_ACTION"

echo "# bad usage and bad rules: exit 125"
assert_status "check without a command" 125 "$INTERLOCK_BIN" check --json --
assert_status "check with an unknown option" 125 "$INTERLOCK_BIN" check --no-such-option -- ls
assert_status "run without a command" 125 "$INTERLOCK_BIN" run --
assert_status "run with an unknown option" 125 "$INTERLOCK_BIN" run --no-such-option -- true
assert_status "unknown subcommand" 125 "$INTERLOCK_BIN" no-such-subcommand
assert_status "rules with an unknown verb" 125 "$INTERLOCK_BIN" rules no-such-verb
mkdir -p "$SANDBOX/rules-bad"
printf '[bad-action]\non = exec\nprogram = frobnicate\naction = explode\nwhy = x\nmatch = frobnicate\n' \
    >"$SANDBOX/rules-bad/50-bad.conf"
assert_status "check with a bad rules file" 125 "$INTERLOCK_BIN" check --rules "$SANDBOX/rules-bad" --json -- ls
assert_contains "check with a bad rules file reports FILE:LINE" "$ERR" "50-bad.conf:4:"
assert_status "run with a bad rules file" 125 "$INTERLOCK_BIN" run --rules "$SANDBOX/rules-bad" -- touch "$SANDBOX/work/created"
assert_contains "run with a bad rules file reports FILE:LINE" "$ERR" "50-bad.conf:4:"
assert_missing "run with a bad rules file runs nothing" "$SANDBOX/work/created"

echo "# exit status of run is the command's"
assert_status "run -- true" 0 "$INTERLOCK_BIN" run -- true
assert_status "run -- false" 1 "$INTERLOCK_BIN" run -- false
assert_status "run -- sh -c 'exit 42'" 42 "$INTERLOCK_BIN" run -- sh -c 'exit 42'

finish
