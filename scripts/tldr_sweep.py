#!/usr/bin/env python3
"""Judge every example command of tldr-pages with `interlock check`.

    scripts/tldr_sweep.py TLDR [OUT.tsv]

TLDR is a tldr-pages checkout or bare git directory (its pages/common and
pages/linux are read at HEAD). Each example (the backticked line after a
`- description:` line) is filled in: `{{path/to/file}}` becomes
`path/to/file`, and for `{{[-f|--force]}}` or `{{GET|POST}}` one variant per
alternative is judged (variant k takes the k-th, or the last). Every variant
is judged as `interlock check --json -- bash -c LINE` in the fabricated
environment tests/corpus/run_corpus.sh uses (HOME=<tmp>/home/user, the
working directory a git work tree with build/, node_modules/, src/ and a few
databases and a key), with the tree's rules.d only.

Output (OUT.tsv or stdout): page, variant, action, rule, command — one line
per variant. A summary of the actions goes to stderr. It is CPU work, one
check at a time: run it with nice on a shared machine.

Environment: INTERLOCK_BIN (default build/interlock of this tree).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.environ.get("INTERLOCK_BIN", os.path.join(src, "build", "interlock"))

ALT = re.compile(r"\{\{\[([^\]{}]*)\]\}\}")  # {{[-a|--all]}}
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")


def fill(cmd, k):
    """The k-th variant of a tldr command line: placeholders replaced by their text."""
    cmd = ALT.sub(lambda m: (lambda p: p[min(k, len(p) - 1)])(m.group(1).split("|")), cmd)

    def one(m):
        v = re.sub(r"\s*\.\.\.\s*$", "", m.group(1))  # "file1 file2 ..." -> "file1 file2"
        if v.startswith("[") and v.endswith("]") and "|" in v:
            v = v[1:-1]
        if "|" in v:
            parts = [x for x in v.split("|") if x not in ("", "...")] or [""]
            v = parts[min(k, len(parts) - 1)]
        return v

    return PLACEHOLDER.sub(one, cmd)


def pages(tldr):
    gitdir = tldr if os.path.isfile(os.path.join(tldr, "HEAD")) else os.path.join(tldr, ".git")
    git = ["git", "--git-dir", gitdir]
    names = subprocess.run(git + ["ls-tree", "-r", "--name-only", "HEAD", "pages/common/", "pages/linux/"],
                           capture_output=True, text=True, check=True).stdout.split()
    names = [n for n in names if n.endswith(".md")]
    blob = subprocess.run(git + ["cat-file", "--batch"], input="".join(f"HEAD:{n}\n" for n in names).encode(),
                          capture_output=True, check=True).stdout
    pos = 0
    for n in names:
        end = blob.index(b"\n", pos)
        size = int(blob[pos:end].split()[2])
        yield n[len("pages/"):-3], blob[end + 1:end + 1 + size].decode("utf-8", "replace")
        pos = end + 1 + size + 1


def commands(tldr):
    for page, text in pages(tldr):
        after_description = False
        for line in text.split("\n"):
            if line.startswith("- "):
                after_description = True
            elif after_description and len(line) > 2 and line[0] == "`" and line[-1] == "`":
                after_description = False
                seen = set()
                for k in range(8):
                    c = fill(line[1:-1], k)
                    if c not in seen:
                        seen.add(c)
                        yield page, k, c


def environment(tmp):
    home = os.path.join(tmp, "home", "user")
    for d in ("project/.git/refs", "project/build", "project/node_modules", "project/src", ".ssh", "Documents",
              ".config", ".local/state"):
        os.makedirs(os.path.join(home, d), exist_ok=True)
    for f in ("project/app.db", "project/data.db", "project/warehouse.duckdb", ".ssh/id_ed25519"):
        with open(os.path.join(home, f), "w") as fh:
            fh.write("not empty\n")
    env = {k: v for k, v in os.environ.items() if k not in ("INTERLOCK_SESSION", "INTERLOCK_PROFILE", "LD_PRELOAD")}
    env.update(HOME=home, USER="user", LOGNAME="user", XDG_CONFIG_HOME=home + "/.config",
               XDG_STATE_HOME=home + "/.local/state", XDG_DATA_HOME=home + "/.local/share",
               INTERLOCK_RULES_PATH=os.path.join(src, "rules.d"))
    return home + "/project", env


def sweep(name, items, out):
    """Judges each (labels, cmd) of items in a fresh environment: one TSV
    line per command (labels, action, rule, command) to out, a summary of
    the actions to stderr."""
    tmp = tempfile.mkdtemp(prefix=f"interlock-{name}-")
    counts = Counter()
    try:
        cwd, env = environment(tmp)
        for labels, cmd in items:
            p = subprocess.run([binary, "check", "--json", "--", "bash", "-c", cmd], cwd=cwd, env=env,
                               capture_output=True, text=True)
            try:
                j = json.loads(p.stdout.strip().split("\n")[-1])
                action, rule = j["action"], j.get("rule") or "-"
            except (ValueError, KeyError, IndexError):
                action, rule = "ERROR", (p.stderr.strip().split("\n") or [""])[-1][:80].replace("\t", " ")
            counts[action] += 1
            print("\t".join([*map(str, labels), action, rule, cmd]), file=out, flush=True)
    finally:
        shutil.rmtree(tmp)
    print(" ".join(f"{a}={n}" for a, n in sorted(counts.items())), file=sys.stderr)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout
    sweep("tldr", (((page, k), cmd) for page, k, cmd in commands(sys.argv[1])), out)


if __name__ == "__main__":
    main()
