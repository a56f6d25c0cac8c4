#!/usr/bin/env bash
# A HOME inside a system directory by name (root's /root: agents in
# containers run as root, with their projects in /root/app) is the user's
# home, not the system: the `system` target predicate leaves out the
# session's HOME and what is in it (lib/engine/paths.c), for the exec
# rules (fs-rm-system, fs-find-delete-system, fs-chmod-system) and the
# delete hooks alike, so `rm -rf node_modules` in a project there runs
# unasked and what would lose something is asked as the home rules ask
# (and said so). A HOME the command sets for itself changes nothing: /usr
# stays the system's. The real thing needs a home under a system
# directory: a temp dir made for the test under /var/lib (root only);
# /root itself is only evaluated with `interlock check`. Likewise a git
# work tree kept where projects are (/app, /srv/site, /usr/src/app,
# /var/www/site) is a project, judged by what git has.
. "$(dirname "$0")/lib.sh"

# ------------------------------------------------- evaluated only: HOME=/root
root_check() { HOME=/root check_json "$@"; }
root_check rm -rf /root/app/node_modules
assert_eq "HOME=/root: rm -rf /root/app/node_modules is not the system's" "allow" "$CHECK_ACTION"
root_check bash -c 'cd /root/app && find . -name "*.o" -delete'
assert_eq "HOME=/root: find -delete in a project under /root" "allow" "$CHECK_ACTION"
root_check chmod -R u+w /root/app
assert_eq "HOME=/root: chmod -R of a project under /root" "allow" "$CHECK_ACTION"
root_check rm -rf /root
assert_eq "HOME=/root: rm -rf /root is asked ..." "confirm" "$CHECK_ACTION"
assert_eq "... as the home directory, not as the system" "fs-rm-home" "$CHECK_RULE"
root_check rm -rf /root/.ssh
assert_eq "HOME=/root: rm -rf ~/.ssh is asked as keys" "fs-rm-home-secrets" "$CHECK_RULE"
root_check rm -rf /root/app
assert_eq "HOME=/root: a top-level folder of the home" "fs-rm-home-child" "$CHECK_RULE"
HOME=/home/dev check_json rm -rf /root/app/node_modules
assert_eq "another user's HOME: /root is the system's" "fs-rm-system" "$CHECK_RULE"
HOME=/usr check_json rm -rf /usr/lib/x
assert_eq "HOME=/usr (a whole system tree) leaves /usr the system's" "fs-rm-system" "$CHECK_RULE"
check_json env HOME=/root rm -rf /root/app/node_modules
assert_eq "a HOME set by the command does not make /root a home" "fs-rm-system" "$CHECK_RULE"

# ------------------------------------------------- for real: a home under /var/lib
if [ "$(id -u)" -ne 0 ] || ! SYSHOME=$(mktemp -d /var/lib/interlock-test-home.XXXXXXXX 2>/dev/null); then
    _ok "SKIP: a home under /var/lib needs root"
    finish
fi
trap 'chmod -R u+rwX "$SYSHOME" 2>/dev/null; rm -rf "$SYSHOME"; _cleanup' EXIT
SYSTMP=$(mktemp -d /usr/local/share/interlock-test.XXXXXXXX) || { _fail "mktemp under /usr/local/share"; finish; }
SYSPROJ=$(mktemp -d /var/lib/interlock-test-proj.XXXXXXXX) || { _fail "mktemp under /var/lib"; finish; }
trap 'chmod -R u+rwX "$SYSHOME" "$SYSPROJ" 2>/dev/null; rm -rf "$SYSHOME" "$SYSTMP" "$SYSPROJ"; _cleanup' EXIT

APP=$SYSHOME/app
mkrepo "$APP" || { _fail "mkrepo"; finish; }
cd "$APP" || exit 1
mkdir -p node_modules/left-pad build/obj src
echo 'module.exports = 1' >node_modules/left-pad/index.js
echo o >build/obj/main.o && echo o >src/util.o
echo 'int x;' >src/m.c && echo '*.o' >.gitignore && git add src/m.c .gitignore && git commit -q -m src
echo "the user's plan" >PLAN.md
mkdir -p "$SYSHOME/.ssh" && echo "not a real key" >"$SYSHOME/.ssh/id_ed25519"
mkdir -p "$SYSTMP/lib/sub" && echo x >"$SYSTMP/lib/sub/f"
sleep 0.05

