#!/usr/bin/env bash
# `cpack -G DEB` builds a package whose contents and dependencies are right,
# and the unpacked package works from wherever it is unpacked.
. "$(dirname "$0")/common.sh"

for tool in cpack dpkg-deb; do
    if ! command -v "$tool" >/dev/null; then
        echo "$TEST_NAME: skipped: no $tool"
        exit 77
    fi
done

OUTDIR="$SANDBOX/pkg"
mkdir -p "$OUTDIR"
run_capture cpack -G DEB --config "$INTERLOCK_BUILD/CPackConfig.cmake" -B "$OUTDIR"
assert_status "cpack -G DEB" 0
DEB=$(ls "$OUTDIR"/*.deb 2>/dev/null | head -n 1)
assert_exists "a .deb was written" "$DEB"
if [ -z "$DEB" ]; then finish; fi

contents=$(dpkg-deb -c "$DEB")
echo "$contents" | sed 's/^/    /' | grep -E 'interlock|man' | head -n 40
for f in ./usr/bin/interlock ./usr/share/interlock/rules.d/00-programs.conf \
    ./usr/share/interlock/rules.d/10-filesystem.conf ./usr/share/interlock/rules.d/20-git.conf \
    ./usr/share/man/man1/interlock.1 ./usr/share/man/man5/interlock.rules.5 \
    ./usr/share/bash-completion/completions/interlock ./usr/share/zsh/site-functions/_interlock \
    ./usr/share/fish/vendor_completions.d/interlock.fish; do
    assert_contains "package contains $f" "$contents" " $f"
done
if echo "$contents" | grep -Eq ' \./usr/lib/([^/]+/)?interlock/libinterlock\.so$'; then
    _ok "package contains the preload under /usr/lib/.../interlock/"
else
    _fail "package contains the preload under /usr/lib/.../interlock/"
fi
bin_mode=$(echo "$contents" | awk '$6 == "./usr/bin/interlock" {print $1}')
assert_eq "interlock is executable" "-rwxr-xr-x" "$bin_mode"

depends=$(dpkg-deb -f "$DEB" Depends)
echo "    Depends: $depends"
for dep in libc6 libinih1 libjson-c5 libpcre2-8-0 libseccomp2; do
    assert_contains "Depends names $dep" "$depends" "$dep"
done
assert_eq "package name" "interlock" "$(dpkg-deb -f "$DEB" Package)"
run_capture dpkg-deb -I "$DEB" postinst
assert_contains "postinst recompiles an existing sessionless snapshot" "$OUT" "rules compile"

# The unpacked tree works in place (interlock is relocatable).
ROOT="$SANDBOX/unpacked"
dpkg-deb -x "$DEB" "$ROOT"
run_capture "$ROOT/usr/bin/interlock" rules list
assert_status "unpacked: rules list" 0
assert_contains "unpacked: uses its own rules" "$OUT" "# $ROOT/usr/share/interlock/rules.d/20-git.conf"
mkrepo "$SANDBOX/work/repo"
run_capture "${_setsid[@]}" timeout -k 5 60 "$ROOT/usr/bin/interlock" run -- rm -rf "$SANDBOX/work/repo"
assert_exists "unpacked: run blocks rm -rf of a git work tree" "$SANDBOX/work/repo/.git"

finish
