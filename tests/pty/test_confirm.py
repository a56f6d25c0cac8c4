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
        # how shells and wrappers read their arguments: bash -c is looked into
        shutil.copy(os.path.join(SRC, "rules.d", "00-programs.conf"), self.rules)
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


def decisions(s):
    """The audit records of the test rule, as (decision, by) pairs."""
    return [(r.get("decision"), r.get("by")) for r in s.records() if r.get("rule") == "test-confirm"]


def test_deny_enter():
    s = Sandbox()
    t = s.run(RM)
    prompt_word(t, "enter")
    t.type("\r")
    status = t.wait()
    check(status == 126 or (status == 0 and "rc=126" in t.text()), "enter: refused (126)", t.text())
    check("a human denied it at the confirmation prompt" in t.text(), "enter: the program is told a human said no",
          t.text())
    check("no human terminal" not in t.text(), "enter: not told there was no terminal", t.text())
    check(s.intact(), "enter: target survives")
    check(decisions(s) == [("denied", "human")], "enter: exactly one record, denied by human", str(s.records()))
    t.assert_modes_restored("enter: terminal modes restored")
    t.close(), s.close()


def test_one_question_for_a_shell_string():
    """How every agent runs a command: a program runs `bash -c "rm ...; echo
    after"`. The question is about the string; the yes carries to the rm the
    shell then execs (same rule, target, program, arguments, directory)."""
    s = Sandbox()
    agent = os.path.join(s.root, "agent.py")
    with open(agent, "w") as f:
        f.write("import subprocess\nsubprocess.run(['bash', '-c', 'rm -r victim; echo after'])\n")
    t = Terminal([BIN, "run", "--", sys.executable, agent], env=s.env, cwd=s.work)
    word = prompt_word(t, "string")
    t.type(f"{word}\r" if word else "\r")
    t.wait()
    text = t.text()
    check(len(WORD_RX.findall(text)) == 1, "string: exactly one question", text)
    check(not os.path.exists(s.victim), "string: the rm the string named ran")
    check("after" in text.split("allowed once")[-1], "string: the rest of the string ran", text)
    recs = [r for r in s.records() if r.get("rule") == "test-confirm"]
    ids = {r.get("approval") for r in recs}
    check(len(recs) == 2 and all(r.get("by") == "human" and r.get("decision") == "allowed" for r in recs)
          and len(ids) == 1 and None not in ids,
          "string: the answer and the exec it carried to are both recorded, linked to one question", str(recs))
    check(recs and recs[-1].get("exe", "").endswith("/rm"), "string: the second record is rm's own exec", str(recs))
    t.close(), s.close()


def test_allow_once_is_once():
    """A yes approves what the string named, once: an rm of another target
    that the string did not name (computed at run time) is asked again."""
    s = Sandbox()
    other = os.path.join(s.work, "other")
    os.makedirs(other)
    # $(...) is known only when it runs: the string cannot name "other"
    # (a plain d=oth it now reads, as the shell does)
    t = s.run('rm -r victim; d=$(printf oth); rm -r "${d}er"; echo "rc=$?"')
    first = t.expect(WORD_RX)
    check(first is not None, "once: the first prompt", t.text())
    t.type(f"{first.group(1)}\r" if first else "\r")
    second = t.expect(WORD_RX, since=first.end() if first else 0)
    t.type("\r")
    t.wait()
    text = t.text()
    check(len(WORD_RX.findall(text)) == 2, "once: the rm the string did not name is asked", text)
    check(not os.path.exists(s.victim), "once: the named rm ran")
    check(os.path.exists(other) and "rc=126" in text, "once: the other, refused at its own question, survives", text)
    check(second is not None, "once: a second prompt came")
    t.close(), s.close()


def test_approve():
    s = Sandbox()
    t = s.run(RM)
    word = prompt_word(t, "approve")
    t.type(f"{word}\r" if word else "\r")
    t.wait()
    check("rc=0" in t.text(), "approve: rm ran", t.text())
    check(len(WORD_RX.findall(t.text())) == 1, "approve: one question for `run -- bash -c` and its rm", t.text())
    check(not os.path.exists(s.victim), "approve: target removed")
    check(s.has_record("allowed", "human"), "approve: audited allowed by human", str(s.records()))
    t.assert_modes_restored("approve: terminal modes restored")
    t.close(), s.close()


def test_wrong_word():
    s = Sandbox()
    t = s.run(RM)
    word = prompt_word(t, "wrong")
    t.type(f"{word}x\r" if word else "\r")
    status = t.wait()
    check(status == 126 or "rc=126" in t.text(), "wrong: refused", t.text())
    check("did not type the confirmation word" in t.text(), "wrong: the program is told so", t.text())
    check(s.intact(), "wrong: target survives")
    check(decisions(s) == [("denied", "wrong-word")], "wrong: exactly one record, by wrong-word", str(s.records()))
    t.assert_modes_restored("wrong: terminal modes restored")
    t.close(), s.close()


