"""The schema-1 report of one build: the contract scripts and templates read.

Field names and meanings are fixed by DESIGN.md; fields may be added, none may
change meaning without `schema` going up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

from tracker.model import REPORT, PullRequest, Request, Tag

if TYPE_CHECKING:
    from tracker.builds import Scanned
    from tracker.credits import People
    from tracker.decision import Decision

SCHEMA = 1


class Shipped(TypedDict):
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


class Pull(TypedDict):
    """A merged pull request of the build's range, as the issue system knows it."""

    number: str
    title: str
    author: str | None
    labels: list[str]
    url: str | None


class Change(TypedDict):
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


class Report(TypedDict):
    """The schema-1 report (DESIGN "JSON report"). `changes` is a sequence of `Change`: a plain
    list in what publishers receive, spooled (`tracker.changes.Changes`) inside a command."""

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
    changes: Sequence[Change]
    credits: list[Credit]


def _id_key(request_id: str) -> tuple[int, int, str]:
    return (0, int(request_id), "") if request_id.isdigit() else (1, 0, request_id)


def build(
    tag: Tag,
    previous: str | None,
    scanned: Scanned,
    decision: Decision,
    requests: Mapping[str, Request],
    people: Mapping[str, People],
    exclude: Sequence[str],
    project: str | None = None,
    shipped_in: Mapping[str, str] | None = None,
    pulls: Sequence[PullRequest] = (),
) -> Report:
    """Assemble the report from the decision and the people behind each request.

    Bug reports (`reports.labels`) the build closed go to `fixed`, shaped like `shipped`.
    `builders` are still the decision's (`Name<email>` identities and pull-request
    authors' logins) and `credits` is empty: the credit step (`Session._credit`) names the
    builders and fills the credits (and `builder_names`).
    """
    shipped: list[Shipped] = []
    for request_id, commits in decision.shipped.items():
        request = requests[request_id]
        who = people[request_id]
        shipped.append({
            "id": request_id,
            "title": request.title,
            "url": request.url,
            "author": who.author,
            "co_authors": who.co_authors,
            "votes": len(who.voters),
            "voters": who.voters,
            "commits": commits,
            "pulls": decision.pulls.get(request_id, []),
            "builders": decision.builders.get(request_id, []),
            "builder_names": [],
        })
    shipped.sort(key=lambda s: (-s["votes"], _id_key(s["id"])))
    fixed = [entry for entry in shipped if requests[entry["id"]].kind == REPORT]
    shipped = [entry for entry in shipped if requests[entry["id"]].kind != REPORT]
    withdrawn: list[Withdrawn] = [
        {"id": rid, "title": requests[rid].title, "url": requests[rid].url, "commits": shas}
        for rid, shas in sorted(decision.withdrawn.items(), key=lambda kv: _id_key(kv[0]))
    ]
    # Closed again here but shipped by an earlier build (`shipped_in`: id → that build).
    already: list[AlreadyShipped] = [
        {"id": rid, "title": requests[rid].title, "url": requests[rid].url,
         "in": (shipped_in or {}).get(rid, previous or ""), "commits": shas}
        for rid, shas in sorted(decision.already.items(), key=lambda kv: _id_key(kv[0]))
    ]
    return {
        "schema": SCHEMA,
        "build": tag.name,
        "previous": previous,
        "date": tag.date,
        "project": project,
        "commits": scanned.count,
        "shipped": shipped,
        "withdrawn": withdrawn,
        "fixed": fixed,
        "already_shipped": already,
        # The build's merged pull requests as the issue system knows them (the notes' lines).
        "pulls": [{"number": p.number, "title": p.title, "author": p.author, "labels": list(p.labels), "url": p.url}
                  for p in sorted(pulls, key=lambda p: _id_key(p.number)) if p.merged],
        "changes": scanned.changes,
        "credits": [],
    }
