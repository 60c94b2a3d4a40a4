"""Marks on issues (one note with a hidden marker, a label, closing) and release notes.

Every write is preceded by a read that shows it is still needed, so a rerun
writes nothing and a run that died half-way resumes where it stopped. The
label and the closing go in one PUT (absolute values, safe to repeat); a note
(POST) whose answer was lost is looked for before it is sent again.

A locked discussion refuses the note of a token that is not a project member
(GitLab answers 403): the note is skipped with a word on stderr, and the label
and the state are still set; a rerun asks again, since the lock may be gone.
An issue moved to another project is left alone: its discussion lives on there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from gitlab import GitlabError

from tracker import hosting
from tracker.hooks import SHIPPED, Mark, marker
from tracker_gitlab import client

if TYPE_CHECKING:
    from gitlab.v4.objects import Project, ProjectIssue, ProjectIssueNote, ProjectRelease

LABEL_COLOR = "#0e8a16"
LABEL_DESCRIPTION = "Shipped in a build (set by tracker)"


def _names(labels: Any) -> set[str]:
    """GitLab label names, compared without case (as GitHub's are)."""
    return {str(label).lower() for label in labels or []}


def _body(note: ProjectIssueNote) -> str | None:
    return note.attributes.get("body")


# Project and group access tokens act as bot users named like this.
_BOT = re.compile(r"\A(?:(?:project|group)_\d+_bot(?:_\w+)?|\S+\[bot\])\Z")


def is_bot(user: Mapping[str, Any]) -> bool:
    """A bot account: flagged as one, or a project/group access token's user."""
    return bool(user.get("bot")) or bool(_BOT.match(str(user.get("username") or "")))


def moved(issue: ProjectIssue) -> bool:
    """Was this issue moved to another project? (GitLab keeps the original, closed.)"""
    return bool(issue.attributes.get("moved_to_id"))


def locked(issue: ProjectIssue) -> bool:
    """Is this issue's discussion locked (only project members may add notes)?"""
    return bool(issue.attributes.get("discussion_locked"))


class Marker:
    """Applies marks to issues; on dry run reads everything and writes nothing."""

    def __init__(self, project: Project, issue_of: Callable[[str], ProjectIssue | None], dry_run: bool,
                 say: Callable[[str], None] | None = None, identity: hosting.Identity | None = None):
        self.project = project
        self.issue_of = issue_of
        self.dry_run = dry_run
        self.say = say if say is not None else (lambda text: None)
        # Whose notes are ours (default, for callers that need no judging: nobody's but a bot's).
        self.identity = identity if identity is not None else hosting.Identity(lambda: None)
        self._labels_ready: set[str] = set()

    def _ours(self, note: ProjectIssueNote) -> bool:
        author = note.attributes.get("author") or {}
        return not note.attributes.get("system") and self.identity.owns(author.get("username"), is_bot(author))

    def apply(self, mark: Mark) -> list[str]:
        """The writes one mark needs (one line each), done unless this is a dry run."""
        issue = self.issue_of(mark.request)
        if issue is None:
            return []  # not an issue of this project (deleted, moved)
        if moved(issue):
            self.say(f"note: #{issue.iid} was moved to another project; skipped its {mark.kind} mark for {mark.build}")
            return []
        tag = marker(mark.kind, mark.build)
        if mark.kind == SHIPPED:
            lines = self._note(issue, mark, tag) if mark.comment else []
            return lines + self._update(issue, mark)
        # Withdrawn: the label goes; the state is left as it is (a person may have
        # reopened or closed it since), and a note says what happened.
        return self._update(issue, mark) + (self._note(issue, mark, tag) if mark.comment else [])

    # -- notes -----------------------------------------------------------------------

    def _notes(self, issue: ProjectIssue) -> list[ProjectIssueNote]:
        return list(issue.notes.list(iterator=True, sort="asc", order_by="created_at"))

    def _note(self, issue: ProjectIssue, mark: Mark, tag: str) -> list[str]:
        # The listing's count of people's notes is current for this run: none, nothing to read.
        existing = self._notes(issue) if issue.user_notes_count else []
        if hosting.has_marker(existing, tag, _body, self._ours):
            return []
        line = f"gitlab: #{issue.iid} note {mark.kind} {mark.build}"
        if self.dry_run:
            return [line]
        body = f"{mark.comment}\n\n{tag}"
        try:
            posted = client.create(lambda: issue.notes.create({"body": body}),
                                   lambda: hosting.has_marker(self._notes(issue), tag, _body, self._ours))
            if posted is not None:
                self.identity.learn((posted.attributes.get("author") or {}).get("username"))
        except GitlabError as exc:
            if not self._refused_as_locked(issue, exc):
                raise
            self.say(hosting.locked_note(str(issue.iid), "GitLab", f"{mark.kind} note for {mark.build}"))
            return []
        return [line, *self._dedupe(issue, tag)]

    def _refused_as_locked(self, issue: ProjectIssue, exc: GitlabError) -> bool:
        """Is this 403 GitLab refusing a note on a locked discussion? Any other 403 is the token's
        problem and stays an error. GitLab's answer does not say why, so the issue says it: as
        listed, or read again (it may have been locked since the listing)."""
        if exc.response_code != 403:
            return False
        return locked(issue) or locked(self.project.issues.get(issue.iid))

    def _dedupe(self, issue: ProjectIssue, tag: str) -> list[str]:
        """Two runs at once may both post: keep the oldest of our notes, delete the rest."""
        extra = hosting.extra_copies(self._notes(issue), tag, _body, lambda n: (n.author or {}).get("username"),
                                     lambda n: (n.created_at, n.id), self._ours)
        lines = []
        for note in extra:
            try:
                issue.notes.delete(note.id)
            except GitlabError as exc:
                if not client.not_found(exc):  # 404: the other run deleted it first
                    raise
                continue
            lines.append(f"gitlab: #{issue.iid} delete duplicate note {note.id}")
        return lines

    # -- label and state, in one PUT -----------------------------------------------------

    def _ensure_label(self, name: str) -> list[str]:
        """Create the ship label once, so it has our colour and description."""
        if name.lower() in self._labels_ready or self._label_exists(name):
            self._labels_ready.add(name.lower())
            return []
        self._labels_ready.add(name.lower())
        line = f"gitlab: create label {name}"
        if not self.dry_run:
            try:
                client.create(lambda: self.project.labels.create(
                    {"name": name, "color": LABEL_COLOR, "description": LABEL_DESCRIPTION}),
                    lambda: self._label_exists(name))
            except GitlabError as exc:
                if exc.response_code != 409:  # 409: a concurrent run created it
                    raise
                return []
        return [line]

    def _label_exists(self, name: str) -> bool:
        try:
            return bool(self.project.labels.get(name).name)
        except GitlabError as exc:
            if client.not_found(exc):
                return False
            raise

    def _update(self, issue: ProjectIssue, mark: Mark) -> list[str]:
        has = mark.label.lower() in _names(issue.labels)
        change: dict[str, str] = {}
        lines: list[str] = []
        if mark.kind == SHIPPED and not has:
            lines += self._ensure_label(mark.label)
            change["add_labels"] = mark.label
            lines.append(f"gitlab: #{issue.iid} label {mark.label}")
        if mark.kind == SHIPPED and mark.close and issue.state == "opened":
            change["state_event"] = "close"
            lines.append(f"gitlab: #{issue.iid} close")
        if mark.kind != SHIPPED and has:
            change["remove_labels"] = mark.label
            lines.append(f"gitlab: #{issue.iid} unlabel {mark.label}")
        if change and not self.dry_run:
            client.update(lambda: self.project.issues.update(issue.iid, change), lambda: self._landed(issue, change))
        return lines

    def _landed(self, issue: ProjectIssue, change: dict[str, str]) -> bool:
        fresh = self.project.issues.get(issue.iid)
        names = _names(fresh.labels)
        added = "add_labels" not in change or change["add_labels"].lower() in names
        removed = "remove_labels" not in change or change["remove_labels"].lower() not in names
        return added and removed and ("state_event" not in change or fresh.state == "closed")


# -- release notes -----------------------------------------------------------------------


def find_release(project: Project, tag: str) -> ProjectRelease | None:
    """The release of `tag`, or None."""
    try:
        return project.releases.get(tag)
    except GitlabError as exc:
        if client.not_found(exc):
            return None
        raise


def write_notes(project: Project, tag: str, section: str, dry_run: bool) -> list[str]:
    """Put `section` in the release of `tag`, creating the release (named as the tag) if none exists."""
    current = find_release(project, tag)
    if current is None:
        if dry_run:
            return [f"gitlab: create release {tag}"]

        def landed() -> bool:  # ours, not a release someone else made meanwhile without our section
            found = find_release(project, tag)
            return found is not None and hosting.splice(found.description or "", section) == found.description

        try:
            client.create(lambda: project.releases.create(
                {"tag_name": tag, "name": tag, "description": hosting.splice("", section)}), landed)
            return [f"gitlab: create release {tag}"]
        except GitlabError as exc:
            current = find_release(project, tag) if exc.response_code == 409 else None
            if current is None:  # 409: another run created it between our read and our write
                raise
    body = current.description or ""
    updated = hosting.splice(body, section)
    if updated == body:
        return []
    if not dry_run:
        client.update(lambda: project.releases.update(tag, {"description": updated}),
                      lambda: (find_release(project, tag) or current).description == updated)
    return [f"gitlab: release {tag} notes"]
