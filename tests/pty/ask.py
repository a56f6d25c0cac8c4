#!/usr/bin/env python3
"""Stand-in for the preload's broker client (lib/preload/confirm.c).

    ask.py SOCKET [key=value]...

Sends one confirm request (defaults below, overridden by the arguments),
prints the broker's reply on stderr as "ask: REPLY" and exits 0 when it
allows, 1 when it denies, 2 when the broker is unreachable or hung up.
"""
import socket
import sys


def main():
    if len(sys.argv) < 2:
        print("usage: ask.py SOCKET [key=value]...", file=sys.stderr)
        return 2
    fields = {"v": "1", "rule": "test-confirm", "word": "x", "why": "test rule",
              "command": "rm -r x", "target": "", "cwd": "/", "exe": "/usr/bin/rm"}
    args = []
    for kv in sys.argv[2:]:
        k, _, v = kv.partition("=")
        if k == "arg":
            args.append(v)  # repeated, in order
        else:
            fields[k] = v
    msg = "".join(f"{k}={v}\n" for k, v in fields.items()) + "".join(f"arg={a}\n" for a in args)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(sys.argv[1])
        s.send(msg.encode())
        reply = s.recv(128).decode()
    except OSError as e:
        print(f"ask: error {e}", file=sys.stderr)
        return 2
    print(f"ask: {reply.strip() or '(hung up)'}", file=sys.stderr, flush=True)
    if not reply:
        return 2
    return 0 if reply.startswith("allow") else 1


if __name__ == "__main__":
    sys.exit(main())
