"""Writing files safely: atomic replace, and only when the content changed.

A crash mid-write leaves the old file whole, and a rerun that would write the
same bytes writes nothing (so timestamps and `git status` stay quiet).
"""

from __future__ import annotations

import filecmp
import glob
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TextIO


def write_if_changed(path: Path, data: bytes | str, dry_run: bool = False) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that; True if it wrote."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == payload:
            return False
    except FileNotFoundError:
        pass
    if dry_run:
        return True
    return _replace(path, lambda handle: handle.write(payload), compare=False)


def write_stream_if_changed(path: Path, write: Callable[[TextIO], None]) -> bool:
    """Like `write_if_changed`, for content too big to hold at once: `write` streams UTF-8
    text into a temporary file beside `path`, which replaces it only if the bytes differ."""

    def fill(handle: BinaryIO) -> None:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        write(text)
        text.flush()
        text.detach()  # the file is `handle`'s to close

    return _replace(path, fill, compare=True)


def _replace(path: Path, fill: Callable[[BinaryIO], object], compare: bool) -> bool:
    """Fill a temporary file beside `path` and move it over `path` (unless `compare` finds
    the same bytes there already); True if it replaced `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
        if compare and path.is_file() and filecmp.cmp(tmp, path, shallow=False):
            Path(tmp).unlink()
            return False
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _sweep(path: Path) -> None:
    """Remove temp files of `path` left by writers that were killed (their process is gone)."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = stale.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
