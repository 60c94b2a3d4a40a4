"""The GitHub plugin: fan requests are labelled issues, votes are reactions.

Offers the issue system `github` and the publisher `github-release`. PyGithub
costs about 350 ms to import, so nothing here imports it: the factory loads
the modules that do only when the plugin is chosen.
"""

from __future__ import annotations

from tracker.hooks import Context, IssueSystem, Registry, ReleaseNotes, require


class GithubRelease(ReleaseNotes):
    """`github-release`: the build's changelog in its release body, between tracker's markers."""

    name = "github-release"


def _issues(context: Context) -> IssueSystem:
    require("github", "the issue system 'github'")
    from tracker_github.issues import GithubIssues

    return GithubIssues(context)


def register(registry: Registry) -> None:
    """Entry point: offer the `github` issue system and the `github-release` publisher."""
    registry.issue_system("github", _issues)
    registry.publisher("github-release", GithubRelease)
