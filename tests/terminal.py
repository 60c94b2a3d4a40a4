"""Run tracker under a real pseudo-terminal and read what the terminal shows (pyte emulates it)."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from pathlib import Path

import pyte

COLUMNS, LINES = 100, 40


@dataclass
class Shown:
    raw: str  # every byte written to the terminal, decoded
    screen: list[str]  # the terminal's lines once the command ended, trailing blanks cut
    code: int

    @property
    def text(self) -> str:
        return "\n".join(self.screen).strip("\n")


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdout_to_pipe: bool = False) -> Shown:
    """`python -m tracker ARGS` with stdin, stderr (and stdout, unless piped) on a pseudo-terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    environment = {**os.environ, "TERM": "xterm", "COLUMNS": str(COLUMNS), "LINES": str(LINES), **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "tracker", *args], cwd=cwd, env=environment, stdin=slave,
                            stdout=subprocess.PIPE if stdout_to_pipe else slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last holder of the terminal's other end is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    if proc.stdout is not None:
        proc.stdout.read()
        proc.stdout.close()
    code = proc.wait(timeout=60)
    raw = b"".join(chunks).decode("utf-8", "replace")
    screen = pyte.Screen(COLUMNS, LINES)
    pyte.Stream(screen).feed(raw)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return Shown(raw, lines, code)
