#!/usr/bin/env python3
"""Judge every command line of the NL2Bash corpus with `interlock check`.

    scripts/nl2bash_sweep.py NL2BASH [OUT.tsv]

NL2BASH is a TellinaTool/nl2bash checkout or bare git directory; its
data/bash/all.cm (one shell one-liner a line) is read at HEAD. Each line is
judged as `interlock check --json -- bash -c LINE` in the fabricated
environment of tests/corpus/run_corpus.sh (the same one scripts/tldr_sweep.py
builds: HOME=<tmp>/home/user, the working directory a git work tree with
build/, node_modules/, src/, a few databases and a key), with the tree's
rules.d only.

Output (OUT.tsv or stdout): line number, action, rule, command. A summary
of the actions goes to stderr. One check at a time: run it with nice.

Environment: INTERLOCK_BIN (default build/interlock of this tree).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tldr_sweep import sweep  # noqa: E402  the same environment and output


def lines(repo):
    gitdir = repo if os.path.isfile(os.path.join(repo, "HEAD")) else os.path.join(repo, ".git")
    text = subprocess.run(["git", "--git-dir", gitdir, "show", "HEAD:data/bash/all.cm"],
                          capture_output=True, check=True).stdout.decode("utf-8", "replace")
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield n, line


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout
    sweep("nl2bash", (((n,), cmd) for n, cmd in lines(sys.argv[1])), out)


if __name__ == "__main__":
    main()
