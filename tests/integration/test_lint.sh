#!/usr/bin/env bash
# `interlock rules lint` on broken rule sets (tests/lint/<case>/): exit 125 and
# a `FILE:LINE:` message for each expected error; a bad rule set makes
# `interlock run` and `interlock check` refuse to do anything; the shipped
# rules lint clean.
. "$(dirname "$0")/lib.sh"

LINT_DIR=$INTERLOCK_SRC/tests/lint
EMPTY=$SANDBOX/empty-rules
mkdir -p "$EMPTY"

ncases=0
for casedir in "$LINT_DIR"/*/; do
    casedir=${casedir%/}
    case=$(basename "$casedir")
    [ -f "$casedir/expected" ] || continue
    ncases=$((ncases + 1))
    INTERLOCK_RULES_PATH=$EMPTY run_capture "$INTERLOCK_BIN" rules lint --rules "$casedir"
    assert_eq "lint $case: exit status 125" 125 "$STATUS"
    [ "$STATUS" = 125 ] || _last_run
    while IFS= read -r want || [ -n "$want" ]; do
        [ -n "$want" ] || continue
        file=${want%%:*}
        line=${want#*:}
        # FILE:LINE: at the start of a line, FILE with or without its directory
        if grep -Eq "^(.*/)?$(sed 's/[.[\*^$]/\\&/g' <<<"$file"):$line: ." "$ERRF"; then
            _ok "lint $case: reports $file:$line:"
        else
            _fail "lint $case: reports $file:$line:" "stderr was:" "$(sed 's/^/  | /' "$ERRF")"
        fi
    done <"$casedir/expected"
    # the same rule set makes run refuse to run anything
    rm -f "$SANDBOX/work/x"
    cd "$SANDBOX/work" || exit 1
    INTERLOCK_RULES_PATH=$EMPTY run_capture "$INTERLOCK_BIN" run --rules "$casedir" -- touch x
    assert_eq "run --rules $case: exit status 125" 125 "$STATUS"
    assert_missing "run --rules $case: nothing ran" "$SANDBOX/work/x"
    INTERLOCK_RULES_PATH=$EMPTY run_capture "$INTERLOCK_BIN" check --rules "$casedir" --json -- true
    assert_eq "check --rules $case: exit status 125" 125 "$STATUS"
done
if [ "$ncases" -ge 6 ]; then _ok "found $ncases lint cases"; else
    _fail "found lint cases" "only $ncases under $LINT_DIR"
fi

echo "# a broken file among good ones, through INTERLOCK_RULES_PATH and the XDG dir"
rm -f "$SANDBOX/work/x"
INTERLOCK_RULES_PATH="$INTERLOCK_SRC/rules.d:$LINT_DIR/unknown-action" \
    run_capture "$INTERLOCK_BIN" run -- touch x
assert_eq "run with a broken dir in INTERLOCK_RULES_PATH: 125" 125 "$STATUS"
assert_contains "... reports FILE:LINE" "$ERR" "30-unknown-action.conf:6:"
assert_missing "... and nothing ran" "$SANDBOX/work/x"
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d"
cp "$LINT_DIR/bad-regex/20-bad-regex.conf" "$XDG_CONFIG_HOME/interlock/rules.d/"
( unset INTERLOCK_RULES_PATH; run_capture "$INTERLOCK_BIN" run -- touch x
  echo "$STATUS" >"$SANDBOX/status" )
assert_eq "run with a broken file in \$XDG_CONFIG_HOME/interlock/rules.d: 125" 125 "$(cat "$SANDBOX/status")"
assert_missing "... and nothing ran" "$SANDBOX/work/x"
rm -rf "$XDG_CONFIG_HOME/interlock"

echo "# a later file with the same name replaces a broken one"
mkdir -p "$SANDBOX/fix"
printf '# fixed\n[lint-bad-regex]\non = exec\nprogram = frobnicate\nwords = ^(everything)\naction = deny\nwhy = x\nmatch = frobnicate everything\n' \
    >"$SANDBOX/fix/20-bad-regex.conf"
INTERLOCK_RULES_PATH=$EMPTY run_capture "$INTERLOCK_BIN" rules lint --rules "$LINT_DIR/bad-regex" --rules "$SANDBOX/fix"
assert_eq "lint: a same-named file in a later dir replaces the broken one" 0 "$STATUS"
[ "$STATUS" = 0 ] || _last_run

echo "# the shipped rules"
assert_status "rules lint on the shipped rules: 0" 0 "$INTERLOCK_BIN" rules lint
assert_status "rules test on the shipped rules: 0" 0 "$INTERLOCK_BIN" rules test
assert_status "rules list on the shipped rules: 0" 0 "$INTERLOCK_BIN" rules list
if [ "$(wc -l <"$OUTF")" -ge 5 ]; then _ok "rules list lists rules"; else
    _fail "rules list lists rules" "$(cat "$OUTF")"
fi

finish
