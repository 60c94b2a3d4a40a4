"""The issue-system skeleton code-host plugins (GitHub, GitLab, …) share.

A plugin supplies its host's primitives (list issues, post or delete a comment, change
labels and state, find, create or update a release) and everything else is written, and
tested, once:

* `CodeHost`, the issue-system base: one-line host errors (`_errors`), the marking loop
  (a request whose issue left the repository after it was listed, confirmed by a second
  read, is skipped with a note), label creation, release notes, the `-v` count of calls;
* `Marks`, the order of a mark: the comment with its hidden marker (a fan's paste of the
  marker marks nothing), our extra copies deleted after two runs raced, the label created
  once a run, closing; a comment refused on a locked issue skipped with a note;
* `Labels` (created when missing) and `Releases` (create-or-update of the section between
  tracker's markers, maintainer text kept);
* `pull_request`: a pull request's closing references, read with the reference grammar.

The rules on plain values it uses are `_hosting.py`'s. Plugins reach all of this through
`tracker.hooks`; this module is private.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Protocol, TypeVar

from tracker import _grammar as links
from tracker._errors import WorkFailed
from tracker._hosting import Calls, Identity, extra_copies, gone_note, has_marker, locked_note, splice, vanished
from tracker._model import PullRequest
from tracker.hooks import SHIPPED, Context, IssueSystem, Label, Mark, marker

T = TypeVar("T")


# -- the issue system of a code host ------------------------------------------------------


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


class HostSettings(Protocol):
    """What the base reads of a plugin's settings."""

    @property
    def slug(self) -> str:
        """The repository's path on the host."""


