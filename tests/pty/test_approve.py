#!/usr/bin/env python3
"""`interlock approve` at a real pty (issue 23): the question of a headless
session (--prompt-timeout, no terminal) shown on approve's own terminal and
answered by typing; Enter alone denies; and a question that is also on the
session's own terminal, answered from outside with --word, closes that
prompt with the same answer.

    INTERLOCK_BIN=build/interlock INTERLOCK_SRC=. python3 tests/pty/test_approve.py

Everything destructive targets a directory inside a temporary sandbox.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptylib import BIN, Terminal, check, finish  # noqa: E402

SRC = os.environ.get("INTERLOCK_SRC") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

RULE = """[test-confirm]
on = exec
program = rm
option = ^(-r|-R|--recursive)$
action = confirm
why = test rule
confirm = {target}
match = rm -r x
"""


class Sandbox:
    def __init__(self):
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="interlock-approve-"))
        self.rules = os.path.join(self.root, "rules")
        self.work = os.path.join(self.root, "work")
        os.makedirs(self.rules)
        os.makedirs(self.work)
        with open(os.path.join(self.rules, "50-test.conf"), "w") as f:
            f.write(RULE)
        shutil.copy(os.path.join(SRC, "rules.d", "00-programs.conf"), self.rules)
        state = os.path.join(self.root, "state")
        self.env = dict(os.environ, INTERLOCK_RULES_PATH=self.rules, HOME=os.path.join(self.root, "home"),
                        XDG_STATE_HOME=state, XDG_CONFIG_HOME=os.path.join(self.root, "config"),
                        XDG_RUNTIME_DIR=os.path.join(self.root, "run"))
        for k in ("LD_PRELOAD", "INTERLOCK_SESSION", "INTERLOCK_SNAPSHOT"):
            self.env.pop(k, None)
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700)

    def victim(self, name):
        d = os.path.join(self.work, name)
        os.makedirs(d)
        with open(os.path.join(d, "data"), "w") as f:
            f.write("precious\n")
        return d

    def script(self, victim):
        """A script file, so that the question is about its rm (word: the
        victim's name), not about a shell string."""
        path = victim + ".sh"
        with open(path, "w") as f:
            f.write(f"echo start\nrm -r '{victim}'\necho rm=$?\necho after > '{victim}.after'\n")
        return path

    def headless(self, victim, hold=30):
        """A session without a terminal that holds its question."""
        return subprocess.Popen([BIN, "run", "--prompt-timeout", str(hold), "--", "bash", self.script(victim)],
                                env=self.env, cwd=self.work, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)

    def question(self, victim, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = subprocess.run([BIN, "pending", "--json"], env=self.env, capture_output=True, text=True).stdout
            for q in json.loads(out or '{"questions":[]}')["questions"]:
                if victim in (q.get("command") or ""):
                    return q
            time.sleep(0.1)
        return None

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


def test_typed_word(sb):
    v = sb.victim("typed")
    s = sb.headless(v)
    q = sb.question(v)
    if not check(q is not None, "typed: pending lists the headless session's question"):
        s.kill()
        return
    t = Terminal([BIN, "approve", f"{q['session']}:{q['id']}"], env=sb.env, cwd=sb.work)
    check(t.expect(f'Type "{q["word"]}" to allow', timeout=10) is not None,
          "typed: approve shows the question and the word", t.text()[-500:])
    check("test rule" in t.text() and v in t.text(), "typed: ... with its why and command")
    check("output is held" not in t.text(), "typed: approve does not claim to hold any output")
    t.type(q["word"] + "\r")
    rc = t.wait()
    check(rc == 0, f"typed: approve exits 0 (got {rc})", t.text()[-500:])
    check("allowed once" in t.text(), "typed: approve says it was allowed")
    t.assert_modes_restored("typed: approve restores its terminal")
    t.close()
    out, err = s.communicate(timeout=30)
    check(not os.path.exists(v), "typed: the approved rm ran")
    check(os.path.exists(v + ".after") and b"rm=0" in out, "typed: the session went on", (out + err).decode()[-500:])


def test_enter_denies(sb):
    v = sb.victim("enter")
    s = sb.headless(v)
    q = sb.question(v)
    if not check(q is not None, "enter: pending lists the question"):
        s.kill()
        return
    t = Terminal([BIN, "approve", f"{q['session']}:{q['id']}"], env=sb.env, cwd=sb.work)
    t.expect('to allow', timeout=10)
    t.type("\r")
    rc = t.wait()
    check(rc == 1, f"enter: Enter alone denies, approve exits 1 (got {rc})", t.text()[-400:])
    t.close()
    out, err = s.communicate(timeout=30)
    check(os.path.exists(os.path.join(v, "data")), "enter: the data is intact")
    check(b"a human denied it" in err, "enter: the agent is told a human denied it", err.decode()[-400:])


def test_answer_closes_terminal_prompt(sb):
    v = sb.victim("both")
    t = Terminal([BIN, "run", "--", "bash", sb.script(v)], env=sb.env, cwd=sb.work)
    m = t.expect(re.compile(r'Type "([^"]*)" to allow'), timeout=15)
    if not check(m is not None, "both: the session asks on its own terminal", t.text()[-400:]):
        t.close()
        return
    q = sb.question(v)
    check(q is not None and q.get("asking") is True, "both: pending says it is being asked on the terminal")
    r = subprocess.run([BIN, "approve", f"{q['session']}:{q['id']}", "--word", m.group(1)], env=sb.env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    check(r.returncode == 0, f"both: approve --word from outside exits 0 (got {r.returncode})", r.stderr)
    since = m.end()
    check(t.expect("allowed once", timeout=10, since=since) is not None,
          "both: the session's prompt closes with the answer from outside", t.text()[-400:])
    rc = t.wait()
    check(rc == 0, f"both: the session ends as its command does (got {rc})")
    check(not os.path.exists(v), "both: the approved rm ran")
    t.assert_modes_restored("both: the session restores its terminal")
    t.close()


def main():
    sb = Sandbox()
    try:
        for test in (test_typed_word, test_enter_denies, test_answer_closes_terminal_prompt):
            test(sb)
    finally:
        sb.cleanup()
    finish()


if __name__ == "__main__":
    main()
