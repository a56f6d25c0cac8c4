#!/usr/bin/env python3
"""`interlock run` end to end with a scripted human at a real pty: a confirm
rule on `rm -r`, the preload asking the broker, the prompt, the answer.

    INTERLOCK_BIN=build/interlock INTERLOCK_SRC=. python3 tests/pty/test_confirm.py [NAME...]

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
        self.root = os.path.realpath(tempfile.mkdtemp(prefix="interlock-confirm-"))
        self.rules = os.path.join(self.root, "rules")
        self.work = os.path.join(self.root, "work")
        os.makedirs(self.rules)
        os.makedirs(self.work)
        with open(os.path.join(self.rules, "50-test.conf"), "w") as f:
            f.write(RULE)
        self.make_victim()
        state = os.path.join(self.root, "state")
        self.audit = os.path.join(state, "interlock", "audit.jsonl")
        self.env = dict(os.environ, INTERLOCK_RULES_PATH=self.rules, HOME=os.path.join(self.root, "home"),
                        XDG_STATE_HOME=state, XDG_CONFIG_HOME=os.path.join(self.root, "config"),
                        XDG_RUNTIME_DIR=os.path.join(self.root, "run"))
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700)

    def make_victim(self):
        self.victim = os.path.join(self.work, "victim")
        os.makedirs(self.victim, exist_ok=True)
        with open(os.path.join(self.victim, "data"), "w") as f:
            f.write("precious\n")

    def intact(self):
        return os.path.exists(os.path.join(self.victim, "data"))

    def run(self, script, *opts):
        return Terminal([BIN, "run", *opts, "--", "bash", "-c", script], env=self.env, cwd=self.work)

    def records(self):
        try:
            return [json.loads(line) for line in open(self.audit)]
        except FileNotFoundError:
            return []

    def has_record(self, decision, by):
        return any(r.get("rule") == "test-confirm" and r.get("decision") == decision and r.get("by") == by
                   for r in self.records())

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


RM = 'rm -r victim; echo "rc=$?"'


def prompt_word(t, name, since=0):
    """Waits for a prompt and returns its WORD (None if none came)."""
    m = t.expect(WORD_RX, since=since)
    check(m is not None, f"{name}: prompt with 'Type \"WORD\" to allow' shown", t.text())
    return m.group(1) if m else None


def test_deny_enter():
    s = Sandbox()
    t = s.run(RM)
    prompt_word(t, "enter")
    t.type("\r")
    status = t.wait()
    check(status == 0 and "rc=126" in t.text(), "enter: rm refused (126)", t.text())
    check("interlock:" in t.text(), "enter: agent told why", t.text())
    check(s.intact(), "enter: target survives")
    check(s.has_record("denied", "human"), "enter: audited denied by human", str(s.records()))
    t.assert_modes_restored("enter: terminal modes restored")
    t.close(), s.close()


def test_approve():
    s = Sandbox()
    t = s.run(RM)
    word = prompt_word(t, "approve")
    t.type(f"{word}\r" if word else "\r")
    t.wait()
    check("rc=0" in t.text(), "approve: rm ran", t.text())
    check(not os.path.exists(s.victim), "approve: target removed")
    check(s.has_record("allowed", "human"), "approve: audited allowed by human", str(s.records()))
    t.assert_modes_restored("approve: terminal modes restored")
    t.close(), s.close()


def test_wrong_word():
    s = Sandbox()
    t = s.run(RM)
    word = prompt_word(t, "wrong")
    t.type(f"{word}x\r" if word else "\r")
    t.wait()
    check("rc=126" in t.text(), "wrong: rm refused", t.text())
    check(s.intact(), "wrong: target survives")
    check(s.has_record("denied", "wrong-word"), "wrong: audited by wrong-word", str(s.records()))
    t.assert_modes_restored("wrong: terminal modes restored")
    t.close(), s.close()


def test_timeout():
    s = Sandbox()
    t = s.run(RM, "--prompt-timeout", "2")
    prompt_word(t, "timeout")
    start = time.monotonic()
    t.expect("rc=")
    took = time.monotonic() - start
    t.wait()
    check("rc=126" in t.text(), "timeout: rm refused", t.text())
    check(1.5 <= took <= 6, f"timeout: after about 2 s ({took:.1f} s)")
    check(s.intact(), "timeout: target survives")
    check(s.has_record("denied", "timeout"), "timeout: audited by timeout", str(s.records()))
    t.assert_modes_restored("timeout: terminal modes restored")
    t.close(), s.close()


def test_session():
    s = Sandbox()
    t = s.run('rm -r victim; echo "rc1=$?"; mkdir -p victim; rm -r victim; echo "rc2=$?"')
    word = prompt_word(t, "session")
    t.type(f"{word}!\r" if word else "\r")
    t.wait()
    text = t.text()
    check("rc1=0" in text and "rc2=0" in text, "session: both removals ran", text)
    check(len(WORD_RX.findall(text)) == 1, "session: second identical request not asked", text)
    check(s.has_record("allowed", "session-approval"), "session: audited by session-approval", str(s.records()))
    t.assert_modes_restored("session: terminal modes restored")
    t.close(), s.close()


def test_command_itself():
    """`interlock run -- rm -r victim`: the command itself is asked about
    (through the seccomp supervisor) rather than refused outright."""
    s = Sandbox()
    t = Terminal([BIN, "run", "--", "rm", "-r", "victim"], env=s.env, cwd=s.work)
    word = prompt_word(t, "itself-deny")
    t.type("\r")
    status = t.wait()
    check(status == 126, f"itself: refused with 126 after Enter (got {status})", t.text())
    check(s.intact(), "itself: target survives a no")
    t.close()
    t = Terminal([BIN, "run", "--", "rm", "-r", "victim"], env=s.env, cwd=s.work)
    word = prompt_word(t, "itself-approve")
    t.type(f"{word}\r" if word else "\r")
    status = t.wait()
    check(status == 0 and not os.path.exists(s.victim), "itself: runs after the word", t.text())
    t.assert_modes_restored("itself: terminal modes restored")
    t.close(), s.close()


def test_no_terminal():
    s = Sandbox()
    p = subprocess.run([BIN, "run", "--", "bash", "-c", RM], env=s.env, cwd=s.work, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode(errors="replace")
    check("rc=126" in out, "no-terminal: rm refused", out)
    check("human" in out, "no-terminal: the message says a human must do it", out)
    check(s.intact(), "no-terminal: target survives")
    check(s.has_record("denied", "no-terminal"), "no-terminal: audited", str(s.records()))
    s.close()


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
