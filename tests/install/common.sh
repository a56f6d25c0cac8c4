# shellcheck shell=bash
# Shared by tests/install/test_*.sh: the integration harness (sandbox, HOME,
# assertions) plus installing the build tree into a temporary prefix.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

: "${INTERLOCK_BUILD:=$(dirname "$INTERLOCK_BIN")}"
export INTERLOCK_BUILD

# The installed interlock must find its own rules and library.
unset INTERLOCK_RULES_PATH INTERLOCK_LIBRARY INTERLOCK_SNAPSHOT INTERLOCK_PROFILE

# install_to PREFIX: `cmake --install` of the build tree (no DESTDIR)
install_to() {
    if ! cmake --install "$INTERLOCK_BUILD" --prefix "$1" >"$SANDBOX/install.log" 2>&1; then
        _fail "cmake --install --prefix $1" "$(tail -n 20 "$SANDBOX/install.log")"
        finish
    fi
}

# installed_lib PREFIX: the preload library under PREFIX (lib/ or lib/<multiarch>/)
installed_lib() {
    find "$1" -path '*/interlock/libinterlock.so' -type f 2>/dev/null | head -n 1
}
