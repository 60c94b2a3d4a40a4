"""`github-release`: the build's changelog in its release notes, between tracker's markers."""

from __future__ import annotations

from tracker.hooks import Publisher, Rendered


class ReleaseNotes(Publisher):
    """Hands the build's Markdown changelog to the issue system's `release_notes`.

    Nothing here is GitHub-specific: any issue system that implements
    `release_notes` (GitLab's releases, say) gets the same publisher.
    """

    name = "github-release"

    def publish(self, build: Rendered) -> list[str]:
        """Write (or on dry run, describe) the release-notes section of this build."""
        return build.issues.release_notes(build.report["build"], build.render("markdown"))
