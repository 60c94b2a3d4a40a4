"""A command's one progress line, on a terminal.

Every stage of a command (a history walk, an issue listing) counts on the same
line: the label and unit follow the stage, each unit's count runs on across
stages (`tracker fans` reads build after build: one count of commits, its total
growing when stages know theirs), and the line is cleared whenever a stage ends,
so nothing is left above the command's output. It appears only once the
command's tracked work has run for `delay` seconds, and is redrawn at most ten
times a second. (click's progress bar is one bar per iterable, left on screen
when done: 31 of them piled up above `tracker fans`.)
"""

from __future__ import annotations

import shutil
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

from tracker import _textsafe as textsafe

T = TypeVar("T")
DELAY = 1.0  # seconds of work before the line appears: shorter work shows nothing
_INTERVAL = 0.1  # seconds between redraws
_CLEAR = "\r\x1b[K"  # back to the line's start, erase to its end
_BAR = 20


class Progress:
    """One line counting a command's work; every stage reports into it (`tracker.hooks.Progress`)."""

    def __init__(self, stream: TextIO, delay: float = DELAY, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.began: float | None = None  # when the first stage began
        self.counts: dict[str, int] = {}
        self.totals: dict[str, int | None] = {}
        self.stages: list[tuple[str, str]] = []  # (label, unit) of the stages under way, innermost last
        self.shown = False  # the line has appeared: from now on each stage shows as it begins
        self.on_screen = False
        self.drawn_at = float("-inf")

    def __call__(self, items: Iterable[T], label: str, *, size: Callable[[T], int] | None = None,
                 total: int | None = None, unit: str = "items") -> Iterator[T]:
        """`items`, counted in `unit` (`size(item)` each, else one) while they are read."""
        return self._stage(items, label, size, total, unit)

    def _stage(self, items: Iterable[T], label: str, size: Callable[[T], int] | None, total: int | None,
               unit: str) -> Iterator[T]:
        self._begin(textsafe.plain(label), unit, total)
        try:
            for item in items:
                yield item
                self._add(unit, 1 if size is None else size(item))
        finally:
            self._end()

    def _begin(self, label: str, unit: str, total: int | None) -> None:
        if self.began is None:
            self.began = self.clock()
        if unit not in self.counts:
            self.counts[unit], self.totals[unit] = 0, total
        elif total is None or self.totals[unit] is None:
            self.totals[unit] = None  # one stage of unknown size: the whole count's is unknown
        else:
            self.totals[unit] = (self.totals[unit] or 0) + total
        self.stages.append((label, unit))
        if self.shown:
            self._draw()

    def _add(self, unit: str, amount: int) -> None:
        self.counts[unit] += amount
        now = self.clock()
        if now - self.drawn_at >= _INTERVAL and self.began is not None and now - self.began >= self.delay:
            self._draw(now)

    def _end(self) -> None:
        self.stages.pop()
        if self.stages and self.shown:
            self._draw()
        elif not self.stages:
            self.clear()

    def _draw(self, now: float | None = None) -> None:
        label, unit = self.stages[-1]
        count, total = self.counts[unit], self.totals[unit]
        # The count first: it is the command's (it runs on across stages); then what is under way.
        if total:
            done = min(count, total) * _BAR // total
            text = f"[{'#' * done}{'.' * (_BAR - done)}] {count:,}/{total:,} {unit}, {label}"
        else:
            text = f"{count:,} {unit}, {label}"
        # One column short of the width: some terminals wrap a line that fills the last one.
        self.stream.write(_CLEAR + _fit(text, shutil.get_terminal_size().columns - 1))
        self.stream.flush()
        self.shown = self.on_screen = True
        self.drawn_at = self.clock() if now is None else now

    def clear(self) -> None:
        """Take the line off the screen (it comes back with the next stage's work)."""
        if self.on_screen:
            self.stream.write(_CLEAR)
            self.stream.flush()
            self.on_screen = False

    def note(self, text: str) -> None:
        """Write one line of text above the progress line."""
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()
        if self.stages and self.shown:
            self._draw()


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` terminal columns (wide characters take two)."""
    used = 0
    for at, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used > width:
            return text[:at]
    return text
