#!/usr/bin/env bash
# examples/Dockerfile without Docker: the Dockerfile parses, and its steps -
# install under /usr/local into a staging root, copy into the image root,
# `interlock rules compile` to /etc/interlock/rules.snap, preload the library
# image-wide - are run in a temporary root. The image-wide preload is
# emulated with LD_PRELOAD + INTERLOCK_SNAPSHOT pointing into that root (a
# real /etc/ld.so.preload needs a chroot). With INTERLOCK_CONTAINER_FULL_BUILD=1
# the build stage's configure and build are repeated too (slow).
. "$(dirname "$0")/common.sh"

DF="$INTERLOCK_SRC/examples/Dockerfile"
CHECK="$INTERLOCK_SRC/tests/install/dockerfile_check.py"

# -------------------------------------------------------------- syntax
run_capture "$PYTHON" "$CHECK" "$DF"
assert_status "Dockerfile syntax check" 0
assert_contains "Dockerfile stages" "$OUT" "stages: build runtime guarded-env guarded-preload"
sed -e 's/^RUN cmake -S/RUNN cmake -S/' -e 's/--from=build/--from=builder/' "$DF" >"$SANDBOX/Dockerfile.bad"
run_capture "$PYTHON" "$CHECK" "$SANDBOX/Dockerfile.bad"
assert_status "the syntax check rejects a broken Dockerfile" 1
assert_contains "unknown instruction reported with FILE:LINE" "$ERR" "Dockerfile.bad:"
assert_contains "unknown instruction named" "$ERR" "unknown instruction 'RUNN'"
assert_contains "a COPY --from of no stage is reported" "$ERR" "COPY --from=builder names no earlier stage"

# The steps mirrored below must still be the Dockerfile's.
df=$(cat "$DF")
assert_contains "Dockerfile installs under /usr/local into a staging root" "$df" \
    "DESTDIR=/staging cmake --install /build --prefix /usr/local"
assert_contains "Dockerfile copies the staged /usr/local" "$df" "COPY --from=build /staging/usr/local/ /usr/local/"
assert_contains "Dockerfile compiles the sessionless snapshot" "$df" \
    "interlock rules compile --output /etc/interlock/rules.snap"
assert_contains "Dockerfile guards through /etc/ld.so.preload" "$df" \
    "RUN echo /usr/local/lib/interlock/libinterlock.so > /etc/ld.so.preload"
assert_contains "Dockerfile documents ENV LD_PRELOAD" "$df" "ENV LD_PRELOAD=/usr/local/lib/interlock/libinterlock.so"
for topic in "env -i" "No terminal" "musl"; do
    assert_contains "Dockerfile documents: $topic" "$df" "$topic"
done

# -------------------------------------------------------- build stage
BUILD="$INTERLOCK_BUILD"
if [ "${INTERLOCK_CONTAINER_FULL_BUILD:-}" = 1 ]; then
    BUILD="$SANDBOX/build"
    run_capture cmake -S "$INTERLOCK_SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
    assert_status "build stage: configure" 0
    run_capture cmake --build "$BUILD" -j"$(nproc)"
    assert_status "build stage: build" 0
fi
STAGING="$SANDBOX/staging"
run_capture env DESTDIR="$STAGING" cmake --install "$BUILD" --prefix /usr/local
assert_status "build stage: DESTDIR=/staging cmake --install --prefix /usr/local" 0

# ------------------------------------------------------ runtime stage
ROOT="$SANDBOX/root"
mkdir -p "$ROOT/usr/local" "$ROOT/etc/interlock/rules.d"
cp -a "$STAGING/usr/local/." "$ROOT/usr/local/"
IMG_LIB=/usr/local/lib/interlock/libinterlock.so
assert_exists "runtime: the library is where the Dockerfile says" "$ROOT$IMG_LIB"
IL="$ROOT/usr/local/bin/interlock"
assert_status "runtime: interlock rules lint" 0 "$IL" rules lint
run_capture "$IL" rules compile --output "$ROOT/etc/interlock/rules.snap"
assert_status "runtime: interlock rules compile" 0
assert_contains "runtime: compiled the installed rules" "$(${IL} rules list)" "# $ROOT/usr/local/share/interlock/rules.d/"
echo "$IMG_LIB" >"$ROOT/etc/ld.so.preload"
assert_exists "runtime: /etc/ld.so.preload names a library that exists in the image" "$ROOT$(cat "$ROOT/etc/ld.so.preload")"

# -------------------------------------------- a process in the "container"
# No terminal (docker run without -t), no session, only the preload.
in_container() {
    "${_setsid[@]}" timeout -k 5 60 env -u INTERLOCK_SESSION \
        LD_PRELOAD="$ROOT$IMG_LIB" INTERLOCK_SNAPSHOT="$ROOT/etc/interlock/rules.snap" "$@"
}
mkrepo "$SANDBOX/work/r"
echo "the user's edit" >>"$SANDBOX/work/r/file.txt" # something for reset --hard to lose
expect_blocked "container: rm -rf of a git work tree" in_container bash -c "rm -rf '$SANDBOX/work/r'"
assert_exists "container: the repository survives" "$SANDBOX/work/r/.git"
assert_contains "container: confirm failed closed (no terminal)" "$ERR" "no human terminal is available"
expect_blocked "container: git reset --hard" in_container bash -c "git -C '$SANDBOX/work/r' reset --hard"
assert_contains "container: the edit is kept" "$(cat "$SANDBOX/work/r/file.txt")" "the user's edit"
expect_blocked "container: a cleared environment keeps the guard" in_container env -i /bin/bash -c "rm -rf '$SANDBOX/work/r'"
assert_exists "container: still there after env -i" "$SANDBOX/work/r/.git"
expect_ok "container: ordinary work" in_container bash -c \
    "cd '$SANDBOX/work/r' && echo more >>file.txt && git add file.txt && git commit -q -m more && git log --oneline | wc -l"
assert_eq "container: the commit happened" "2" "$OUT"

finish
