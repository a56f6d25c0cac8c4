#!/usr/bin/env bash
# End to end with a second real agent (issue 23): Google's Gemini CLI, a node
# program, installed from npm at a pinned version, runs `gemini -p` under
# `interlock run` with no terminal, against a fake Gemini API server on
# loopback (GOOGLE_GEMINI_BASE_URL) that asks for one run_shell_command call
# (streamGenerateContent, server-sent events) and records what comes back:
#   - a harmless call runs and its output reaches the model;
#   - `git reset --hard` over uncommitted work is refused, the model receives
#     interlock's `interlock: blocked: ...` line in the function response (node
#     reports a refused `bash -c` as "spawn EACCES" alone, so the shell runs
#     and the command in it is refused: lib/preload/exec_check.c), and the
#     edit is intact; without interlock the same conversation loses it.
# The install, the fake server's lifecycle and the skips: agent_lib.sh.
. "$(dirname "$0")/agent_lib.sh"

GEMINI_VERSION=0.61.0
PKG_DIR="$AGENT_CACHE/gemini-$GEMINI_VERSION"
GEMINI="$PKG_DIR/node_modules/.bin/gemini"

installed_version() {
    [ -x "$GEMINI" ] && HOME="$SANDBOX/tmp" "$GEMINI" --version 2>/dev/null | tail -n 1
}
agent_install @google/gemini-cli "$GEMINI_VERSION" "$PKG_DIR"
assert_eq "gemini $GEMINI_VERSION installed" "$GEMINI_VERSION" "$(installed_version)"

# ------------------------------------------------------ the fake model
# streamGenerateContent: the conversation's turns (one function call, then,
# once its response is in the contents, a closing text); generateContent:
# the CLI's side questions (routing, next speaker), answered with a plain
# JSON reply. Each POST is saved as req-N.json.
cat >"$SANDBOX/fake_gemini.py" <<'PY'
import http.server, json, os, sys
portfile, outdir, cmd = sys.argv[1], sys.argv[2], sys.argv[3]
seen = [0]
USAGE = {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}

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

    def do_GET(self):
        self.reply("application/json", b"{}")

    def do_POST(self):
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen[0] += 1
        with open(os.path.join(outdir, "req-%d.json" % seen[0]), "wb") as f:
            f.write(data)
        if "countTokens" in self.path:
            return self.reply("application/json", b'{"totalTokens": 1}')
        if ":streamGenerateContent" not in self.path:
            text = json.dumps({"next_speaker": "user", "reasoning": "done",
                               "complexity_reasoning": "simple", "complexity_score": 1})
            body = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                    "finishReason": "STOP"}], "usageMetadata": USAGE}
            return self.reply("application/json", json.dumps(body).encode())
        req = json.loads(data or b"{}")
        done = any("functionResponse" in p for c in req.get("contents", []) for p in c.get("parts", []))
        part = {"text": "all done"} if done else \
            {"functionCall": {"name": "run_shell_command", "args": {"command": cmd}}}
        body = {"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP",
                                "index": 0}], "usageMetadata": USAGE}
        self.reply("text/event-stream", ("data: " + json.dumps(body) + "\r\n\r\n").encode())

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Model)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
PY

# the function response the model received, from the run's requests
cat >"$SANDBOX/tool_result.py" <<'PY'
import glob, json, os, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "req-*.json"))):
    for content in json.load(open(path)).get("contents", []):
        for part in content.get("parts", []):
            if "functionResponse" in part:
                print(json.dumps(part["functionResponse"].get("response")))
                sys.exit(0)
print("NO-TOOL-RESULT")
PY

export XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"
mkdir -p "$HOME/.gemini"
cat >"$HOME/.gemini/settings.json" <<'JSON'
{
  "security": { "auth": { "selectedType": "gemini-api-key" }, "folderTrust": { "enabled": false } },
  "general": { "disableAutoUpdate": true },
  "privacy": { "usageStatisticsEnabled": false },
  "telemetry": { "enabled": false }
}
JSON
export GEMINI_API_KEY=not-a-real-key
unset GOOGLE_API_KEY GOOGLE_CLOUD_PROJECT GOOGLE_GENAI_USE_VERTEXAI

start_model() {
    model_start "$1" "$SANDBOX/fake_gemini.py" "$2"
    export GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:$MODEL_PORT"
}

mkdir -p "$SANDBOX/.run"
# gemini_step DIR [guard]: one `gemini -p` in DIR; sets STATUS, TOOL_RESULT
gemini_step() {
    _runno=$((_runno + 1))
    local dir=$1 how=${2:-} pre=()
    [ "$how" = guard ] && pre=("$INTERLOCK_BIN" run --)
    OUTF="$SANDBOX/.run/$_runno.out" ERRF="$SANDBOX/.run/$_runno.err"
    LAST_CMD="(in $dir) ${pre[*]} gemini --approval-mode yolo -p ..."
    (cd "$dir" && "${_setsid[@]}" timeout -k 5 "$GUARD_TIMEOUT" ${pre[@]+"${pre[@]}"} "$GEMINI" \
        --approval-mode yolo -p "run the command the model asks for") </dev/null >"$OUTF" 2>"$ERRF"
    STATUS=$?
    TOOL_RESULT=$("$PYTHON" "$SANDBOX/tool_result.py" "$RUN")
}

# --- a harmless call runs, its output reaches the model
start_model harmless 'echo hello-from-tool'
gemini_step "$SANDBOX/work" guard
assert_eq "harmless: gemini -p exits 0 under interlock" 0 "$STATUS"
assert_contains "harmless: the model received the command's output" "$TOOL_RESULT" "hello-from-tool"
assert_not_contains "harmless: nothing blocked" "$TOOL_RESULT" "$BLOCKED_MARK"
assert_contains "harmless: the conversation finished" "$(cat "$OUTF")" "all done"
if [[ "$TOOL_RESULT" != *hello-from-tool* ]]; then _last_run; fi

# --- git reset --hard over uncommitted work: refused, the model reads why
mkrepo "$SANDBOX/work/repo"
echo "uncommitted edit" >"$SANDBOX/work/repo/file.txt"
start_model reset 'git reset --hard'
gemini_step "$SANDBOX/work/repo" guard
assert_contains "reset: the model received interlock's line" "$TOOL_RESULT" "$BLOCKED_MARK"
assert_contains "reset: ... naming the rule" "$TOOL_RESULT" "(rule git-reset-hard)"
assert_contains "reset: ... and that no human could be asked" "$TOOL_RESULT" "no human terminal is available"
assert_not_contains "reset: not a bare spawn error" "$TOOL_RESULT" "EACCES"
assert_eq "reset: the uncommitted edit is intact" "uncommitted edit" "$(cat "$SANDBOX/work/repo/file.txt")"
if [[ "$TOOL_RESULT" != *"$BLOCKED_MARK"* ]]; then _last_run; fi

# --- without interlock the same conversation loses the edit
start_model control 'git reset --hard'
gemini_step "$SANDBOX/work/repo"
assert_eq "control: without interlock git reset --hard runs (the edit is gone)" \
    "committed content" "$(cat "$SANDBOX/work/repo/file.txt")"

model_stop
finish
