#!/usr/bin/env bash
# shred (and wipe, srm) destroy a file's bytes in place before they unlink
# it, so the unlink hook asked only when nothing was left to save: an SSH
# key or an uncommitted edit was gone either way. The file is now judged
# at shred's exec as its delete would be (fs-shred-file, delete-protected);
# what the session made, or what lies in a temp dir, is shredded freely.
. "$(dirname "$0")/lib.sh"

have_tool shred coreutils || finish

REPO=$HOME/src/app
mkrepo "$REPO" || { _fail "mkrepo"; finish; }
cd "$REPO" || exit 1
echo "the user's edit" >>file.txt
echo "the user's draft" >draft.txt
mkdir -p "$HOME/.ssh" && echo "PRIVATE KEY" >"$HOME/.ssh/id_ed25519"
sleep 0.1 # older than the sessions below

expect_blocked "shred -u of an SSH private key" guard shred -u "$HOME/.ssh/id_ed25519"
expect_blocked "shred (no -u) of the key, from its directory" guard bash -c 'cd ~/.ssh && shred -n 1 id_ed25519'
assert_eq "the key is intact" "PRIVATE KEY" "$(cat "$HOME/.ssh/id_ed25519")"
expect_blocked "shred of a file with an uncommitted edit" guard shred file.txt
expect_blocked "shred -u of an untracked draft" guard shred -u draft.txt
assert_contains "the edit is intact" "$(cat file.txt)" "the user's edit"
assert_eq "the draft is intact" "the user's draft" "$(cat draft.txt)"
expect_ok "shred -u of a file the session made" guard bash -c 'echo s >made.txt && shred -u made.txt'
mkdir -p "$SANDBOX/tmpdir" && echo s >"$SANDBOX/tmpdir/k"
expect_ok "shred -u in a temp directory" guard shred -u "$SANDBOX/tmpdir/k"

finish
