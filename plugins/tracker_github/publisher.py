"""`github-release`: the build's changelog in its release notes, between tracker's markers."""

from __future__ import annotations

from tracker import hosting


class ReleaseNotes(hosting.ReleaseNotes):
    """Hands the build's Markdown changelog to the issue system's `release_notes`.

    Nothing here is GitHub-specific (the behaviour lives in tracker.hosting):
    GitLab offers the same publisher as `gitlab-release`.
    """

    name = "github-release"
