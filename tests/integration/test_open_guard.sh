#!/usr/bin/env bash
# Credential files and protected data (the open family): planted secrets in
# the sandbox HOME must not reach stdout through any ordinary reader without
# a human; public keys, known_hosts, .env.example and `ls ~/.ssh` work;
# truncating a test database is stopped while ordinary writes are not;
# interlock's own config and log cannot be written from inside; cloud
# tokens are removed from the guarded environment.
. "$(dirname "$0")/lib.sh"

SECRET=s3cr3t-$RANDOM-token
mkdir -p "$HOME/.ssh" "$HOME/.aws" "$HOME/.kube" "$HOME/project"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n' "$SECRET" >"$HOME/.ssh/id_ed25519"
echo "ssh-ed25519 AAAA public" >"$HOME/.ssh/id_ed25519.pub"
echo "github.com ssh-ed25519 AAAA" >"$HOME/.ssh/known_hosts"
printf '[default]\naws_secret_access_key = %s\n' "$SECRET" >"$HOME/.aws/credentials"
printf 'users:\n- token: %s\n' "$SECRET" >"$HOME/.kube/config"
echo "DATABASE_URL=postgres://u:$SECRET@prod/db" >"$HOME/project/.env"
echo "DATABASE_URL=postgres://localhost/dev" >"$HOME/project/.env.example"
cd "$HOME/project" || exit 1

# never_prints DESC CMD...: CMD under interlock must not put the secret on
# stdout, and must say why
never_prints() {
    local desc=$1
    shift
    run_capture guard "$@"
    if [[ "$OUT" == *"$SECRET"* ]]; then
        _fail "$desc: the secret was printed"
        _last_run
    elif grep -qF "$BLOCKED_MARK" "$ERRF"; then
        _ok "$desc: secret withheld"
    else
        _fail "$desc: no secret printed but no block message either"
        _last_run
    fi
}

