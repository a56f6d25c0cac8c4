#!/usr/bin/env bash
# The preload library runs inside every guarded process: it must export exactly
# the hooked symbols (lib/preload/hooks.txt, the one list the version script is
# made from) and depend on nothing but libc, so that no pcre2/inih/seccomp
# symbol can interpose on the host program and no extra library is loaded.
. "$(dirname "$0")/lib.sh"

EXPECTED_FILE=$INTERLOCK_SRC/lib/preload/hooks.txt
for tool in nm readelf; do
    if ! command -v "$tool" >/dev/null; then _fail "$tool is installed (binutils)"; finish; fi
done
assert_exists "expected symbol list exists" "$EXPECTED_FILE"

needed=$(readelf -d "$INTERLOCK_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort)
if grep -Eq '^lib(a|ub|t|l|m)san' <<<"$needed"; then
    echo "sanitizer build ($(tr '\n' ' ' <<<"$needed")): the symbol and dependency checks apply to the plain build only"
    _ok "skipped on a sanitizer build"
    finish
fi

# defined dynamic symbols, without version suffixes and without the version
# definition symbols themselves (type A)
nm -D --defined-only "$INTERLOCK_LIB" | awk '$2 != "A" {print $NF}' | sed 's/@.*//' | sort -u >"$SANDBOX/actual"
sed -n 's/^[a-z]*://p' "$EXPECTED_FILE" | tr ' ' '\n' | grep -v '^$' | sort -u >"$SANDBOX/expected"

extra=$(comm -13 "$SANDBOX/expected" "$SANDBOX/actual")
missing=$(comm -23 "$SANDBOX/expected" "$SANDBOX/actual")
if [ -z "$extra" ]; then _ok "no symbols exported beyond the hooks"; else
    _fail "no symbols exported beyond the hooks" "extra: $(tr '\n' ' ' <<<"$extra")"
fi
if [ -z "$missing" ]; then _ok "every hook is exported ($(wc -l <"$SANDBOX/expected") symbols)"; else
    _fail "every hook is exported" "missing: $(tr '\n' ' ' <<<"$missing")"
fi
leaked=$(grep -Ei '^(pcre2_|ini_|seccomp_|_?pcre|inih)' "$SANDBOX/actual")
if [ -z "$leaked" ]; then _ok "no pcre2/inih/seccomp symbols exported"; else
    _fail "no pcre2/inih/seccomp symbols exported" "$(tr '\n' ' ' <<<"$leaked")"
fi
# every exported hook is a function
notfunc=$(nm -D --defined-only "$INTERLOCK_LIB" | awk '$2 != "A" && $2 != "T" && $2 != "i" && $2 != "W" {print}')
if [ -z "$notfunc" ]; then _ok "every exported symbol is a function"; else
    _fail "every exported symbol is a function" "$notfunc"
fi

bad_needed=$(grep -Ev '^(libc\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$' <<<"$needed" | grep -v '^$')
if [ -z "$bad_needed" ]; then _ok "DT_NEEDED is only libc (got: $(tr '\n' ' ' <<<"$needed"))"; else
    _fail "DT_NEEDED is only libc" "unexpected: $(tr '\n' ' ' <<<"$bad_needed")"
fi
if readelf -d "$INTERLOCK_LIB" | grep -Eq '\((RPATH|RUNPATH)\)'; then
    _fail "no RPATH/RUNPATH in the preload library" "$(readelf -d "$INTERLOCK_LIB" | grep -E 'RPATH|RUNPATH')"
else
    _ok "no RPATH/RUNPATH in the preload library"
fi
# no pcre2/inih/seccomp code dragged in undefined either
undef=$(nm -D --undefined-only "$INTERLOCK_LIB" | awk '{print $NF}' | grep -Ei '^(pcre2_|ini_|seccomp_)')
if [ -z "$undef" ]; then _ok "no pcre2/inih/seccomp imports"; else
    _fail "no pcre2/inih/seccomp imports" "$(tr '\n' ' ' <<<"$undef")"
fi

finish
