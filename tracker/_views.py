"""Lists people read: the roadmap (`top`) and the hall of fame (`fans`, added up by
`tracker.credit`), in every list format."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tracker._model import REPORT, Request
from tracker.credit import Duplicates


def top(requests: Iterable[Request], count: int, url_of: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Open requests (not duplicates, not bug reports), most votes first, then oldest (`ranked`)."""
    return [roadmap_row(r, votes, url_of) for r, votes in ranked(requests)[:count]]


def ranked(requests: Iterable[Request]) -> list[tuple[Request, int]]:
    """Open requests (not duplicates, not bug reports) with their votes, most first, then oldest.

    A duplicate's votes count for its original, as in the changelog; from counts
    alone a fan who voted for both is counted twice (voter lists are not read
    for the roadmap: that would cost a request per issue on GitHub).
    """
    everything = {r.id: r for r in requests}
    duplicates = Duplicates(everything)
    open_ = [(r, r.votes + sum(everything[d].votes for d in duplicates.of(r.id))) for r in everything.values()
             if r.state == "open" and not r.duplicate_of and r.kind != REPORT]
    # isdecimal, not isdigit: an imported id may be "²", a digit that int() refuses.
    open_.sort(key=lambda rv: (-rv[1], rv[0].created_at or "", int(rv[0].id) if rv[0].id.isdecimal() else 0,
                               rv[0].id))
    return open_


def roadmap_row(request: Request, votes: int, url_of: Callable[[str], str | None]) -> dict[str, Any]:
    """One line of the roadmap (`tracker top`, a report's `roadmap`)."""
    return {"id": request.id, "title": request.title, "author": request.author, "votes": votes,
            "url": request.url or url_of(request.id)}


def requests(found: Iterable[Request], state: str, url_of: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Requests in `state` (open, closed or all), by id: numbers in numeric order, then other ids."""
    chosen = [r for r in found if state == "all" or r.state == state]
    chosen.sort(key=lambda r: (0, int(r.id), "") if r.id.isascii() and r.id.isdecimal() else (1, 0, r.id))
    return [{"id": r.id, "kind": r.kind, "state": r.state, "votes": r.votes, "title": r.title, "author": r.author,
             "created_at": r.created_at, "duplicate_of": r.duplicate_of, "url": r.url or url_of(r.id)}
            for r in chosen]


def table(rows: Sequence[Mapping[str, Any]], fmt: str, columns: Sequence[str]) -> str:
    """Rows as text, Markdown, JSON or CSV (lists joined with ';' in CSV)."""
    if fmt == "json":
        return json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"
    # Loaded for the text forms only: a report's roadmap (`ranked`) needs none of them.
    import csv

    from tracker import _textsafe as textsafe

    def cell(value: Any) -> str:
        if isinstance(value, list):
            return ";".join(str(v) for v in value) if fmt == "csv" else str(len(value))
        return "" if value is None else str(value)

    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_safe(textsafe.plain(cell(row[c]))) for c in columns])
        return buffer.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in rows:
            lines.append("| " + " | ".join(str(textsafe.markdown(cell(row[c]))) for c in columns) + " |")
        return "\n".join(lines) + "\n"
    if not rows:
        return "(none)\n"
    texts = [[textsafe.plain(cell(row[c])) for c in columns] for row in rows]
    widths = [max(_width(c), *(_width(t[i]) for t in texts)) for i, c in enumerate(columns)]
    out = ["  ".join(_pad(c, widths[i]) for i, c in enumerate(columns)).rstrip()]
    out += ["  ".join(_pad(t[i], widths[i]) for i in range(len(columns))).rstrip() for t in texts]
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    import unicodedata

    # A terminal gives CJK (wide and full-width) characters two columns: count them so columns line up.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ (or a tab or CR before one) runs as a formula in
    # spreadsheets: keep fan text inert.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
