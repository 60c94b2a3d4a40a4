"""Commit shas held compactly: a long range keeps tens of thousands of them, and a list or set
of str costs five to seven times their 20-byte digests."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from itertools import compress
from typing import overload

_HEX_DIGITS = "0123456789abcdef"


def _digest(sha: str) -> bytes | None:
    """The bytes a full or abbreviated sha (lowercase hex) stands for, the last digit of an
    odd number of them read as its lowest beginning (`abc` as `abc0`); None for any other text."""
    if sha.strip(_HEX_DIGITS):
        return None
    return bytes.fromhex(sha + "0" if len(sha) % 2 else sha)


class Shas(Sequence[str]):
    """Full shas of one kind (SHA-1 or SHA-256), in order, as one bytes of their digests: 20
    bytes a commit, where a list of str costs ~100 (a long range keeps tens of thousands)."""

    __slots__ = ("_raw", "_width")

    def __init__(self, raw: bytes | bytearray = b"", width: int = 0):
        self._raw = raw if isinstance(raw, bytearray) else bytearray(raw)  # taken, not copied
        self._width = width  # bytes a sha: 20, or 32

    def __len__(self) -> int:
        return len(self._raw) // self._width if self._width else 0

    @overload
    def __getitem__(self, at: int) -> str: ...

    @overload
    def __getitem__(self, at: slice) -> list[str]: ...

    def __getitem__(self, at: int | slice) -> str | list[str]:
        if isinstance(at, slice):
            return [self[n] for n in range(*at.indices(len(self)))]
        size = len(self)
        if at < 0:
            at += size
        if not 0 <= at < size:
            raise IndexError(at)
        return self._raw[at * self._width:(at + 1) * self._width].hex()

    def __iter__(self) -> Iterator[str]:
        width, raw = self._width, self._raw
        return (raw[start:start + width].hex() for start in range(0, len(raw), width)) if width else iter(())

    def append(self, sha: str) -> None:
        """Add one full sha at the end (of the kind of those already held)."""
        digest = _digest(sha)
        if digest is None or len(sha) % 2 or (self._width and len(digest) != self._width):
            raise ValueError(f"not a full sha of the kind held: {sha!r}")
        self._width = len(digest)
        self._raw += digest

    def sorted(self, which: Iterable[bool] | None = None) -> ShaSet:
        """The shas (those `which` marks, position by position), as a set for lookups."""
        width, raw = self._width, self._raw
        starts: Iterable[int] = range(0, len(raw), width) if width else ()
        if which is not None:
            starts = compress(starts, which)
        return ShaSet(b"".join(sorted(bytes(raw[start:start + width]) for start in starts)), width)


class ShaSet(AbstractSet[str]):
    """Full shas of one kind, their digests sorted in one bytes, looked up by binary search:
    20 bytes a sha, where a set of str costs ~150."""

    __slots__ = ("_raw", "_width")

    def __init__(self, raw: bytes = b"", width: int = 0):
        self._raw = raw
        self._width = width

    @classmethod
    def of(cls, shas: Iterable[str]) -> ShaSet:
        """The full shas given (all of one kind) as a set."""
        held = Shas()
        for sha in shas:
            held.append(sha)
        return held.sorted()

    def __len__(self) -> int:
        return len(self._raw) // self._width if self._width else 0

    def __iter__(self) -> Iterator[str]:
        return iter(Shas(self._raw, self._width))

    def __contains__(self, sha: object) -> bool:
        if not isinstance(sha, str) or len(sha) != 2 * self._width:
            return False
        digest = _digest(sha)
        return digest is not None and self._first(digest) == digest

    def has_prefix(self, sha: str) -> bool:
        """Is there a sha here that `sha` begins, or that begins `sha`? (A cherry-pick may name
        its original by an abbreviated sha.)"""
        if not self._width:
            return False
        if len(sha) > 2 * self._width:
            return sha[:2 * self._width] in self
        digest = _digest(sha)
        return digest is not None and self._first(digest).hex().startswith(sha) and len(self) > 0

    def _first(self, digest: bytes) -> bytes:
        """The first digest here not before `digest` in order (b"" when none)."""
        width, raw = self._width, self._raw
        at = bisect_left(range(len(self)), digest, key=lambda n: raw[n * width:(n + 1) * width])
        return raw[at * width:(at + 1) * width]
