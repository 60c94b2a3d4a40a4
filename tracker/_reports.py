"""Other repositories' JSON reports, read from a folder and merged into one hall of fame
(`tracker fans --reports DIR`, `site.reports`): each repository's release writes its own
report (an artefact of its own run), so an organisation's merge reads files, never history.

A request id and a build name mean something only inside their repository: merged, each
is named with it (`acme/app#12`, `acme/app@v2.0`), so two repositories' `#12` stay two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from tracker import _logins as logins
from tracker._errors import BadInput
from tracker._schema import SCHEMA, Report

# A report file is a few megabytes at most (a 100,000-commit build's is ~30 MB with its changes).
_MAX_BYTES = 256 * 1024 * 1024
_ROLES = ("suggested", "voted", "built", "reported", "tested")


def read(folder: str | Path, key: str = "--reports", shown: str | None = None) -> list[Report]:
    """Every schema-1 report under `folder` (`*.json`, any depth), each once per (repository,
    build); bad input (one line naming the file, or `key` and the folder as `shown`) for a
    folder that is not one, or a file that is not a report."""
    root = Path(folder)
    named = f"{key} {shown if shown is not None else folder}"
    if not root.is_dir():
        raise BadInput(f"{named}: not a folder of JSON reports")
    found: dict[tuple[str, str], Report] = {}
    for path in sorted(root.rglob("*.json")):
        report = _load(path, root, "" if key == "--reports" else named + ": ")
        found.setdefault((str(report["project"]).lower(), report["build"]), report)
    if not found:
        raise BadInput(f"{named}: no JSON reports in it (*.json, as 'tracker changelog BUILD"
                       " --format json' writes them)")
    return list(found.values())


def _load(path: Path, root: Path, prefix: str = "") -> Report:
    shown = prefix + path.relative_to(root).as_posix()
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise BadInput(f"{shown}: too large for a report")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{shown}: not a JSON report ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise BadInput(f"{shown}: not a schema-{SCHEMA} report ('tracker changelog BUILD --format json')")
    for key, kind in (("build", str), ("date", str), ("shipped", list), ("withdrawn", list), ("credits", list)):
        if not isinstance(data.get(key), kind):
            raise BadInput(f"{shown}: not a schema-{SCHEMA} report: '{key}' is missing or of the wrong type")
    if not isinstance(data.get("project"), str) or not data["project"].strip():
        raise BadInput(f"{shown}: the report names no repository ('project')")
    for credit in data["credits"]:  # another repository's file: its logins are checked like an import's
        login = credit.get("login") if isinstance(credit, dict) else None
        if not isinstance(login, str) or not logins.valid(login) or not all(
                isinstance(ids, list) and all(isinstance(i, str) for i in ids)
                for role in _ROLES for ids in [credit.get(role, [])]):
            raise BadInput(f"{shown}: credits a login that is not one ({_short(login)})")
    try:  # a date names the awards' year (a file name): an ISO 8601 date, nothing else
        datetime.fromisoformat(data["date"].replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{shown}: not a schema-{SCHEMA} report: 'date' is not an ISO 8601 date"
                       f" ({_short(data['date'])})") from None
    for part in ("shipped", "fixed", "withdrawn"):
        if not isinstance(data.get(part) or [], list):
            raise BadInput(f"{shown}: not a schema-{SCHEMA} report: '{part}' is not a list")
        for entry in data.get(part) or ():
            if not _entry(entry, part != "withdrawn"):
                raise BadInput(f"{shown}: '{part}' holds an entry that is not one ({_short(entry)})")
    if not isinstance(data.get("roadmap", []), list):
        raise BadInput(f"{shown}: not a schema-{SCHEMA} report: 'roadmap' is not a list")
    for row in data.get("roadmap") or ():  # fan-written titles and logins: checked, later shown inert
        if not (isinstance(row, dict) and isinstance(row.get("id"), str) and isinstance(row.get("title"), str)
                and isinstance(row.get("votes"), int) and not isinstance(row.get("votes"), bool)
                and isinstance(row.get("url"), (str, type(None)))
                and (row.get("author") is None or (isinstance(row["author"], str) and logins.valid(row["author"])))):
            raise BadInput(f"{shown}: a roadmap entry that is not one ({_short(row)})")
    return cast(Report, data)


def _entry(entry: object, shipped: bool) -> bool:
    """Whether one entry of `shipped`, `fixed` or `withdrawn` has the fields a site reads, of their types."""
    if not (isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("title"), str)
            and isinstance(entry.get("url"), (str, type(None)))):
        return False
    if not shipped:
        return True
    people = [entry.get("author"), *entry.get("co_authors", ()), *entry.get("voters", ())] \
        if all(isinstance(entry.get(k, []), list) for k in ("co_authors", "voters")) else [0]
    return (isinstance(entry.get("votes"), int) and not isinstance(entry.get("votes"), bool)
            and all(p is None or (isinstance(p, str) and logins.valid(p)) for p in people))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def qualified(report: Report) -> Report:
    """The report with each request id and the build named with its repository."""
    project = report["project"] or ""

    def rid(value: str) -> str:
        return f"{project}#{value}"

    out: dict[str, Any] = dict(report)
    out["build"] = f"{project}@{report['build']}"
    out["shipped"] = [{**entry, "id": rid(entry["id"])} for entry in report["shipped"]]
    out["fixed"] = [{**entry, "id": rid(entry["id"])} for entry in report.get("fixed", ())]
    out["withdrawn"] = [{**entry, "id": rid(entry["id"])} for entry in report["withdrawn"]]
    out["roadmap"] = [{**entry, "id": rid(entry["id"])} for entry in report.get("roadmap", ())]
    credits: list[dict[str, Any]] = [dict(credit) for credit in report["credits"]]
    out["credits"] = [{**credit, **{role: [rid(i) for i in credit.get(role, ())] for role in _ROLES}}
                      for credit in credits]
    return cast(Report, out)


def merged(reports: Iterable[Report]) -> list[Report]:
    """Reports of several repositories as one list, newest first, ids and builds qualified
    (what `credit.hall_of_fame` takes)."""
    return sorted((qualified(r) for r in reports), key=lambda r: (r["date"], r["build"]), reverse=True)


def repositories(row: dict[str, Any]) -> list[str]:
    """The repositories a hall-of-fame row's credits come from, in order of first mention."""
    names: Sequence[str] = [*(i for role in _ROLES for i in row.get(role, ())), *row.get("builds", ())]
    return list(dict.fromkeys(name.split("#", 1)[0].split("@", 1)[0] for name in names))
