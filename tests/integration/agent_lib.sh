# shellcheck shell=bash
# What the end-to-end tests with a real agent share (test_agent_*.sh): the
# integration harness, the agent installed from npm at a pinned version,
# and a fake model server on loopback for one conversation at a time.
#
#     . "$(dirname "$0")/agent_lib.sh"
#
# Exit 77 (skip) only when node/npm are missing or the install fails (no
# network); nothing else is a skip.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

skip() {
    echo "SKIP $TEST_NAME: $*"
    exit 77
}
command -v node >/dev/null 2>&1 || skip "node is not installed"
command -v npm >/dev/null 2>&1 || skip "npm is not installed"

# Installed once into INTERLOCK_AGENT_CACHE (default: agents/ next to the
# interlock binary) and reused while its version matches.
AGENT_CACHE=${INTERLOCK_AGENT_CACHE:-$(cd "$(dirname "$INTERLOCK_BIN")" && pwd)/agents}

# agent_install PACKAGE VERSION DIR: npm's PACKAGE@VERSION in DIR, unless
# the caller's installed_version already prints VERSION
agent_install() {
    local pkg=$1 version=$2 dir=$3 tmpdir start npmcache="$AGENT_CACHE/.npm-$(basename "$3")"
    [ "$(installed_version)" = "$version" ] && return 0
    mkdir -p "$AGENT_CACHE" || skip "cannot create $AGENT_CACHE"
    tmpdir=$(mktemp -d "$AGENT_CACHE/.install.XXXXXX") || skip "cannot create a directory in $AGENT_CACHE"
    start=$(date +%s)
    if ! timeout 300 npm install --prefix "$tmpdir" --no-audit --no-fund --no-save --loglevel=error \
        --cache "$npmcache" "$pkg@$version" >"$SANDBOX/npm.log" 2>&1; then
        rm -rf "$tmpdir" "$npmcache"
        sed 's/^/  npm: /' "$SANDBOX/npm.log" | tail -5
        skip "npm install $pkg@$version failed (network?)"
    fi
    rm -rf "$dir" && mv "$tmpdir" "$dir" || skip "cannot move the install into $dir"
    rm -rf "$npmcache" # the download cache: the install is what is kept
    echo "installed $pkg@$version in $(($(date +%s) - start))s"
}

# model_start NAME SCRIPT CMD: a fresh fake model server (python SCRIPT
# PORTFILE DIR CMD) for one conversation asking for CMD; sets RUN (its
# directory, where it saves each request) and MODEL_PORT
SERVER_PID=
model_stop() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
trap 'model_stop; _cleanup' EXIT
model_start() {
    model_stop
    RUN="$SANDBOX/runs/$1"
    mkdir -p "$RUN"
    "$PYTHON" "$2" "$RUN/port" "$RUN" "$3" 2>"$RUN/server.err" &
    SERVER_PID=$!
    local i
    for i in $(seq 100); do [ -s "$RUN/port" ] && break; sleep 0.05; done
    MODEL_PORT=$(cat "$RUN/port")
}
