"""GitHub's release primitives: find, create, update (the section rule is `tracker.hooks.Releases`).

When two runs both find no release and both create it, GitHub refuses the second
(422, the tag's release already exists).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from github import UnknownObjectException

from tracker.hooks import Release, Releases

if TYPE_CHECKING:
    from github.GitRelease import GitRelease

    from tracker_github.issues import GithubIssues


class GithubReleases(Releases):
    """The repository's releases."""

    host: GithubIssues

    def find(self, tag: str) -> Release | None:
        """The release of `tag`, drafts included (GitHub hides drafts from the by-tag lookup)."""
        repo = self.host.repo
        try:
            found = repo.get_release(tag)
            return Release(found.body or "", found)  # a lazy client fetches here
        except UnknownObjectException:
            pass
        for candidate in repo.get_releases().get_page(0):  # drafts are the newest, on the first page
            if candidate.tag_name == tag:
                return Release(candidate.body or "", candidate)
        return None

    def create(self, tag: str, body: str) -> None:
        """One POST, named as the tag."""
        self.host.repo.create_git_release(tag, name=tag, message=body)

    def update(self, tag: str, release: Release, body: str) -> None:
        """One PATCH."""
        found: GitRelease = release.handle
        # PATCH sends absolute values, so GithubRetry may repeat it safely; name,
        # draft and prerelease are sent as they are because PyGithub always sends them.
        found.update_release(name=found.name or tag, message=body, draft=found.draft, prerelease=found.prerelease)
