"""Writing files safely: atomic replace, and only when the content changed.

A crash mid-write leaves the old file whole, and a rerun that would write the
same bytes writes nothing (so timestamps and `git status` stay quiet).

Every file tracker writes goes through here, so the rules hold for every
publisher: only a regular file is ever replaced (a device, a FIFO, a socket or a
folder in its place is bad input: reading a FIFO would wait for ever, and
replacing `/dev/null` as root would turn the device into a file); a symbolic link
is kept, and the file it points to is replaced, atomically, beside itself; a
replaced file keeps its mode, and a new one gets what the umask gives (0644
under umask 022), not the 0600 of a private temporary file.
"""

from __future__ import annotations

import filecmp
import glob
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO, TextIO

from tracker._errors import BadInput


def write_if_changed(path: Path, data: bytes | str, dry_run: bool = False) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that; True if it wrote."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target = resolve(path)
    try:
        if target.read_bytes() == payload:
            return False
    except FileNotFoundError:
        pass
    if dry_run:
        return True
    return _replace(target, lambda handle: handle.write(payload), compare=False)


def write_stream_if_changed(path: Path, write: Callable[[TextIO], None]) -> bool:
    """Like `write_if_changed`, for content too big to hold at once: `write` streams UTF-8
    text into a temporary file beside `path`, which replaces it only if the bytes differ."""

    def fill(handle: BinaryIO) -> None:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        write(text)
        text.flush()
        text.detach()  # the file is `handle`'s to close

    return _replace(resolve(path), fill, compare=True)


def resolve(path: Path, shown: str | None = None) -> Path:
    """Where writing `path` lands: `path` itself, or the file its symbolic link names (the
    link stays). BadInput when something other than a regular file is there; `shown` names
    the path in that message (default: the path)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.lexists(path):
            raise BadInput(f"{shown or path}: a symbolic link to {os.readlink(path)}, which does not exist;"
                           " create the file it names, or remove the link") from None
        return path
    except OSError as exc:  # a link loop, a path through a file, no permission
        raise BadInput(f"{shown or path}: cannot be written: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise BadInput(f"{shown or path}: is {_kind(mode)}, not a regular file; name a file to write")
    return Path(os.path.realpath(path))


def check_targets(paths: Iterable[Path], shown: Callable[[Path], str] = str) -> None:
    """`resolve` every path that exists, before anything is written (bad input is found first)."""
    for path in paths:
        if os.path.lexists(path):
            resolve(path, shown(path))


def _kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _umask() -> int:
    """The process umask (setting it and back is the only portable way to read it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(path: Path) -> int:
    """The permission bits `path` has now, or what the umask gives a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _replace(path: Path, fill: Callable[[BinaryIO], object], compare: bool) -> bool:
    """Fill a temporary file beside `path` and move it over `path` (unless `compare` finds
    the same bytes there already); True if it replaced `path`. `path` is resolved already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path)
    mode = _mode(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
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
