"""The `git log` a scan reads: its format, its command, and how it is started.

Nothing here imports more than `os` and `subprocess`, so `tracker.early` can start a
long range's `git log` before the rest of tracker (and click) has loaded; `history.Log`
reads it. A process started that early waits in `STARTED` for the one command it was
started for (`take`); any other is stopped when the process exits, unread.
"""

from __future__ import annotations

import atexit
import os
import subprocess

# Fields are separated by US (0x1f); records by NUL (`-z`). Git forbids NUL in
# messages. The author is one field, `name<email>` (`model.split_ident`): one key per
# commit to look up; `%aN`/`%aE`, so git applies the repository's `.mailmap` (its canonical
# names and emails cost nothing measurable without one). A stray 0x1f in a name or a
# message is read around (`fields`).
FORMAT = "%H%x1f%P%x1f%aN<%aE>%x1f%B"
# The same with the subject (`%s`) in place of the whole message: what a scan needs when
# the link index already knows what every message says. Bodies are most of what git
# formats and writes for a long range (a real project's pull-request texts even more).
SUBJECTS = "%H%x1f%P%x1f%aN<%aE>%x1f%s"
_PIPE = 1 << 20

# Processes started before anything asked for them, by (working directory, *command).
STARTED: dict[tuple[str, ...], subprocess.Popen[bytes]] = {}


def command(git_dir: str, fmt: str, revisions: list[str]) -> list[str]:
    """The `git log` command line for `revisions` in `fmt` (FORMAT or SUBJECTS)."""
    return ["git", f"--git-dir={git_dir}", "log", f"--format=tformat:{fmt}", "-z", "--no-color", *revisions]


def fields(record: bytes) -> list[bytes]:
    """sha, parents, `name<email>` and message (or subject) of one record, wherever else the
    separator occurs: git lets no name hold `<` and no email hold `>`, so the author field
    ends at the first `>` after the first `<`. Fewer than four fields for a damaged record."""
    parts = record.split(b"\x1f", 2)
    if len(parts) < 3:
        return parts
    sha, parents, rest = parts
    opening = rest.find(b"<")
    closing = rest.find(b">\x1f", opening) if opening >= 0 else -1
    if closing < 0:
        return record.split(b"\x1f", 3)
    return [sha, parents, rest[:closing + 1], rest[closing + 2:]]


def start(args: list[str], cwd: str) -> subprocess.Popen[bytes]:
    """Start `args` (a `command`) with its output on a pipe as wide as the system allows."""
    # GIT_FLUSH=0: git flushes its output after every commit when writing to a pipe (for a
    # pager), a write per commit; unflushed it writes whole buffers, ~18x fewer writes,
    # and a long range reads ~35% faster.
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "GIT_FLUSH": "0"})
    assert proc.stdout is not None
    _widen(proc.stdout.fileno())
    return proc


def _widen(fd: int) -> None:
    """Let git run ahead of the reader by up to 1 MiB: with the default 64 KiB pipe, git
    waits whenever this process is busy with a batch and the two take turns on two cores."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or capped by /proc/sys/fs/pipe-max-size: the default pipe still works


def prestart(args: list[str], cwd: str) -> None:
    """Start `args` now, for `take` to hand over later."""
    if not STARTED:
        atexit.register(_stop_unread)
    key = (cwd, *args)
    STARTED[key] = start(args, cwd)


def take(args: list[str], cwd: str) -> subprocess.Popen[bytes] | None:
    """The process `prestart` started for exactly `args` in `cwd`, if any; every other
    one started early is stopped now (a guess that missed)."""
    found = STARTED.pop((cwd, *args), None)
    _stop_unread()
    return found


def _stop_unread() -> None:
    for proc in STARTED.values():
        proc.kill()
        proc.communicate()
    STARTED.clear()
