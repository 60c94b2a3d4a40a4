"""Ship and withdraw marks on issues: one comment with a hidden marker, a label, closing.

Every write is preceded by a read that shows it is still needed, so a rerun
writes nothing, and a run that died half-way resumes where it stopped. A write
whose answer was lost is checked (`client.settle`) before it is sent again.

A locked issue may refuse the comment (GitHub answers 403 to a token without
maintainer rights there): the comment is skipped with a note, and the label
and the state are still set. A rerun asks again, since the lock may be gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from github import GithubException, UnknownObjectException

from tracker import hosting
from tracker.hooks import SHIPPED, Mark, marker
from tracker_github.client import settle

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Label import Label
    from github.Repository import Repository as GhRepository

LABEL_COLOR = "0e8a16"
LABEL_DESCRIPTION = "Shipped in a build (set by tracker)"


def has_label(labels: Iterable[Label], name: str) -> bool:
    """GitHub compares label names without case."""
    return any(label.name.lower() == name.lower() for label in labels)


def _author(comment: IssueComment) -> str | None:
    return comment.user.login if comment.user is not None else None


def _body(comment: IssueComment) -> str | None:
    return comment.body


def _bot(comment: IssueComment) -> bool:
    """Written by a bot account (a GitHub App's installation, `name[bot]`): the listing says so."""
    return comment.user is not None and (comment.user.type == "Bot" or comment.user.login.endswith("[bot]"))


def refused_as_locked(issue: Issue, exc: GithubException) -> bool:
    """Is this 403 GitHub refusing a comment on a locked conversation?"""
    message = exc.data.get("message") if isinstance(exc.data, dict) else exc.data
    return exc.status == 403 and (bool(issue.locked) or "locked" in str(message or "").lower())


class Marker:
    """Applies marks to issues; on dry run reads everything and writes nothing."""

    def __init__(self, repo: GhRepository, issue_of: Callable[[str], Issue | None], dry_run: bool,
                 say: Callable[[str], None] | None = None, identity: hosting.Identity | None = None):
        self.repo = repo
        self.issue_of = issue_of
        self.dry_run = dry_run
        self.say = say if say is not None else (lambda text: None)
        # Whose comments are ours (default, for callers that need no judging: nobody's but a bot's).
        self.identity = identity if identity is not None else hosting.Identity(lambda: None)
        self._labels_ready: set[str] = set()

    def _ours(self, comment: IssueComment) -> bool:
        return self.identity.owns(_author(comment), _bot(comment))

    def apply(self, mark: Mark) -> list[str]:
        """The writes one mark needs (one line each), done unless this is a dry run."""
        issue = self.issue_of(mark.request)
        if issue is None:
            return []  # not an issue of this repository (deleted, transferred, or a pull request)
        tag = marker(mark.kind, mark.build)
        lines: list[str] = []
        if mark.kind == SHIPPED:
            if mark.comment:
                lines += self._comment(issue, mark, tag)
            lines += self._label(issue, mark.label)
            if mark.close:
                lines += self._close(issue)
        else:
            # Withdrawn: the label goes; the state is left as it is (a person may
            # have reopened or closed it since), and a note says what happened.
            lines += self._unlabel(issue, mark.label)
            if mark.comment:
                lines += self._comment(issue, mark, tag)
        return lines

    # -- comments --------------------------------------------------------------------

    def _comments(self, issue: Issue) -> list[IssueComment]:
        return list(issue.get_comments())

    def _comment(self, issue: Issue, mark: Mark, tag: str) -> list[str]:
        # The listing's comment count is current for this run: no comments, nothing to read.
        existing = self._comments(issue) if issue.comments else []
        if hosting.has_marker(existing, tag, _body, self._ours):
            return []
        line = f"github: #{issue.number} comment {mark.kind} {mark.build}"
        if self.dry_run:
            return [line]
        body = f"{mark.comment}\n\n{tag}"
        try:
            posted = settle(lambda: issue.create_comment(body),
                            lambda: hosting.has_marker(self._comments(issue), tag, _body, self._ours))
            if posted is not None:
                self.identity.learn(_author(posted))  # who posted it is who the token is
        except GithubException as exc:
            if not refused_as_locked(issue, exc):
                raise
            self.say(hosting.locked_note(str(issue.number), "GitHub", f"{mark.kind} comment for {mark.build}"))
            return []
        return [line, *self._dedupe(issue, tag)]

    def _dedupe(self, issue: Issue, tag: str) -> list[str]:
        """Two runs at once may both post: keep the oldest of our comments, delete the rest."""
        # Only the oldest one's author's copies: someone else quoting our marker is not ours to delete.
        extras = hosting.extra_copies(self._comments(issue), tag, _body, _author,
                                      lambda c: (c.created_at, c.id), self._ours)
        lines = []
        for extra in extras:
            try:
                extra.delete()
            except UnknownObjectException:
                continue  # the other run deleted it first
            lines.append(f"github: #{issue.number} delete duplicate comment {extra.id}")
        return lines

    # -- labels ----------------------------------------------------------------------

    def _label_exists(self, name: str) -> bool:
        try:
            return bool(self.repo.get_label(name).name)
        except UnknownObjectException:
            return False

    def _ensure_label(self, name: str) -> list[str]:
        """Create the ship label once, so it has our colour and description."""
        if name.lower() in self._labels_ready or self._label_exists(name):
            self._labels_ready.add(name.lower())
            return []
        self._labels_ready.add(name.lower())
        line = f"github: create label {name}"
        if self.dry_run:
            return [line]
        try:
            settle(lambda: self.repo.create_label(name, LABEL_COLOR, LABEL_DESCRIPTION),
                   lambda: self._label_exists(name))
        except GithubException as exc:
            errors = exc.data.get("errors", []) if isinstance(exc.data, dict) else []
            if exc.status == 422 and any(e.get("code") == "already_exists" for e in errors):
                return []  # a concurrent run created it between our read and our write
            raise
        return [line]

    def _label(self, issue: Issue, name: str) -> list[str]:
        if has_label(issue.labels, name):
            return []
        lines = self._ensure_label(name)
        lines.append(f"github: #{issue.number} label {name}")
        if not self.dry_run:
            settle(lambda: issue.add_to_labels(name), lambda: has_label(issue.get_labels(), name))
        return lines

    def _unlabel(self, issue: Issue, name: str) -> list[str]:
        if not has_label(issue.labels, name):
            return []
        line = f"github: #{issue.number} unlabel {name}"
        if self.dry_run:
            return [line]

        def remove() -> None:
            try:
                issue.remove_from_labels(name)
            except GithubException as exc:
                if exc.status != 404:  # 404 "Label does not exist": already removed
                    raise

        settle(remove, lambda: not has_label(issue.get_labels(), name))
        return [line]

    # -- state -----------------------------------------------------------------------

    def _close(self, issue: Issue) -> list[str]:
        if issue.state != "open":
            return []
        line = f"github: #{issue.number} close"
        if self.dry_run:
            return [line]
        settle(lambda: issue.edit(state="closed", state_reason="completed"),
               lambda: self.repo.get_issue(issue.number).state == "closed")
        return [line]
