"""The writers a code-host plugin subclasses with its host's primitives, and what they
read and write: the order of a mark (`Marks`: the comment with its hidden marker, our
extra copies after a race, the label, closing; a locked issue skipped with a note),
labels created when missing (`Labels`), and the build's section of its release notes,
maintainer text kept (`Releases`). `_codehost.CodeHost` runs them; plugins reach them
through `tracker.hooks`; this module is private.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from tracker._contract import SHIPPED, Label, Mark, marker
from tracker._hosting import extra_copies, has_marker, locked_note, splice

if TYPE_CHECKING:
    from tracker._codehost import CodeHost


@dataclass(frozen=True)
class HostIssue:
    """An issue as a mark reads it: what its listing (or one read) said."""

    number: str
    labels: frozenset[str]  # its label names, lower-cased (hosts compare them without case)
    open: bool
    commented: bool  # the listing counts people's comments on it: without any, nothing is read
    moved: bool = False  # moved to another project (GitLab keeps the original, closed)
    handle: Any = field(default=None, compare=False, repr=False)  # the client library's own object


@dataclass(frozen=True)
class Comment:
    """One comment (a note, on GitLab) on an issue, as a mark judges it."""

    id: int
    body: str | None
    author: str | None  # login; None for a deleted account
    bot: bool  # written by a bot account
    created: str  # when, as the host writes it: sorts oldest first within one host
    system: bool = False  # written by the host itself (GitLab's system notes)
    handle: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Change:
    """The label and state writes one mark still needs on one issue."""

    label: str | None = None  # add this label
    unlabel: str | None = None  # remove this label
    close: bool = False


@dataclass(frozen=True)
class Release:
    """A build's release on the host: its notes as they are now."""

    body: str
    handle: Any = field(default=None, compare=False, repr=False)


class _Writer:
    """What the three writers share: the issue system they write for, and its dry-run switch."""

    def __init__(self, host: CodeHost):
        self.host = host
        self.dry_run = host.context.dry_run


# The ship label's look when a mark creates it (`tracker init` creates the config's labels).
SHIP_LABEL_COLOR = "0e8a16"
SHIP_LABEL_DESCRIPTION = "Shipped in a build (set by tracker)"


class Labels(_Writer):
    """Labels created when missing, existing ones left as they are (names compare without case).

    A plugin supplies `names`, `exists` and `create`.
    """

    def __init__(self, host: CodeHost):
        super().__init__(host)
        self._ready: set[str] = set()

    def ensure(self, labels: Sequence[Label]) -> list[str]:
        """`tracker init`'s labels: one listing, then one write per missing label; one line each."""
        existing = self.names()
        lines = []
        for label in labels:
            if label.name.lower() in existing:
                continue
            existing.add(label.name.lower())
            if self.dry_run or self._create(label, partial(self._listed, label.name)):
                lines.append(f"{self.host.name}: create label {label.name}")
        return lines

    def _listed(self, name: str) -> bool:
        return name.lower() in self.names()

    def ensure_one(self, name: str) -> list[str]:
        """The ship label, read (and created when missing) once a run, so it has our look."""
        if name.lower() in self._ready or self.exists(name):
            self._ready.add(name.lower())
            return []
        self._ready.add(name.lower())
        label = Label(name, SHIP_LABEL_COLOR, SHIP_LABEL_DESCRIPTION)
        if self.dry_run or self._create(label, lambda: self.exists(name)):
            return [f"{self.host.name}: create label {name}"]
        return []

    def _create(self, label: Label, landed: Callable[[], bool]) -> bool:
        """Create one label; False when another run (or a person) created it after our read."""
        try:
            self.host._write(lambda: self.create(label), landed)
        except self.host.api_error as exc:
            if self.host._already_exists(exc):
                return False
            raise
        return True

    def names(self) -> set[str]:
        """Every label's name, lower-cased (one listing)."""
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        """Is there a label called `name` (one read)?"""
        raise NotImplementedError

    def create(self, label: Label) -> None:
        """Create `label` (one write)."""
        raise NotImplementedError


