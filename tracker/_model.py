"""Plain data that flows through the pipeline: collect → link → decide → credit.

Everything is a frozen dataclass of strings, ints and tuples, so the core never
depends on where the data came from (git, SQLite, GitHub, GitLab).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

REQUEST = "request"
REPORT = "report"


@dataclass(frozen=True)
class Request:
    """A fan's feature request (or bug report), as the issue system or the local store knows it."""

    id: str
    title: str
    author: str | None
    state: str = "open"
    created_at: str | None = None
    url: str | None = None
    votes: int = 0
    duplicate_of: str | None = None
    # REQUEST (a fan's idea: shipped) or REPORT (a bug report, `reports.labels`: fixed).
    kind: str = REQUEST
    labels: tuple[str, ...] = ()
    # A count of votes the host keeps without naming who gave them (GitHub Discussions'
    # upvotes): the report's `votes` is at least this, however few voters are named.
    upvotes: int | None = None


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
        """The message's subject, as `git log --format=%s` prints it (see `subject`)."""
        return decode(subject(self.raw)).strip()


def split_ident(ident: bytes) -> tuple[bytes, bytes]:
    """(name, email) of a `%aN<%aE>` field: git never lets a name hold `<` (it reads the
    name as everything before the first one), so the first `<` is the boundary."""
    name, _, email = ident.partition(b"<")
    return name, email[:-1] if email.endswith(b">") else email


# What git counts as white space in a message (its own `isspace`: not \v or \f).
GIT_SPACE = b" \t\n\r"


def subject(raw: bytes) -> bytes:
    """The subject of a raw commit message exactly as git's `%s` makes it: blank lines at
    the start skipped, then the first paragraph's lines, each without its trailing white
    space, joined by one space (so a subject wrapped over two lines reads as one)."""
    lines: list[bytes] = []
    for line in raw.split(b"\n"):
        line = line.rstrip(GIT_SPACE)
        if line:
            lines.append(line)
        elif lines:
            break
    return b" ".join(lines)



@dataclass(frozen=True)
class PullRequest:
    """A pull (or merge) request behind a merge or squash commit."""

    number: str
    title: str = ""
    body: str = ""
    author: str | None = None
    merged: bool = True
    base: str | None = None
    # Requests it closes: its body's closing keywords (`Fixes #12`, the same grammar as a commit
    # message) and, where the host records them, its own closing list (GitHub's sidebar links).
    closes: tuple[str, ...] = ()
    url: str | None = None
    labels: tuple[str, ...] = ()  # what a release's notes group it by when its title has no type


@dataclass(frozen=True)
class Tag:
    """A build tag: its name, the commit it points at and its date (UTC, ISO 8601)."""

    name: str
    sha: str
    date: str
    commit_date: str = ""  # its commit's committer date (UTC, ISO 8601): a descendant's is never older


def root(request_id: str, requests: Mapping[str, Request]) -> str:
    """The original a duplicate was merged into (following chains)."""
    current = requests[request_id]
    if not current.duplicate_of:
        return request_id  # most requests: no chain to follow
    seen = {request_id}
    while current.duplicate_of and current.duplicate_of in requests and current.duplicate_of not in seen:
        seen.add(current.duplicate_of)
        current = requests[current.duplicate_of]
    return current.id
