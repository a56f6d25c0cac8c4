#!/usr/bin/env python3
"""A small syntax check of a Dockerfile (Docker is not needed).

Checks: continuation lines join; every instruction keyword is a valid one; the
first instruction is FROM (or ARG before FROM); FROM has an image and an
optional `AS name`; COPY --from=NAME names an earlier stage; JSON-form CMD /
ENTRYPOINT / SHELL parse as arrays of strings; no heredocs (kept simple so the
steps can be mirrored by test_container_steps.sh). Prints the stages and exits
1 with FILE:LINE: message for each problem.
"""
import json
import re
import sys

KEYWORDS = {
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY",
    "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL",
    "HEALTHCHECK", "SHELL",
}


def instructions(text):
    """(line, keyword, args) for each logical line."""
    lines = text.split("\n")
    i = 0
    directives = True
    while i < len(lines):
        raw = lines[i]
        start = i + 1
        i += 1
        s = raw.strip()
        if not s:
            directives = False
            continue
        if s.startswith("#"):
            if directives and re.match(r"#\s*\w+\s*=", s):
                continue  # parser directive (# syntax=...)
            directives = False
            continue
        directives = False
        parts = [s]
        while parts[-1].endswith("\\") and i < len(lines):
            parts[-1] = parts[-1][:-1]
            nxt = lines[i].strip()
            i += 1
            if nxt.startswith("#"):
                continue  # comments inside a continuation are dropped
            parts.append(nxt)
        joined = " ".join(p.strip() for p in parts if p.strip())
        word, _, args = joined.partition(" ")
        yield start, word, args.strip()


def check(path):
    errors = []
    stages = []
    seen_from = False
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for line, word, args in instructions(text):
        kw = word.upper()
        where = "%s:%d" % (path, line)
        if kw not in KEYWORDS:
            errors.append("%s: unknown instruction '%s'" % (where, word))
            continue
        if word != kw:
            errors.append("%s: write instructions in upper case ('%s')" % (where, word))
        if not seen_from and kw not in ("FROM", "ARG"):
            errors.append("%s: %s before the first FROM" % (where, kw))
        if kw == "FROM":
            seen_from = True
            m = re.match(r"^(--platform=\S+\s+)?(\S+)(\s+[Aa][Ss]\s+([A-Za-z0-9][A-Za-z0-9_.-]*))?$", args)
            if not m:
                errors.append("%s: FROM needs IMAGE [AS NAME], got '%s'" % (where, args))
                continue
            stages.append(m.group(4) or str(len(stages)))
        elif not args:
            errors.append("%s: %s without arguments" % (where, kw))
        if kw in ("COPY", "ADD"):
            m = re.search(r"--from=(\S+)", args)
            if m and m.group(1) not in stages[:-1]:
                errors.append("%s: COPY --from=%s names no earlier stage (%s)" % (where, m.group(1), ", ".join(stages[:-1])))
        if kw in ("RUN", "COPY", "ADD") and re.search(r"<<-?\s*['\"]?[A-Za-z_]+", args):
            errors.append("%s: heredocs are not used in this example" % where)
        if kw in ("CMD", "ENTRYPOINT", "SHELL") and args.startswith("["):
            try:
                v = json.loads(args)
                ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
            except ValueError:
                ok = False
            if not ok:
                errors.append("%s: %s JSON form must be an array of strings" % (where, kw))
        if kw == "ENV" and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(=|\s)", args):
            errors.append("%s: ENV needs NAME=value" % where)
    if not seen_from:
        errors.append("%s: no FROM" % path)
    for e in errors:
        print(e, file=sys.stderr)
    print("stages: %s" % " ".join(stages))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(check(sys.argv[1]))
