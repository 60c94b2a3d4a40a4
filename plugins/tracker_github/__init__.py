"""The GitHub plugin: fan requests are labelled issues, votes are reactions.

Offers the issue system `github` and the publisher `github-release`. PyGithub
costs about 350 ms to import, so nothing here imports it: the factory loads
the modules that do only when the plugin is chosen.
"""

from __future__ import annotations

from tracker.hooks import Registry, ReleaseNotes, deferred


def register(registry: Registry) -> None:
    """Entry point: offer the `github` issue system and the `github-release` publisher
    (the build's changelog in its release body, between tracker's markers)."""
    registry.issue_system("github", deferred("tracker_github.issues:GithubIssues", "github",
                                             "the issue system 'github'"))
    registry.publisher("github-release", ReleaseNotes)
