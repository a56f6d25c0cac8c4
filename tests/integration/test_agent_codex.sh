#!/usr/bin/env bash
# End to end with a real agent (issue 23): OpenAI's Codex CLI, installed
# from npm at a pinned version, runs `codex exec` under `interlock run` with
# no terminal, against a fake model server on loopback that speaks just
# enough of the Responses API (server-sent events) to ask for one shell tool
# call (exec_command) and to record what comes back:
#   - a harmless call runs and its output reaches the model;
#   - a destructive one (git reset --hard over uncommitted work, rm -r of a
#     work tree holding untracked files) is refused by interlock, the model
#     receives the `interlock: blocked: ...` line in the tool result, and the
#     data is intact; without interlock the same conversation does destroy
#     the data (so the refusal is interlock's, not the agent's own policy);
#   - headless with --prompt-timeout, the question waits, `interlock pending`
#     lists it under the command's own name, `interlock deny` from outside
#     refuses it (the model reads why) and `interlock approve` lets it run.
# Codex's own sandbox is bypassed (--dangerously-bypass-approvals-and-sandbox,
# its documented mode for an externally sandboxed run); codex itself rejects
# `rm -rf`/`rm -f` before spawning anything, hence `rm -r` here.
# The install, the fake server's lifecycle and the skips: agent_lib.sh.
. "$(dirname "$0")/agent_lib.sh"

CODEX_VERSION=0.171.0
PKG_DIR="$AGENT_CACHE/codex-$CODEX_VERSION"
CODEX="$PKG_DIR/node_modules/.bin/codex"

case "$(uname -m)" in
x86_64 | aarch64) ;;
*) skip "no Codex CLI binary for $(uname -m)" ;;
esac

installed_version() {
    [ -x "$CODEX" ] && "$CODEX" --version 2>/dev/null | awk '{print $2}'
}
agent_install @openai/codex "$CODEX_VERSION" "$PKG_DIR"
assert_eq "codex $CODEX_VERSION installed" "$CODEX_VERSION" "$(installed_version)"

# ------------------------------------------------------ the fake model
# Each POST /v1/responses is saved as req-N.json in the run's directory. A
# conversation without a tool result yet gets one function call asking to
# run CMD; once the result is in the input, a closing message.
cat >"$SANDBOX/fake_model.py" <<'PY'
import http.server, json, os, sys
portfile, outdir, cmd = sys.argv[1], sys.argv[2], sys.argv[3]
seen = [0]

def event(kind, body):
    body["type"] = kind
    return ("event: %s\ndata: %s\n\n" % (kind, json.dumps(body))).encode()

class Model(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, ctype, data):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # a model list, should the client ask for one
        self.reply("application/json", b'{"object":"list","data":[],"models":[]}')

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen[0] += 1
        with open(os.path.join(outdir, "req-%d.json" % seen[0]), "wb") as f:
            f.write(data)
        req = json.loads(data)
        done = any(i.get("type") == "function_call_output" for i in req.get("input", []))
        rid = "resp_%d" % seen[0]
        if done:
            item = {"type": "message", "role": "assistant", "id": "msg_%d" % seen[0],
                    "content": [{"type": "output_text", "text": "all done"}]}
        else:
            item = {"type": "function_call", "id": "fc_1", "call_id": "call_fake_1",
                    "name": "exec_command", "arguments": json.dumps({"cmd": cmd})}
        out = event("response.created", {"response": {"id": rid}})
        out += event("response.output_item.done", {"output_index": 0, "item": item})
        out += event("response.completed", {"response": {"id": rid, "usage": {
            "input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}})
        self.reply("text/event-stream", out)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Model)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
PY

# the tool result the model received for its call, from the run's requests
cat >"$SANDBOX/tool_result.py" <<'PY'
import glob, json, os, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "req-*.json"))):
    for item in json.load(open(path)).get("input", []):
        if item.get("type") == "function_call_output" and item.get("call_id") == "call_fake_1":
            out = item.get("output")
            print(out if isinstance(out, str) else json.dumps(out))
            sys.exit(0)
print("NO-TOOL-RESULT")
PY

# this test's sessions in its sandbox (`interlock pending` still lists all of this user's)
export XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
export CODEX_HOME="$HOME/.codex"
mkdir -p "$CODEX_HOME"
# start_model NAME CMD: a fresh server for one conversation asking for CMD;
# sets RUN (its directory) and points codex's config at it
start_model() {
    model_start "$1" "$SANDBOX/fake_model.py" "$2"
    cat >"$CODEX_HOME/config.toml" <<TOML
model = "fake-model"
model_provider = "fake"
check_for_update_on_startup = false

[model_providers.fake]
name = "fake model on loopback"
base_url = "http://127.0.0.1:$MODEL_PORT/v1"
env_key = "FAKE_MODEL_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
TOML
}
export FAKE_MODEL_KEY=not-a-real-key
unset OPENAI_API_KEY OPENAI_BASE_URL CODEX_API_KEY

