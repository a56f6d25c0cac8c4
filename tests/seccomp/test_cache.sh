#!/usr/bin/env bash
# The compiled rules and the seccomp filter kept between sessions
# (cli/commands/snap_cache.c, issue 20), in the runtime directory: written on the first run, used by
# the next, rebuilt when a rule file changes, refused (said, removed,
# rebuilt) when an entry was changed behind interlock's back, and out of
# reach of the guarded processes themselves. The filter read from the cache
# must still carry the session's own wrapper pid.
. "$(dirname "$0")/lib.sh"

# the cache lives next to the sessions, in the runtime directory
export XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
CACHE="$XDG_RUNTIME_DIR/interlock/cache"
RULES="$SANDBOX/cache-rules"
mkdir -p "$RULES" "$HOME/.ssh"
cp "$RULES_DIR"/*.conf "$RULES/"
cat >"$RULES/60-cache-test.conf" <<'EOF'
[test-frob]
on = exec
program = frobnicate
action = deny
why = test rule: frobnicate v1
match = frobnicate x

[test-ssh-key]
on = open
name = id_ed25519
access = read
action = deny
why = test rule: ssh key
match = ~/.ssh/id_ed25519
EOF
echo "PRIVATE KEY" >"$HOME/.ssh/id_ed25519"
printf '#!/bin/sh\necho frobbed\n' >"$SANDBOX/bin/frobnicate"
chmod +x "$SANDBOX/bin/frobnicate"
export INTERLOCK_RULES_PATH="$RULES"

entries() { (cd "$CACHE" 2>/dev/null && ls -1 "$1"-*.snap 2>/dev/null); }
# mode of a path as octal
mode() { stat -c %a "$1"; }

# -- first run: both entries written, private
rm -rf "$CACHE"
run_capture guard true
assert_status "a first run works with no cache" 0
assert_eq "it wrote one compiled rule set" 1 "$(entries rules | wc -l)"
assert_eq "and one seccomp filter" 1 "$(entries filter | wc -l)"
assert_eq "the cache directory is the user's alone" 700 "$(mode "$CACHE")"
assert_eq "the entries are the user's alone" 600 "$(mode "$CACHE/$(entries rules)")"
RULES_ENTRY="$CACHE/$(entries rules)"
FILTER_ENTRY="$CACHE/$(entries filter)"
before=$(stat -c %Y.%i "$RULES_ENTRY" "$FILTER_ENTRY")

# -- second run: the same entries, and the rules in them still judge
run_capture guard frobnicate x
assert_status "from the cache: the exec rule still refuses" 126
assert_contains "... naming the rule" "$ERR" "(rule test-frob)"
run_capture guard cat "$HOME/.ssh/id_ed25519"
assert_not_contains "from the cache: the open rule still refuses" "$OUT" "PRIVATE KEY"
assert_contains "... naming the rule" "$ERR" "(rule test-ssh-key)"
# a static reader: the filter from the cache traps its open
run_capture guard rawread r "$HOME/.ssh/id_ed25519"
assert_not_contains "from the cache: a static reader is refused too" "$OUT" "PRIVATE KEY"
assert_eq "the entries were read, not rewritten" "$before" "$(stat -c %Y.%i "$RULES_ENTRY" "$FILTER_ENTRY")"
assert_eq "no new entry" 2 "$( (entries rules; entries filter) | wc -l)"
assert_eq "nothing said about the cache" "" "$(grep -F 'cached' "$ERRF")"

# -- the filter from the cache protects this session's wrapper, not the
# stand-in it was cached with: the command's parent is the wrapper
wrapper_probe='
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(8)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), 8)
remote = iovec(0x10000, 8)
libc.process_vm_readv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
r = libc.process_vm_readv(os.getppid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
print("readv", r, os.strerror(ctypes.get_errno()) if r < 0 else "")
'
run_capture guard "$PYTHON" -c "$wrapper_probe"
assert_contains "cached filter: reading the wrapper's memory is refused" "$OUT" "readv -1 Operation not permitted"

# -- once the files have not changed for a while, their stat(2) vouches for
# their contents: the key of the contents is kept under a key of the stats
sleep 3
run_capture guard true
assert_eq "settled rule files: their stat vouches for the contents" 1 "$(entries stat | wc -l)"
STAT_ENTRY="$CACHE/$(entries stat)"
run_capture guard frobnicate x
assert_contains "... and the entry it names is the one used" "$ERR" "(rule test-frob)"
assert_eq "... still one compiled rule set" 1 "$(entries rules | wc -l)"
flip() { # flip one byte of FILE at OFFSET
    "$PYTHON" -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x20]))' "$1" "$2"
}
flip "$STAT_ENTRY" 60
run_capture guard frobnicate x
assert_contains "a changed stat entry is refused and said" "$ERR" "cached stat"
assert_contains "... and the rules still judge" "$ERR" "(rule test-frob)"

# -- a settled rules entry whose checksum has matched is vouched for by its
# stat(2) from then on (no checksum at each start); a write moves its ctime,
# so one changed afterwards is checked, refused and rebuilt all the same
assert_eq "a settled rules entry that matched its checksum is recorded as seen" 1 "$(entries seen-rules | wc -l)"
flip "$CACHE/$(entries rules)" 5000
run_capture guard frobnicate x
assert_contains "a seen rules entry changed afterwards is refused and said" "$ERR" "does not match its checksum"
assert_contains "... and the rules still judge" "$ERR" "(rule test-frob)"

# -- a rule file changes: a new entry, and the new rule is what judges
sed -i 's/frobnicate v1/frobnicate v2/' "$RULES/60-cache-test.conf"
run_capture guard frobnicate x
assert_contains "a changed rule file is compiled again" "$ERR" "frobnicate v2"
assert_eq "under a new key" 2 "$(entries rules | wc -l)"
# the same size, one byte different: still a different key
sed -i 's/frobnicate v2/frobnicate v3/' "$RULES/60-cache-test.conf"
touch -d '2020-01-01' "$RULES/60-cache-test.conf"
run_capture guard frobnicate x
assert_contains "a change of the same size and an old mtime is seen too" "$ERR" "frobnicate v3"
# a rule removed: nothing refuses it any more
sed -i '/^\[test-frob\]/,/^match = frobnicate x/d' "$RULES/60-cache-test.conf"
run_capture guard frobnicate x
assert_status "a rule removed from the file is gone from the session" 0
assert_contains "... the program ran" "$OUT" "frobbed"
# a new file in the directory
printf '[test-frob-again]\non = exec\nprogram = frobnicate\naction = deny\nwhy = test rule: a new file\nmatch = frobnicate x\n' \
    >"$RULES/70-new.conf"
run_capture guard frobnicate x
assert_contains "a rule file added to the directory is compiled in" "$ERR" "(rule test-frob-again)"
RULES_ENTRY="$CACHE/$(ls -1t "$CACHE" | grep '^rules-' | head -n1)"

# -- tampered entries are refused, said, and rebuilt
flip "$RULES_ENTRY" 5000
run_capture guard frobnicate x
assert_contains "a changed rules entry is refused and said" "$ERR" "does not match its checksum"
assert_contains "... and the rules still judge" "$ERR" "(rule test-frob-again)"
run_capture guard frobnicate x
assert_not_contains "... it was rebuilt: the next run says nothing" "$ERR" "cached"
flip "$FILTER_ENTRY" 100
run_capture guard rawread r "$HOME/.ssh/id_ed25519"
assert_contains "a changed filter entry is refused and said" "$ERR" "cached filter"
assert_not_contains "... and the static reader is still refused" "$OUT" "PRIVATE KEY"
run_capture guard true
assert_not_contains "... it was rebuilt" "$ERR" "cached"
chmod 0666 "$RULES_ENTRY"
run_capture guard true
assert_contains "an entry others could write is refused" "$ERR" "is not a private file"
printf 'ILCACHE\001junk' >"$RULES_ENTRY"
run_capture guard frobnicate x
assert_contains "a truncated entry is refused" "$ERR" "has a bad header"
assert_contains "... and the rules still judge" "$ERR" "(rule test-frob-again)"
chmod 0777 "$CACHE"
run_capture guard frobnicate x
assert_contains "a cache directory others can write is not used" "$ERR" "(rule test-frob-again)"
assert_eq "... and nothing is read from it" "" "$(grep -F 'cached' "$ERRF")"
chmod 0700 "$CACHE"

# -- an agent clearing the user's caches meets nothing of interlock's
mkdir -p "$HOME/.cache/pip" && echo x >"$HOME/.cache/pip/wheel"
run_capture guard "$PYTHON" -c 'import os, shutil; shutil.rmtree(os.path.expanduser("~/.cache"))'
assert_status "removing ~/.cache is not refused" 0
assert_missing "... and the caches are gone" "$HOME/.cache"

# -- from inside a session, the cache is interlock's own: not to be changed
RULES_ENTRY="$CACHE/$(ls -1t "$CACHE" | grep '^rules-' | head -n1)"
sum_before=$(cksum <"$RULES_ENTRY")
run_capture guard sh -c "echo x >>'$RULES_ENTRY'"
assert_contains "a guarded shell cannot append to an entry" "$ERR" "(rule self-protection)"
run_capture guard "$PYTHON" -c "open('$RULES_ENTRY', 'r+b').write(b'x')"
assert_contains "nor a guarded python rewrite it" "$ERR" "(rule self-protection)"
run_capture guard sh -c "cp '$RULES_ENTRY' '$SANDBOX/x.snap' && mv '$SANDBOX/x.snap' '$CACHE/rules-0123.snap'"
assert_contains "nor plant a new one" "$ERR" "(rule self-protection)"
run_capture guard rawdel "$CACHE"
assert_exists "nor a static program delete them" "$RULES_ENTRY"
assert_eq "the entry is unchanged" "$sum_before" "$(cksum <"$RULES_ENTRY")"

finish
