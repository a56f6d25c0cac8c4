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
    ./usr/share/man/man1/interlock.1.gz ./usr/share/man/man5/interlock.rules.5.gz \
    ./usr/share/doc/interlock/copyright \
    ./usr/share/bash-completion/completions/interlock ./usr/share/zsh/site-functions/_interlock \
    ./usr/share/fish/vendor_completions.d/interlock.fish; do
    assert_contains "package contains $f" "$contents" " $f"
done
# Debian's layout: man pages gzipped, never also uncompressed
plain=$(echo "$contents" | awk '{print $6}' | grep -E '^\./usr/share/man/man[0-9]/[^/]+\.[0-9]$')
assert_eq "no man page is shipped uncompressed" "" "$plain"
if echo "$contents" | grep -Eq ' \./usr/lib/([^/]+/)?interlock/libinterlock\.so$'; then
    _ok "package contains the preload under /usr/lib/.../interlock/"
else
    _fail "package contains the preload under /usr/lib/.../interlock/"
fi
bin_mode=$(echo "$contents" | awk '$6 == "./usr/bin/interlock" {print $1}')
assert_eq "interlock is executable" "-rwxr-xr-x" "$bin_mode"

depends=$(dpkg-deb -f "$DEB" Depends)
echo "    Depends: $depends"
# The CLI links its libraries statically where the archives are installed
# (CMakeLists.txt, il_cli_library): Depends names exactly those the binary
# in the package loads.
unpacked="$SANDBOX/unpacked-deps"
dpkg-deb -x "$DEB" "$unpacked"
needed=$(objdump -p "$unpacked/usr/bin/interlock" | awk '$1 == "NEEDED" {print $2}')
n=$(tr ',' '\n' <<<"$depends" | awk '{print $1}' | grep -cx -- libc6)
assert_eq "Depends names libc6 once" 1 "$n"
for pair in libinih.so.1:libinih1 libjson-c.so.5:libjson-c5 libpcre2-8.so.0:libpcre2-8-0 libseccomp.so.2:libseccomp2; do
    soname=${pair%%:*} dep=${pair#*:}
    n=$(tr ',' '\n' <<<"$depends" | awk '{print $1}' | grep -cx -- "$dep")
    if grep -qx -- "$soname" <<<"$needed"; then
        assert_eq "the binary loads $soname: Depends names $dep once" 1 "$n"
    else
        assert_eq "$soname is linked in: Depends does not name $dep" 0 "$n"
    fi
done
homepage=$(dpkg-deb -f "$DEB" Homepage)
echo "    Homepage: $homepage"
case $homepage in
https://*.invalid* | *localhost* | '') _fail "Homepage is a real address: '$homepage'" ;;
https://*) _ok "Homepage is a real address ($homepage)" ;;
*) _fail "Homepage is a real address: '$homepage'" ;;
esac

# The binaries are stripped, their debug information split into the
# -dbgsym package CPack writes next to the .deb, under the build ids.
UNP="$SANDBOX/unstripped-check"
dpkg-deb -x "$DEB" "$UNP"
DDEB=$(ls "$OUTDIR"/*-dbgsym_*.ddeb 2>/dev/null | head -n 1)
assert_exists "a -dbgsym package was written" "$DDEB"
ddeb_contents=$([ -n "$DDEB" ] && dpkg-deb -c "$DDEB")
for f in usr/bin/interlock $(cd "$UNP" && find usr/lib -name libinterlock.so); do
    sections=$(readelf -S --wide "$UNP/$f" 2>&1)
    if grep -Eq '\.(symtab|debug_info)( |$)' <<<"$sections"; then
        _fail "$f is stripped" "$(grep -E 'symtab|debug' <<<"$sections")"
    else
        _ok "$f is stripped"
    fi
    id=$(readelf -n "$UNP/$f" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
    assert_contains "the -dbgsym package has $f's debug information" "$ddeb_contents" \
        "./usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
done
assert_eq "the -dbgsym package belongs to this one" "interlock (= $(dpkg-deb -f "$DEB" Version))" \
    "$([ -n "$DDEB" ] && dpkg-deb -f "$DDEB" Depends)"

# The copyright file is LICENSE, with the licence of the PCRE2 the preload
# carries statically.
copyright=$(cat "$UNP/usr/share/doc/interlock/copyright")
assert_contains "copyright holds LICENSE" "$copyright" "$(cat "$INTERLOCK_SRC/LICENSE")"
assert_contains "LICENSE is the MIT license of the interlock authors" "$(cat "$INTERLOCK_SRC/LICENSE")" \
    "MIT License

Copyright (c) the interlock authors"
assert_contains "copyright names PCRE2's licence" "$copyright" "University of Cambridge"
zcat "$UNP/usr/share/man/man1/interlock.1.gz" >"$SANDBOX/interlock.1"
run_capture cmp "$SANDBOX/interlock.1" "$INTERLOCK_SRC/docs/interlock.1"
assert_status "the gzipped interlock.1 is docs/interlock.1" 0

# The README's /etc/ld.so.preload line names the library the package installs.
readme_lib=$(sed -n 's#^echo \(/[^ ]*libinterlock\.so\) *| *sudo tee /etc/ld\.so\.preload.*#\1#p' "$INTERLOCK_SRC/README.md")
if [ -n "$readme_lib" ]; then _ok "README has an /etc/ld.so.preload example ($readme_lib)"; else
    _fail "README has an /etc/ld.so.preload example"; fi
assert_contains "the README's ld.so.preload path is in the package" "$contents" " .${readme_lib:-/none}"
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
