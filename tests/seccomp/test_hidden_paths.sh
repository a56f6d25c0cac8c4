#!/usr/bin/env bash
# Paths that do not say what they reach. Fail closed, and say why:
# - A tree nested deeper than a path can name (over PATH_MAX, 4096 bytes):
#   shutil.rmtree walks it with directory fds and deletes by name, and no
#   hook can ask the kernel where it is. Under a protected folder it is
#   treated as protected (rule delete-unnamed), by the preload and by the
#   supervisor (--strict, a static walker); under a temp dir it stays free.
#   A key's name at the bottom of such a tree is not read either.
# - A credential opened with O_PATH (a handle, no read) and read back
#   through /proc/self/fd/N or /dev/fd/N, in the same process or handed to
#   cat: judged as a read of the file it leads to.
. "$(dirname "$0")/lib.sh"
export INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d"

# mkdeep ROOT: ROOT/deep/ + 300 levels of 20-character names (6.3 KB of
# path) and, at the bottom, precious.txt and id_ed25519 (a key's name)
mkdeep() {
    "$PYTHON" - "$1" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.mkdir("deep", dir_fd=fd)
n = os.open("deep", os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n
for _ in range(300):
    os.mkdir("a" * 20, dir_fd=fd)
    n = os.open("a" * 20, os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n
for name, text in (("precious.txt", "precious"), ("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----")):
    with open(os.open(name, os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as f:
        f.write(text)
EOF
}
# files ROOT: how many files are left under ROOT (walked with fds)
files() {
    "$PYTHON" -c 'import os, sys; print(sum(len(f) for _, _, f, _ in os.fwalk(sys.argv[1])) if os.path.isdir(sys.argv[1]) else 0)' "$1"
}
cat >"$SANDBOX/rmtree.py" <<'EOF'
import shutil, sys
shutil.rmtree(sys.argv[1])
EOF
cat >"$SANDBOX/deepread.py" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
while True:
    subs = [e.name for e in os.scandir(fd) if e.is_dir()]
    if not subs:
        break
    n = os.open(subs[0], os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n
print(open(os.open(sys.argv[2], os.O_RDONLY, dir_fd=fd)).read())
EOF

DOCS="$HOME/Documents"
mkdir -p "$DOCS" "$TMPDIR/scratch"
mkdeep "$DOCS"
assert_eq "the deep tree holds its two files" "2" "$(files "$DOCS/deep")"

for mode in no-seccomp default; do
    GUARD_OPTS=(--$mode)
    [ $mode = default ] && GUARD_OPTS=()
    run_capture guard "$PYTHON" "$SANDBOX/rmtree.py" "$DOCS/deep"
    assert_eq "$mode: rmtree of a tree deeper than PATH_MAX under ~/Documents: refused" "1" "$STATUS"
    assert_contains "$mode: ... as PermissionError" "$ERR" "PermissionError"
    assert_contains "$mode: ... with the reason" "$ERR" "nested too deep for interlock to name"
    assert_contains "$mode: ... and the rule" "$ERR" "(rule delete-unnamed)"
    assert_eq "$mode: nothing was deleted" "2" "$(files "$DOCS/deep")"
    run_capture guard "$PYTHON" "$SANDBOX/deepread.py" "$DOCS/deep" precious.txt
    assert_eq "$mode: an ordinary file at the bottom reads" "precious" "$OUT"
    run_capture guard "$PYTHON" "$SANDBOX/deepread.py" "$DOCS/deep" id_ed25519
    assert_eq "$mode: a key's name at the bottom: refused" "1" "$STATUS"
    assert_contains "$mode: ... with the reason" "$ERR" "(rule open-unnamed)"
    assert_not_contains "$mode: ... and not read" "$OUT" "PRIVATE KEY"
done

GUARD_OPTS=(--strict)
run_capture guard inthread deep "$DOCS/deep" precious.txt
assert_eq "--strict: a static walker's unlinkat at the bottom: refused" "13" "$STATUS"
assert_contains "--strict: ... with the reason" "$ERR" "(rule delete-unnamed)"
assert_eq "--strict: nothing was deleted" "2" "$(files "$DOCS/deep")"
run_capture guard inthread deepread "$DOCS/deep" id_ed25519
assert_eq "--strict: a static read of a key's name at the bottom: refused" "13" "$STATUS"
assert_contains "--strict: ... with the reason" "$ERR" "(rule open-unnamed)"
run_capture guard inthread deepread "$DOCS/deep" precious.txt
assert_eq "--strict: an ordinary file at the bottom reads" "precious" "$OUT"

# The same depth in a temp dir loses nothing anyone keeps: free.
mkdeep "$TMPDIR/scratch"
GUARD_OPTS=()
run_capture guard "$PYTHON" "$SANDBOX/rmtree.py" "$TMPDIR/scratch/deep"
assert_eq "a deep tree in a temp dir: rmtree works" "0" "$STATUS"
assert_eq "... and it is gone" "0" "$(files "$TMPDIR/scratch/deep")"
GUARD_OPTS=(--strict)
mkdeep "$TMPDIR/scratch"
run_capture guard inthread deep "$TMPDIR/scratch/deep" precious.txt
assert_eq "--strict: a static walker in a temp dir deletes freely" "0" "$STATUS"

# ---------------------------------------------------------------- O_PATH
SECRET=opath-$RANDOM-key
mkdir -p "$HOME/.ssh"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n' "$SECRET" >"$HOME/.ssh/id_ed25519"
cat >"$SANDBOX/opath.py" <<'EOF'
import os, subprocess, sys
fd = os.open(sys.argv[1], os.O_PATH)   # a handle: no read yet
via = sys.argv[2] % fd
if sys.argv[3] == "self":
    try:
        print(open(via).read())
    except PermissionError as e:
        sys.exit(13)
else:
    sys.exit(subprocess.run(["cat", via], pass_fds=[fd]).returncode)
EOF
for mode in no-seccomp default strict; do
    GUARD_OPTS=(--$mode)
    [ $mode = default ] && GUARD_OPTS=()
    for via in /proc/self/fd/%d /dev/fd/%d /proc/thread-self/fd/%d; do
        for who in self cat; do
            run_capture guard "$PYTHON" "$SANDBOX/opath.py" "$HOME/.ssh/id_ed25519" "$via" $who
            if [ "$STATUS" -ne 0 ]; then _ok "$mode: key via O_PATH and $via ($who): refused"; else
                _fail "$mode: key via O_PATH and $via ($who): refused"; fi
            assert_not_contains "$mode: ... ($via, $who) not printed" "$OUT" "$SECRET"
            assert_contains "$mode: ... ($via, $who) told why, naming the key" "$ERR" \
                "interlock: blocked: read $HOME/.ssh/id_ed25519"
        done
    done
done
GUARD_OPTS=(--strict)
run_capture guard inthread reopen "$HOME/.ssh/id_ed25519"
assert_eq "--strict: a static program's O_PATH re-open: refused" "13" "$STATUS"
assert_not_contains "--strict: ... not printed" "$OUT" "$SECRET"
assert_contains "--strict: ... told why" "$ERR" "interlock: blocked: read $HOME/.ssh/id_ed25519"
echo "plain text" >"$SANDBOX/work/notes.txt"
run_capture guard inthread reopen "$SANDBOX/work/notes.txt"
assert_eq "--strict: an ordinary file re-opened through /proc/self/fd reads" "plain text" "$OUT"

finish
