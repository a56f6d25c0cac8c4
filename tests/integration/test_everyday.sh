#!/usr/bin/env bash
# An agent's everyday commands, in a git project with secrets planted in
# HOME, run under interlock as they run bare: the same exit status and not
# one block line. The corpus checks command lines with `interlock check`;
# this runs the real programs, which open files the command line never
# names (ps reads every process's environ, git its config and index, make
# its makefiles). Every false positive here is a question a human would
# learn to answer without reading.
. "$(dirname "$0")/lib.sh"

mkdir -p "$HOME/.ssh" "$HOME/.aws" "$HOME/project/src"
ssh_pub="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdqZr3pQ0WzN0vJ3YdFv0XxS8sYkJqH1m6bZ3Kx0aQ1 dev@box"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nplanted\n' >"$HOME/.ssh/id_ed25519"
echo "$ssh_pub" >"$HOME/.ssh/id_ed25519.pub"
printf '[default]\naws_secret_access_key = planted\n' >"$HOME/.aws/credentials"
cd "$HOME/project" || exit 1
echo "API_KEY=planted" >.env
echo "API_KEY=" >.env.example
printf '.env\nbuild/\n*.o\n' >.gitignore
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >src/main.c
printf 'build/app: src/main.c\n\tmkdir -p build\n\t$(CC) -o $@ src/main.c\n' >Makefile
git init -q && git add -A && git -c user.name=dev -c user.email=dev@example.com commit -qm "first"

# same_as_bare CMD: CMD (a shell line) under interlock ends as it does bare,
# and interlock says nothing
same_as_bare() {
    local line=$1 bare
    bash -c "$line" >/dev/null 2>&1 </dev/null
    bare=$?
    run_capture guard bash -c "$line"
    if grep -qF "$BLOCKED_MARK" "$ERRF"; then
        _fail "$line: interlock refused something"
        _last_run
    elif [ "$STATUS" -ne "$bare" ]; then
        _fail "$line: status $STATUS under interlock, $bare bare"
        _last_run
    else
        _ok "$line: as bare (status $bare)"
    fi
}

same_as_bare "git status --short"
same_as_bare "git log --oneline -n 5"
same_as_bare "echo '// more' >> src/main.c && git diff --stat && git add src/main.c && git -c user.name=dev -c user.email=dev@example.com commit -qm 'rm -rf build; DROP TABLE users'"
same_as_bare "git branch -a && git stash list && git show --stat HEAD"
same_as_bare "ls -la ~ ~/.ssh"
same_as_bare "find . -name '*.c' -newer Makefile -o -name '*.h'"
same_as_bare "grep -rn main --include='*.c' ."
# dependencies ship test keys; a search over the project reads them
mkdir -p node_modules/tls-lib/test/fixtures
printf -- '-----BEGIN PRIVATE KEY-----\nfixture\n' >node_modules/tls-lib/test/fixtures/key.pem
same_as_bare "grep -rl 'BEGIN PRIVATE KEY' node_modules"
same_as_bare "make -s && ./build/app && rm -rf build"
same_as_bare "mkdir -p node_modules/x/.cache && touch node_modules/x/a.js && rm -rf node_modules"
same_as_bare "cp -r src /tmp/everyday-src-\$\$ && rm -r /tmp/everyday-src-\$\$"
# a scratch directory in a variable: "$d/k" is not /k
same_as_bare 'd=$(mktemp -d) && echo s >"$d/k" && cp -r src "$d/" && rm -rf "$d"/* && rmdir "$d"'
same_as_bare "tar czf /tmp/everyday-\$\$.tgz src .env.example && rm /tmp/everyday-\$\$.tgz"
same_as_bare "cat .env.example ~/.ssh/id_ed25519.pub"
same_as_bare "ssh-keygen -lf ~/.ssh/id_ed25519.pub"
same_as_bare "ps aux >/dev/null && ps -ef | grep -c . && ps -o pid,args -p \$\$"
same_as_bare "top -bn1 | head -5"
same_as_bare "pgrep -a bash; true"
same_as_bare "env | sort | head -3 && printenv PATH && env -i PATH=/usr/bin:/bin sh -c true"
same_as_bare "df -h . && du -sh . && free && uname -a && id"
same_as_bare "cat /proc/self/status /proc/cpuinfo /proc/meminfo /proc/\$\$/cmdline >/dev/null"
same_as_bare "python3 -c 'import os, json, subprocess; print(len(os.environ)); subprocess.run([\"true\"], check=True)'"
same_as_bare "sqlite3 dev.db 'create table t(a); insert into t values (1); select count(*) from t;' && rm dev.db"
same_as_bare "bash -lc true && sh -c 'cd src && ls'"
same_as_bare "xargs -n1 echo <<<'a b c' && printf '%s\n' src/*.c | xargs wc -l"
# scripts written with heredocs: their bodies are data, whatever they say
same_as_bare "cat > deploy.sh <<'EOF'
#!/bin/sh
git push --force origin main
rm -rf ~/
EOF
chmod +x deploy.sh && grep -c force deploy.sh && rm deploy.sh"
same_as_bare "git -c user.name=dev -c user.email=dev@example.com commit -q --allow-empty -F - <<EOF
revert: drop the rm -rf build step

