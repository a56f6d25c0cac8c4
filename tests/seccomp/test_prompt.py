#!/usr/bin/env python3
"""The seccomp supervisor and the human, through a real pty (tests/pty's
scripted terminal):

  - an exec the preload already had approved is not asked again when the
    supervisor traps it (one question, not two);
  - a static program's exec is asked through the same broker and prompt;
    yes runs it, Enter refuses it;
  - the wrapper killed while the supervisor's question is open: the trapped
    exec fails with ENOSYS and nothing runs.

    INTERLOCK_BIN=build/interlock INTERLOCK_SRC=. python3 tests/seccomp/test_prompt.py [NAME...]
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pty"))
from ptylib import BIN, Terminal, check, finish  # noqa: E402

RULE = """[test-confirm]
on = exec
program = rm
option = ^(-r|-R|--recursive)$
action = confirm
why = test rule
confirm = {target}
match = rm -r x
"""
WORD_RX = re.compile(r'Type "([^"]*)" to allow')


class Sandbox:
    def __init__(self):
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="interlock-scprompt-"))
        self.rules = os.path.join(self.root, "rules")
        self.work = os.path.join(self.root, "work")
        self.bin = os.path.join(self.root, "bin")
        for d in (self.rules, self.work, self.bin):
            os.makedirs(d)
        with open(os.path.join(self.rules, "50-test.conf"), "w") as f:
            f.write(RULE)
        self.rawexec = os.path.join(self.bin, "rawexec")
        for prog in ("rawexec", "inthread"):
            if subprocess.run(["cc", "-static", "-O2", "-pthread", "-o", os.path.join(self.bin, prog),
                               os.path.join(HERE, prog + ".c")]).returncode:
                print("SKIP: cannot link a static program (install libc6-dev)")
                sys.exit(77)
        self.victim = os.path.join(self.work, "victim")
        os.makedirs(self.victim)
        with open(os.path.join(self.victim, "data"), "w") as f:
            f.write("precious\n")
        state = os.path.join(self.root, "state")
        self.audit = os.path.join(state, "interlock", "audit.jsonl")
        self.env = dict(os.environ, INTERLOCK_RULES_PATH=self.rules, HOME=os.path.join(self.root, "home"),
                        XDG_STATE_HOME=state, XDG_CONFIG_HOME=os.path.join(self.root, "config"),
                        XDG_RUNTIME_DIR=os.path.join(self.root, "run"),
                        PATH=self.bin + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700)

    def intact(self):
        return os.path.exists(os.path.join(self.victim, "data"))

    def run(self, script):
        return Terminal([BIN, "run", "--", "bash", "-c", script], env=self.env, cwd=self.work)

    def records(self, decision, by):
        try:
            rs = [json.loads(line) for line in open(self.audit)]
        except FileNotFoundError:
            return []
        return [r for r in rs if r.get("rule") == "test-confirm" and r.get("decision") == decision
                and r.get("by") == by]

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def answer(t, name):
    m = t.expect(WORD_RX, timeout=15)
    check(m is not None, f"{name}: prompt shown", t.text())
    t.type(f"{m.group(1)}\r" if m else "\r")


def test_preload_approval_not_asked_twice():
    s = Sandbox()
    t = s.run('rm -r victim; echo "rc=$?"')
    answer(t, "once")
    t.wait()
    text = t.text()
    check("rc=0" in text, "once: rm ran after one yes", text)
    check(len(WORD_RX.findall(text)) == 1, "once: the supervisor did not ask again", text)
    check(not os.path.exists(s.victim), "once: target removed")
    check(len(s.records("allowed", "human")) == 1, "once: one audit record of the answer")
    t.close(), s.close()


def test_static_asks_through_broker():
    s = Sandbox()
    t = s.run('rawexec /bin/rm -r victim; echo "rc=$?"')
    answer(t, "static-yes")
    t.wait()
    text = t.text()
    check("rc=0" in text, "static-yes: rm ran", text)
    check(len(WORD_RX.findall(text)) == 1, "static-yes: one question", text)
    check(not os.path.exists(s.victim), "static-yes: target removed")
    check(len(s.records("allowed", "human")) == 1, "static-yes: audited by the broker")
    t.close(), s.close()


def test_static_thread_asks_once():
    """The exec comes from a second thread: the question, the answer and the
    audit record belong to the process, not the thread."""
    s = Sandbox()
    pidfile = os.path.join(s.work, "pid")
    t = s.run(f'echo $$ >{pidfile}; exec inthread exec /bin/rm -r victim')
    answer(t, "thread-yes")
    status = t.wait()
    text = t.text()
    check(status == 0, "thread-yes: rm ran from the thread", text)
    check(len(WORD_RX.findall(text)) == 1, "thread-yes: one question", text)
    check(not os.path.exists(s.victim), "thread-yes: target removed")
    recs = s.records("allowed", "human")
    pid = int(open(pidfile).read())
    check(len(recs) == 1 and recs[0].get("pid") == pid, "thread-yes: one record, naming the process",
          f"pid {pid}, records {recs}")
    t.close(), s.close()


def test_static_refused_by_human():
    s = Sandbox()
    t = s.run('rawexec /bin/rm -r victim; echo "rc=$?"')
    m = t.expect(WORD_RX, timeout=15)
    check(m is not None, "static-no: prompt shown", t.text())
    t.type("\r")
    t.wait()
    text = t.text()
    check("rc=126" in text, "static-no: refused with EACCES", text)
    check("interlock: blocked:" in text and "a human denied it" in text, "static-no: agent told that a human said no", text)
    check(s.intact(), "static-no: target survives")
    check(len(s.records("denied", "human")) == 1, "static-no: audited")
    t.close(), s.close()


def test_killed_while_asking():
    s = Sandbox()
    res = os.path.join(s.work, "result")
    # HUP ignored: the tree outlives the wrapper's pty and can report
    t = s.run(f'trap "" HUP; rawexec /bin/rm -r victim 2>{res}; echo "rc=$?" >>{res}')
    m = t.expect(WORD_RX, timeout=15)
    check(m is not None, "killed: prompt shown", t.text())
    os.kill(t.pid, signal.SIGKILL)
    end = time.monotonic() + 10
    out = ""
    while time.monotonic() < end and "rc=" not in out:
        time.sleep(0.1)
        out = open(res).read() if os.path.exists(res) else ""
    check("ENOSYS" in out and "rc=38" in out, "killed: the pending exec failed with ENOSYS", out)
    check(s.intact(), "killed: target survives")
    t.close(), s.close()


if __name__ == "__main__":
    if not os.access(BIN, os.X_OK):
        print(f"FAIL INTERLOCK_BIN={BIN} is not executable (build first)")
        sys.exit(1)
    tests = [v for k, v in list(globals().items()) if k.startswith("test_")]
    only = sys.argv[1:]
    for fn in tests:
        if only and not any(o in fn.__name__ for o in only):
            continue
        print(f"--- {fn.__name__}")
        fn()
    finish()