CODEX_ARGS=(exec --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox --color never
    "run the command the model asks for")
# what the model received for its call, and what codex printed
after_run() {
    TOOL_RESULT=$("$PYTHON" "$SANDBOX/tool_result.py" "$RUN")
    CODEX_OUT=$(cat "$SANDBOX/.run/$_runno.out" "$SANDBOX/.run/$_runno.err" 2>/dev/null)
}
# codex_step DIR [guard]: one `codex exec` in DIR, under interlock with
# "guard"; sets STATUS, OUTF, ERRF, TOOL_RESULT, CODEX_OUT
codex_step() {
    _runno=$((_runno + 1))
    local dir=$1 how=${2:-} pre=()
    [ "$how" = guard ] && pre=("$INTERLOCK_BIN" run --)
    (cd "$dir" && "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" ${pre[@]+"${pre[@]}"} "$CODEX" "${CODEX_ARGS[@]}") \
        </dev/null >"$SANDBOX/.run/$_runno.out" 2>"$SANDBOX/.run/$_runno.err"
    STATUS=$?
    OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
    LAST_CMD="(in $dir) ${pre[*]} codex ${CODEX_ARGS[*]}"
    after_run
}
mkdir -p "$SANDBOX/.run"

# a work tree with uncommitted and untracked work: what an agent must not lose
mkwork() {
    mkrepo "$1" || return 1
    echo "uncommitted edit" >"$1/file.txt"
    mkdir -p "$1/precious/sub"
    echo "untracked notes" >"$1/precious/notes.txt"
    echo "untracked draft" >"$1/precious/sub/draft.txt"
}

# --- (a) a harmless call runs, its output reaches the model
start_model harmless 'echo hello-from-tool'
codex_step "$SANDBOX/work" guard
assert_eq "harmless: codex exec exits 0 under interlock" 0 "$STATUS"
assert_contains "harmless: the model received the command's output" "$TOOL_RESULT" "hello-from-tool"
assert_contains "harmless: the tool result says exit code 0" "$TOOL_RESULT" "exited with code 0"
assert_not_contains "harmless: nothing blocked" "$TOOL_RESULT" "$BLOCKED_MARK"
assert_contains "harmless: the conversation finished" "$CODEX_OUT" "all done"
if [ "$STATUS" != 0 ] || [[ "$TOOL_RESULT" != *hello-from-tool* ]]; then _last_run; fi

# --- (b) git reset --hard over uncommitted work: refused, the model reads why
mkwork "$SANDBOX/work/repo"
before=$(audit_lines)
start_model reset 'git reset --hard'
codex_step "$SANDBOX/work/repo" guard
assert_eq "reset: codex exec itself goes on (exit 0)" 0 "$STATUS"
assert_contains "reset: the model received interlock's line" "$TOOL_RESULT" "$BLOCKED_MARK"
assert_contains "reset: ... naming the rule" "$TOOL_RESULT" "(rule git-reset-hard)"
assert_contains "reset: ... and what would be lost" "$TOOL_RESULT" "file.txt"
assert_contains "reset: ... and that no human could be asked" "$TOOL_RESULT" "no human terminal is available"
assert_contains "reset: the tool result is the shell's 126" "$TOOL_RESULT" "exited with code 126"
assert_eq "reset: the uncommitted edit is intact" "uncommitted edit" "$(cat "$SANDBOX/work/repo/file.txt")"
if [[ "$TOOL_RESULT" != *"$BLOCKED_MARK"* ]]; then _last_run; fi
new=$(tail -n +"$((before + 1))" "$AUDIT_LOG" 2>/dev/null)
assert_contains "reset: audited as denied by rule git-reset-hard" "$new" '"rule":"git-reset-hard"'
assert_contains "reset: ... with no terminal" "$new" '"by":"no-terminal"'

# --- (c) rm -r of the whole work tree, from its parent
start_model rm 'rm -r repo'
codex_step "$SANDBOX/work" guard
assert_contains "rm: the model received interlock's line" "$TOOL_RESULT" "$BLOCKED_MARK"
assert_contains "rm: ... naming the rule" "$TOOL_RESULT" "(rule fs-rm-git)"
assert_exists "rm: the work tree, its history and its untracked files are intact" \
    "$SANDBOX/work/repo/.git/HEAD" "$SANDBOX/work/repo/precious/notes.txt" "$SANDBOX/work/repo/precious/sub/draft.txt"
