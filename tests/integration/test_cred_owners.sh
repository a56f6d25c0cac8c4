#!/usr/bin/env bash
# Credential files and the programs they belong to (15-credentials.conf,
# unless-program): the owner reads its file without a question, every
# other reader is asked (here, with no terminal: refused). The owner is the
# program actually run: npm is `node /usr/bin/npm`, the aws CLI a python
# script, git's credential store is git, kubectl and docker static Go
# programs the supervisor judges under --strict. A copy, a hard link or an
# edit made in the session, a symlink named like an owner, and code loaded
# into an owner through its environment name no owner.
. "$(dirname "$0")/lib.sh"

SECRET=owner-test-secret-$$
mkdir -p "$HOME/.aws" "$HOME/.kube" "$HOME/.docker"
printf '[default]\naws_access_key_id = AKIA\naws_secret_access_key = %s\n' "$SECRET" >"$HOME/.aws/credentials"
printf 'https://user:%s@example.com\n' "$SECRET" >"$HOME/.git-credentials"
printf '//registry.npmjs.org/:_authToken=%s\nregistry=https://registry.example.com/\n' "$SECRET" >"$HOME/.npmrc"
printf 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers:\n- name: u\n  user:\n    token: %s\n' \
    "$SECRET" >"$HOME/.kube/config"
printf '{"auths":{"registry.example.com":{"auth":"%s"}}}\n' "$SECRET" >"$HOME/.docker/config.json"

# A stand-in aws CLI (a python script, like the real one) and the same code
# under the agent's own name; both exist before any session starts.
READER='import os, sys
data = open(os.path.expanduser("~/.aws/credentials")).read()
print("read %d bytes" % len(data))'
printf '#!%s\n%s\n' "$PYTHON" "$READER" >"$SANDBOX/bin/aws"
printf '%s\n' "$READER" >"$SANDBOX/work/reader.py"
mkdir -p "$SANDBOX/edit" "$SANDBOX/work/copy" "$SANDBOX/work/hard"
cp "$SANDBOX/bin/aws" "$SANDBOX/edit/aws"
chmod +x "$SANDBOX/bin/aws" "$SANDBOX/edit/aws"
# a static Go reader (as kubectl, gh and docker are), under an owner's name
# and under its own: only the seccomp supervisor sees its opens (--strict)
STATIC=0
mkdir -p "$SANDBOX/sbin" "$SANDBOX/gosrc"
if have_tool go golang-go; then
    cat >"$SANDBOX/gosrc/main.go" <<'EOF'
package main

import (
	"fmt"
	"os"
)

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("read %d bytes\n", len(b))
}
EOF
    (cd "$SANDBOX/gosrc" && GOCACHE="$SANDBOX/gocache" GOPATH="$SANDBOX/gopath" GO111MODULE=off CGO_ENABLED=0 \
        go build -o "$SANDBOX/sbin/kubectl" main.go) && cp "$SANDBOX/sbin/kubectl" "$SANDBOX/sbin/sread" && STATIC=1
    file "$SANDBOX/sbin/sread" 2>/dev/null | grep -q 'statically linked' || STATIC=0
    [ "$STATIC" = 1 ] || _fail "a static Go program could be built"
fi
# file times have a coarse clock: make sure the session starts later
sleep 0.05

# --- a python script is named by its script
expect_ok "the aws CLI (python3 /usr/bin/aws) reads ~/.aws/credentials" guard aws
assert_contains "aws read its credentials" "$OUT" "read "
# more arguments than the constructor's small store holds (self_name.c)
expect_ok "aws with 700 bytes of arguments" guard aws "$(printf '%0700d' 0)"
expect_blocked "python3 reader.py reading the same file" guard "$PYTHON" "$SANDBOX/work/reader.py"
expect_blocked "python3 reader.py with 700 bytes of arguments" guard "$PYTHON" "$SANDBOX/work/reader.py" "$(printf '%0700d' 0)"
expect_blocked "python3 -c reading it" guard "$PYTHON" -c "$READER"
expect_blocked "cat ~/.aws/credentials" guard cat "$HOME/.aws/credentials"
expect_blocked "aws with PYTHONPATH loading other code" guard env PYTHONPATH="$SANDBOX/work" aws
expect_blocked "a copy of aws made in the session" guard sh -c "cp '$SANDBOX/bin/aws' '$SANDBOX/work/copy/aws' && '$SANDBOX/work/copy/aws'"
expect_blocked "a script named aws edited in the session" guard sh -c "echo '# more' >>'$SANDBOX/edit/aws' && '$SANDBOX/edit/aws'"
expect_blocked "a hard link of aws made in the session" guard sh -c "ln '$SANDBOX/bin/aws' '$SANDBOX/work/hard/aws' && '$SANDBOX/work/hard/aws'"
ln -s "$PYTHON" "$SANDBOX/work/copy/aws-py"
mv "$SANDBOX/work/copy/aws-py" "$SANDBOX/work/hard/aws"
expect_blocked "a symlink named aws to python3 (-c CODE is python3's)" guard "$SANDBOX/work/hard/aws" -c "$READER"