hguard() { HOME=$SYSHOME guard "$@"; }
expect_ok "rm -rf node_modules build in a project of a home under /var/lib" hguard bash -c 'rm -rf node_modules build'
assert_missing "... node_modules is gone" "$APP/node_modules"
expect_ok "find -name '*.o' -delete there (ignored)" hguard find . -name '*.o' -delete
assert_missing "... the object file is gone" "$APP/src/util.o"
expect_ok "chmod -R u+w of the project" hguard chmod -R u+w .
expect_ok "python's shutil.rmtree of the agent's own new tree" hguard "$PYTHON" -c '
import os, shutil
os.makedirs("out/gen"); open("out/gen/a.txt", "w").write("x")
shutil.rmtree("out")'
expect_blocked "rm of the user's untracked plan is asked as work, not as the system" hguard rm -f PLAN.md
assert_contains "... by what it loses" "$ERR" "delete-untracked"
assert_not_contains "... not as a system directory" "$ERR" "system"
assert_exists "... the plan is there" "$APP/PLAN.md"
expect_blocked "rm -rf ~/.ssh there" hguard bash -c 'rm -rf ~/.ssh'
assert_contains "... as keys" "$ERR" "fs-rm-home-secrets"
assert_exists "... the key is there" "$SYSHOME/.ssh/id_ed25519"
expect_blocked "a HOME set by python itself does not make another system directory a home" hguard "$PYTHON" -c "
import os
os.environ['HOME'] = '$SYSTMP'
os.unlink('$SYSTMP/lib/sub/f')"
assert_contains "... still the system's" "$ERR" "delete-system"
assert_exists "... the file is there" "$SYSTMP/lib/sub/f"

# ------------------------------------------------- a project kept under /var or /usr
# (WORKDIR /usr/src/app in a container image, /var/www/site on a server):
# a git work tree three or more levels down is a project, judged by git
SRV=$SYSPROJ/site
mkrepo "$SRV" || { _fail "mkrepo under /var/lib"; finish; }
cd "$SRV" || exit 1
mkdir -p node_modules/x __pycache__ && echo 1 >node_modules/x/i.js && echo c >__pycache__/m.pyc
echo "the user's draft" >DRAFT.md
mkdir -p "$SYSPROJ/data" && echo rows >"$SYSPROJ/data/table"
sleep 0.05
expect_ok "rm -rf node_modules in a work tree under /var/lib" guard rm -rf node_modules
assert_missing "... gone" "$SRV/node_modules"
expect_ok "find . -name '*.pyc' -delete there" guard find . -name '*.pyc' -delete
expect_ok "chmod -R u+w . there" guard chmod -R u+w .
expect_blocked "rm of the user's untracked draft there: asked as work" guard rm -f DRAFT.md
assert_contains "... by what it loses" "$ERR" "delete-untracked"
assert_exists "... the draft is there" "$SRV/DRAFT.md"
expect_blocked "rm -rf of the work tree itself: asked as a repository" guard rm -rf "$SRV"
assert_contains "... as a git work tree" "$ERR" "fs-rm-git"
assert_exists "... it is there" "$SRV/file.txt"
expect_blocked "beside it, outside any work tree, /var/lib stays the system's" guard rm -rf "$SYSPROJ/data"
assert_contains "... as a system directory" "$ERR" "fs-rm-system"
assert_exists "... the data is there" "$SYSPROJ/data/table"

# a site cloned into /srv (a work tree at /srv/NAME): the same
if [ -d /srv ] && SITE=$(mktemp -d /srv/interlock-test.XXXXXXXX); then
    git init -q "$SITE" && mkdir -p "$SITE/dist/js" && echo 1 >"$SITE/dist/js/a.js"
    sleep 0.05
    expect_ok "find -name '*.js' -delete in a work tree at /srv/NAME" guard bash -c "cd '$SITE' && find . -name '*.js' -delete"
    assert_missing "... gone" "$SITE/dist/js/a.js"
    expect_blocked "the work tree at /srv/NAME itself, whole" guard rm -rf "$SITE"
    assert_contains "... as a git work tree" "$ERR" "fs-rm-git"
    rm -rf "$SITE"
else
    _fail "mktemp under /srv"
fi

finish
