"""The GitHub plugin: fan requests are labelled issues, votes are reactions.

Offers the issue system `github` and the publisher `github-release`. PyGithub
costs about 350 ms to import, so nothing here imports it: the factories load
the modules that do only when the plugin is chosen.
"""

from __future__ import annotations

from tracker._extras import require
from tracker.hooks import Context, IssueSystem, Publisher, Registry


def _issues(context: Context) -> IssueSystem:
    require("github", "the issue system 'github'")
    from tracker_github.issues import GithubIssues

    return GithubIssues(context)


def _release(context: Context) -> Publisher:
    from tracker_github.publisher import ReleaseNotes

    return ReleaseNotes(context)


def register(registry: Registry) -> None:
    """Entry point: offer the `github` issue system and the `github-release` publisher."""
    registry.issue_system("github", _issues)
    registry.publisher("github-release", _release)
