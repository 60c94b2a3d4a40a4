"""Helpers for the site, card and locale tests: the demo project, published; a site tree's digest."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from tracker import _importer as importer
from tracker import demo
from tracker.session import Session

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = REPO_ROOT / "changelog_templates"
HOSTILE_TITLE = "<b>Hack</b> @everyone [click](https://evil.example)"


def demo_project(directory: Path, locale: str = "en", cards: str = "authors") -> Path:
    """The `tracker demo` project (git history, config, requests and votes imported), not yet published."""
    requests_file = demo.create(directory)
    config = directory / ".github" / "tracker.yml"
    text = config.read_text(encoding="utf-8").replace(
        "changelog:\n", f"changelog:\n  locale: {locale}\n", 1)
    config.write_text(text + f"site:\n  cards: {cards}\n", encoding="utf-8")
    session = Session(repo_path=str(directory), say=lambda text: None)
    importer.import_file(session.issues.store, requests_file)  # type: ignore[attr-defined]
    return directory


def publish(directory: Path, builds: Sequence[str] | None = None, dry_run: bool = False,
            names: Sequence[str] = ("site",)) -> list[str]:
    """Publish `builds` (default: every build, oldest first, as `tracker demo` does); the lines written."""
    session = Session(repo_path=str(directory), dry_run=dry_run, say=lambda text: None)
    lines: list[str] = []
    for name in builds if builds is not None else list(reversed(session.build_names())):
        lines += session.publish(session.built(name), list(names))
    return lines


def published_demo(directory: Path, locale: str = "en", cards: str = "authors") -> Path:
    """The demo project with its site published for every build; returns the site folder."""
    publish(demo_project(directory, locale, cards))
    return directory / "site"


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the sha256 of its bytes (to prove a rerun changes nothing)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
