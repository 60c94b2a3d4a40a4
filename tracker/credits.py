"""Credit: the people behind each shipped request and fixed bug report — suggesters,
co-suggesters, voters, reporters, testers, builders (DESIGN "Who is credited").

Each person is counted once per request among its suggesters and voters, in the most
honourable role they had: suggester, then co-suggester, then voter. Bots and
`credits.exclude` are left out. Who a git author is (`Name<email>` → login) is
`tracker.naming`'s question; everything here is already a login.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracker import logins
from tracker.model import Request

if TYPE_CHECKING:
    from tracker import report


@dataclass
class People:
    """Everyone behind one shipped request."""

    author: str | None
    co_authors: list[str] = field(default_factory=list)
    voters: list[str] = field(default_factory=list)


class Duplicates:
    """Which requests were merged into which: built once, asked many times."""

    def __init__(self, requests: Mapping[str, Request]):
        self.children: dict[str, list[str]] = {}
        for request in requests.values():
            if request.duplicate_of:
                self.children.setdefault(request.duplicate_of, []).append(request.id)

    def of(self, request_id: str) -> list[str]:
        """Ids of requests merged into `request_id`, directly or through a chain."""
        return _descendants(request_id, self.children)


def _descendants(request_id: str, children: Mapping[str, list[str]]) -> list[str]:
    out: list[str] = []
    stack = list(children.get(request_id, []))
    while stack:
        current = stack.pop(0)
        if current in out or current == request_id:
            continue
        out.append(current)
        stack.extend(children.get(current, []))
    return out


def people(request_id: str, requests: Mapping[str, Request], voters: Mapping[str, Sequence[str]],
           exclude: Iterable[str], duplicates: Duplicates | None = None) -> People:
    """The suggester, co-suggesters (authors of duplicates) and voters of one request."""
    counted = logins.keys(tuple(exclude))  # login → its key, None if excluded (a dict lookup a vote)
    request = requests[request_id]
    author = request.author if request.author and counted[request.author] else None
    result = People(author=author)
    taken = {author.lower()} if author else set()
    dups = (duplicates or Duplicates(requests)).of(request_id)
    for dup in dups:
        login = requests[dup].author
        key = counted[login] if login else None
        if login and key is not None and key not in taken:
            result.co_authors.append(login)
            taken.add(key)
    add, append = taken.add, result.voters.append
    for source in [request_id, *dups]:
        for login in voters.get(source, ()):
            key = counted[login]
            if key is not None and key not in taken:
                append(login)
                add(key)
    return result


# Every part a person can have in a build, in the report's order.
ROLES = ("suggested", "voted", "built", "reported", "tested")
# The parts whose history tracker can check cheaply (see `first_candidates`).
FIRST_ROLES = ("suggested", "reported", "built")


@dataclass
class Credit:
    """One person's part in a build (or across builds)."""

    login: str
    suggested: list[str] = field(default_factory=list)
    voted: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    tested: list[str] = field(default_factory=list)
    first: bool = False

    def as_dict(self) -> report.Credit:
        return {"login": self.login, "suggested": self.suggested, "voted": self.voted, "built": self.built,
                "reported": self.reported, "tested": self.tested, "first": self.first}


@dataclass
class Part:
    """Everyone one shipped request (or fixed bug report) credits, by login.

    `who` are its author, co-authors (authors of duplicates) and voters: suggesters of a
    request, reporters of a bug report. `builders` are the logins of its commits' and pull
    requests' authors and `Co-authored-by:` trailers; `trailers` the other trailers' logins
    by role (`suggested`, `reported`, `tested`).
    """

    id: str
    who: People
    report: bool = False
    builders: Sequence[str] = ()
    trailers: Mapping[str, Sequence[str]] = field(default_factory=dict)


def tally(parts: Iterable[Part], exclude: Iterable[str]) -> list[Credit]:
    """Credits from each shipped request's and fixed report's part, ordered like the hall of fame.

    Logins compare without case (the first spelling seen is kept); each person counts once
    per request in each role; bots and `credits.exclude` are never credited.
    """
    counted = logins.keys(tuple(exclude))
    table: dict[str, Credit] = {}  # by login, case-insensitively (a long range credits thousands)
    get = table.get

    def give(role: str, request_id: str, names: Iterable[str | None]) -> None:
        done: set[str] = set()  # each person once per request and role, whatever the case of the login
        for login in names:
            key = counted[login] if login else None  # None for bots and `credits.exclude`
            if not login or key is None or key in done:
                continue
            done.add(key)
            credit = get(key)
            if credit is None:
                credit = table[key] = Credit(login)
            getattr(credit, role).append(request_id)

    for part in parts:
        who = part.who
        give("reported" if part.report else "suggested", part.id,
             [who.author, *who.co_authors, *part.trailers.get("reported" if part.report else "suggested", ())])
        if part.report:
            give("suggested", part.id, part.trailers.get("suggested", ()))
        else:
            give("reported", part.id, part.trailers.get("reported", ()))
        for login in who.voters:  # tens of thousands for a long range: inline, not through `give`
            key = counted[login]
            if key is None:
                continue
            credit = get(key)
            if credit is None:
                credit = table[key] = Credit(login)
            credit.voted.append(part.id)
        give("built", part.id, part.builders)
        give("tested", part.id, part.trailers.get("tested", ()))
    return order(table.values())


def first_candidates(credits: Iterable[Credit]) -> list[Credit]:
    """Who may be marked `first`: those credited for suggesting, reporting or building.

    Earlier votes and `Tested-by:` trailers are never read (that would cost a request per
    earlier request, or every earlier commit's message), so a login credited only for those
    is not claimed to be new.
    """
    return [c for c in credits if any(getattr(c, role) for role in FIRST_ROLES)]


def mark_first(credits: Iterable[Credit], before: Container[str]) -> None:
    """Mark `first` every candidate whose key (lower-case login) is not among those credited `before`."""
    for credit in first_candidates(credits):
        credit.first = logins.key(credit.login) not in before


def order(credits: Iterable[Credit]) -> list[Credit]:
    """Most suggested first, then most voted, then login (case-insensitive)."""
    return sorted(credits, key=lambda c: (-len(c.suggested), -len(c.voted), c.login.casefold(), c.login))