# --- git's credential store is git
expect_ok "git credential-store get reads ~/.git-credentials" guard sh -c \
    "printf 'protocol=https\nhost=example.com\n\n' | git credential-store get"
assert_contains "git found the stored login" "$OUT" "username=user"
expect_blocked "cat ~/.git-credentials" guard cat "$HOME/.git-credentials"
expect_blocked "grep in ~/.git-credentials" guard grep -c example "$HOME/.git-credentials"
expect_blocked "curl file:// of ~/.git-credentials (curl owns none)" guard curl -s "file://$HOME/.git-credentials"

# --- npm (node /usr/bin/npm) and its ~/.npmrc
if have_tool npm npm; then
    expect_ok "npm config get registry reads ~/.npmrc" guard npm config get registry
    assert_contains "npm read the registry from ~/.npmrc" "$OUT" "registry.example.com"
    expect_blocked "node -e reading ~/.npmrc" guard node -e \
        'console.log(require("fs").readFileSync(require("os").homedir() + "/.npmrc", "utf8").length)'
    : >"$SANDBOX/work/empty.js"
    run_capture guard env NODE_OPTIONS="--require $SANDBOX/work/empty.js" npm config get registry
    assert_contains "npm with a --require in NODE_OPTIONS is asked" "$ERR" "interlock: blocked: read $HOME/.npmrc"
    expect_ok "npm with NODE_OPTIONS that loads nothing" guard env NODE_OPTIONS=--max-old-space-size=512 npm config get registry
fi

# --- static owners, judged by the supervisor under --strict
GUARD_OPTS=(--strict)
if [ "$STATIC" = 1 ]; then
    expect_ok "--strict: a static Go program named kubectl reads ~/.kube/config" guard "$SANDBOX/sbin/kubectl" "$HOME/.kube/config"
    assert_contains "the Go kubectl read it" "$OUT" "read "
    expect_blocked "--strict: the same Go program named sread" guard "$SANDBOX/sbin/sread" "$HOME/.kube/config"
    expect_blocked "--strict: the Go kubectl copied in the session" guard sh -c \
        "cp '$SANDBOX/sbin/kubectl' '$SANDBOX/work/copy/kubectl' && '$SANDBOX/work/copy/kubectl' '$HOME/.kube/config'"
fi
if command -v kubectl >/dev/null 2>&1; then
    expect_ok "--strict: kubectl config view (a static Go program)" guard kubectl config view
    assert_not_contains "kubectl redacts the token" "$OUT" "$SECRET"
    run_capture guard kubectl config view --raw
    assert_contains "--strict: kubectl config view --raw is an exec rule's question" "$ERR" "print-kubeconfig-raw"
fi
if command -v docker >/dev/null 2>&1; then
    expect_ok "--strict: docker context ls reads ~/.docker/config.json" guard docker context ls
fi
expect_blocked "--strict: cat ~/.kube/config" guard cat "$HOME/.kube/config"
expect_blocked "--strict: cat ~/.docker/config.json" guard cat "$HOME/.docker/config.json"
GUARD_OPTS=()

# --- interlock check --program names the owner
CHECK_OPTS=(--program npm --open read)
check_json "$HOME/.npmrc"
assert_eq "check: npm reads ~/.npmrc" "allow" "$CHECK_ACTION"
CHECK_OPTS=(--program node --open read)
check_json "$HOME/.npmrc"
assert_eq "check: node reads ~/.npmrc" "cred-npmrc" "$CHECK_RULE"
CHECK_OPTS=()

finish
