"""GitHub's primitives of a mark: its comments, labels and closing (the order is `tracker.hooks.Marks`).

A locked issue may refuse the comment (GitHub answers 403 to a token without
maintainer rights there): the comment is skipped with a note, and the label
and the state are still set. A rerun asks again, since the lock may be gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from github import GithubException

from tracker.hooks import Change, Comment, HostIssue, Marks

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Label import Label

    from tracker_github.issues import GithubIssues


def has_label(labels: Iterable[Label], name: str) -> bool:
    """GitHub compares label names without case."""
    return any(label.name.lower() == name.lower() for label in labels)


def refused_as_locked(issue: Issue, exc: GithubException) -> bool:
    """Is this 403 GitHub refusing a comment on a locked conversation?"""
    message = exc.data.get("message") if isinstance(exc.data, dict) else exc.data
    return exc.status == 403 and (bool(issue.locked) or "locked" in str(message or "").lower())


def _comment(comment: IssueComment) -> Comment:
    user = comment.user
    # A GitHub App's installation (`name[bot]`) is a bot account: the listing says so.
    return Comment(id=comment.id, body=comment.body, author=user.login if user is not None else None,
                   bot=user is not None and (user.type == "Bot" or user.login.endswith("[bot]")),
                   created=comment.created_at.isoformat(), handle=comment)


class GithubMarks(Marks):
    """Comments, labels and closing on one repository's issues."""

    host: GithubIssues

    def issue(self, request_id: str) -> HostIssue | None:
        """The issue behind a request id: listed, else read; None for a pull request or another repository's."""
        found = self.host._issue(request_id)
        if found is None:
            return None
        return HostIssue(number=str(found.number), labels=frozenset(label.name.lower() for label in found.labels),
                         open=found.state == "open", commented=bool(found.comments), handle=found)

    def comments(self, issue: HostIssue) -> list[Comment]:
        """Every comment on the issue, oldest first."""
        return [_comment(c) for c in issue.handle.get_comments()]

    def post(self, issue: HostIssue, body: str) -> Comment:
        """Post one comment."""
        return _comment(issue.handle.create_comment(body))

    def delete(self, issue: HostIssue, comment: Comment) -> None:
        """Delete one comment."""
        comment.handle.delete()

    def refused_as_locked(self, issue: HostIssue, exc: Exception) -> bool:
        """A 403 on a locked conversation (as listed, or as GitHub's message says)."""
        return isinstance(exc, GithubException) and refused_as_locked(issue.handle, exc)

    def change(self, issue: HostIssue, change: Change) -> None:
        """Label, close, unlabel: one request each."""
        found: Issue = issue.handle
        if change.label is not None:
            name = change.label
            self.host._write(lambda: found.add_to_labels(name), lambda: has_label(found.get_labels(), name))
        if change.close:
            self.host._write(lambda: found.edit(state="closed", state_reason="completed"),
                            lambda: self.host.hub.get_issue(found.number).state == "closed", repeatable=True)
        if change.unlabel is not None:
            self._unlabel(found, change.unlabel)

    def _unlabel(self, found: Issue, name: str) -> None:
        def remove() -> None:
            try:
                found.remove_from_labels(name)
            except GithubException as exc:
                if exc.status != 404:  # 404 "Label does not exist": already removed
                    raise

        self.host._write(remove, lambda: not has_label(found.get_labels(), name), repeatable=True)
