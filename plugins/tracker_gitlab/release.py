"""GitLab's release primitives: find, create, update (the section rule is `tracker.hooks.Releases`).

When two runs both find no release and both create it, GitLab refuses the second (409).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitlab import GitlabError

from tracker.hooks import Release, Releases
from tracker_gitlab import client

if TYPE_CHECKING:
    from tracker_gitlab.issues import GitlabIssues


class GitlabReleases(Releases):
    """The project's releases."""

    host: GitlabIssues

    def find(self, tag: str) -> Release | None:
        """The release of `tag`, or None."""
        try:
            found = self.host.project.releases.get(tag)
        except GitlabError as exc:
            if client.not_found(exc):
                return None
            raise
        return Release(found.description or "", found)

    def create(self, tag: str, body: str) -> None:
        """One POST, named as the tag."""
        self.host.project.releases.create({"tag_name": tag, "name": tag, "description": body})

    def update(self, tag: str, release: Release, body: str) -> None:
        """One PUT of the description alone."""
        self.host.project.releases.update(tag, {"description": body})