class CodeHost(IssueSystem):
    """What a code host's issue system does the same way on every host.

    It counts API calls (`calls`, fed by the plugin's client), turns the client's
    failures into one-line errors (`_errors`), marks each request in turn (a request
    whose issue left the repository after it was listed is skipped with a note, once a
    second read confirms it), creates labels, writes release notes, and says the count
    with `-v`. The order of each write lives in `Marks`, `Labels` and `Releases`; a
    plugin subclasses those three with its host's primitives and supplies, here:
    `settings`, `_failure`, `_status`, `_left`, `_write`, `_already_exists`, `_own_login`,
    and names its writers (`marks_type`, `labels_type`, `releases_type`).
    """

    api_error: type[Exception] = Exception  # the client library's error root
    failures: tuple[type[BaseException], ...] = (Exception,)  # what `_errors` explains (transport errors too)
    host = "the host"  # how messages name it: "GitHub"
    gone_how = "deleted or transferred"  # how an issue leaves, in the host's words
    token_variable = "TOKEN"  # where the token comes from (what a 401 says to check)
    url_variable = "URL"  # where the API's address comes from (what an unreachable host says to check)
    token_needs = "write access"  # what a 403 says the token needs
    # The plugin's subclasses of the three writers, with its host's primitives.
    marks_type: type[Marks]
    labels_type: type[Labels]
    releases_type: type[Releases]

    def __init__(self, context: Context):
        super().__init__(context)
        self.calls = Calls()
        self._identity = Identity(self._own_login)

    @property
    def settings(self) -> HostSettings:
        """Where the plugin points (read from the config and the environment; BadInput, exit 2,
        before any request)."""
        raise NotImplementedError

    @property
    def slug(self) -> str:
        """The repository's path on the host (`owner/name`, `group/sub/project`)."""
        return self.settings.slug

    @property
    def repository(self) -> links.Repository:
        """The host's path, so `owner/name#N` and issue URLs of this repository count (or of
        the hub, `requests.repository`, when requests live there)."""
        return links.Repository(self.slug, hub=self.context.config.requests_repository)

    @property
    def requests_slug(self) -> str:
        """Where requests, votes and marks live: the hub (`requests.repository`), else this repository."""
        return self.context.config.requests_repository or self.slug

    @property
    def requests_repository(self) -> links.Repository:
        """The repository requests live in, as its own issues' text names it (`Duplicate of #3`)."""
        return links.Repository(self.requests_slug)

    # -- one-line errors ------------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn the client's failures while `doing` into one-line WorkFailed (exit 1)."""
        try:
            yield
        except self.failures as exc:
            raise WorkFailed(self._describe(exc, doing)) from None

    def _describe(self, exc: BaseException, doing: str) -> str:
        """One line for a person, without the token, for a failure while `doing`."""
        from tracker import _secrets as secrets  # only on an error path

        host, answer = self.host, self._failure(exc)
        if answer is not None:
            status, message = answer
            if status == 401:
                text = f"{host} rejected the token (401 {message}) while {doing}: {self._token_hint()}"
            elif status == 403:
                text = f"{host} refused {doing} (403 {message}): the token needs {self.token_needs} on {self.slug}"
            elif status == 404:
                text = f"{host} answered 404 while {doing}: is {self.slug} right, and can the token see it?"
            elif status >= 500:
                text = f"{host} answered {status} ({message}) while {doing}; run the command again later (it resumes)"
            else:
                text = f"{host} answered {status} ({message}) while {doing}"
        elif self._gave_up(exc):
            text = f"{host} kept failing while {doing}, even after retries; run the command again later (it resumes)"
        elif isinstance(exc, self.failures):
            text = (f"cannot reach {host} while {doing} ({type(exc).__name__});"
                    f" check {self.url_variable} and the network")
        else:
            text = f"{doing} failed: {exc}"
        return secrets.redact(" ".join(text.split()))

    def _failure(self, exc: BaseException) -> tuple[int, str] | None:
        """(status, the host's message) of an answer the host gave; None when none came."""
        raise NotImplementedError

    def _token_hint(self) -> str:
        """What a 401 says to do."""
        return f"check {self.token_variable}"

    def _gave_up(self, exc: BaseException) -> bool:
        """Did the client's own retries give up (the host kept failing)?"""
        return False

    # -- writes: looked for before they are sent again -------------------------------------

    def _write(self, write: Callable[[], T], landed: Callable[[], bool], repeatable: bool = False) -> T | None:
        """`settle` with the client's retry policy (`repeatable`: a PUT, PATCH or DELETE)."""
        raise NotImplementedError

    def _already_exists(self, exc: Exception) -> bool:
        """Is this the host refusing to create something that is there already (another run made it)?"""
        raise NotImplementedError

    # -- issues that changed under a run ----------------------------------------------------

    def _status(self, exc: Exception) -> int | None:
        """The HTTP status of a client error."""
        raise NotImplementedError

    def _left(self, request_id: str) -> bool:
        """Read the issue again: has it left the repository? (Raise when the read fails otherwise.)"""
        raise NotImplementedError

    def _gone(self, request_id: str, exc: Exception) -> bool:
        """After a 404 or 410 about a listed issue: has it left the repository since the listing?"""
        return vanished(self._status(exc), request_id, lambda: self._left(request_id))

    @contextmanager
    def _unless_gone(self, request_id: str, skipped: str) -> Iterator[None]:
        """Skip the reads or writes of a request whose issue left the repository since it was listed,
        with a note saying what was `skipped`; any other failure propagates."""
        try:
            yield
        except self.api_error as exc:
            if not self._gone(request_id, exc):
                raise
            self.context.say(gone_note(request_id, self.slug, skipped, self.gone_how))

    def _listings(self) -> list[str]:
        """The labels to list issues by, one listing each (hosts read a list of labels as "all of
        these"): `requests.labels`, then `reports.labels`; none means one listing of every issue."""
        config = self.context.config
        labels = list(dict.fromkeys(config.request_labels))
        if labels:  # every issue is listed already when no label is asked for
            labels += [label for label in dict.fromkeys(config.report_labels) if label not in labels]
        return labels

    # -- marks, labels, release notes ------------------------------------------------------

    def _own_login(self) -> str | None:
        """The token's account (one read, only when a marked comment needs judging), or None
        when the host will not say."""
        raise NotImplementedError

    def _marks(self) -> Marks:
        """This host's `Marks` (a plugin raises BadInput here when marks cannot be written)."""
        return self.marks_type(self)

    def _labels(self) -> Labels:
        """This host's `Labels`."""
        return self.labels_type(self)

    def _releases(self) -> Releases:
        """This host's `Releases`."""
        return self.releases_type(self)

    def _may_create_labels(self) -> bool:
        """Is there a token that may create labels?"""
        return True

    def mark(self, marks: Iterable[Mark]) -> list[str]:
        """Apply each mark; idempotent (every write is preceded by a read that shows it is needed)."""
        pending = list(marks)
        if not pending:
            return []
        marker = self._marks()
        lines: list[str] = []
        for item in pending:
            with self._errors(f"marking #{item.request} {item.kind} in {item.build}"), \
                    self._unless_gone(item.request, f"marking it {item.kind} in {item.build}"):
                lines += marker.apply(item)
        return lines

    def ensure_labels(self, labels: Sequence[Label]) -> list[str]:
        """Create the missing ones of `labels` (a token that may write is needed; without one, a note)."""
        if not self._may_create_labels():
            self.context.say(f"note: {self.token_variable} is not set, so no labels were created on {self.host}"
                             " ('tracker ship' creates its label when it first needs it)")
            return []
        with self._errors("creating labels"):
            return self._labels().ensure(labels)

    def release_notes(self, build: str, section: str) -> list[str]:
        """The build's release notes get `section` between tracker's markers."""
        with self._errors(f"writing the release notes of {build}"):
            return self._releases().write(build, section)

    def close(self) -> None:
        """Say how many API calls were made (with --verbose)."""
        if self.context.verbose:
            self.context.say(f"{self.name}: {self.calls.reads} reads, {self.calls.writes} writes")


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


def pull_request(number: int, title: str | None, body: str | None, author: str | None, merged: bool,
                 base: str | None, url: str | None, labels: Iterable[str], repository: links.Repository) -> PullRequest:
    """A pull (or merge) request as the core takes it; `closes` are the closing references its
    body makes (`Fixes #12`), read with the reference grammar as a commit message is."""
    text = body or ""
    return PullRequest(number=str(number), title=title or "", body=text, author=author, merged=merged, base=base,
                       closes=tuple(links.references(text, repository)[0]), url=url, labels=tuple(labels))
