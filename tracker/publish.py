"""Publish: the build's marks for the issue system, and the build handed to every
publisher as plain data (`BuildToPublish`, from the contract), each writing its own output.

Publishers never call back: what they need (texts rendered, earlier builds, the order
of builds) is made by the session before they run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from tracker._contract import SHIPPED, WITHDRAWN, BuildToPublish, Mark, Publisher
from tracker._schema import Report

# `ship.notify: voters`: how many voters one thank-you comment @-mentions (the rest are counted).
NOTIFY_LIMIT = 50


def marks(data: Report, label: str, close: bool, comment: bool, locale: str, project: str, root: Path,
          talks: bool = True, preview: bool = False, notify: str = "suggesters") -> list[Mark]:
    """The marks a build asks of the issue system: shipped requests and fixed bug reports
    thanked (`comment`), labelled and closed (`close`); withdrawn ones told why. `talks`:
    the issue system posts comments (no comment is rendered where none is posted). `preview`:
    a build of a channel before the stable one (`builds.channels`): "try it in", not "shipped in".
    With `notify` "voters" the thank-you also @-mentions the voters (the mark's comment is
    posted once, so a rerun mentions nobody again)."""
    from tracker import render

    def said(template: str, context: dict[str, object]) -> str:
        return render.render(template, context, locale, root).strip()

    out = []
    for entry in data["shipped"]:
        text = said("comment_shipped.md.j2", {"build": data["build"], "request": entry, "votes": entry["votes"],
                                               "project": project, "preview": preview, "notify": notify,
                                               "notify_limit": NOTIFY_LIMIT}) if comment and talks else None
        out.append(Mark(entry["id"], data["build"], SHIPPED, text, label, close))
    for entry in data.get("fixed", ()):  # a bug report is marked like a request: thanked, labelled, closed
        text = said("comment_fixed.md.j2", {"build": data["build"], "request": entry, "votes": entry["votes"],
                                             "project": project, "notify": notify,
                                             "notify_limit": NOTIFY_LIMIT}) if comment else None
        out.append(Mark(entry["id"], data["build"], SHIPPED, text, label, close))
    for withdrawn in data["withdrawn"]:
        text = said("comment_withdrawn.md.j2", {"build": data["build"], "request": withdrawn}) if talks else None
        out.append(Mark(withdrawn["id"], data["build"], WITHDRAWN, text, label, False))
    return out


def run(chosen: Sequence[Publisher], build: BuildToPublish,
        order: Callable[[Sequence[str]], Sequence[str]]) -> list[str]:
    """Hand `build` to each publisher in turn, its builds ordered as it asked
    (`Publisher.builds_to_order`); one line per write."""
    lines: list[str] = []
    for publisher in chosen:
        placed = order(publisher.builds_to_order(build.report["build"]))
        lines += publisher.publish(replace(build, order=placed))
    return lines


def plain(data: Report) -> Report:
    """A report as JSON-ready values: its spooled `changes` as a list (what publishers receive)."""
    changes = data["changes"]
    return data if isinstance(changes, list) else {**data, "changes": list(changes)}
