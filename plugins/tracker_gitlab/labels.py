"""Labels `tracker init` asks for: created when missing, existing ones left as they are.

One listing reads the project's labels; each missing one is one POST, looked for
again after a lost answer (`client.create`) so it is never created twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gitlab import GitlabError

from tracker.hooks import Label
from tracker_gitlab import client

if TYPE_CHECKING:
    from gitlab.v4.objects import Project


def _names(project: Project) -> set[str]:
    return {str(label.name).lower() for label in project.labels.list(iterator=True)}


def ensure(project: Project, labels: Sequence[Label], dry_run: bool) -> list[str]:
    """Create the labels `project` lacks (names compared without case); one line per label."""
    existing = _names(project)
    lines = []
    for label in labels:
        if label.name.lower() in existing:
            continue
        existing.add(label.name.lower())
        if dry_run or _create(project, label):
            lines.append(f"gitlab: create label {label.name}")
    return lines


def _create(project: Project, label: Label) -> bool:
    """Create one label; False when another run (or a person) created it after our read (409)."""
    try:
        client.create(lambda: project.labels.create(
            {"name": label.name, "color": f"#{label.color}", "description": label.description}),
            lambda: label.name.lower() in _names(project))
    except GitlabError as exc:
        if exc.response_code != 409:
            raise
        return False
    return True
