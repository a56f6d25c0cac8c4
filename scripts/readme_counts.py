#!/usr/bin/env python3
"""Rewrites the figures in README.md that tests/install/test_docs.sh checks
against the tree: the shipped rules, their examples, the corpus halves and
the doctor sample's rule line. Run after adding rules or corpus lines:

    scripts/readme_counts.py [BUILD_DIR]     (default: build)
"""
import os
import re
import subprocess
import sys

src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(src, "build")
il = os.path.join(build, "interlock")
env = dict(os.environ, INTERLOCK_RULES_PATH=os.path.join(src, "rules.d"))


def run(*args):
    return subprocess.run([il, *args], env=env, capture_output=True, text=True).stdout


def lines(name):
    with open(os.path.join(src, "tests", "corpus", name)) as f:
        return sum(1 for l in f if l.strip() and not l.lstrip().startswith("#"))


rules, programs, files = map(int, re.search(r"(\d+) rules, (\d+) programs in (\d+) files", run("rules", "lint")).groups())
examples = int(re.search(r"(\d+) passed", run("rules", "test")).group(1))
doctor = re.search(r"rules: \d+ rules, \d+ programs from \d+ files compile \(\d+ bytes\)", run("doctor"))
path = os.path.join(src, "README.md")
text = open(path).read()
subs = [
    (r"the \d+ shipped rules", f"the {rules} shipped rules"),
    (r"carry \d+ `match`/`no-match` examples", f"carry {examples} `match`/`no-match` examples"),
    (r"\d+ command lines that must be stopped and \d+ that must pass",
     f"{lines('stop.txt')} command lines that must be stopped and {lines('allow.txt')} that must pass"),
    (r"rules\.d: \d+ files", f"rules.d: {files} files"),
]
if doctor:
    subs.append((r"rules: \d+ rules, \d+ programs from \d+ files compile \(\d+ bytes\)", doctor.group(0)))
for pat, rep in subs:
    text, n = re.subn(pat, rep, text)
    if not n:
        print(f"readme_counts: no '{pat}' in README.md", file=sys.stderr)
open(path, "w").write(text)
print(f"README.md: {rules} rules, {examples} examples, corpus {lines('stop.txt')}/{lines('allow.txt')}")
