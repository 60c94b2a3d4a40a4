"""The plugin contract. Every issue system and publisher, built-in or third-party,
enters through here and nowhere else.

A plugin is a distribution with an entry point in the group `tracker.plugins`
whose value is a function `register(registry)`. It calls
`registry.issue_system(name, factory)` and/or `registry.publisher(name, factory)`.
Factories are called only when their plugin is chosen, so a plugin's heavy
imports (an HTTP client) cost nothing to commands that do not use it.

Optional methods have defaults that warn once instead of failing, so the core
never asks "is this supported?" around a call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tracker.config import Config
from tracker.links import Repository
from tracker.model import PullRequest, Request

T = TypeVar("T")
SHIPPED = "shipped"
WITHDRAWN = "withdrawn"


def marker(kind: str, build: str) -> str:
    """The hidden marker that lets a plugin find its own earlier mark: `<!-- tracker:shipped B -->`."""
    return f"<!-- tracker:{kind} {build} -->"


@dataclass
class Context:
    """What every plugin is given: the config, where the repository is, the environment."""

    config: Config
    root: Path
    git_dir: Path
    env: Mapping[str, str]
    dry_run: bool = False
    verbose: bool = False
    say: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))
    # Wraps long work (API pages, history walks) in a progress bar on a terminal; a
    # pass-through everywhere else. Plugins call `context.track(items, "reading issues")`.
    progress: Callable[[Iterable[Any], str], Iterator[Any]] | None = None

    def track(self, items: Iterable[T], label: str) -> Iterator[T]:
        """`items`, with a progress bar on a terminal."""
        return self.progress(items, label) if self.progress is not None else iter(items)

    def path(self, relative: str) -> Path:
        """A config path, relative to the repository root."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate


@dataclass(frozen=True)
class Mark:
    """What `ship` asks an issue system to record on one request."""

    request: str
    build: str
    kind: str  # SHIPPED or WITHDRAWN
    comment: str | None  # the thank-you (or withdrawal) text, Markdown, already localised
    label: str
    close: bool


class IssueSystem:
    """Adapts one issue system to plain data. Subclass it and register a factory.

    Required: `requests`. Everything else has a default that does nothing useful
    and says so once.
    """

    name = "issues"
    # Does `mark` post `Mark.comment` on the request? An issue system that keeps no
    # conversation (the local store) says False, and no comment is rendered for it.
    posts_comments = True

    def __init__(self, context: Context):
        self.context = context
        self._warned: set[str] = set()

    def _unsupported(self, what: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            self.context.say(f"note: the {self.name} plugin does not support {what}; skipped")

    @property
    def repository(self) -> Repository:
        """Which `owner/name` references must name to count as this repository's."""
        return Repository(self.context.config.repository)

    def requests(self) -> list[Request]:
        """Every fan request, open and closed, with its vote count."""
        raise NotImplementedError

    def voters(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Logins that voted for each request in `ids` (called only for what is shown)."""
        self._unsupported("voter lists")
        return {i: [] for i in ids}

    def pulls(self, claims: Mapping[str, str]) -> dict[str, PullRequest]:
        """Pull requests behind commits: `claims` maps commit sha → PR number its subject names."""
        return {}

    def issue_url(self, request_id: str) -> str | None:
        """The web address of a request, for links in changelogs."""
        return None

    def mark(self, marks: Iterable[Mark]) -> list[str]:
        """Record ship (or withdrawal) marks; idempotent; return what was (or would be) written."""
        self._unsupported("marking requests")
        return []

    def release_notes(self, build: str, section: str) -> list[str]:
        """Put `section` in the build's release notes between tracker's markers."""
        self._unsupported("release notes")
        return []

    def close(self) -> None:
        """Release connections; report API usage when verbose."""


@dataclass
class Rendered:
    """One build, ready for publishers: the report and a way to render any format."""

    report: dict[str, Any]
    render: Callable[[str], str]  # format name → text in the configured locale
    order: Callable[[Sequence[str]], list[str]]  # build names → newest first, by topology
    issues: IssueSystem
    builds: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])  # reports of every build, newest first


class Publisher:
    """Writes a rendered build somewhere, replacing only its own earlier output."""

    name = "publisher"

    def __init__(self, context: Context):
        self.context = context

    def publish(self, build: Rendered) -> list[str]:
        """Write (or, on dry run, describe) this build's output; return one line per write."""
        raise NotImplementedError


IssueFactory = Callable[[Context], IssueSystem]
PublisherFactory = Callable[[Context], Publisher]


class Registry:
    """Where plugins register what they provide. Names are unique across plugins."""

    def __init__(self) -> None:
        self.issue_systems: dict[str, IssueFactory] = {}
        self.publishers: dict[str, PublisherFactory] = {}
        self.origin: dict[str, str] = {}
        self.current = "?"

    def issue_system(self, name: str, factory: IssueFactory) -> None:
        """Offer an issue system under `name` (what `issues:` and `--issues` take)."""
        self._claim(f"issues:{name}")
        self.issue_systems[name] = factory

    def publisher(self, name: str, factory: PublisherFactory) -> None:
        """Offer a publisher under `name` (what `publish:` lists)."""
        self._claim(f"publish:{name}")
        self.publishers[name] = factory

    def _claim(self, key: str) -> None:
        if key in self.origin and self.origin[key] != self.current:
            raise ValueError(f"{key} is provided by both {self.origin[key]} and {self.current}")
        self.origin[key] = self.current
