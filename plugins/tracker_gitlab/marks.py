"""GitLab's primitives of a mark: its notes, labels and closing (the order is `tracker.hooks.Marks`).

The label and the closing go in one PUT (absolute values, safe to repeat).

A locked discussion refuses the note of a token that is not a project member
(GitLab answers 403): the note is skipped with a word on stderr, and the label
and the state are still set; a rerun asks again, since the lock may be gone.
An issue moved to another project is left alone: its discussion lives on there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gitlab import GitlabError

from tracker.hooks import Change, Comment, HostIssue, Marks

if TYPE_CHECKING:
    from gitlab.v4.objects import ProjectIssue, ProjectIssueNote

    from tracker_gitlab.issues import GitlabIssues

# Project and group access tokens act as bot users named like this.
_BOT = re.compile(r"\A(?:(?:project|group)_\d+_bot(?:_\w+)?|\S+\[bot\])\Z")


def names(labels: Any) -> set[str]:
    """GitLab label names, compared without case (as GitHub's are)."""
    return {str(label).lower() for label in labels or []}


def is_bot(user: Mapping[str, Any]) -> bool:
    """A bot account: flagged as one, or a project/group access token's user."""
    return bool(user.get("bot")) or bool(_BOT.match(str(user.get("username") or "")))


def moved(issue: ProjectIssue) -> bool:
    """Was this issue moved to another project? (GitLab keeps the original, closed.)"""
    return bool(issue.attributes.get("moved_to_id"))


def locked(issue: ProjectIssue) -> bool:
    """Is this issue's discussion locked (only project members may add notes)?"""
    return bool(issue.attributes.get("discussion_locked"))


def _note(note: ProjectIssueNote) -> Comment:
    author = note.attributes.get("author") or {}
    return Comment(id=note.id, body=note.attributes.get("body"), author=author.get("username"), bot=is_bot(author),
                   created=str(note.created_at), system=bool(note.attributes.get("system")))


class GitlabMarks(Marks):
    """Notes, labels and closing on one project's issues."""

    host: GitlabIssues
    comment_word = "note"

    def issue(self, request_id: str) -> HostIssue | None:
        """The issue behind a request id: listed, else read; None when there is none."""
        found = self.host._issue(request_id)
        if found is None:
            return None
        # The listing's count of people's notes is current for this run.
        return HostIssue(number=str(found.iid), labels=frozenset(names(found.labels)), open=found.state == "opened",
                         commented=bool(found.user_notes_count), moved=moved(found), handle=found)

    def comments(self, issue: HostIssue) -> list[Comment]:
        """Every note on the issue, oldest first (system notes included: they are never ours)."""
        return [_note(n) for n in issue.handle.notes.list(iterator=True, sort="asc", order_by="created_at")]

    def post(self, issue: HostIssue, body: str) -> Comment:
        """Post one note."""
        return _note(issue.handle.notes.create({"body": body}))

    def delete(self, issue: HostIssue, comment: Comment) -> None:
        """Delete one note."""
        issue.handle.notes.delete(comment.id)

    def refused_as_locked(self, issue: HostIssue, exc: Exception) -> bool:
        """Is this 403 GitLab refusing a note on a locked discussion? GitLab's answer does not say
        why, so the issue says it: as listed, or read again (it may have been locked since the listing)."""
        if not isinstance(exc, GitlabError) or exc.response_code != 403:
            return False
        return locked(issue.handle) or locked(self.host.hub.issues.get(issue.handle.iid))

    def change(self, issue: HostIssue, change: Change) -> None:
        """Label, close and unlabel in one PUT."""
        iid = issue.handle.iid
        put: dict[str, str] = {}
        if change.label is not None:
            put["add_labels"] = change.label
        if change.close:
            put["state_event"] = "close"
        if change.unlabel is not None:
            put["remove_labels"] = change.unlabel
        self.host._write(lambda: self.host.hub.issues.update(iid, put), lambda: self._landed(iid, change),
                         repeatable=True)

    def _landed(self, iid: int, change: Change) -> bool:
        fresh = self.host.hub.issues.get(iid)
        labels = names(fresh.labels)
        added = change.label is None or change.label.lower() in labels
        removed = change.unlabel is None or change.unlabel.lower() not in labels
        return added and removed and (not change.close or fresh.state == "closed")
