"""`changelog-file`: one section per build in CHANGELOG.md, between tracker's markers.

Only the text between `<!-- tracker:build B -->` and `<!-- tracker:end B -->` is
ours; everything else (the preamble, hand-written sections) is kept byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tracker.files import write_if_changed
from tracker.hooks import Publisher, Rendered

_SECTION = re.compile(
    r"<!-- tracker:build (?P<build>\S+) -->\r?\n.*?<!-- tracker:end (?P=build) -->[ \t]*(?:\r?\n)?",
    re.DOTALL,
)
_HEADING = re.compile(r"^## ", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    build: str
    start: int
    end: int


def sections(text: str) -> list[Section]:
    """Tracker's sections in a changelog, in file order."""
    return [Section(m.group("build"), m.start(), m.end()) for m in _SECTION.finditer(text)]


def block(build: str, body: str, newline: str = "\n") -> str:
    """One build's section, markers included."""
    body = body.strip("\n").replace("\n", newline)
    return f"<!-- tracker:build {build} -->{newline}{body}{newline}<!-- tracker:end {build} -->{newline}"


def place(text: str, build: str, body: str, order: Callable[[Sequence[str]], list[str]]) -> str:
    """The changelog with `build`'s section replaced or inserted where topology puts it."""
    newline = "\r\n" if "\r\n" in text else "\n"
    new = block(build, body, newline)
    found = sections(text)
    for section in found:
        if section.build == build:
            return text[:section.start] + new + text[section.end:]
    if found:
        ranked = order([s.build for s in found] + [build])
        position = ranked.index(build)
        older = [s for s in found if ranked.index(s.build) > position]
        if older:
            at = min(s.start for s in older)
        else:
            at = max(s.end for s in found)
            if not text[:at].endswith(newline * 2):
                new = newline + new
        return text[:at] + new + (newline if older else "") + text[at:]
    heading = _HEADING.search(text)
    at = heading.start() if heading else len(text)
    before = text[:at]
    if before and not before.endswith(newline):
        before += newline
    if before and not before.endswith(newline * 2):
        before += newline
    after = text[at:]
    return before + new + (newline if after else "") + after


class ChangelogFile(Publisher):
    """Keeps `changelog.file` (CHANGELOG.md) up to date, one section per build."""

    name = "changelog-file"

    def publish(self, build: Rendered) -> list[str]:
        path = self.context.path(self.context.config.changelog_file)
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            text = ""
        name = build.report["build"]
        updated = place(text, name, build.render("markdown"), build.order)
        if write_if_changed(path, updated, dry_run=self.context.dry_run):
            return [f"changelog-file: {path} section {name}"]
        return []
