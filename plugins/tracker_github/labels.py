"""GitHub's label primitives: list, look up and create (the rule is `tracker.hooks.Labels`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from github import UnknownObjectException

from tracker.hooks import Label, Labels

if TYPE_CHECKING:
    from tracker_github.issues import GithubIssues


class GithubLabels(Labels):
    """The repository's labels."""

    host: GithubIssues

    def names(self) -> set[str]:
        """Every label's name, lower-cased."""
        return {label.name.lower() for label in self.host.hub.get_labels()}

    def exists(self, name: str) -> bool:
        """One read of the label by name."""
        try:
            return bool(self.host.hub.get_label(name).name)
        except UnknownObjectException:
            return False

    def create(self, label: Label) -> None:
        """One POST."""
        self.host.hub.create_label(label.name, label.color, label.description)
