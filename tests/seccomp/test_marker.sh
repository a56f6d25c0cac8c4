#!/usr/bin/env bash
# The default `interlock run` (no --strict): what the preload judged passes
# the filter with the session's marker, everything else is judged by the
# supervisor in full. A static reader and deleter, raw system calls from a
# preloaded python (ctypes) and perl (syscall), and a raw call carrying a
# guessed marker are all refused; the preload's own calls still work and
# are told once.
. "$(dirname "$0")/lib.sh"

SECRET=marker-$RANDOM-key
mkdir -p "$HOME/.ssh" "$SANDBOX/work"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n' "$SECRET" >"$HOME/.ssh/id_ed25519"
echo "plain text" >"$SANDBOX/work/notes.txt"
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
RULES
# A file whose loss is for good: a tracked file with an uncommitted edit.
REPO=$HOME/code/repo
mkdir -p "$REPO/src"
echo "int main;" >"$REPO/src/main.c"
git -C "$REPO" init -q && git -C "$REPO" add src &&
    git -C "$REPO" -c user.name=t -c user.email=t@t commit -qm init
echo "int main = 1; /* the user's edit, not committed */" >"$REPO/src/main.c"
# interlock's own files: a user rule file
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d" && echo '# mine' >"$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf"
MINE=$XDG_CONFIG_HOME/interlock/rules.d/50-mine.conf

GUARD_OPTS=()

# --- static programs, which never see the preload
run_capture guard rawread r "$HOME/.ssh/id_ed25519"
assert_eq "default: static read of a private key refused" "13" "$STATUS"
assert_not_contains "default: the key was not printed" "$OUT" "$SECRET"
assert_contains "default: the static reader is told why" "$ERR" "test-ssh-key"
run_capture guard rawread r "$SANDBOX/work/notes.txt"
assert_eq "default: a static reader of an ordinary file works" "plain text" "$OUT"
run_capture guard rawdel "$REPO"
assert_eq "default: static rm -r of a work tree refused" "13" "$STATUS"
assert_contains "default: the uncommitted edit is intact" "$(cat "$REPO/src/main.c" 2>/dev/null)" "the user's edit"
run_capture guard rawdel "$XDG_CONFIG_HOME/interlock"
assert_eq "default: a static delete of the user's rules refused" "13" "$STATUS"
assert_exists "default: the rule file is still there" "$MINE"

# the session's rule set holds the marker: a static program cannot read it
run_capture guard sh -c 'exec rawread r "$INTERLOCK_SNAPSHOT" >/dev/null'
assert_eq "default: a static read of the session's rule set refused" "13" "$STATUS"
assert_contains "... and told why" "$ERR" "read by interlock's preload only"
run_capture guard sh -c 'cd "$(dirname "$INTERLOCK_SNAPSHOT")" && exec rawread r rules.snap >/dev/null'
assert_eq "default: ... also by a relative name" "13" "$STATUS"
# interlock's own CLI may (`interlock check` in a session judges with the
# session's rules; a static PIE where the archives exist), by its identity:
# a copy of the same bytes elsewhere is another program
run_capture guard "$INTERLOCK_BIN" check -- rm -rf "$REPO"
assert_not_contains "interlock check in the session reads the session's rules" "$ERR" "preload only"
assert_contains "... and judges with them" "$OUT$ERR" "(rule test-rm-r)"
cp "$INTERLOCK_BIN" "$SANDBOX/interlock-copy"
if file -b "$INTERLOCK_BIN" | grep -q 'static'; then
    run_capture guard "$SANDBOX/interlock-copy" check -- true
    assert_contains "... a copy of interlock elsewhere may not" "$ERR" "read by interlock's preload only"
fi

# --- raw system calls from a preloaded python: nothing marks them
NR=$("$PYTHON" -c 'import platform; print({"x86_64": "257 263", "aarch64": "56 35"}.get(platform.machine(), ""))')
[ -n "$NR" ] || skip "no system call numbers for $(uname -m)"
read -r NR_OPENAT NR_UNLINKAT <<<"$NR"
cat >"$SANDBOX/raw.py" <<'PY'
import ctypes, os, random, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
what, nr, path = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
AT_FDCWD = -100
if what == "open":       # openat(AT_FDCWD, path, O_RDONLY)
    args = [AT_FDCWD, path, os.O_RDONLY, 0]
elif what == "forged":   # the same with a guessed marker in the sixth argument
    args = [AT_FDCWD, path, os.O_RDONLY, 0, 0, random.getrandbits(64)]
else:                    # unlinkat(AT_FDCWD, path, 0)
    args = [AT_FDCWD, path, 0]
conv = [ctypes.c_long(a) if isinstance(a, int) and a < 2**63 else
        ctypes.c_ulong(a) if isinstance(a, int) else ctypes.c_char_p(a) for a in args]
r = libc.syscall(ctypes.c_long(nr), *conv)
if r < 0:
    e = ctypes.get_errno()
    print("raw:", os.strerror(e), file=sys.stderr)
    sys.exit(13 if e == 13 else 1)