for f in "$HOME/.ssh/id_ed25519" "$HOME/.aws/credentials" "$HOME/.kube/config" "$HOME/project/.env"; do
    short=${f#"$HOME"/}
    never_prints "cat ~/$short" cat "$f"
    never_prints "python3 open() ~/$short" "$PYTHON" -c 'import sys; print(open(sys.argv[1]).read())' "$f"
    never_prints "sed ~/$short" sed -n p "$f"
    never_prints "base64 ~/$short" sh -c 'base64 "$1" | base64 -d' sh "$f"
done
never_prints "grep -r over ~/.ssh" grep -r BEGIN "$HOME/.ssh"
never_prints "cp then cat" sh -c 'cp "$1" "$2/copy" ; cat "$2/copy"' sh "$HOME/.ssh/id_ed25519" "$SANDBOX"
never_prints "tar of ~/.aws" sh -c 'tar -cf - -C "$HOME" .aws | tar -xOf -'
never_prints "relative path after cd" sh -c 'cd ~/.ssh && cat id_ed25519'
# ssh's own reads of a key are exempt by name; a copy of cat named ssh,
# made in the session, is not ssh
never_prints "cat copied to a file named ssh" sh -c 'cp "$(command -v cat)" "$2/ssh" && "$2/ssh" "$1"' sh "$HOME/.ssh/id_ed25519" "$SANDBOX"
# A link with an innocent name: the link itself is judged as a read of the
# key when it is made (symlink, relative symlink, hard link, python), so
# the read through it never happens.
never_prints "ln -s to an innocent name, then cat" sh -c 'ln -s "$1" "$2/notes.txt"; cat "$2/notes.txt"' sh "$HOME/.ssh/id_ed25519" "$SANDBOX"
never_prints "relative ln -s after cd, then cat" sh -c 'cd "$1" && ln -s ../.ssh/id_ed25519 notes2.txt; cat notes2.txt' sh "$HOME/project"
never_prints "hard link, then cat" sh -c 'ln "$1" "$2/hard.txt"; cat "$2/hard.txt"' sh "$HOME/.aws/credentials" "$HOME"
never_prints "python3 os.symlink, then open" "$PYTHON" -c 'import os, sys; os.symlink(sys.argv[1], sys.argv[2]); print(open(sys.argv[2]).read())' "$HOME/.kube/config" "$SANDBOX/k.txt"
assert_missing "no link was left" "$SANDBOX/notes.txt"
expect_ok "ln -s to a public key" guard ln -s "$HOME/.ssh/id_ed25519.pub" "$SANDBOX/pub.txt"
expect_ok "ln -s to the .ssh directory" guard ln -s "$HOME/.ssh" "$SANDBOX/sshdir"
if have_tool node nodejs; then
    never_prints "node fs.readFileSync" node -e 'console.log(require("fs").readFileSync(process.argv[1], "utf8"))' "$HOME/.ssh/id_ed25519"
fi
assert_missing "cp did not leave a copy" "$SANDBOX/copy"

expect_ok "cat a public key" guard cat "$HOME/.ssh/id_ed25519.pub"
expect_ok "cat known_hosts" guard cat "$HOME/.ssh/known_hosts"
expect_ok "ls ~/.ssh" guard ls "$HOME/.ssh"
expect_ok "cat .env.example" guard cat "$HOME/project/.env.example"
assert_contains ".env.example content" "$OUT" "localhost/dev"

# --- protected data
sqlite3 app.db 'create table t(x); insert into t values (42);'
before=$(sqlite3 app.db 'select x from t')
expect_blocked ": > app.db" guard bash -c ': > app.db'
expect_blocked "truncate -s0 app.db" guard truncate -s0 app.db
expect_blocked "python open(app.db, 'w')" guard "$PYTHON" -c 'open("app.db", "w")'
expect_blocked "dd of=app.db" guard dd if=/dev/zero of=app.db count=1 status=none
assert_eq "database intact" "$before" "$(sqlite3 app.db 'select x from t')"
expect_ok "sqlite3 writes its own database" guard sqlite3 app.db 'insert into t values (43);'
# a private key overwritten is an identity lost: cp over it, a shell
# redirection, python's open(..., "w") are stopped; a new key file, or one
# the session made, is the agent's own
printf 'other\n' >"$SANDBOX/other.txt"
expect_blocked "cp over a private key" guard cp "$SANDBOX/other.txt" "$HOME/.ssh/id_ed25519"
expect_blocked ": > a private key" guard bash -c ': > "$HOME/.ssh/id_ed25519"'
expect_blocked "python open(key, 'w')" guard "$PYTHON" -c 'import os; open(os.path.expanduser("~/.ssh/id_ed25519"), "w")'
assert_contains "... and told why" "$ERR" "overwrites a private key"
assert_contains "the key is intact" "$(cat "$HOME/.ssh/id_ed25519")" "$SECRET"
expect_ok "a new key file, then overwritten in the same session" guard bash -c \
    'printf "k1\n" >"$HOME/project/deploy.key" && printf "k2\n" >"$HOME/project/deploy.key"'
expect_ok "a public key may be rewritten" guard bash -c 'echo "ssh-ed25519 AAAA public" >"$HOME/.ssh/id_ed25519.pub"'
assert_eq "row added" "2" "$(sqlite3 app.db 'select count(*) from t')"
expect_ok "ordinary source writes" guard bash -c 'echo "int main(void){return 0;}" > main.c && echo more >> main.c && cp main.c copy.c'
assert_exists "source files written" main.c copy.c
mkrepo "$SANDBOX/repo"
expect_blocked "overwrite .git/HEAD" guard bash -c "echo junk > '$SANDBOX/repo/.git/HEAD'"
assert_eq ".git/HEAD intact" "ref: refs/heads/main" "$(cat "$SANDBOX/repo/.git/HEAD")"
expect_ok "git commit still writes .git" guard git -C "$SANDBOX/repo" commit -q --allow-empty -m work
# what tools add to an existing .git (a hook, info/exclude) loses nothing:
# it runs, and the audit log says so (#19)
expect_ok "a new hook written into .git by hand" guard bash -c "echo 'make test' > '$SANDBOX/repo/.git/hooks/post-merge'"
assert_exists "the hook was created" "$SANDBOX/repo/.git/hooks/post-merge"
if grep post-merge "$AUDIT_LOG" | grep -q '"rule":"data-git-additions"'; then _ok "the hook write is in the audit log"; else
    _fail "the hook write is in the audit log" "$(tail -3 "$AUDIT_LOG" 2>/dev/null)"
fi
expect_blocked "python creating a new ref by hand" guard "$PYTHON" -c "open('$SANDBOX/repo/.git/refs/heads/evil', 'x').write('0'*40)"
assert_missing "no ref was created" "$SANDBOX/repo/.git/refs/heads/evil"
# a write is judged by the path as written when no symlink is on the way
# (openat2 RESOLVE_NO_SYMLINKS); links made before the session still lead
# to the full check and are caught where they lead
ln -s "$SANDBOX/repo/.git/HEAD" "$SANDBOX/head-link"
ln -s "$SANDBOX/repo/.git" "$SANDBOX/gitdir-link"
expect_blocked "a write through a symlink to .git/HEAD" guard bash -c "echo junk > '$SANDBOX/head-link'"
expect_blocked "a write through a symlinked directory into .git" guard bash -c "cd '$SANDBOX' && echo junk > gitdir-link/config"
assert_eq ".git/HEAD still intact" "ref: refs/heads/main" "$(cat "$SANDBOX/repo/.git/HEAD")"
expect_ok "a write through a symlinked directory elsewhere" guard bash -c "mkdir -p '$SANDBOX/real' && ln -sfn '$SANDBOX/real' '$SANDBOX/alias' && echo ok > '$SANDBOX/alias/out.txt'"
assert_eq "it reached the real directory" "ok" "$(cat "$SANDBOX/real/out.txt")"

# --- a credential file that is not there holds nothing: programs probe
# ~/.pgpass, ~/.npmrc, ~/.my.cnf on every run; the open fails on its own
run_capture guard cat "$HOME/.pgpass"
assert_eq "cat of an absent ~/.pgpass fails as bare" "1" "$STATUS"
assert_contains "... with the program's own error" "$ERR" "No such file"
assert_not_contains "... and no word from interlock" "$ERR" "$BLOCKED_MARK"
expect_ok "python probing ~/.npmrc and ~/.my.cnf" guard "$PYTHON" -c '
import os
for f in ("~/.npmrc", "~/.my.cnf", "~/.aws/config"):
    try:
        open(os.path.expanduser(f)).read()
    except FileNotFoundError:
        pass'
echo "//registry.npmjs.org/:_authToken=$SECRET" >"$HOME/.npmrc"
never_prints "once ~/.npmrc exists it is guarded" "$PYTHON" -c 'import os; print(open(os.path.expanduser("~/.npmrc")).read())'
rm -f "$HOME/.npmrc"

# --- what the session wrote itself: a .env the agent made for its dev
# server, a database it created, are its own to read and empty; a .env that
# was there before is not, and a repository the session made is its own
expect_ok "a .env written and read back in the same session" guard bash -c "cd '$SANDBOX' && mkdir -p dev && echo DEBUG=1 > dev/.env && cat dev/.env && cp dev/.env dev/.env.local && cat dev/.env.local"
never_prints "the planted .env is still guarded" cat "$HOME/project/.env"
expect_ok "a database made and emptied in the same session" guard bash -c "cd '$SANDBOX' && sqlite3 scratch.db 'create table t(a)' && : > scratch.db"
expect_ok "a hand write into a repository the session made" guard bash -c "cd '$SANDBOX' && git init -q fresh && echo 'ref: refs/heads/other' > fresh/.git/HEAD"
expect_blocked "a .env from before the session, read in a later one" guard cat "$SANDBOX/dev/.env"

# --- process listing: ps opens every process's environ and prints none of it
# unless asked (ps e). It is refused without a word, once logged; a reader
# that would print it is still stopped out loud.
env IL_LISTED_TOKEN="tok-$SECRET" sleep 300 &
listed=$!
quiet_before=$(grep -c '"by":"quiet-program"' "$AUDIT_LOG" 2>/dev/null || true)
expect_ok "ps -ef lists processes without a question" guard ps -eo pid,args
assert_contains "ps shows the other process" "$OUT" "sleep 300"
assert_eq "one audit record for the whole listing" "$((${quiet_before:-0} + 1))" \
    "$(grep -c '"by":"quiet-program"' "$AUDIT_LOG")"
expect_ok "ps e runs" guard ps eww -p "$listed"
assert_not_contains "ps e shows no environment" "$OUT" "tok-$SECRET"
expect_blocked "cat another process's environ" guard cat "/proc/$listed/environ"
assert_not_contains "environ not printed" "$OUT" "tok-$SECRET"
kill "$listed" 2>/dev/null; wait "$listed" 2>/dev/null || true

# --- self-protection
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d"
expect_blocked "append to a user rule file" guard bash -c "echo '[x]' >> '$XDG_CONFIG_HOME/interlock/rules.d/99-mine.conf'"
assert_missing "no rule file created" "$XDG_CONFIG_HOME/interlock/rules.d/99-mine.conf"
guard true
expect_blocked "truncate the audit log" guard bash -c ": > '$AUDIT_LOG'"
# ... and none of them deleted, moved away, replaced or linked into: rm's
# own deletes (judged by its command line otherwise) included
echo '# mine' >"$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
expect_blocked "rm of a user rule file" guard rm "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
expect_blocked "python os.remove of the audit log" guard "$PYTHON" -c "import os; os.remove('$AUDIT_LOG')"
expect_blocked "mv of the rules directory away" guard mv "$XDG_CONFIG_HOME/interlock" "$SANDBOX/stolen"
expect_blocked "mv of a directory above it" guard mv "$XDG_CONFIG_HOME" "$SANDBOX/stolen"
expect_blocked "rm -rf of the state directory" guard rm -rf "$XDG_STATE_HOME/interlock"
echo '[evil]' >"$SANDBOX/evil.conf"
expect_blocked "mv of a file onto a rule file" guard mv "$SANDBOX/evil.conf" "$XDG_CONFIG_HOME/interlock/rules.d/00-evil.conf"
expect_blocked "a symlink among the rule files" guard ln -s "$SANDBOX/evil.conf" "$XDG_CONFIG_HOME/interlock/rules.d/01-evil.conf"
ln -s "$XDG_CONFIG_HOME/interlock/rules.d" "$SANDBOX/rules-link"
expect_blocked "rm through a symlinked directory made before the session" guard rm "$SANDBOX/rules-link/50-mine.conf"
assert_exists "the user rule file is intact" "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
assert_exists "the audit log is intact" "$AUDIT_LOG"
assert_missing "nothing was moved away" "$SANDBOX/stolen"
assert_missing "no rule file was put in place" "$XDG_CONFIG_HOME/interlock/rules.d/00-evil.conf"
assert_missing "no rule link was made" "$XDG_CONFIG_HOME/interlock/rules.d/01-evil.conf"
# ... nor reached under another name: a symlink to the audit log made in
# the session is refused, and one made before it still leads to a refusal
expect_blocked "a symlink with an innocent name to the audit log" guard ln -s "$AUDIT_LOG" "$SANDBOX/notes.log"
assert_missing "no such link" "$SANDBOX/notes.log"
ln -s "$AUDIT_LOG" "$SANDBOX/old-link.log"
expect_blocked "truncating the audit log through an older symlink" guard bash -c ": > '$SANDBOX/old-link.log'"
expect_blocked "appending to it through the same symlink" guard bash -c "echo forged >> '$SANDBOX/old-link.log'"
assert_not_contains "nothing forged in the audit log" "$(cat "$AUDIT_LOG")" "forged"
# ... nor made unreadable or unwritable: chmod 000 on the audit log or a rule
# directory would blind or weaken every later session
mode_before=$(stat -c %a "$AUDIT_LOG")
expect_blocked "chmod 000 of the audit log" guard chmod 000 "$AUDIT_LOG"
expect_blocked "python os.chmod of the rules directory" guard "$PYTHON" -c "import os; os.chmod('$XDG_CONFIG_HOME/interlock/rules.d', 0)"
expect_blocked "chmod through the older symlink" guard chmod 000 "$SANDBOX/old-link.log"
expect_blocked "chown of a rule file" guard chown "$(id -u)" "$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
assert_eq "the audit log's mode is unchanged" "$mode_before" "$(stat -c %a "$AUDIT_LOG")"
expect_ok "chmod of a project file works" guard bash -c "cd '$SANDBOX' && touch run.sh && chmod +x run.sh && test -x run.sh"
expect_ok "a project's own .conf files rename and delete freely" guard bash -c "cd '$SANDBOX' && echo a > app.conf && mv app.conf app2.conf && rm app2.conf"

# --- secret environment
run_capture env RAILWAY_TOKEN=rw-$SECRET ANTHROPIC_API_KEY=keep-me "${_setsid[@]}" "$INTERLOCK_BIN" run -- sh -c 'echo "R=${RAILWAY_TOKEN:-unset} A=$ANTHROPIC_API_KEY"'
assert_contains "RAILWAY_TOKEN removed" "$OUT" "R=unset"
assert_contains "the agent's own key kept" "$OUT" "A=keep-me"
assert_contains "says what it removed" "$ERR" "RAILWAY_TOKEN"
run_capture env RAILWAY_TOKEN=rw "${_setsid[@]}" "$INTERLOCK_BIN" run --pass-env RAILWAY_TOKEN -- sh -c 'echo "R=${RAILWAY_TOKEN:-unset}"'
assert_contains "--pass-env keeps one" "$OUT" "R=rw"
# by shape, not by a list: a token of a service no list names, a database
# URL with its password (and not one without), the agent's OAuth token kept
run_capture env HF_TOKEN=hf-$SECRET ACME_SECRET_KEY=ak-$SECRET DATABASE_URL="postgres://app:$SECRET@db/prod" \
    REDIS_URL=redis://localhost:6379/0 CLAUDE_CODE_OAUTH_TOKEN=own-token "${_setsid[@]}" "$INTERLOCK_BIN" run -- env
assert_not_contains "no secret left in the guarded environment" "$OUT" "$SECRET"
assert_contains "a URL without a password stays" "$OUT" "REDIS_URL=redis://localhost:6379/0"
assert_contains "the agent's own OAuth token stays" "$OUT" "CLAUDE_CODE_OAUTH_TOKEN=own-token"
assert_contains "says what it removed, by name" "$ERR" "HF_TOKEN"
assert_contains "... the database URL" "$ERR" "DATABASE_URL"
run_capture env HF_TOKEN=hf "${_setsid[@]}" "$INTERLOCK_BIN" run --pass-env HF_TOKEN -- sh -c 'echo "H=${HF_TOKEN:-unset}"'
assert_contains "--pass-env keeps one a pattern removes" "$OUT" "H=hf"
assert_not_contains "... without a spelling warning" "$ERR" "check the spelling"

finish
