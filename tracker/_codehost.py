"""The issue-system skeleton code-host plugins (GitHub, GitLab, …) share.

A plugin supplies its host's primitives (list issues, post or delete a comment, change
labels and state, find, create or update a release) and everything else is written, and
tested, once:

* `CodeHost`, the issue-system base: one-line host errors (`_errors`), the marking loop
  (a request whose issue left the repository after it was listed, confirmed by a second
  read, is skipped with a note), label creation, release notes, the `-v` count of calls;
* `Marks`, `Labels` and `Releases` (`_hostwriters.py`): the order of a mark, labels
  created when missing, the build's section of its release notes;
* `pull_request`: a pull request's closing references, read with the reference grammar.

The rules on plain values it uses are `_hosting.py`'s. Plugins reach all of this through
`tracker.hooks`; this module is private.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, TypeVar

from tracker import _grammar as links
from tracker._contract import Context, IssueSystem, Label, Mark
from tracker._errors import WorkFailed
from tracker._hosting import Calls, Identity, gone_note, vanished
from tracker._model import PullRequest

if TYPE_CHECKING:
    from tracker._hostwriters import Labels, Marks, Releases

T = TypeVar("T")


# -- the issue system of a code host ------------------------------------------------------


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


def pull_request(number: int, title: str | None, body: str | None, author: str | None, merged: bool,
                 base: str | None, url: str | None, labels: Iterable[str], repository: links.Repository) -> PullRequest:
    """A pull (or merge) request as the core takes it; `closes` are the closing references its
    body makes (`Fixes #12`), read with the reference grammar as a commit message is."""
    text = body or ""
    return PullRequest(number=str(number), title=title or "", body=text, author=author, merged=merged, base=base,
                       closes=tuple(links.references(text, repository)[0]), url=url, labels=tuple(labels))
