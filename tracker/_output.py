"""Where a command's result goes: standard output, or a file given with `-o`.

A file is replaced atomically and only when its bytes change; a report's JSON is
streamed, so a long range's `changes` never sits in memory whole.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from tracker._changes import write_json
from tracker._errors import BadInput
from tracker._files import resolve, write_if_changed, write_stream_if_changed


def emit(text: str, output: str | None) -> None:
    """`text` to standard output (ending in one newline), or to the file `output`."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    _to_file(output, lambda path: write_if_changed(path, text))


def emit_report(data: Mapping[str, Any], output: str | None) -> None:
    """A report as JSON to standard output (indented only for a person at a terminal), or to a file."""
    if output is None:
        write_json(data, sys.stdout, 2 if sys.stdout.isatty() else None)
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    _to_file(output, lambda path: write_report(data, path))


def _to_file(output: str, write: Callable[[Path], object]) -> None:
    """`write` to the `-o` file; a file that cannot be written is bad input, said in one line.
    Standard output is where a pipe, a FIFO or a terminal gets the text: `-o` names a file."""
    resolve(Path(output), f"-o {output}")
    try:
        write(Path(output))
    except OSError as exc:
        raise BadInput(f"-o {output}: cannot write: {exc.strerror}") from None


def write_report(data: Mapping[str, Any], path: Path, indent: int | None = None) -> bool:
    """A report as a JSON file, rewritten only when it changes; True if it wrote."""

    def write(handle: TextIO) -> None:
        write_json(data, handle, indent)
        handle.write("\n")

    return write_stream_if_changed(path, write)
