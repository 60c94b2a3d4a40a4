"""The GitLab plugin: fan requests are labelled issues, votes are thumbs-up award emoji.

Offers the issue system `gitlab` and the publisher `gitlab-release`. Nothing
here imports python-gitlab: the factory loads the modules that do only when
the plugin is chosen, so other commands do not pay for the import.
"""

from __future__ import annotations

from tracker.hooks import Registry, ReleaseNotes, deferred


def register(registry: Registry) -> None:
    """Entry point: offer the `gitlab` issue system and the `gitlab-release` publisher
    (the build's changelog in its release description, between tracker's markers)."""
    registry.issue_system("gitlab", deferred("tracker_gitlab.issues:GitlabIssues", "gitlab",
                                             "the issue system 'gitlab'"))
    registry.publisher("gitlab-release", ReleaseNotes)
