"""`changelog-file`: one section per build in CHANGELOG.md, between tracker's markers.

Only the text between `<!-- tracker:build B -->` and `<!-- tracker:end B -->` is
ours; everything else (the preamble, hand-written sections) is kept byte for byte.
A changelog that cannot be read as UTF-8 text is bad input, found when the
publisher is made, before `release` writes anything anywhere; a write that fails
is one line (exit 1), and the file is replaced atomically, so it is whole either way.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.hooks import BadInput, BuildToPublish, Context, Publisher, WorkFailed, check_targets, write_if_changed

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
    """Keeps `changelog.file` (CHANGELOG.md) up to date, one section per build; a component of a
    monorepo with its own `changelog` (`components: [{name, tags, paths, changelog}]`) gets its
    builds' sections in that file instead."""

    name = "changelog-file"
    formats = ("markdown",)

    def __init__(self, context: Context):
        super().__init__(context)
        config = context.config
        # key shown in messages → path: `changelog.file`, and each component's own file.
        self.files = {f"changelog.file {config.changelog_file}": context.path(config.changelog_file)}
        for component in getattr(config, "components", ()):
            if component.changelog:
                self.files[f"components.{component.name}.changelog {component.changelog}"] = \
                    context.path(component.changelog)
        self.path = self.files[f"changelog.file {config.changelog_file}"]
        # A changelog we could not update (a FIFO, a device, a folder, a dangling link, not
        # UTF-8) is found before anything is written.
        check_targets(list(self.files.values()), self._key)
        for path in self.files.values():
            self.read(path)

    def _key(self, path: Path) -> str:
        return next(key for key, known in self.files.items() if known == path)

    def file_for(self, build: str) -> Path:
        """The changelog a build's section goes to: its component's own file, when it has one."""
        for component in getattr(self.context.config, "components", ()):
            if fnmatch.fnmatchcase(build, component.tags):
                return self.context.path(component.changelog) if component.changelog else self.path
        return self.path

    def read(self, path: Path | None = None) -> str:
        """A changelog's text ("" when there is none yet), or BadInput saying why it is unusable."""
        path = path or self.path
        shown = self._key(path)
        try:
            return read_text(path)
        except FileNotFoundError:
            return ""
        except UnicodeDecodeError as exc:
            raise BadInput(f"{shown}: not UTF-8 text (byte {exc.start});"
                           " save it as UTF-8 or point the key elsewhere") from None
        except OSError as exc:
            raise BadInput(f"{shown}: cannot read: {exc.strerror or exc}") from None

    def builds_to_order(self, build: str) -> list[str]:
        """The builds with a section in the build's file, when `build` has none yet (it goes among them)."""
        found = [section.build for section in sections(self.read(self.file_for(build)))]
        return [] if build in found else found

    def publish(self, build: BuildToPublish) -> list[str]:
        name = build.report["build"]
        path = self.file_for(name)
        updated = place(self.read(path), name, build.texts["markdown"], build.newest_first)
        try:
            written = write_if_changed(path, updated, dry_run=self.context.dry_run)
        except OSError as exc:
            raise WorkFailed(f"changelog-file: cannot write {path}: {exc.strerror or exc}") from None
        return [f"changelog-file: {path} section {name}"] if written else []


def read_text(path: Path) -> str:
    """A file's text, strictly UTF-8 (a BOM is kept: it is part of what is kept byte for byte)."""
    return path.read_bytes().decode("utf-8")
