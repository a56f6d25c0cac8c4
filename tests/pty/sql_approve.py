#!/usr/bin/env python3
"""A scripted human for tests/integration/test_sql_hooks.sh: runs
`interlock run -- COMMAND...` on a real pty and answers each confirmation
prompt with the next WORD, in order; a prompt asking for another word, a
missing prompt, or a prompt more than the words given is a failure.

    sql_approve.py WORD [WORD...] -- COMMAND [ARG]...

Exit status: COMMAND's; 90 when the prompts were not the ones expected
(what the terminal showed is printed). The terminal's text goes to stdout.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptylib import BIN, Terminal  # noqa: E402

WORD_RX = re.compile(r'Type "([^"]*)" to allow')


def main(argv):
    if "--" not in argv:
        sys.exit("usage: sql_approve.py WORD... -- COMMAND...")
    cut = argv.index("--")
    words, command = argv[:cut], argv[cut + 1:]
    t = Terminal([BIN, "run", "--", *command], env=dict(os.environ), cwd=os.getcwd())
    since, wrong = 0, None
    for word in words:
        m = t.expect(WORD_RX, timeout=30, since=since)
        if not m or m.group(1) != word:
            wrong = f"wanted a prompt for {word!r}, got {m.group(1) if m else 'none'!r}"
            break
        since = m.end()
        t.type(word + "\r")
    status = t.wait(timeout=60) if not wrong else None
    if not wrong and WORD_RX.search(t.text(), since):
        wrong = "a prompt more than the words given: " + WORD_RX.search(t.text(), since).group(1)
    t.close()
    sys.stdout.write(t.text())
    if wrong or status is None:
        print("\nsql_approve: " + (wrong or "the command did not finish"))
        sys.exit(90)
    sys.exit(status)


if __name__ == "__main__":
    main(sys.argv[1:])
