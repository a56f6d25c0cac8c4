#!/usr/bin/env bash
# Man pages and shell completions: interlock.rules.5 is generated from its
# Markdown source and up to date, both pages format without warnings, the
# completion scripts parse, and every subcommand answers --help.
. "$(dirname "$0")/common.sh"

run_capture "$PYTHON" "$INTERLOCK_SRC/scripts/md2man.py" --check \
    "$INTERLOCK_SRC/docs/interlock.rules.5.md" "$INTERLOCK_SRC/docs/interlock.rules.5"
assert_status "docs/interlock.rules.5 is up to date with its .md (scripts/md2man.py)" 0
if command -v groff >/dev/null; then
    for page in interlock.1 interlock.rules.5; do
        run_capture groff -man -ww -z "$INTERLOCK_SRC/docs/$page"
        assert_eq "groff: $page formats without warnings" "" "$ERR"
    done
else
    echo "(groff not installed: man page formatting not checked)"
fi
assert_contains "interlock(1) documents doctor" "$(cat "$INTERLOCK_SRC/docs/interlock.1")" ".B doctor"
assert_contains "interlock(1) documents log" "$(cat "$INTERLOCK_SRC/docs/interlock.1")" ".B log"

assert_status "bash completion parses" 0 bash -n "$INTERLOCK_SRC/completions/interlock.bash"
if command -v zsh >/dev/null; then
    assert_status "zsh completion parses" 0 zsh -n "$INTERLOCK_SRC/completions/_interlock"
fi
if command -v fish >/dev/null; then
    assert_status "fish completion parses" 0 fish -n "$INTERLOCK_SRC/completions/interlock.fish"
fi
# bash completion offers the commands and the rules subcommands
run_capture bash -c '. "$1"; COMP_WORDS=(interlock ""); COMP_CWORD=1; _interlock; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$INTERLOCK_SRC/completions/interlock.bash"
for c in run check rules log doctor shell-init; do
    assert_contains "bash completion offers $c" "$OUT" "$c"
done
run_capture bash -c '. "$1"; COMP_WORDS=(interlock rules ""); COMP_CWORD=2; _interlock; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$INTERLOCK_SRC/completions/interlock.bash"
assert_contains "bash completion offers rules compile" "$OUT" "compile"

# --help on every subcommand, --version
for sub in run check rules log doctor shell-init; do
    run_capture "$INTERLOCK_BIN" "$sub" --help
    assert_status "interlock $sub --help" 0
    assert_contains "interlock $sub --help prints usage" "$OUT" "usage:"
done
run_capture "$INTERLOCK_BIN" --version
assert_status "interlock --version" 0
assert_contains "--version names the version" "$OUT" "interlock $(sed -n 's/^project(interlock VERSION \([0-9.]*\).*/\1/p' "$INTERLOCK_SRC/CMakeLists.txt")"
# The lists kept in one place, named where they are shown: every exported
# hook (lib/preload/hooks.txt) in the README, every target predicate (the
# engine's table) in interlock.rules(5).
readme=$(cat "$INTERLOCK_SRC/README.md")
hooks_section=$(sed -n '/^- \*\*Hooks\*\*/,/^- \*\*Hot path/p' "$INTERLOCK_SRC/README.md")
missing=
for sym in $(sed -n 's/^[a-z]*://p' "$INTERLOCK_SRC/lib/preload/hooks.txt"); do
    grep -qw -- "$sym" <<<"$hooks_section" || missing+=" $sym"
done
assert_eq "README's list of hooks names every exported hook" "" "$missing"
n=$(sed -n 's/^[a-z]*://p' "$INTERLOCK_SRC/lib/preload/hooks.txt" | wc -w)
assert_contains "README counts the hooks ($n)" "$readme" "**Hooks** ($n functions"
rules5=$(cat "$INTERLOCK_SRC/docs/interlock.rules.5.md")
run_capture "$INTERLOCK_BIN" rules predicates
assert_status "interlock rules predicates" 0
for pred in $(awk '{print $1}' <<<"$OUT"); do
    assert_contains "interlock.rules(5) documents the predicate $pred" "$rules5" "\`$pred\`"
done

run_capture "$INTERLOCK_BIN" --help
for c in doctor log "rules compile" --no-strict --pass-env; do
    assert_contains "interlock --help mentions $c" "$OUT" "$c"
done

# The README's pack table names every shipped rule file, and its figures
# are today's: the rule and example counts (`rules test`), the doctor
# sample's rule and file counts, the corpus sizes.
pack_table=$(sed -n '/^Shipped packs/,/^$/p;/^| file | covers |/,/^$/p' "$INTERLOCK_SRC/README.md")
missing=
for f in "$INTERLOCK_SRC"/rules.d/*.conf; do
    grep -qF "| \`${f##*/}\` |" <<<"$pack_table" || missing+=" ${f##*/}"
done
assert_eq "the README's pack table lists every file in rules.d" "" "$missing"
# readme_says DESC TEXT: the README contains TEXT (a short message if not)
readme_says() {
    if grep -qF -- "$2" <<<"$readme"; then _ok "$1"; else _fail "$1" "the README does not say: $2"; fi
}
run_capture env INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d" "$INTERLOCK_BIN" rules test
nrules=$(sed -n 's/^rules test: \([0-9]*\) rules: \([0-9]*\) passed.*/\1/p' <<<"$OUT")
nexamples=$(sed -n 's/^rules test: \([0-9]*\) rules: \([0-9]*\) passed.*/\2/p' <<<"$OUT")
nfiles=$(ls "$INTERLOCK_SRC"/rules.d/*.conf | wc -l)
readme_says "the README counts the shipped rules ($nrules)" "the $nrules shipped rules"
readme_says "the README counts their examples ($nexamples)" "carry $nexamples \`match\`/\`no-match\` examples"
readme_says "the doctor sample counts the rules" "rules: $nrules rules,"
readme_says "the doctor sample counts the rule files" "rules.d: $nfiles files"
nstop=$(grep -vc '^[[:space:]]*\(#\|$\)' "$INTERLOCK_SRC/tests/corpus/stop.txt")
nallow=$(grep -vc '^[[:space:]]*\(#\|$\)' "$INTERLOCK_SRC/tests/corpus/allow.txt")
readme_says "the README counts the corpus" "$nstop command lines that must be stopped and $nallow that must pass"

# The audit record's `by` values are the writers' (lib/engine/outcome.c,
# cli/confirm/broker.c, the preload's settle.c), in the README and interlock(1).
man1=$(cat "$INTERLOCK_SRC/docs/interlock.1")
for by in rule human wrong-word timeout no-terminal busy withdrawn session-approval quiet-program; do
    assert_contains "the README names the audit by value $by" "$readme" "\`$by\`"
    assert_contains "interlock(1) names the audit by value $by" "$man1" ".B ${by//-/\\-}"
done
assert_contains "the README names the approval field" "$readme" '"approval":"q3"'

finish
