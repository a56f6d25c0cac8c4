#!/usr/bin/env python3
"""The broker, the prompt and the pty proxy, driven through a real pty by a
scripted human, without the rule engine or the preload: tests/pty/loop_harness
runs a command the way `interlock run` does, and the command asks the broker
itself with tests/pty/ask.py (the stand-in for the preload's client).

    python3 tests/pty/test_loop.py       (INTERLOCK_SRC, INTERLOCK_PTY_HARNESS optional)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptylib import ASK, Terminal, check, finish, harness  # noqa: E402

HARNESS = harness()
PY = sys.executable
PROMPT = 'Type "'


class Case:
    """A sandbox (target dir, socket, audit log) and a harness on a pty."""

    def __init__(self, name, script, timeout=30, stdin_tty=True):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="interlock-pty-")
        self.target = os.path.join(self.dir, "victim")
        os.mkdir(self.target)
        open(os.path.join(self.target, "data"), "w").write("precious\n")
        self.sock = os.path.join(self.dir, "broker.sock")
        self.audit = os.path.join(self.dir, "audit.jsonl")
        env = dict(os.environ, ASK=ASK, PY=PY, T=self.target, D=self.dir)
        argv = [HARNESS, self.sock, self.audit, str(timeout), "--", "bash", "-c", script]
        if stdin_tty:
            self.t = Terminal(argv, env=env, cwd=self.dir)
        else:
            self.t = None
            self.proc = subprocess.run(argv, env=env, cwd=self.dir, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            self.out = self.proc.stdout.decode(errors="replace")

    def target_intact(self):
        return os.path.exists(os.path.join(self.target, "data"))

    def records(self):
        try:
            return [json.loads(line) for line in open(self.audit)]
        except FileNotFoundError:
            return []

    def close(self):
        if self.t:
            self.t.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# The guarded "agent": asks, and removes the target only when allowed.
ASK_THEN_RM = ('$PY "$ASK" "$INTERLOCK_BROKER" target="$T" cwd="$PWD" command="rm -r $T" word=victim '
               '&& rm -r "$T"; echo "done rc=$?"')


def answer_case(name, typed, want_reply, want_intact, want_by, want_decision):
    c = Case(name, ASK_THEN_RM)
    t = c.t
    m = t.expect(PROMPT)
    check(m is not None, f"{name}: prompt shown", t.text())
    t.type(typed)
    status = t.wait()
    check(status == 0, f"{name}: command finished", f"status {status}\n{t.text()}")
    check(f"ask: {want_reply}" in t.text(), f"{name}: reply is '{want_reply}'", t.text())
    check(c.target_intact() == want_intact, f"{name}: target {'intact' if want_intact else 'removed'}")
    recs = c.records()
    check(len(recs) == 1 and recs[0]["by"] == want_by and recs[0]["decision"] == want_decision
          and recs[0]["rule"] == "test-confirm" and recs[0]["action"] == "confirm",
          f"{name}: audited {want_decision} by {want_by}", str(recs))
    t.assert_modes_restored(f"{name}: terminal modes restored")
    c.close()
    return t


def test_prompt_content():
    c = Case("content", ASK_THEN_RM)
    t = c.t
    t.expect(PROMPT)
    t.drain(0.2)
    text = t.text()
    last = text.rstrip("\r\n").split("\r\n")[-1]
    check('Type "victim" to allow' in last, "content: last line has the exact contract text", repr(last))
    check('"victim!" to allow for the rest of this session' in last, "content: session choice explicit",
          repr(last))
    for what in ("confirmation required", "command: rm -r " + c.target, "why:     test rule",
                 "rule:    test-confirm", "profile: test", "cwd:     " + c.dir, "process: "):
        check(what in text, f"content: shows '{what}'", text)
    check("bash(" in text and "python3(" in text, "content: process chain built from /proc", text)
    t.type("\r")
    t.wait()
    c.close()


def test_deny_enter():
    answer_case("enter", "\r", "deny human", True, "human", "denied")


def test_approve():
    t = answer_case("approve", "victim\r", "allow once", False, "human", "allowed")
    check("allowed once" in t.text(), "approve: decision line printed", t.text())


def test_wrong_word():
    answer_case("wrong-word", "yes\r", "deny wrong-word", True, "wrong-word", "denied")


def test_editing():
    # backspace and Ctrl-U edit the line; arrow keys are swallowed
    answer_case("editing", "vix\x7fctim\x15victimm\x7f\x1b[D\r", "allow once", False, "human", "allowed")


def test_ctrl_c():
    answer_case("ctrl-c", "vic\x03", "deny human", True, "human", "denied")


def test_ctrl_d():
    answer_case("ctrl-d", "\x04", "deny human", True, "human", "denied")


def test_timeout():
    c = Case("timeout", ASK_THEN_RM, timeout=2)
    t = c.t
    check(t.expect(PROMPT) is not None, "timeout: prompt shown")
    start = time.monotonic()
    t.expect("ask: ")
    took = time.monotonic() - start
    t.wait()
    check("ask: deny timeout" in t.text(), "timeout: reply is 'deny timeout'", t.text())
    check(1.5 <= took <= 5, f"timeout: after about 2 s ({took:.1f} s)")
    check(c.target_intact(), "timeout: target intact")
    recs = c.records()
    check(len(recs) == 1 and recs[0]["by"] == "timeout", "timeout: audited by timeout", str(recs))
    t.assert_modes_restored("timeout: terminal modes restored")
    c.close()


def test_session():
    one = '$PY "$ASK" "$INTERLOCK_BROKER" target="$T" command="rm -r $T" word=victim'
    script = f"{one}; {one}; {one} command='rm -rf $T'; {one} rule=other-rule"
    c = Case("session", script)
    t = c.t
    t.expect(PROMPT)
    t.type("victim!\r")
    m = t.expect(PROMPT, since=t.text().index(PROMPT) + 1)  # the other rule asks again
    check(m is not None, "session: a different rule is asked", t.text())
    t.type("\r")
    t.wait()
    text = t.text()
    check(text.count(PROMPT) == 2, "session: identical request not asked again", text)
    check(text.count("ask: allow session") == 3, "session: same rule+target answered 'allow session'", text)
    check(text.count("ask: deny human") == 1, "session: other rule denied by its own prompt", text)
    bys = [r["by"] for r in c.records()]
    check(bys == ["human", "session-approval", "session-approval", "human"], "session: audit trail", str(bys))
    t.assert_modes_restored("session: terminal modes restored")
    c.close()


def test_collapse_and_queue():
    one = '$PY "$ASK" "$INTERLOCK_BROKER" target="$T" command="rm -r $T" word=victim'
    other = '$PY "$ASK" "$INTERLOCK_BROKER" target="$D/other" command="rm -r $D/other" word=other'
    script = f"for i in 1 2 3 4 5; do {one} & done; sleep 0.5; {other} & wait"
    c = Case("collapse", script)
    t = c.t
    t.expect(PROMPT)
    t.drain(1.0)
    check(t.text().count(PROMPT) == 1, "collapse: one prompt at a time", t.text())
    t.type("victim\r")
    first_end = t.text().rindex(PROMPT) + 1
    check(t.expect('Type "other"', since=first_end) is not None, "queue: second question asked next", t.text())
    t.type("\r")
    t.wait()
    text = t.text()
    check(text.count(PROMPT) == 2, "collapse: five identical requests asked once", text)
    check(text.count("ask: allow once") == 5, "collapse: all five got the answer", text)
    check(text.count("ask: deny human") == 1, "queue: other request denied", text)
    check(len(c.records()) == 6, "collapse: one audit record per asker", str(c.records()))
    c.close()


def test_output_held():
    script = ('(for i in $(seq 1 40); do echo tick$i; sleep 0.1; done) & '
              'sleep 0.3; $PY "$ASK" "$INTERLOCK_BROKER" word=victim; wait')
    c = Case("held", script)
    t = c.t
    t.expect(PROMPT)
    at = len(t.output)
    t.drain(1.0)
    check(b"tick" not in t.output[at:], "held: no agent output while the prompt is open",
          t.output[at:].decode(errors="replace"))
    t.type("\r")
    check(t.expect("tick", since=len(t.text())) is not None, "held: output resumes after the answer")
    t.wait()
    c.close()


def test_raw_reader():
    # A raw-mode reader in the guarded tree must not get the human's answer.
    reader = ('import os,sys,tty,time; tty.setraw(0); os.set_blocking(0, False); got=b""\n'
              'end=time.time()+3\n'
              'while time.time()<end:\n'
              '  try: got+=os.read(0,100)\n'
              '  except BlockingIOError: time.sleep(0.02)\n'
              'open(os.environ["D"]+"/reader.out","wb").write(got)\n')
    script = f"$PY -c '{reader}' </dev/tty & sleep 0.5; $PY \"$ASK\" \"$INTERLOCK_BROKER\" word=victim; wait"
    c = Case("raw-reader", script)
    t = c.t
    t.expect(PROMPT)
    t.type("victim\r")
    t.wait()
    got = open(os.path.join(c.dir, "reader.out"), "rb").read()
    check("ask: allow once" in t.text(), "raw-reader: human's answer reached the prompt", t.text())
    check(b"victim" not in got, "raw-reader: reader did not receive the answer", repr(got))
    t.assert_modes_restored("raw-reader: terminal modes restored")
    c.close()


def test_tiocsti():
    # The guarded tree pushes guesses into its own terminal, tries the human's
    # terminal, and writes the word to every fd it has: nothing is approved.
    attack = ('import fcntl,os,termios,time\n'
              'time.sleep(0.5)\n'
              'for b in b"victim\\r": fcntl.ioctl(0, termios.TIOCSTI, bytes([b]))\n'
              'res="own-tty-ok"\n'
              'try:\n'
              '  fd=os.open(os.environ["INTERLOCK_TTY"], os.O_RDWR|os.O_NOCTTY)\n'
              '  for b in b"victim\\r": fcntl.ioctl(fd, termios.TIOCSTI, bytes([b]))\n'
              '  res+=" real-tty-TIOCSTI-WORKED"\n'
              'except OSError as e: res+=" real-tty-refused:"+str(e.errno)\n'
              'for fd in range(0, 64):\n'
              '  try: os.write(fd, b"victim\\r\\nyes\\n")\n'
              '  except OSError: pass\n'
              'open(os.environ["D"]+"/attack.out","w").write(res)\n')
    script = (f"$PY -c '{attack}' </dev/tty & $PY \"$ASK\" \"$INTERLOCK_BROKER\" target=\"$T\" word=victim "
              "&& rm -r \"$T\"; wait")
    c = Case("tiocsti", script, timeout=3)
    t = c.t
    t.expect(PROMPT)
    t.wait()
    res = open(os.path.join(c.dir, "attack.out")).read() if os.path.exists(os.path.join(c.dir, "attack.out")) else ""
    check("real-tty-TIOCSTI-WORKED" not in res, "tiocsti: injection into the human's terminal refused", res)
    check("ask: deny timeout" in t.text(), "tiocsti: nothing approved (timed out)", t.text())
    check(c.target_intact(), "tiocsti: target intact")
    t.assert_modes_restored("tiocsti: terminal modes restored")
    c.close()


def test_no_terminal():
    c = Case("no-tty", ASK_THEN_RM, stdin_tty=False)
    check("ask: deny no-terminal" in c.out, "no-terminal: denied at once", c.out)
    check(c.target_intact(), "no-terminal: target intact")
    recs = c.records()
    check(len(recs) == 1 and recs[0]["by"] == "no-terminal", "no-terminal: audited", str(recs))
    c.close()


def test_wrapper_killed():
    script = ASK_THEN_RM + "; sleep 1"
    c = Case("sigkill", script)
    t = c.t
    t.expect(PROMPT)
    os.kill(t.pid, signal.SIGKILL)
    t.wait()
    time.sleep(1.5)
    check(c.target_intact(), "sigkill: nothing destructive ran after the wrapper died")
    c.close()


def test_withdrawn():
    # The asker dies while its question is on screen: the prompt goes away,
    # nothing is allowed, the next question is asked normally.
    script = ('$PY "$ASK" "$INTERLOCK_BROKER" word=victim & sleep 1; kill $!; wait; sleep 0.5; '
              '$PY "$ASK" "$INTERLOCK_BROKER" word=second')
    c = Case("withdrawn", script)
    t = c.t
    t.expect(PROMPT)
    check(t.expect("went away") is not None, "withdrawn: prompt closed when the asker died", t.text())
    check(t.expect('Type "second"') is not None, "withdrawn: next question asked", t.text())
    t.type("\r")
    t.wait()
    bys = [r["by"] for r in c.records()]
    check(bys == ["withdrawn", "human"], "withdrawn: audited", str(bys))
    t.assert_modes_restored("withdrawn: terminal modes restored")
    c.close()


def test_sigterm():
    c = Case("sigterm", "trap 'echo child-got-term; exit 3' TERM; " + ASK_THEN_RM + "; sleep 5 & wait")
    t = c.t
    t.expect(PROMPT)
    t.proc.send_signal(signal.SIGTERM)
    status = t.wait()
    recs = c.records()
    check(len(recs) == 1 and recs[0]["decision"] == "denied" and recs[0]["by"] == "no-terminal",
          "sigterm: pending question denied", str(recs))
    check("child-got-term" in t.text() and status == 3, f"sigterm: forwarded to the command (status {status})",
          t.text())
    check(c.target_intact(), "sigterm: target intact")
    t.assert_modes_restored("sigterm: terminal modes restored")
    c.close()


def test_sigint_forwarded():
    c = Case("sigint", "trap 'echo child-got-int' INT; echo ready; sleep 1; sleep 1; echo still-running; exit 5")
    t = c.t
    t.expect("ready")
    t.proc.send_signal(signal.SIGINT)
    status = t.wait()
    check("child-got-int" in t.text() and "still-running" in t.text() and status == 5,
          f"sigint: forwarded, session carries on ({status})", t.text())
    t.assert_modes_restored("sigint: terminal modes restored")
    c.close()


def test_fatal_signal():
    c = Case("sigsegv", "sleep 5")
    t = c.t
    time.sleep(0.5)
    raw = t.modes() != t.modes_before
    check(raw, "fatal: terminal is raw while the loop runs")
    os.kill(t.pid, signal.SIGSEGV)
    status = t.wait()
    # -SIGSEGV; 1 in sanitizer builds, where the handler hands over to ASan's
    check(status in (-signal.SIGSEGV, 1), f"fatal: wrapper died of the signal ({status})")
    t.assert_modes_restored("fatal: terminal modes restored after SIGSEGV")
    c.close()


def test_status_and_winsize():
    c = Case("status", "stty size; trap 'stty size; exit 7' WINCH; echo ready; while :; do sleep 0.1; done")
    t = c.t
    check(t.expect("24 80") is not None, "winsize: initial size copied", t.text())
    t.expect("ready")
    t.set_size(30, 100)
    os.kill(t.pid, signal.SIGWINCH)  # what the kernel does for a real resize
    status = t.wait()
    check("30 100" in t.text(), "winsize: resize followed", t.text())
    check(status == 7, f"status: passed through ({status})")
    t.assert_modes_restored("status: terminal modes restored")
    c.close()
    c = Case("signalled", "kill -KILL $$")
    status = c.t.wait()
    check(status == 128 + 9, f"status: killed command reported as 128+9 ({status})")
    c.close()


def test_job_control_bytes():
    # ^C typed by the human reaches the command through the inner pty.
    c = Case("ctrl-c-agent", "trap 'echo got-int; exit 4' INT; echo ready; while :; do sleep 0.1; done")
    t = c.t
    t.expect("ready")
    t.type("\x03")
    status = t.wait()
    check("got-int" in t.text() and status == 4, f"job control: ^C reaches the command ({status})", t.text())
    t.assert_modes_restored("job control: terminal modes restored")
    c.close()


def test_no_real_tty_fds():
    c = Case("fds", 'for f in /proc/$$/fd/*; do readlink "$f"; done; echo "tty=$INTERLOCK_TTY"; '
                    '$PY -c "import os; print(\\"ttyname\\", os.ttyname(0))"')
    t = c.t
    t.wait()
    text = t.text()
    import re
    real = re.search(r"tty=(\S+)", text)
    inner = re.search(r"ttyname (\S+)", text)
    check(real and inner and real.group(1) != inner.group(1), "fds: command has its own terminal", text)
    if real:
        check(real.group(1) not in text.split("tty=")[0], "fds: no fd of the command refers to the human's terminal",
              text)
    check("broker.sock" not in text and "socket:" not in text.split("tty=")[0],
          "fds: no broker socket inherited", text)
    c.close()


if __name__ == "__main__":
    tests = [v for k, v in list(globals().items()) if k.startswith("test_")]
    only = sys.argv[1:]
    for fn in tests:
        if only and not any(o in fn.__name__ for o in only):
            continue
        print(f"--- {fn.__name__}")
        fn()
    finish()
