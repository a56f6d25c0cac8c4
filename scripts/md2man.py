#!/usr/bin/env python3
"""Convert docs/interlock.rules.5.md to roff (docs/interlock.rules.5).

Usage: scripts/md2man.py [SRC.md [OUT]]   (OUT "-" or absent: stdout)
       scripts/md2man.py --check SRC.md OUT   exit 1 if OUT is not up to date

Handles the Markdown subset the manual uses: one `# name(N) — title` line,
`##`/`###` headings, paragraphs, numbered lists, two-column tables (rendered
as .TP entries), fenced code blocks and inline `code` / **bold**.
"""
import re
import sys


def esc(text):
    """Escape plain text for roff."""
    text = text.replace("\\", "\\e")
    return "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in text)


def inline(text):
    """Markdown inline markup -> roff font changes."""
    out = []
    pos = 0
    for m in re.finditer(r"`([^`]+)`|\*\*([^*]+)\*\*", text):
        out.append(esc(text[pos:m.start()]))
        inner = m.group(1) if m.group(1) is not None else m.group(2)
        out.append("\\fB" + esc(inner).replace("-", "\\-") + "\\fR")
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def line_safe(s):
    """A text line must not start with a control character."""
    return "\\&" + s if s[:1] in (".", "'") else s


def cells(row):
    parts = re.split(r"(?<!\\)\|", row.strip())[1:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


def convert(md):
    lines = md.splitlines()
    out = []
    title = lines[0]
    m = re.match(r"#\s+([\w.]+)\((\d)\)\s+[—-]+\s+(.*)", title)
    if not m:
        raise SystemExit("md2man: first line must be '# name(N) — title'")
    name, sect, what = m.groups()
    out.append('.\\" Generated from docs/%s.%s.md by scripts/md2man.py; do not edit.' % (name, sect))
    out.append('.TH %s %s "" "interlock" "File Formats"' % (name.upper(), sect))
    out.append(".SH NAME")
    out.append("%s \\- %s" % (name, esc(what)))
    para = []

    def flush():
        if para:
            out.append(".PP")
            for p in para:
                out.append(line_safe(inline(p)))
            para.clear()

    i = 1
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("```"):
            flush()
            out.append(".PP")
            out.append(".RS 4")
            out.append(".nf")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_safe(esc(lines[i])) if lines[i] else "")
                i += 1
            out.append(".fi")
            out.append(".RE")
        elif ln.startswith("### "):
            flush()
            out.append(".SS " + inline(ln[4:]))
        elif ln.startswith("## "):
            flush()
            out.append(".SH " + inline(ln[3:].upper()))
        elif ln.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            i -= 1
            # rows[0] is the header, rows[1] the --- separator
            for r in rows[2:]:
                out.append(".TP")
                out.append(line_safe(inline(r[0])))
                out.append(line_safe(inline(" \u2014 ".join(r[1:]))))
        elif re.match(r"\d+\. ", ln):
            flush()
            num, rest = ln.split(" ", 1)
            item = [rest]
            while i + 1 < len(lines) and lines[i + 1].startswith("   ") and lines[i + 1].strip():
                i += 1
                item.append(lines[i].strip())
            out.append(".IP %s 4" % num)
            for p in item:
                out.append(line_safe(inline(p)))
        elif not ln.strip():
            flush()
        else:
            para.append(ln.strip())
        i += 1
    flush()
    return "\n".join(out) + "\n"


def main(argv):
    check = False
    if argv and argv[0] == "--check":
        check = True
        argv = argv[1:]
    src = argv[0] if argv else "docs/interlock.rules.5.md"
    dst = argv[1] if len(argv) > 1 else "-"
    with open(src, encoding="utf-8") as f:
        text = convert(f.read())
    if check:
        with open(dst, encoding="utf-8") as f:
            if f.read() != text:
                print("md2man: %s is out of date; run scripts/md2man.py %s %s" % (dst, src, dst), file=sys.stderr)
                return 1
        return 0
    if dst == "-":
        sys.stdout.write(text)
    else:
        with open(dst, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
