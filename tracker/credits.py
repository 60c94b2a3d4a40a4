"""Credit: the people behind each shipped request — suggesters, co-suggesters, voters, builders.

Each person is counted once per request, in the most honourable role they had:
suggester, then co-suggester, then voter. Bots and `credits.exclude` are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tracker import logins
from tracker.model import Request


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


@dataclass
class Credit:
    """One person's part in a build (or across builds)."""

    login: str
    suggested: list[str] = field(default_factory=list)
    voted: list[str] = field(default_factory=list)
    built: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"login": self.login, "suggested": self.suggested, "voted": self.voted, "built": self.built}


def tally(shipped: Iterable[tuple[str, People, Sequence[str]]], exclude: Iterable[str]) -> list[Credit]:
    """Credits from (request id, people, builders) of each shipped request, ordered like the hall of fame."""
    counted = logins.keys(tuple(exclude))
    table: dict[str, Credit] = {}  # by login, case-insensitively (a long range credits thousands)
    get = table.get

    def entry(login: str) -> Credit:
        key = login.lower()
        credit = get(key)
        if credit is None:
            credit = table[key] = Credit(login)
        return credit

    for request_id, who, builders in shipped:
        for login in [who.author, *who.co_authors]:
            if login:
                entry(login).suggested.append(request_id)
        for login in who.voters:  # tens of thousands for a long range: `entry`, inline
            key = login.lower()
            credit = get(key)
            if credit is None:
                credit = table[key] = Credit(login)
            credit.voted.append(request_id)
        built: set[str] = set()  # each builder once per request, whatever the case of the login
        for login in builders:
            builder = counted[login]  # None for bots and `credits.exclude`
            if builder is None or builder in built:
                continue
            built.add(builder)
            credit = get(builder)
            if credit is None:
                credit = table[builder] = Credit(login)
            credit.built.append(request_id)
    return order(table.values())


def order(credits: Iterable[Credit]) -> list[Credit]:
    """Most suggested first, then most voted, then login (case-insensitive)."""
    return sorted(credits, key=lambda c: (-len(c.suggested), -len(c.voted), c.login.casefold(), c.login))
