"""Plain data that flows through the pipeline: collect → link → decide → credit.

Everything is a frozen dataclass of strings, ints and tuples, so the core never
depends on where the data came from (git, SQLite, GitHub, GitLab).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


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


def decode(raw: bytes) -> str:
    """Text of a commit field in whatever encoding it was written (UTF-8, else Latin-1)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class Commit(NamedTuple):
    """One commit as `git log` streams it, its fields still the bytes git wrote.

    Most commits of a long history are only counted and listed; decoding every
    field of every one would cost more than reading them, so fields decode on use.
    """

    sha_bytes: bytes
    parents_bytes: bytes  # space-separated shas, as git prints them
    name_bytes: bytes
    email_bytes: bytes
    raw: bytes

    @property
    def sha(self) -> str:
        return self.sha_bytes.decode("ascii")

    @property
    def parents(self) -> tuple[str, ...]:
        return tuple(self.parents_bytes.decode("ascii").split())

    @property
    def author_name(self) -> str:
        return decode(self.name_bytes)

    @property
    def message(self) -> str:
        """The whole message, decoded."""
        return decode(self.raw).strip("\n")

    @property
    def summary(self) -> str:
        """The first line of the message."""
        return decode(self.raw.lstrip(b"\n").split(b"\n", 1)[0]).strip()



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
