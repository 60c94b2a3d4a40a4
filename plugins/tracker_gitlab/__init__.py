"""The GitLab plugin: fan requests are labelled issues, votes are thumbs-up award emoji.

Offers the issue system `gitlab` and the publisher `gitlab-release`. Nothing
here imports python-gitlab: the factory loads the modules that do only when
the plugin is chosen, so other commands do not pay for the import.
"""

from __future__ import annotations

from tracker.hooks import Context, IssueSystem, Registry, ReleaseNotes, require


class GitlabRelease(ReleaseNotes):
    """`gitlab-release`: the build's changelog in its release description, between markers."""

    name = "gitlab-release"


def _issues(context: Context) -> IssueSystem:
    require("gitlab", "the issue system 'gitlab'")
    from tracker_gitlab.issues import GitlabIssues

    return GitlabIssues(context)


def register(registry: Registry) -> None:
    """Entry point: offer the `gitlab` issue system and the `gitlab-release` publisher."""
    registry.issue_system("gitlab", _issues)
    registry.publisher("gitlab-release", GitlabRelease)
