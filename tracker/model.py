"""Plain data that flows through the pipeline: collect → link → decide → credit.

Everything is a frozen dataclass of strings, ints and tuples, so the core never
depends on where the data came from (git, SQLite, GitHub, GitLab).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class LinkKind(str, Enum):
    """How a commit or pull request refers to a request."""

    CLOSES = "closes"
    REFS = "refs"
    REVERT = "revert"


@dataclass(frozen=True)
class Request:
    """A fan's feature request, as the issue system or the local store knows it."""

    id: str
    title: str
    author: str | None
    state: str = "open"
    created_at: str | None = None
    url: str | None = None
    votes: int = 0
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Link:
    """One reference from a commit (or the pull request it stands for) to a request."""

    request: str
    kind: LinkKind
    source: str  # "message", "pull:<N>", "cherry-pick:<sha>"


@dataclass(frozen=True)
class Commit:
    """One commit of a build's range, reduced to what the pipeline needs."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    date: str
    message: str

    @property
    def summary(self) -> str:
        """The first line of the message."""
        return self.message.split("\n", 1)[0].strip()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True)
class PullRequest:
    """A pull (or merge) request behind a merge or squash commit."""

    number: str
    title: str = ""
    body: str = ""
    author: str | None = None
    merged: bool = True
    base: str | None = None
    # Requests the issue system itself records as closed by this PR.
    closes: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class Tag:
    """A build tag: its name, the commit it points at and its date (UTC, ISO 8601)."""

    name: str
    sha: str
    date: str


@dataclass
class Shipped:
    """A request that shipped in a build, with everyone behind it."""

    request: Request
    commits: list[str] = field(default_factory=list)
    pulls: list[str] = field(default_factory=list)
    co_authors: list[str] = field(default_factory=list)
    voters: list[str] = field(default_factory=list)
    builders: list[str] = field(default_factory=list)

    @property
    def votes(self) -> int:
        return len(self.voters) if self.voters else self.request.votes
