"""Labels `tracker init` asks for: created when missing, existing ones left as they are.

One read lists the repository's labels; each missing one is one write, looked for
again after a lost answer (`client.settle`) so it is never created twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from github import GithubException

from tracker.hooks import Label
from tracker_github.client import settle

if TYPE_CHECKING:
    from github.Repository import Repository as GhRepository


def ensure(repo: GhRepository, labels: Sequence[Label], dry_run: bool) -> list[str]:
    """Create the labels `repo` lacks (GitHub compares names without case); one line per label."""
    existing = {label.name.lower() for label in repo.get_labels()}
    lines = []
    for label in labels:
        if label.name.lower() in existing:
            continue
        existing.add(label.name.lower())
        if dry_run or _create(repo, label):
            lines.append(f"github: create label {label.name}")
    return lines


def _create(repo: GhRepository, label: Label) -> bool:
    """Create one label; False when another run (or a person) created it after our read."""
    try:
        settle(lambda: repo.create_label(label.name, label.color, label.description),
               lambda: label.name.lower() in {x.name.lower() for x in repo.get_labels()})
    except GithubException as exc:
        errors = exc.data.get("errors", []) if isinstance(exc.data, dict) else []
        if exc.status == 422 and any(e.get("code") == "already_exists" for e in errors):
            return False
        raise
    return True