class Marks(_Writer):
    """The order of a mark, the same on every host; on dry run it reads everything and writes nothing.

    Shipped: the thank-you comment with its hidden marker (after a race, our extra copies
    deleted), then the label (created once a run), then closing. Withdrawn: the label goes,
    the state is left as it is (a person may have reopened or closed it since), and a comment
    says what happened. Every write is preceded by a read that shows it is still needed, so a
    rerun writes nothing. A comment the issue's lock refuses is skipped with a note, and the
    rest of the mark is still applied. A plugin supplies `issue`, `comments`, `post`,
    `delete`, `refused_as_locked` and `change`.
    """

    comment_word = "comment"  # what the host calls a comment ("note" on GitLab)

    def __init__(self, host: CodeHost):
        super().__init__(host)
        self.labels = host._labels()  # the ship label is created once a run
        self.identity = host._identity
        self.say = host.context.say

    def apply(self, mark: Mark) -> list[str]:
        """The writes one mark needs (one line each), done unless this is a dry run."""
        issue = self.issue(mark.request)
        if issue is None:
            return []  # not an issue of this repository (deleted, transferred, a pull request)
        if issue.moved:
            self.say(f"note: #{issue.number} was moved to another project;"
                     f" skipped its {mark.kind} mark for {mark.build}")
            return []
        tag = marker(mark.kind, mark.build)
        if mark.kind == SHIPPED:
            lines = self._comment(issue, mark, tag) if mark.comment else []
            return lines + self._state(issue, mark)
        lines = self._state(issue, mark)
        return lines + (self._comment(issue, mark, tag) if mark.comment else [])

    def _ours(self, comment: Comment) -> bool:
        return not comment.system and self.identity.owns(comment.author, comment.bot)

    def _marked(self, comments: Iterable[Comment], tag: str) -> bool:
        return has_marker(comments, tag, lambda c: c.body, self._ours)

    def _comment(self, issue: HostIssue, mark: Mark, tag: str) -> list[str]:
        # The listing's comment count is current for this run: no comments, nothing to read.
        if self._marked(self.comments(issue) if issue.commented else [], tag):
            return []
        line = f"{self.host.name}: #{issue.number} {self.comment_word} {mark.kind} {mark.build}"
        if self.dry_run:
            return [line]
        body = f"{mark.comment}\n\n{tag}"
        try:
            posted = self.host._write(lambda: self.post(issue, body), lambda: self._marked(self.comments(issue), tag))
            if posted is not None:
                self.identity.learn(posted.author)  # who posted it is who the token is
        except self.host.api_error as exc:
            if not self.refused_as_locked(issue, exc):
                raise
            self.say(locked_note(issue.number, self.host.host, f"{mark.kind} {self.comment_word} for {mark.build}"))
            return []
        return [line, *self._dedupe(issue, tag)]

    def _dedupe(self, issue: HostIssue, tag: str) -> list[str]:
        """Two runs at once may both post: keep the oldest of our comments, delete the rest."""
        # Only the oldest one's author's copies: someone else quoting our marker is not ours to delete.
        extras = extra_copies(self.comments(issue), tag, lambda c: c.body, lambda c: c.author,
                              lambda c: (c.created, c.id), self._ours)
        lines = []
        for extra in extras:
            try:
                self.delete(issue, extra)
            except self.host.api_error as exc:
                if self.host._status(exc) != 404:
                    raise
                continue  # the other run deleted it first
            lines.append(f"{self.host.name}: #{issue.number} delete duplicate {self.comment_word} {extra.id}")
        return lines

    def _state(self, issue: HostIssue, mark: Mark) -> list[str]:
        """The label and the state: one line each, and one `change` for both."""
        has = mark.label.lower() in issue.labels
        lines: list[str] = []
        change = Change()
        if mark.kind == SHIPPED and not has:
            lines += self.labels.ensure_one(mark.label)
            change = replace(change, label=mark.label)
            lines.append(f"{self.host.name}: #{issue.number} label {mark.label}")
        if mark.kind == SHIPPED and mark.close and issue.open:
            change = replace(change, close=True)
            lines.append(f"{self.host.name}: #{issue.number} close")
        if mark.kind != SHIPPED and has:
            change = replace(change, unlabel=mark.label)
            lines.append(f"{self.host.name}: #{issue.number} unlabel {mark.label}")
        if change != Change() and not self.dry_run:
            self.change(issue, change)
        return lines

    def issue(self, request_id: str) -> HostIssue | None:
        """The issue behind a request id (listed, else read); None when it is not this repository's."""
        raise NotImplementedError

    def comments(self, issue: HostIssue) -> list[Comment]:
        """Every comment on the issue, oldest first."""
        raise NotImplementedError

    def post(self, issue: HostIssue, body: str) -> Comment:
        """Post one comment (one write) and return it."""
        raise NotImplementedError

    def delete(self, issue: HostIssue, comment: Comment) -> None:
        """Delete one comment (a 404: another run deleted it first)."""
        raise NotImplementedError

    def refused_as_locked(self, issue: HostIssue, exc: Exception) -> bool:
        """Is this failure the host refusing a comment because the issue is locked (any other
        refusal is the token's problem and stays an error)?"""
        raise NotImplementedError

    def change(self, issue: HostIssue, change: Change) -> None:
        """Write `change` (each write looked for before it is sent again)."""
        raise NotImplementedError


class Releases(_Writer):
    """A build's section in its release notes, between tracker's markers.

    What maintainers wrote around the section is kept byte for byte: the section is
    appended (after a blank line) the first time and replaced between the markers
    afterwards; an unchanged body is not written. When two runs both find no release and
    both create it, the host refuses the second: that run reads the release again and goes
    on from there. After a lost answer, a release found on re-reading counts as ours only
    when it carries our section: one a person made meanwhile is updated. A plugin supplies
    `find`, `create` and `update`.
    """

    def write(self, tag: str, section: str) -> list[str]:
        """Put `section` in the release of `tag`, creating the release (named as the tag) if none exists."""
        current = self.find(tag)
        if current is None:
            line = f"{self.host.name}: create release {tag}"
            if self.dry_run:
                return [line]

            def landed() -> bool:  # ours, not a release someone else made meanwhile without our section
                found = self.find(tag)
                return found is not None and splice(found.body, section) == found.body

            try:
                self.host._write(lambda: self.create(tag, splice("", section)), landed)
                return [line]
            except self.host.api_error as exc:
                # Another run created it between our read and our write.
                current = self.find(tag) if self.host._already_exists(exc) else None
                if current is None:
                    raise
        found: Release = current
        updated = splice(found.body, section)
        if updated == found.body:
            return []
        if not self.dry_run:
            self.host._write(lambda: self.update(tag, found, updated),
                             lambda: (self.find(tag) or found).body == updated, repeatable=True)
        return [f"{self.host.name}: release {tag} notes"]

    def find(self, tag: str) -> Release | None:
        """The release of `tag` (drafts included), or None."""
        raise NotImplementedError

    def create(self, tag: str, body: str) -> None:
        """Create the release of `tag`, named as the tag, with `body`."""
        raise NotImplementedError

    def update(self, tag: str, release: Release, body: str) -> None:
        """Set the release's notes to `body`, leaving the rest of it as it is."""
        raise NotImplementedError
