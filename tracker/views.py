"""Lists people read: the roadmap (`top`) and the hall of fame (`fans`), in every list format."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tracker import textsafe
from tracker.model import Request


def top(requests: Iterable[Request], count: int, url_of: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Open requests (not duplicates), most votes first, then oldest."""
    open_ = [r for r in requests if r.state == "open" and not r.duplicate_of]
    open_.sort(key=lambda r: (-r.votes, r.created_at or "", int(r.id) if r.id.isdigit() else 0, r.id))
    return [{"id": r.id, "title": r.title, "author": r.author, "votes": r.votes, "url": r.url or url_of(r.id)}
            for r in open_[:count]]


def fans(reports: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Credits across builds: requests suggested, voted and built (shipped, not withdrawn)."""
    withdrawn = {w["id"] for r in reports for w in r["withdrawn"]}
    shipped_later: set[str] = set()
    table: dict[str, dict[str, Any]] = {}
    # Reports come newest first: a request withdrawn by a later build no longer counts,
    # unless it shipped again after that.
    for data in reports:
        for credit in data["credits"]:
            entry = table.setdefault(credit["login"].lower(), {
                "login": credit["login"], "suggested": [], "voted": [], "built": [], "builds": []})
            touched = False
            for role in ("suggested", "voted", "built"):
                for rid in credit[role]:
                    if rid in withdrawn and rid not in shipped_later:
                        continue
                    if rid not in entry[role]:
                        entry[role].append(rid)
                        touched = True
            if touched and data["build"] not in entry["builds"]:
                entry["builds"].append(data["build"])
        shipped_later.update(s["id"] for s in data["shipped"])
        withdrawn -= {s["id"] for s in data["shipped"]}
    rows = [e for e in table.values() if e["suggested"] or e["voted"] or e["built"]]
    rows.sort(key=lambda e: (-len(e["suggested"]), -len(e["voted"]), e["login"].casefold(), e["login"]))
    return rows


def table(rows: Sequence[Mapping[str, Any]], fmt: str, columns: Sequence[str]) -> str:
    """Rows as text, Markdown, JSON or CSV (lists joined with ';' in CSV)."""
    if fmt == "json":
        return json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"

    def cell(value: Any) -> str:
        if isinstance(value, list):
            return ";".join(str(v) for v in value) if fmt == "csv" else str(len(value))
        return "" if value is None else str(value)

    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_safe(cell(row[c])) for c in columns])
        return buffer.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in rows:
            lines.append("| " + " | ".join(str(textsafe.markdown(cell(row[c]))) for c in columns) + " |")
        return "\n".join(lines) + "\n"
    if not rows:
        return "(none)\n"
    texts = [[textsafe.plain(cell(row[c])) for c in columns] for row in rows]
    widths = [max(len(c), *(len(t[i]) for t in texts)) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(columns)).rstrip()]
    out += ["  ".join(t[i].ljust(widths[i]) for i in range(len(columns))).rstrip() for t in texts]
    return "\n".join(out) + "\n"


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheets: keep fan text inert.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