assert_eq "rm: the uncommitted edit is intact" "uncommitted edit" "$(cat "$SANDBOX/work/repo/file.txt")"
if [[ "$TOOL_RESULT" != *"$BLOCKED_MARK"* ]]; then _last_run; fi

# --- (d) headless with --prompt-timeout: the question waits under the
# command's own name, is answered from outside (this shell is in no guarded
# tree) by SESSION:ID, and the conversation goes on
# held_run MODE: codex under `run --prompt-timeout 60`, the question
# answered with `interlock MODE`; sets PENDING (the question, JSON)
held_run() {
    local mode=$1 i id word
    _runno=$((_runno + 1))
    OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
    LAST_CMD="(in $SANDBOX/work/repo) interlock run --prompt-timeout 60 -- codex ${CODEX_ARGS[*]}"
    (cd "$SANDBOX/work/repo" && "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" "$INTERLOCK_BIN" run \
        --prompt-timeout 60 --notify none -- "$CODEX" "${CODEX_ARGS[@]}") </dev/null >"$OUTF" 2>"$ERRF" &
    local pid=$!
    PENDING=
    for i in $(seq 200); do
        # `pending` lists every session of this user, other test runs'
        # included: this one's question is the one asked in this sandbox
        PENDING=$("$INTERLOCK_BIN" pending --json 2>/dev/null | "$PYTHON" -c '
import json, sys
mine = [q for q in json.load(sys.stdin)["questions"] if q["cwd"].startswith(sys.argv[1] + "/")]
print(json.dumps(mine[0], separators=(",", ":")) if mine else "")' "$SANDBOX")
        [ -n "$PENDING" ] && break
        sleep 0.1
    done
    id=$("$PYTHON" -c '
import json, sys
q = json.loads(sys.argv[1] or "{}")
print("%s:%s" % (q["session"], q["id"]) if q else "")' "$PENDING")
    word=$("$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1] or "{}").get("word",""))' "$PENDING")
    if [ -n "$id" ]; then
        if [ "$mode" = approve ]; then
            "$INTERLOCK_BIN" approve "$id" --word "$word" >"$SANDBOX/answer.out" 2>&1
        else
            "$INTERLOCK_BIN" deny "$id" >"$SANDBOX/answer.out" 2>&1
        fi
        ANSWER_STATUS=$?
    else
        ANSWER_STATUS=none
    fi
    wait "$pid"
    STATUS=$?
    after_run
}
echo "uncommitted edit" >"$SANDBOX/work/repo/file.txt"
start_model held-deny 'git reset --hard'
held_run deny
assert_contains "held: pending lists the command itself" "$PENDING" 'git reset --hard","why"'
assert_not_contains "held: ... not codex's wrapper script" "$PENDING" "CODEX_SNAPSHOT"
assert_contains "held: ... with its rule" "$PENDING" '"rule":"git-reset-hard"'
assert_eq "held: interlock deny from outside" 0 "$ANSWER_STATUS"
assert_contains "held, denied: the model received interlock's line" "$TOOL_RESULT" "$BLOCKED_MARK"
assert_contains "held, denied: ... naming the rule" "$TOOL_RESULT" "(rule git-reset-hard)"
assert_eq "held, denied: the uncommitted edit is intact" "uncommitted edit" "$(cat "$SANDBOX/work/repo/file.txt")"
assert_eq "held, denied: codex exec went on (exit 0)" 0 "$STATUS"
start_model held-approve 'git reset --hard'
held_run approve
assert_eq "held: interlock approve --word from outside" 0 "$ANSWER_STATUS"
assert_contains "held, approved: the command ran and the model read its output" "$TOOL_RESULT" "HEAD is now at"
assert_not_contains "held, approved: nothing blocked" "$TOOL_RESULT" "$BLOCKED_MARK"
assert_eq "held, approved: the reset happened" "committed content" "$(cat "$SANDBOX/work/repo/file.txt")"
assert_contains "held, approved: the conversation finished" "$CODEX_OUT" "all done"

# --- (e) the same conversations without interlock destroy the data: the
# refusals above are interlock's, and the fake model's calls really run
mkwork "$SANDBOX/work/control"
start_model control-reset 'git reset --hard'
codex_step "$SANDBOX/work/control"
assert_eq "control: without interlock git reset --hard runs (the edit is gone)" \
    "committed content" "$(cat "$SANDBOX/work/control/file.txt")"
assert_not_contains "control: no interlock line" "$TOOL_RESULT" "$BLOCKED_MARK"
start_model control-rm 'rm -r control'
codex_step "$SANDBOX/work"
assert_missing "control: without interlock rm -r removes the work tree" "$SANDBOX/work/control"

model_stop
finish
