"""A scripted human at a real pseudo-terminal, for the tests in tests/pty/.

    t = Terminal(["interlock", "run", "--", "bash", "-c", "..."], env=...)
    t.expect('Type "')          # wait for the prompt
    t.type("x\\r")              # the human answers
    status = t.wait()           # exit status, output keeps being collected
    t.assert_modes_restored()   # the terminal is as it was before

The program is started as the session leader of a fresh pty, in its
foreground, exactly as a shell would run it.
"""
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.environ.get("INTERLOCK_SRC") or os.path.join(HERE, "..", ".."))
BIN = os.path.abspath(os.environ.get("INTERLOCK_BIN") or os.path.join(SRC, "build", "interlock"))
ASK = os.path.join(HERE, "ask.py")

failures = []


def check(cond, what, detail=""):
    if cond:
        print(f"ok   {what}")
    else:
        print(f"FAIL {what}" + (f"\n     {detail}" if detail else ""))
        failures.append(what)
    return cond


def finish():
    if failures:
        print(f"{len(failures)} failed: " + ", ".join(failures))
        sys.exit(1)
    print("all passed")
    sys.exit(0)


def harness():
    """The loop harness binary: $INTERLOCK_PTY_HARNESS, the build tree's, or
    compiled here from the sources (it needs only cli/ and two engine files)."""
    path = os.environ.get("INTERLOCK_PTY_HARNESS")
    if path:
        return path
    built = os.path.join(SRC, "build", "loop_harness")
    if os.path.exists(built):
        return built
    out = os.path.join(tempfile.gettempdir(), f"interlock-loop-harness-{os.getuid()}")
    srcs = [os.path.join(SRC, p) for p in ("tests/pty/loop_harness.c", "cli/broker.c", "cli/prompt.c",
                                           "cli/pty_proxy.c", "lib/engine/audit.c", "lib/engine/util.c")]
    if os.path.exists(out) and all(os.path.getmtime(out) > os.path.getmtime(p) for p in srcs
                                   + [os.path.join(SRC, "cli", h) for h in ("broker.h", "prompt.h", "pty_proxy.h")]):
        return out
    cmd = ["cc", "-std=gnu11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-g",
           "-I" + os.path.join(SRC, "cli"), "-I" + os.path.join(SRC, "lib/engine"), "-o", out] + srcs
    subprocess.run(cmd, check=True)
    return out


class Terminal:
    def __init__(self, argv, env=None, rows=24, cols=80, cwd=None):
        self.master, self.slave = os.openpty()
        self.set_size(rows, cols)
        self.modes_before = termios.tcgetattr(self.slave)
        self.output = b""
        slave = self.slave

        def make_ctty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                     preexec_fn=make_ctty, close_fds=True)
        self.pid = self.proc.pid

    def set_size(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        self.output += data
        return bool(data)

    def text(self):
        return self.output.decode("utf-8", "replace")

    def expect(self, pattern, timeout=10, since=0):
        """Reads until pattern (a regex, or plain text) appears after byte
        offset `since`; returns the match or None on timeout."""
        rx = re.compile(pattern if isinstance(pattern, re.Pattern) else re.escape(pattern))
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text(), since)
            if m:
                return m
            left = end - time.monotonic()
            if left <= 0:
                return None
            self._read(min(left, 0.2))

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._read(end - time.monotonic())

    def type(self, text, delay=0.0):
        data = text.encode() if isinstance(text, str) else text
        if delay:
            for b in data:
                os.write(self.master, bytes([b]))
                time.sleep(delay)
        else:
            os.write(self.master, data)

    def wait(self, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._read(0.05)
            if self.proc.poll() is not None:
                self.drain(0.1)
                return self.proc.returncode
        self.proc.kill()
        self.proc.wait()
        return None

    def modes(self):
        return termios.tcgetattr(self.slave)

    def assert_modes_restored(self, what="terminal modes restored"):
        return check(self.modes() == self.modes_before, what,
                     f"before {self.modes_before}\n     after  {self.modes()}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)

