#!/usr/bin/env bash
# Corpus test: every line of stop.txt must be stopped (confirm or deny) and
# every line of allow.txt let through (allow or log) by the shipped rules.
#
# Each line is a shell command line, judged as `interlock check --json --
# bash -c LINE` from a fabricated environment like the one rule examples
# use: HOME=<tmp>/home/user, working directory <tmp>/home/user/project (a
# git work tree with build/, node_modules/ and src/). Lines starting with #
# and blank lines are skipped. A stop line may end with `  # expect: RULE`
# to also require which rule stops it.
#
# Environment: INTERLOCK_BIN (the interlock binary; default
# $INTERLOCK_SRC/build/interlock), INTERLOCK_SRC (the source tree; default
# two directories above this script). The rules are $INTERLOCK_SRC/rules.d
# only (INTERLOCK_RULES_PATH), so the machine's own rule directories do not
# change the result. Options: -v prints every line's verdict.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${INTERLOCK_SRC:-$(cd "$here/../.." && pwd)}
bin=${INTERLOCK_BIN:-$src/build/interlock}
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

if [ ! -x "$bin" ]; then
	echo "run_corpus: interlock binary not found: $bin (set INTERLOCK_BIN)" >&2
	exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/interlock-corpus-XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
home=$tmp/home/user
mkdir -p "$home/project/.git/refs" "$home/project/build" "$home/project/node_modules" \
	"$home/project/src" "$home/.ssh" "$home/Documents" "$home/.config" "$home/.local/state" || exit 2
# the project's databases, as in the rule examples' environment: a
# statement on a file that is not there loses nothing (loses = database);
# and a key, for what a delete would lose (shred)
for f in project/app.db project/data.db project/warehouse.duckdb .ssh/id_ed25519; do
	printf 'not empty\n' >"$home/$f" || exit 2 # an empty database holds no rows
done

export HOME=$home USER=user LOGNAME=user
export XDG_CONFIG_HOME=$home/.config XDG_STATE_HOME=$home/.local/state XDG_DATA_HOME=$home/.local/share
export INTERLOCK_RULES_PATH=$src/rules.d
unset INTERLOCK_SESSION INTERLOCK_PROFILE LD_PRELOAD 2>/dev/null
cd "$home/project" || exit 2

passed=0 failed=0

# check FILE WANT: WANT is "stop" or "allow".
check() {
	local file=$1 want=$2 n=0 line cmd expect out last action rule ok
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case $line in '' | '#'*) continue ;; esac
		cmd=$line expect=
		if [[ $line =~ ^(.*[^[:space:]])[[:space:]][[:space:]]+#\ expect:\ ([a-z0-9._-]+)[[:space:]]*$ ]]; then
			cmd=${BASH_REMATCH[1]} expect=${BASH_REMATCH[2]}
		fi
		out=$("$bin" check --json -- bash -c "$cmd" 2>&1)
		last=${out##*$'\n'}
		action=$(sed -n 's/.*"action":"\([a-z]*\)".*/\1/p' <<<"$last")
		rule=$(sed -n 's/.*"rule":"\([^"]*\)".*/\1/p' <<<"$last")
		ok=0
		case $want:$action in
		stop:confirm | stop:deny) ok=1 ;;
		allow:allow | allow:log) ok=1 ;;
		esac
		if [ $ok = 1 ] && [ -n "$expect" ] && [ "$rule" != "$expect" ]; then
			ok=0
		fi
		if [ $ok = 1 ]; then
			passed=$((passed + 1))
			[ $verbose = 1 ] && printf 'ok    %s:%d: %s %s: %s\n' "${file##*/}" "$n" "$action" "${rule:-}" "$cmd"
		else
			failed=$((failed + 1))
			if [ -z "$action" ]; then
				printf 'ERROR %s:%d: %s\n      %s\n' "${file##*/}" "$n" "$cmd" "$out"
			elif [ $want = stop ] && { [ "$action" = allow ] || [ "$action" = log ]; }; then
				printf 'MISS  %s:%d: %s (%s)\n' "${file##*/}" "$n" "$cmd" "$action"
			elif [ $want = stop ]; then
				printf 'RULE  %s:%d: %s (stopped by %s, expected %s)\n' "${file##*/}" "$n" "$cmd" "$rule" "$expect"
			else
				printf 'FALSE %s:%d: %s (%s by %s)\n' "${file##*/}" "$n" "$cmd" "$action" "$rule"
			fi
		fi
	done <"$file"
}

check "$here/stop.txt" stop
check "$here/allow.txt" allow
echo "$passed passed, $failed failed"
[ $failed = 0 ]