git reset --hard is no longer needed
EOF"
# git fills a new worktree with its own `git reset --hard` (unless-caller)
same_as_bare "git worktree add -q -b wt-\$\$ ../wt-\$\$ && test -f ../wt-\$\$/Makefile && git worktree remove ../wt-\$\$ && git branch -q -d wt-\$\$"

# ... and resets the work tree once `git stash` has saved its changes
echo "// stashed" >>src/main.c
run_capture guard bash -c "git stash -q && ! grep -q stashed src/main.c && git stash pop -q"
assert_not_contains "git stash: nothing refused" "$ERR" "$BLOCKED_MARK"
assert_contains "git stash pop: the change is back" "$(cat src/main.c)" "// stashed"
git checkout -q -- src/main.c
echo scratch >notes.txt
echo "// kept" >>src/main.c && git add src/main.c && echo "// not staged" >>src/main.c
run_capture guard bash -c "git stash -q -u --keep-index && test ! -e notes.txt && git stash pop -q"
assert_not_contains "git stash -u --keep-index: nothing refused" "$ERR" "$BLOCKED_MARK"
assert_eq "git stash -u: the untracked file is back" "scratch" "$(cat notes.txt)"
assert_contains "git stash --keep-index: the unstaged line is back" "$(cat src/main.c)" "// not staged"
rm -f notes.txt && git reset -q && git checkout -q -- src/main.c

# ... and goes back to where a cherry-pick or revert started with reset --merge
git checkout -q -b side && echo side >side.txt && git add side.txt && git -c user.name=dev -c user.email=dev@example.com commit -qm side
git checkout -q - && echo main >side.txt && git add side.txt && git -c user.name=dev -c user.email=dev@example.com commit -qm main-side
run_capture guard bash -c "git -c user.name=dev -c user.email=dev@example.com cherry-pick side; git cherry-pick --abort"
assert_not_contains "git cherry-pick --abort: nothing refused" "$ERR" "$BLOCKED_MARK"
assert_eq "git cherry-pick --abort: back where it started" "main" "$(cat side.txt)"

# ... and checks out a submodule it has just cloned with checkout -f
git init -q "$SANDBOX/lib" && git -C "$SANDBOX/lib" -c user.name=dev -c user.email=dev@example.com commit -q --allow-empty -m lib
GIT="git -c protocol.file.allow=always -c user.name=dev -c user.email=dev@example.com"
run_capture guard bash -c "$GIT submodule add -q '$SANDBOX/lib' lib && $GIT commit -qm lib"
assert_eq "git submodule add: no question" "0" "$STATUS"
assert_not_contains "git submodule add: nothing refused" "$ERR" "$BLOCKED_MARK"
git clone -q . "$SANDBOX/clone"
run_capture guard bash -c "cd '$SANDBOX/clone' && $GIT submodule update --init -q && test -d lib/.git -o -f lib/.git"
assert_eq "git submodule update --init in a fresh clone: no question" "0" "$STATUS"
assert_not_contains "submodule update --init: nothing refused" "$ERR" "$BLOCKED_MARK"
# a forced update throws the submodule's changes away: still asked
echo local >"$SANDBOX/clone/lib/mine.txt" && git -C "$SANDBOX/clone/lib" add mine.txt
run_capture guard bash -c "cd '$SANDBOX/clone' && $GIT submodule update --force -q"
assert_contains "git submodule update --force: its checkout -f is stopped" "$ERR" "rule git-checkout-force"
assert_exists "the submodule's staged file is still there" "$SANDBOX/clone/lib/mine.txt"

# ... and only that step: a post-checkout hook that worktree add runs is
# another program, and its reset of the main work tree is still asked about
echo "// uncommitted" >>src/main.c
mkdir -p .git/hooks
printf '#!/bin/sh\ncd "%s" && git reset -q --hard\n' "$PWD" >.git/hooks/post-checkout
chmod +x .git/hooks/post-checkout
run_capture guard git worktree add -q -b hooked ../hooked
assert_contains "a hook's reset --hard during worktree add is still stopped" "$ERR" "rule git-reset-hard"
assert_contains "the uncommitted line is still there" "$(cat src/main.c)" "// uncommitted"
rm .git/hooks/post-checkout
expect_blocked "a plain git reset --hard still asks" guard git reset --hard

# the command starts with the signal dispositions interlock found: what the
# wrapper ignores for itself (SIGPIPE; ^C and ^\ without a terminal) is not
# passed on, and what its own parent ignored stays ignored
bare=$(grep '^SigIgn' /proc/self/status </dev/null)
run_capture guard grep '^SigIgn' /proc/self/status
assert_eq "the command's ignored signals are those it would have bare" "$bare" "$OUT"
ign="trap '' PIPE INT HUP;"
bare=$(bash -c "$ign exec grep '^SigIgn' /proc/self/status" </dev/null)
under=$(bash -c "$ign exec \"\$0\" run -- grep '^SigIgn' /proc/self/status" "$INTERLOCK_BIN" </dev/null)
assert_eq "... and what interlock's parent ignored stays ignored" "$bare" "$under"
finish
