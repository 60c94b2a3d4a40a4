"""The report: one build's decision, credits and changes assembled into the schema-1
report (`tracker._schema`), the contract scripts, templates and publishers read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tracker._model import REPORT, PullRequest, Request, Tag
from tracker._schema import SCHEMA, AlreadyShipped, Report, Shipped, Withdrawn

if TYPE_CHECKING:
    from tracker._scan import Scanned
    from tracker.credit import People
    from tracker.decide import Decision

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
            "votes": max(len(who.voters), request.upvotes or 0),
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