if what != "unlink":
    sys.stdout.write(os.read(r, 4096).decode())
PY
run_capture guard "$PYTHON" "$SANDBOX/raw.py" open "$NR_OPENAT" "$HOME/.ssh/id_ed25519"
assert_eq "python ctypes openat of the key refused" "13" "$STATUS"
assert_not_contains "python ctypes openat: not printed" "$OUT" "$SECRET"
run_capture guard "$PYTHON" "$SANDBOX/raw.py" forged "$NR_OPENAT" "$HOME/.ssh/id_ed25519"
assert_eq "a guessed marker is trapped and judged: refused" "13" "$STATUS"
assert_not_contains "a guessed marker: not printed" "$OUT" "$SECRET"
run_capture guard "$PYTHON" "$SANDBOX/raw.py" forged "$NR_OPENAT" "$SANDBOX/work/notes.txt"
assert_eq "a guessed marker on an ordinary file: judged and allowed" "plain text" "$OUT"
run_capture guard "$PYTHON" "$SANDBOX/raw.py" unlink "$NR_UNLINKAT" "$REPO/src/main.c"
assert_eq "python ctypes unlinkat of an edited tracked file refused" "13" "$STATUS"
assert_contains "python ctypes unlinkat: the file is intact" "$(cat "$REPO/src/main.c" 2>/dev/null)" "the user's edit"
run_capture guard "$PYTHON" "$SANDBOX/raw.py" unlink "$NR_UNLINKAT" "$MINE"
assert_eq "python ctypes unlinkat of a rule file refused" "13" "$STATUS"
assert_exists "python ctypes unlinkat: the rule file is there" "$MINE"
echo scratch >"$SANDBOX/work/scratch.txt"
run_capture guard "$PYTHON" "$SANDBOX/raw.py" unlink "$NR_UNLINKAT" "$SANDBOX/work/scratch.txt"
assert_eq "python ctypes unlinkat of a scratch file works" "0" "$STATUS"
assert_missing "python ctypes unlinkat: the scratch file is gone" "$SANDBOX/work/scratch.txt"

# --- perl's syscall, where perl is installed
if command -v perl >/dev/null; then
    run_capture guard perl -e 'exit(syscall($ARGV[0], -100, $ARGV[1], 0) < 0 ? ($! == 13 ? 13 : 1) : 0)' \
        "$NR_UNLINKAT" "$REPO/src/main.c"
    assert_eq "perl syscall unlinkat of an edited tracked file refused" "13" "$STATUS"
    assert_contains "perl syscall: the file is intact" "$(cat "$REPO/src/main.c" 2>/dev/null)" "the user's edit"
    run_capture guard perl -e 'my $fd = syscall($ARGV[0], -100, $ARGV[1], 0, 0, 0, 0x5eed5eed5eed5eed);
        exit($fd < 0 ? ($! == 13 ? 13 : 1) : 0)' "$NR_OPENAT" "$HOME/.ssh/id_ed25519"
    assert_eq "perl syscall openat of the key with a guessed marker refused" "13" "$STATUS"
fi

# --- the preload's own calls: judged once, by the hooks
run_capture guard cat "$HOME/.ssh/id_ed25519"
assert_not_contains "preloaded cat: not printed" "$OUT" "$SECRET"
assert_eq "preloaded cat is told once, not twice" "1" "$(grep -c "$BLOCKED_MARK" "$ERRF")"
echo tmp >"$SANDBOX/work/tmp.txt"
run_capture guard sh -c 'cat "$1" && ls "$2" && rm "$3/tmp.txt"' sh "$SANDBOX/work/notes.txt" "$HOME/.ssh" "$SANDBOX/work"
assert_eq "a preloaded pipeline that touches nothing protected works" "0" "$STATUS"
assert_contains "... and prints" "$OUT" "id_ed25519"
assert_missing "... and deletes" "$SANDBOX/work/tmp.txt"
run_capture guard "$PYTHON" -c 'import os, sys; os.unlink(sys.argv[1])' "$REPO/src/main.c"
assert_contains "preloaded python: os.unlink is judged by the hook" "$ERR" "$BLOCKED_MARK"
assert_eq "... once" "1" "$(grep -c "$BLOCKED_MARK" "$ERRF")"
assert_contains "... and the file is intact" "$(cat "$REPO/src/main.c" 2>/dev/null)" "the user's edit"

# --- --no-strict: the old, cheaper mode, in which the static reader is not seen
GUARD_OPTS=(--no-strict)
run_capture guard rawread r "$HOME/.ssh/id_ed25519"
assert_contains "--no-strict: a static reader is not seen (the gap the default closes)" "$OUT" "$SECRET"
GUARD_OPTS=(--strict)
run_capture guard rawread r "$HOME/.ssh/id_ed25519"
assert_eq "--strict (the default's old name) still accepted" "13" "$STATUS"
finish
