"""The report's `changes`: every commit of a build, kept as JSON lines, not as objects.

A long range lists a hundred thousand commits; held as dicts they cost more
memory than everything else a run holds. Each entry is encoded once, as the scan
reads its commit, into a `tempfile.SpooledTemporaryFile` (UTF-8 bytes) that stays
in memory up to 1 MiB and moves to disk past it, so memory stays flat in history
length and the JSON output copies the bytes instead of encoding them again.

For everything else `Changes` reads as the list of dicts it stands for.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from tracker._schema import ChangeEntry

# `encode` of a str goes straight to the C string encoder: the same text
# `json.dumps(..., ensure_ascii=False)` writes, without its per-call set-up.
string = json.JSONEncoder(ensure_ascii=False).encode
# The same encoder for str only, callable from `map` without a Python frame per call.
encode_str = json.encoder.encode_basestring
_SPOOL_BYTES = 1 << 20
_READ = 1 << 18
_PIECES = 256  # list items encoded at a time


class Changes(Sequence["ChangeEntry"]):
    """A sequence of change entries (`tracker._schema.ChangeEntry`), spooled."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = ()):
        # Lives as long as the report does (closed by `close` or when collected).
        self._file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b")  # noqa: SIM115
        self._count = 0
        self._moved = False  # a reader moved the file position away from the end
        for item in entries:
            self.add(json.dumps(dict(item), ensure_ascii=False))

    def add(self, line: str) -> None:
        """Append one entry, already encoded as a one-line JSON object."""
        if self._moved:
            self._file.seek(0, 2)
            self._moved = False
        self._file.write(line.encode("utf-8") + b"\n")
        self._count += 1

    def write_lines(self, text: str, count: int) -> None:
        """Append `count` entries given as one text: one JSON object per line, each line ended."""
        if not count:
            return
        if self._moved:
            self._file.seek(0, 2)
            self._moved = False
        self._file.write(text.encode("utf-8"))
        self._count += count

    def chunks(self) -> Iterator[bytes]:
        """The entries as UTF-8 JSON, many whole lines at a time (each chunk without its last newline)."""
        pending = b""
        for piece in self.pieces():
            pending += piece
            cut = pending.rfind(b"\n")
            if cut > 0:
                yield pending[:cut]
                pending = pending[cut + 1:]

    def pieces(self) -> Iterator[bytes]:
        """The spooled bytes as read, in pieces of any length (lines may straddle two)."""
        position = 0
        while True:
            self._moved = True
            self._file.seek(position)
            piece = self._file.read(_READ)
            if not piece:
                return
            position += len(piece)
            yield piece

    def lines(self) -> Iterator[str]:
        """The entries as JSON text, in order (readers may interleave: each keeps its own place)."""
        for block in self.chunks():
            yield from block.decode("utf-8").split("\n")

    def close(self) -> None:
        """Drop the spooled entries (a temporary file is removed)."""
        self._file.close()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[ChangeEntry]:
        loads = json.loads
        for line in self.lines():
            yield loads(line)  # type: ignore[misc]  # each line was encoded from a ChangeEntry

    @overload
    def __getitem__(self, index: int) -> ChangeEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[ChangeEntry]: ...

    def __getitem__(self, index: int | slice) -> ChangeEntry | list[ChangeEntry]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("changes index out of range")
        return next(islice(iter(self), index, None))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Changes):
            return self._count == other._count and all(a == b for a, b in zip(self.lines(), other.lines(), strict=True))
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Changes: {self._count} entries>"


def write_json(data: Mapping[str, Any], out: Any, indent: int | None = None) -> None:
    """Write a report as JSON to the text stream `out`, copying spooled changes line by line.

    The output is what `json.dumps(data, ensure_ascii=False, indent=indent)` gives
    for the same report with `changes` as a plain list.
    """
    if indent is None:
        _write_compact(data, out)
        return
    changes = data.get("changes")
    if not isinstance(changes, Changes):
        out.write(json.dumps(data, ensure_ascii=False, indent=indent))
        return
    # `"changes": []` occurs once: inside JSON strings every quote is escaped.
    text = json.dumps({**data, "changes": []}, ensure_ascii=False, indent=indent)
    before, after = text.split('"changes": []', 1)
    out.write(before)
    out.write('"changes": [')
    pad = " " * indent
    batch: list[str] = []
    first = True
    for line in changes.lines():
        if first:
            first = False
        else:
            batch.append(",")
        body = json.dumps(json.loads(line), ensure_ascii=False, indent=indent)
        batch.append("\n" + "\n".join(pad * 2 + part for part in body.split("\n")))
        if len(batch) >= 256:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))
    out.write(f"\n{pad}]" if not first else "]")
    out.write(after)


def _write_compact(value: Any, out: Any) -> None:
    """`json.dumps(value, ensure_ascii=False)` written piece by piece: a long list is encoded
    a few hundred items at a time and spooled changes are copied, so no text of the whole
    report (a long range's is megabytes, and its parts as many small strings) is ever made."""
    if isinstance(value, Changes):
        # The spooled text is the entries one per line; the output is the same text with
        # ", " between entries, so copy it in big chunks, never line by line, as bytes
        # straight to the stream's buffer where it has one (no decoding and encoding again).
        out.write("[")
        utf8 = (getattr(out, "encoding", None) or "").lower().replace("-", "") == "utf8"
        raw = getattr(out, "buffer", None) if utf8 else None
        if raw is None:
            for n, chunk in enumerate(value.chunks()):
                out.write(("" if n == 0 else ", ") + chunk.decode("utf-8").replace("\n", ", "))
        else:
            out.flush()
            # Pieces as read, wherever they end: every newline but the last becomes ", ".
            held = b""
            for part in value.pieces():
                if held:
                    raw.write(held.replace(b"\n", b", "))
                held = part
            raw.write(held[:-1].replace(b"\n", b", "))
            raw.flush()
        out.write("]")
    elif isinstance(value, Mapping) and all(isinstance(k, str) for k in value) and any(
            isinstance(v, (Changes, list)) for v in value.values()):
        out.write("{")
        for n, (key, item) in enumerate(value.items()):
            out.write(f"{', ' if n else ''}{string(key)}: ")
            _write_compact(item, out)
        out.write("}")
    elif isinstance(value, list) and len(value) > _PIECES:
        out.write("[")
        for start in range(0, len(value), _PIECES):
            piece = string(value[start:start + _PIECES])  # "[a, b, …]": one encoder call a piece
            out.write(piece[1:-1] if start == 0 else ", " + piece[1:-1])
        out.write("]")
    else:
        out.write(string(value))
