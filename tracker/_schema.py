"""The schema-1 report as types: what every stage after `decide` reads and writes, and
what publishers receive (re-exported by `tracker.hooks`).

Field names and meanings are fixed by DESIGN.md ("JSON report"); fields may be added,
none may change meaning without `schema` going up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

SCHEMA = 1


class _ShippedOnChannels(TypedDict, total=False):
    # With `builds.channels`: the build of another channel that shipped it first ("first in v2.0-beta.3").
    first_in: str


class Shipped(_ShippedOnChannels):
    """A request the build shipped (or, in `fixed`, a bug report it fixed)."""

    id: str
    title: str
    url: str | None
    author: str | None  # the suggester (the reporter, for a bug report); None when the account is gone
    co_authors: list[str]  # authors of its duplicates
    votes: int
    voters: list[str]  # without the author and bots
    commits: list[str]  # the full shas that shipped it
    pulls: list[str]  # the pull request numbers behind those commits
    builders: list[str]  # logins credited for building it
    builder_names: list[str]  # builders with no known login: plain text, never an @mention


class Withdrawn(TypedDict):
    """A request an earlier build shipped whose only shipping commit this build reverted."""

    id: str
    title: str
    url: str | None
    commits: list[str]  # the reverting commits


# A request closed again in this build but shipped by an earlier one (a request ships once);
# `in` is the build that shipped it (a keyword, hence the functional form).
AlreadyShipped = TypedDict("AlreadyShipped", {
    "id": str, "title": str, "url": "str | None", "in": str, "commits": list[str]})
AlreadyShipped.__doc__ = ("A request closed again in this build but shipped by an earlier one: `in` is the"
                          " build that shipped it.")


class Pull(TypedDict):
    """A merged pull request of the build's range, as the issue system knows it."""

    number: str
    title: str
    author: str | None
    labels: list[str]
    url: str | None


class ChangeEntry(TypedDict):
    """One commit of the build's range."""

    sha: str
    summary: str
    author: str  # the git author's name
    login: str | None  # the login its email stands for (`credits.logins`, a no-reply address), else None
    type: str | None  # the conventional-commit type, when the subject has one
    requests: list[str]  # the requests it names
    pull: str | None  # the pull request its subject names (a squash or merge commit)


class Credit(TypedDict):
    """Everything one login is credited with in the build (request ids by role)."""

    login: str
    suggested: list[str]
    voted: list[str]
    built: list[str]
    reported: list[str]
    tested: list[str]
    first: bool  # the first build that credits this login at all


class RoadmapEntry(TypedDict):
    """An open request of the roadmap, as `tracker top --format json` lists it."""

    id: str
    title: str
    author: str | None
    votes: int
    url: str | None


class _ReportOnChannels(TypedDict, total=False):
    channel: str  # the build's channel, with `builds.channels`
    component: str  # the build's component, with `components`
    # The most-voted open requests when the report was made (what another repository's site
    # merges into its roadmap, `site.reports`); none that this build shipped.
    roadmap: list[RoadmapEntry]


class Report(_ReportOnChannels):
    """The schema-1 report (DESIGN "JSON report"). `changes` is a sequence of `ChangeEntry`: a plain
    list in what publishers receive, spooled (`tracker._changes.Changes`) inside a command."""

    schema: int
    build: str
    previous: str | None
    date: str
    project: str | None
    commits: int
    shipped: list[Shipped]
    withdrawn: list[Withdrawn]
    fixed: list[Shipped]
    already_shipped: list[AlreadyShipped]
    pulls: list[Pull]
    changes: Sequence[ChangeEntry]
    credits: list[Credit]

