#!/usr/bin/env bash
# --strict: the supervisor also judges opens, so a static program (no
# preload) cannot read a credential file or empty a database unseen. The
# same programs reading ordinary files work; a preloaded program is told
# once (its hooks decide first); without --strict the static reader is not
# seen at all, which is what the mode is for.
. "$(dirname "$0")/lib.sh"

SECRET=strict-$RANDOM-key
mkdir -p "$HOME/.ssh" "$SANDBOX/work"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n' "$SECRET" >"$HOME/.ssh/id_ed25519"
echo "ssh-ed25519 AAAA public" >"$HOME/.ssh/id_ed25519.pub"
echo "plain text" >"$SANDBOX/work/notes.txt"
echo "precious rows" >"$SANDBOX/work/app.db"
cat >>"$RULES_DIR/50-seccomp-test.conf" <<'RULES'

[test-ssh-key]
on = open
access = read
name = id_* *_ed25519
path = (^|/)\.ssh/(?!.*\.pub$)[^/]+$
action = confirm
why = test rule: an SSH private key
match = read ~/.ssh/id_ed25519
no-match = read ~/.ssh/id_ed25519.pub

[test-log-read]
on = open
access = read
name = watched.txt
action = log
why = test rule: reads of this file are recorded
match = read /srv/watched.txt

[test-db-truncate]
on = open
access = truncate
name = *.db
action = confirm
why = test rule: emptying a database
match = truncate /srv/app.db
RULES

GUARD_OPTS=(--no-strict)
run_capture guard rawread r "$HOME/.ssh/id_ed25519"
assert_contains "--no-strict: a static reader is not seen (the gap the default closes)" "$OUT" "$SECRET"

GUARD_OPTS=(--strict)
run_capture guard rawread r "$HOME/.ssh/id_ed25519"
assert_eq "--strict: static read of a private key refused" "13" "$STATUS"
assert_not_contains "--strict: the key was not printed" "$OUT" "$SECRET"
assert_contains "--strict: the static reader is told why" "$ERR" "test-ssh-key"
run_capture guard rawread r id_ed25519 "$HOME/.ssh"
assert_eq "--strict: relative openat after chdir refused" "13" "$STATUS"
assert_not_contains "--strict: relative: not printed" "$OUT" "$SECRET"
run_capture guard rawread r "$HOME/.ssh/id_ed25519.pub"
assert_eq "--strict: the public key reads" "ssh-ed25519 AAAA public" "$OUT"
run_capture guard rawread r "$HOME/.ssh/id_rsa"
assert_eq "--strict: a key that is not there fails on its own" "1" "$STATUS"
assert_contains "--strict: ... with ENOENT" "$ERR" "No such file"
assert_not_contains "--strict: ... and nothing is said" "$ERR" "interlock: "
run_capture guard rawread r "$SANDBOX/work/notes.txt"
assert_eq "--strict: an ordinary file reads" "plain text" "$OUT"

run_capture guard rawread t "$SANDBOX/work/app.db"
assert_eq "--strict: static O_TRUNC of a database refused" "13" "$STATUS"
assert_eq "--strict: the database is intact" "precious rows" "$(cat "$SANDBOX/work/app.db")"
run_capture guard rawread t "$SANDBOX/work/notes.txt"
assert_eq "--strict: truncating an ordinary file works" "0" "$STATUS"

run_capture guard cat "$HOME/.ssh/id_ed25519"
assert_not_contains "--strict: preloaded cat: not printed" "$OUT" "$SECRET"
assert_eq "--strict: preloaded cat is told once, not twice" "1" "$(grep -c "$BLOCKED_MARK" "$ERRF")"
run_capture guard sh -c 'cat "$1" && ls "$2"' sh "$SANDBOX/work/notes.txt" "$HOME/.ssh"
assert_contains "--strict: a dynamic shell pipeline works" "$OUT" "id_ed25519.pub"
# Deletes: a static recursive delete of a git work tree (tracked files) is
# stopped at its first protected file; build output inside it stays free.
REPO=$HOME/code/repo # under HOME: a temp dir outside it is free to delete
mkdir -p "$REPO/src" "$REPO/build"
echo "int main;" >"$REPO/src/main.c"
echo "obj" >"$REPO/build/main.o"
printf 'build/\n' >"$REPO/.gitignore"
git -C "$REPO" init -q && git -C "$REPO" add src .gitignore &&
    git -C "$REPO" -c user.name=t -c user.email=t@t commit -qm init
echo "int main = 1; /* the user's edit, not committed */" >"$REPO/src/main.c"
# interlock's own files hold against static programs too
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d" && echo '# mine' >"$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
run_capture guard rawread t "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
assert_eq "--strict: a static write to a user rule file refused" "13" "$STATUS"
assert_eq "--strict: the rule file is intact" "# mine" "$(cat "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf")"
run_capture guard rawdel "$XDG_CONFIG_HOME/interlock"
assert_eq "--strict: a static rm -r of the config directory refused" "13" "$STATUS"
assert_exists "--strict: the rule file is still there" "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
assert_contains "--strict: the static deleter is told why" "$ERR" "interlock's own rules"
mode_before=$(stat -c %a "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf")
run_capture guard rawread c "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
assert_eq "--strict: a static chmod of a rule file refused" "13" "$STATUS"
assert_eq "--strict: its mode is unchanged" "$mode_before" "$(stat -c %a "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf")"
run_capture guard rawread l "$SANDBOX/work/notes.txt" "$XDG_CONFIG_HOME/interlock/rules.d/00-planted.conf"
assert_eq "--strict: a static symlink planted among the rule files refused" "13" "$STATUS"
assert_missing "--strict: no link was made" "$XDG_CONFIG_HOME/interlock/rules.d/00-planted.conf"
run_capture guard rawread c "$SANDBOX/work/notes.txt"
assert_eq "--strict: a static chmod of an ordinary file works" "0" "$STATUS"
chmod 644 "$SANDBOX/work/notes.txt"
# the preload writes its own records into the audit log (a `log` rule here)
echo seen >"$SANDBOX/work/watched.txt"
before=$(grep -c '"rule":"test-log-read"' "$AUDIT_LOG" 2>/dev/null || true)
run_capture guard cat "$SANDBOX/work/watched.txt"
assert_eq "--strict: the logged read works" "seen" "$OUT"
assert_not_contains "--strict: the preload's own audit append is not refused" "$ERR" "$BLOCKED_MARK"
assert_eq "--strict: the preload still appends its record to the audit log" "$((${before:-0} + 1))" \
    "$(grep -c '"rule":"test-log-read"' "$AUDIT_LOG")"
run_capture guard rawread r "$SANDBOX/work/watched.txt"
assert_eq "--strict: a static program's logged read works" "seen" "$OUT"
assert_eq "--strict: ... and the supervisor writes its one record" "$((${before:-0} + 2))" \
    "$(grep -c '"rule":"test-log-read"' "$AUDIT_LOG")"

run_capture guard rawdel "$REPO/build"
assert_eq "--strict: static delete of ignored build output works" "0" "$STATUS"
assert_missing "--strict: the build output is gone" "$REPO/build"
run_capture guard rawdel "$REPO"
assert_eq "--strict: static rm -r of a work tree refused" "13" "$STATUS"
assert_contains "--strict: the uncommitted edit is intact" "$(cat "$REPO/src/main.c" 2>/dev/null)" "the user's edit"
assert_exists "--strict: the repository is intact" "$REPO/.git/HEAD"
assert_contains "--strict: the static deleter is told why" "$ERR" "$BLOCKED_MARK"
finish
