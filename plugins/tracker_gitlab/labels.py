"""GitLab's label primitives: list, look up and create (the rule is `tracker.hooks.Labels`).

When two runs both create a label, GitLab refuses the second (409).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitlab import GitlabError

from tracker.hooks import Label, Labels
from tracker_gitlab import client

if TYPE_CHECKING:
    from tracker_gitlab.issues import GitlabIssues


class GitlabLabels(Labels):
    """The project's labels."""

    host: GitlabIssues

    def names(self) -> set[str]:
        """Every label's name, lower-cased."""
        return {str(label.name).lower() for label in self.host.hub.labels.list(iterator=True)}

    def exists(self, name: str) -> bool:
        """One read of the label by name."""
        try:
            return bool(self.host.hub.labels.get(name).name)
        except GitlabError as exc:
            if client.not_found(exc):
                return False
            raise

    def create(self, label: Label) -> None:
        """One POST."""
        self.host.hub.labels.create({"name": label.name, "color": f"#{label.color}",
                                         "description": label.description})