def test_timeout():
    s = Sandbox()
    t = s.run(RM, "--prompt-timeout", "2")
    prompt_word(t, "timeout")
    start = time.monotonic()
    t.expect("interlock: blocked")
    took = time.monotonic() - start
    status = t.wait()
    check(status == 126 or "rc=126" in t.text(), "timeout: refused", t.text())
    check(1.5 <= took <= 6, f"timeout: after about 2 s ({took:.1f} s)")
    check(s.intact(), "timeout: target survives")
    check("did not confirm in time" in t.text(), "timeout: the program is told so", t.text())
    check(decisions(s) == [("denied", "timeout")], "timeout: exactly one record, by timeout", str(s.records()))
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


def work_tree(path):
    """A git work tree holding the user's work: a commit, an uncommitted
    edit of a tracked file, an untracked file (made before any session)."""
    os.makedirs(os.path.join(path, "src"))
    git = ["git", "-C", path, "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", path], check=True)
    for name, text in (("src/main.c", "int main;\n"), ("README.md", "# p\n")):
        with open(os.path.join(path, name), "w") as f:
            f.write(text)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "first"], check=True)
    with open(os.path.join(path, "src/main.c"), "w") as f:
        f.write("int main = 1; /* not committed */\n")
    with open(os.path.join(path, "PLAN.md"), "w") as f:
        f.write("the user's plan\n")


def test_one_question_for_rm_of_a_work_tree():
    """With the shipped rules, an agent's `rm -rf proj` of a work tree that
    holds uncommitted and untracked work is asked once, at the exec; the
    unlinks rm then makes in proj are that operation, not new questions.
    A no leaves all of it."""
    s = Sandbox()
    s.env["INTERLOCK_RULES_PATH"] = os.path.abspath(os.path.join(SRC, "rules.d"))
    home = s.env["HOME"]  # a temp dir outside HOME would be free to delete
    proj = os.path.join(home, "proj")
    work_tree(proj)
    agent = os.path.join(s.root, "agent.py")
    with open(agent, "w") as f:
        f.write("import subprocess\nsubprocess.run(['bash', '-c', 'rm -rf proj; echo rc=$?'])\n")
    t = Terminal([BIN, "run", "--", sys.executable, agent], env=s.env, cwd=home)
    prompt_word(t, "rm-tree-deny")
    t.type("\r")
    t.wait()
    check(len(WORD_RX.findall(t.text())) == 1, "rm-tree: a no is one question", t.text())
    with open(os.path.join(proj, "src/main.c")) as f:
        check("not committed" in f.read(), "rm-tree: after a no, the edit is there")
    check(os.path.exists(os.path.join(proj, "PLAN.md")), "rm-tree: after a no, the untracked file is there")
    t.close()
    t = Terminal([BIN, "run", "--", sys.executable, agent], env=s.env, cwd=home)
    word = prompt_word(t, "rm-tree-allow")
    t.type(f"{word}\r" if word else "\r")
    t.wait()
    text = t.text()
    check(len(WORD_RX.findall(text)) == 1, "rm-tree: one question for the exec and every unlink it makes", text)
    check("rc=0" in text and not os.path.exists(proj), "rm-tree: after a yes, the tree is gone", text)
    recs = [r for r in s.records() if r.get("decision") == "allowed"]
    carried = [r for r in recs if r.get("event") == "delete"]
    check(carried and all(r.get("by") == "human" and r.get("approval") == recs[0].get("approval") for r in carried),
          "rm-tree: rm's deletes of the work are recorded as carried by the same question", str(recs))
    t.close(), s.close()


def test_walk_asks_nobody():
    """grep -r in a project with a .env, at a real terminal: the walk meets
    the secret and is refused it without a question; `cat .env` names it
    and is asked (one question in all, about cat's read)."""
    s = Sandbox()
    shutil.copy(os.path.join(SRC, "rules.d", "15-credentials.conf"), s.rules)
    with open(os.path.join(s.work, ".env"), "w") as f:
        f.write("API_KEY=planted\n")
    with open(os.path.join(s.work, "a.py"), "w") as f:
        f.write("# TODO\n")
    time.sleep(0.05)
    t = s.run('grep -rn TODO .; echo "grep=$?"; cat .env; echo "cat=$?"')
    m = prompt_word(t, "walk")
    t.type("\r")
    t.wait()
    text = t.text()
    check(len(WORD_RX.findall(text)) == 1, "walk: one question in all", text)
    check("grep=2" in text and "./a.py:1:# TODO" in text, "walk: grep searched the rest, refused .env", text)
    check("met while walking a directory tree" in text, "walk: grep is told it was a walk", text)
    check(m is not None and "cat(" in text.split("Type")[0].split("process:")[-1], "walk: the question is cat's",
          text)
    check("cat=1" in text and "planted" not in text, "walk: cat refused by the human; the secret never shown", text)
    t.close(), s.close()


def test_no_terminal():
    s = Sandbox()
    p = subprocess.run([BIN, "run", "--", "bash", "-c", RM], env=s.env, cwd=s.work, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode(errors="replace")
    check(p.returncode == 126 or "rc=126" in out, "no-terminal: refused", out)
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
