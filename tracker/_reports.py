"""Other repositories' JSON reports, read from a folder and merged into one hall of fame
(`tracker fans --reports DIR`, `site.reports`): each repository's release writes its own
report (an artefact of its own run), so an organisation's merge reads files, never history.

A request id and a build name mean something only inside their repository: merged, each
is named with it (`acme/app#12`, `acme/app@v2.0`), so two repositories' `#12` stay two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from tracker import _logins as logins
from tracker._errors import BadInput
from tracker._schema import SCHEMA, Report

# A report file is a few megabytes at most (a 100,000-commit build's is ~30 MB with its changes).
_MAX_BYTES = 256 * 1024 * 1024
_ROLES = ("suggested", "voted", "built", "reported", "tested")


def read(folder: str | Path) -> list[Report]:
    """Every schema-1 report under `folder` (`*.json`, any depth), each once per (repository,
    build); bad input (one line naming the file) for a folder that is not one, or a file that
    is not a report."""
    root = Path(folder)
    if not root.is_dir():
        raise BadInput(f"--reports {folder}: not a folder of JSON reports")
    found: dict[tuple[str, str], Report] = {}
    for path in sorted(root.rglob("*.json")):
        report = _load(path, root)
        found.setdefault((str(report["project"]).lower(), report["build"]), report)
    if not found:
        raise BadInput(f"--reports {folder}: no JSON reports in it (*.json, as 'tracker changelog BUILD"
                       " --format json' writes them)")
    return list(found.values())


def _load(path: Path, root: Path) -> Report:
    shown = path.relative_to(root).as_posix()
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
    return cast(Report, data)


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
