"""GitHub's primitives of a mark: its comments, labels and closing (the order is `tracker.hooks.Marks`).

A locked issue may refuse the comment (GitHub answers 403 to a token without
maintainer rights there): the comment is skipped with a note, and the label
and the state are still set. A rerun asks again, since the lock may be gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from github import GithubException

from tracker.hooks import Change, Comment, HostIssue, Marks

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Label import Label

    from tracker_github.discussions import Discussions
    from tracker_github.issues import GithubIssues


def has_label(labels: Iterable[Label], name: str) -> bool:
    """GitHub compares label names without case."""
    return any(label.name.lower() == name.lower() for label in labels)


def has_label_names(nodes: Iterable[dict[str, str]], name: str) -> bool:
    """A GraphQL labels list holds `name` (without case)."""
    return any(node and node.get("name", "").lower() == name.lower() for node in nodes)


class Board:
    """A discussion's handle in a mark: GitHub's node, marked through GraphQL."""

    def __init__(self, node: dict[str, Any]):
        self.node = node
        self.id = str(node["id"])



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
        """The issue behind a request id: listed, else read; None for a pull request or another repository's.
        A discussion of `requests.discussions` is as this run listed it, and marked through GraphQL."""
        board = self.host.discussions
        if board is not None and request_id in board.listed:
            node = board.listed[request_id].node
            names = frozenset(label["name"].lower() for label in (node.get("labels") or {}).get("nodes") or [])
            return HostIssue(number=request_id, labels=names, open=not node.get("closed"),
                             commented=bool((node.get("comments") or {}).get("totalCount")), handle=Board(node))
        found = self.host._issue(request_id)
        if found is None:
            return None
        return HostIssue(number=str(found.number), labels=frozenset(label.name.lower() for label in found.labels),
                         open=found.state == "open", commented=bool(found.comments), handle=found)

    def comments(self, issue: HostIssue) -> list[Comment]:
        """Every comment on the issue, oldest first."""
        if isinstance(issue.handle, Board):
            return self._board.comments(int(issue.number))
        return [_comment(c) for c in issue.handle.get_comments()]

    def post(self, issue: HostIssue, body: str) -> Comment:
        """Post one comment."""
        if isinstance(issue.handle, Board):
            return self._board.post(issue.handle.id, body)
        return _comment(issue.handle.create_comment(body))

    def delete(self, issue: HostIssue, comment: Comment) -> None:
        """Delete one comment."""
        if isinstance(issue.handle, Board):
            self._board.delete(comment.handle)
        else:
            comment.handle.delete()

    def refused_as_locked(self, issue: HostIssue, exc: Exception) -> bool:
        """A 403 on a locked conversation (as listed, or as GitHub's message says)."""
        if isinstance(issue.handle, Board):
            return self.host._status(exc) == 403 and (bool(issue.handle.node.get("locked"))
                                                      or "locked" in str(exc).lower())
        return isinstance(exc, GithubException) and refused_as_locked(issue.handle, exc)

    def change(self, issue: HostIssue, change: Change) -> None:
        """Label, close, unlabel: one request each."""
        if isinstance(issue.handle, Board):
            self._discussion_change(issue, change)
            return
        found: Issue = issue.handle
        if change.label is not None:
            name = change.label
            self.host._write(lambda: found.add_to_labels(name), lambda: has_label(found.get_labels(), name))
        if change.close:
            self.host._write(lambda: found.edit(state="closed", state_reason="completed"),
                            lambda: self.host.hub.get_issue(found.number).state == "closed", repeatable=True)
        if change.unlabel is not None:
            self._unlabel(found, change.unlabel)

    @property
    def _board(self) -> Discussions:
        board = self.host.discussions
        assert board is not None  # a Board handle comes only from it
        return board

    def _discussion_change(self, issue: HostIssue, change: Change) -> None:
        """Label (by the label's node id), close as resolved, unlabel: each checked again first."""
        board, handle, number = self._board, issue.handle, int(issue.number)

        for name, add in ((change.label, True), (change.unlabel, False)):
            if name is not None:
                self._relabel(handle, number, name, add)
        if change.close:
            self.host._write(lambda: board.close(handle.id), lambda: bool(board.fresh(number).get("closed")))

    def _relabel(self, handle: Board, number: int, name: str, add: bool) -> None:
        board = self._board
        label_id = board.label_id(name)
        if label_id is None:
            return  # no such label: nothing to remove (the label step creates the ship label first)

        def done() -> bool:
            now = board.fresh(number)
            return has_label_names((now.get("labels") or {}).get("nodes") or [], name) == add

        self.host._write(lambda: board.relabel(handle.id, label_id, add), done)

    def _unlabel(self, found: Issue, name: str) -> None:
        def remove() -> None:
            try:
                found.remove_from_labels(name)
            except GithubException as exc:
                if exc.status != 404:  # 404 "Label does not exist": already removed
                    raise

        self.host._write(remove, lambda: not has_label(found.get_labels(), name), repeatable=True)
