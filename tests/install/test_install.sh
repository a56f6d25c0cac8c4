#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then the installed interlock
# (run, check, doctor, rules list, log) with INTERLOCK_RULES_PATH unset: it must
# find the installed library and rules, also after the prefix is moved.
. "$(dirname "$0")/common.sh"

P="$SANDBOX/prefix"
install_to "$P"
IL="$P/bin/interlock"
LIB=$(installed_lib "$P")

# ------------------------------------------------------------------ layout
assert_exists "bin/interlock" "$IL"
assert_contains "library under lib/.../interlock/" "$LIB" "$P/lib"
assert_exists "shipped rules" "$P/share/interlock/rules.d/00-programs.conf" \
    "$P/share/interlock/rules.d/10-filesystem.conf" "$P/share/interlock/rules.d/20-git.conf"
assert_exists "man pages" "$P/share/man/man1/interlock.1" "$P/share/man/man5/interlock.rules.5"
assert_exists "completions" "$P/share/bash-completion/completions/interlock" \
    "$P/share/zsh/site-functions/_interlock" "$P/share/fish/vendor_completions.d/interlock.fish"
assert_exists "docs and the container example" "$P/share/doc/interlock/README.md" \
    "$P/share/doc/interlock/examples/Dockerfile"
n_src=$(ls "$INTERLOCK_SRC"/rules.d/*.conf | wc -l)
n_inst=$(ls "$P"/share/interlock/rules.d/*.conf | wc -l)
assert_eq "every shipped rule file is installed" "$n_src" "$n_inst"

# ------------------------------------------------------------- the CLI
assert_status "--version" 0 "$IL" --version
assert_contains "--version prints the version" "$OUT" "interlock "

run_capture "$IL" rules list
assert_status "rules list" 0
assert_contains "rules list reads the installed rules" "$OUT" "# $P/share/interlock/rules.d/20-git.conf"
assert_not_contains "rules list does not read the source tree" "$OUT" "$INTERLOCK_SRC/rules.d"
assert_contains "rules list shows FILE:LINE" "$OUT" "$P/share/interlock/rules.d/20-git.conf:"

assert_status "rules lint" 0 "$IL" rules lint
assert_status "rules test" 0 "$IL" rules test

check_installed() {
    run_capture "$IL" check --json -- "$@"
    parse_check_json
}
mkrepo "$SANDBOX/work/repo"
echo "uncommitted" >"$SANDBOX/work/repo/file.txt" # what reset --hard would lose
check_installed git -C "$SANDBOX/work/repo" reset --hard
assert_eq "installed check: git reset --hard needs confirmation" "confirm" "$CHECK_ACTION"
check_installed ls -la
assert_eq "installed check: ls is allowed" "allow" "$CHECK_ACTION"

# run: a blocked command under the installed wrapper is blocked
before=$(audit_lines)
run_capture "${_setsid[@]}" timeout -k 5 60 "$IL" run -- bash -c "git -C '$SANDBOX/work/repo' reset -q --hard"
if [ "$STATUS" -ne 0 ] && grep -qF "$BLOCKED_MARK" "$ERRF"; then _ok "installed run: git reset --hard is blocked"; else
    _fail "installed run: git reset --hard is blocked"; _last_run; fi
assert_eq "installed run: the work tree keeps its change" "uncommitted" "$(cat "$SANDBOX/work/repo/file.txt")"
assert_eq "installed run: one audit record" "$((before + 1))" "$(audit_lines)"
run_capture "${_setsid[@]}" timeout -k 5 60 "$IL" run -- rm -rf "$SANDBOX/work/repo"
assert_exists "installed run: rm -rf of a git work tree is blocked" "$SANDBOX/work/repo/.git"
run_capture "${_setsid[@]}" timeout -k 5 60 "$IL" run -- bash -c 'mkdir -p build/x && rm -rf build && echo done'
assert_status "installed run: harmless commands run" 0
assert_eq "installed run: output passes through" "done" "$OUT"
assert_missing "installed run: harmless rm -rf build ran" "$SANDBOX/work/build"

# the preload of the installed run is the installed library
run_capture "${_setsid[@]}" timeout -k 5 60 "$IL" run -- bash -c 'cat /proc/$$/maps'
assert_contains "installed run preloads the installed library" "$OUT" "$LIB"

# log shows what run recorded
run_capture "$IL" log --decision denied
assert_status "installed log" 0
assert_contains "installed log shows the denied reset" "$OUT" "git-reset-hard"

# doctor
run_capture "${_setsid[@]}" "$IL" doctor
assert_status "installed doctor: no failures" 0
assert_contains "installed doctor: the installed library loads" "$OUT" "ok    library loads: $LIB"
assert_contains "installed doctor: a child loads it" "$OUT" "ok    preload: a child process loads the library"
assert_contains "installed doctor: the probe is refused" "$OUT" "ok    preload: a probe exec in the child was refused"
assert_contains "installed doctor: the installed rule directory" "$OUT" "rule directory $P/share/interlock/rules.d: $n_inst files"
assert_contains "installed doctor: rules compile" "$OUT" "ok    rules: "
assert_contains "installed doctor: no terminal is a warning" "$OUT" "warn  terminal: no controlling terminal"

# ------------------------------------------------ overrides in rules list
mkdir -p "$XDG_CONFIG_HOME/interlock/rules.d"
cp "$P/share/interlock/rules.d/20-git.conf" "$XDG_CONFIG_HOME/interlock/rules.d/20-git.conf"
first_git_rule=$(sed -n 's/^\[\([a-z0-9][a-z0-9._-]*\)\]$/\1/p' "$P/share/interlock/rules.d/20-git.conf" | head -n 1)
printf '[%s]\non = exec\nprogram = git\naction = allow\n' "$first_git_rule" \
    >"$XDG_CONFIG_HOME/interlock/rules.d/99-local.conf"
run_capture "$IL" rules list
assert_status "rules list with user overrides" 0
assert_contains "rules list: a user file overrides the shipped one" "$OUT" \
    "# $XDG_CONFIG_HOME/interlock/rules.d/20-git.conf
#   overrides $P/share/interlock/rules.d/20-git.conf"
assert_contains "rules list: a redefined rule names what it overrides" "$OUT" \
    "# rule $first_git_rule at $XDG_CONFIG_HOME/interlock/rules.d/99-local.conf:1 overrides the definition at $XDG_CONFIG_HOME/interlock/rules.d/20-git.conf:"
rm -rf "$XDG_CONFIG_HOME/interlock"

# ------------------------------------------ relocatable: move the prefix
mv "$P" "$SANDBOX/moved"
IL="$SANDBOX/moved/bin/interlock"
run_capture "$IL" rules list
assert_contains "moved prefix: rules found relative to the executable" "$OUT" "# $SANDBOX/moved/share/interlock/rules.d/20-git.conf"
run_capture "${_setsid[@]}" timeout -k 5 60 "$IL" run -- rm -rf "$SANDBOX/work/repo"
assert_exists "moved prefix: run still blocks" "$SANDBOX/work/repo/.git"
run_capture "$IL" doctor
assert_contains "moved prefix: doctor finds the moved library" "$OUT" "ok    library loads: $SANDBOX/moved/lib"

finish
