"""Credit: the people behind each shipped request and fixed bug report — suggesters,
co-suggesters, voters, reporters, testers, builders (DESIGN "Who is credited") — and
the hall of fame that adds them up across builds.

Each person is counted once per request among its suggesters and voters, in the most
honourable role they had: suggester, then co-suggester, then voter. Bots and
`credits.exclude` are left out.

Builders are named truthfully. A person is credited by login, and a login is only ever
one the issue system or the person gave: the issue system's own data, a GitHub no-reply
address (`12345+alice@users.noreply.github.com`), or the config's `credits.logins`
(email → login). `.mailmap` is applied by git itself before anything here sees an
email (`%aN`/`%aE`, `git check-mailmap`). A git author *name* never becomes a login:
"alice" the author may be any of a thousand people, and a wrong `@` pings a stranger.
Anyone else is named as plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker import _logins as logins
from tracker._builders import TRAILER_ROLES, Names, Person
from tracker._model import REPORT, Request, root

if TYPE_CHECKING:
    from tracker._scan import Linked
    from tracker._schema import Credit as CreditEntry
    from tracker._schema import Report, Shipped
    from tracker.collect import Collector

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

    def as_dict(self) -> CreditEntry:
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


def name_entry(entry: Shipped, report: bool, commits: Mapping[str, tuple[str, Sequence[tuple[str, str]]]],
               names: Names, exclude: Sequence[str]) -> Part:
    """Name one shipped request's (or fixed report's) builders in place — `builders`: the logins
    credited, `builder_names`: everyone else as plain text (no login known, a bot, or
    `credits.exclude`) — and return its part in the credits, trailers included."""
    counted = logins.keys(tuple(exclude))
    builders: list[str] = []
    plain: list[str] = []
    trailers: dict[str, list[str]] = {}

    def build(person: Person) -> None:
        key = counted[person.login] if person.login else None
        if person.login and key is not None:
            if all(counted[login] != key for login in builders):
                builders.append(person.login)
        elif person.login is None and person.name and counted[person.name] is not None and person.name not in plain:
            plain.append(person.name)  # a bot's or an excluded account's name is not shown either

    for builder in entry["builders"]:
        build(names.person(builder))
    for sha in entry["commits"]:
        for key, value in commits[sha][1] if sha in commits else ():
            role = TRAILER_ROLES.get(key)
            person = names.contact(value)
            if role == "built":
                build(person)
            elif role and person.login:
                trailers.setdefault(role, []).append(person.login)
    entry["builders"], entry["builder_names"] = builders, plain
    who = People(entry["author"], list(entry["co_authors"]), list(entry["voters"]))
    return Part(entry["id"], who, report, builders, trailers)


def hall_of_fame(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Credits across builds (reports newest first): requests suggested, voted, built,
    reported (bug reports fixed) and tested.

    A request counts when it shipped and was not withdrawn by a later build; a
    request withdrawn and shipped again counts from the builds after the withdrawal.
    """
    chronological = list(reversed(reports))
    last_withdrawn: dict[str, int] = {}
    for index, data in enumerate(chronological):
        for withdrawn in data["withdrawn"]:
            last_withdrawn[withdrawn["id"]] = index
    table: dict[str, dict[str, Any]] = {}
    for index, data in reversed(list(enumerate(chronological))):  # newest first: ids and builds read that way
        for credit in data["credits"]:
            entry = table.setdefault(credit["login"].lower(), {
                "login": credit["login"], "suggested": [], "voted": [], "built": [], "reported": [], "tested": [],
                "builds": []})
            counted = False
            for role in ROLES:
                ids: Sequence[str] = credit.get(role, ())  # type: ignore[assignment]  # reports of older versions lack reported/tested
                for rid in ids:
                    if last_withdrawn.get(rid, -1) > index:
                        continue
                    counted = True
                    if rid not in entry[role]:
                        entry[role].append(rid)
            if counted and data["build"] not in entry["builds"]:
                entry["builds"].append(data["build"])
    rows = [e for e in table.values() if any(e[role] for role in ROLES)]
    rows.sort(key=lambda e: (-len(e["suggested"]), -len(e["voted"]), e["login"].casefold(), e["login"]))
    return rows


def credit(out: Report, requests: Mapping[str, Request], given: Mapping[str, str], exclude: Sequence[str],
           collector: Collector, commit_logins: Callable[[Sequence[str], str, int], Mapping[str, str]] | None,
           tip: str, previous: str | None, within: int, inside: Set[str] | None = None) -> None:
    """Name the builders of `out`'s shipped requests and fixed reports, read their commits'
    credit trailers, and fill `out["credits"]` (DESIGN "Who is credited, and how they are
    named"). `given`: `credits.logins`; `commit_logins`: the issue system's own login of
    commits' authors (GitHub: the author's account), asked only for those nothing else names."""
    entries = [*out["shipped"], *out["fixed"]]
    if not entries:
        return
    names = Names(given)
    commits = collector.authorship({sha for entry in entries for sha in entry["commits"]})
    names.learn({ident for ident, _ in commits.values()},
                [value for _, trailers in commits.values() for _, value in trailers], collector.mailmap)
    unknown = [sha for sha, (ident, _) in commits.items() if names.login(ident) is None]
    if unknown and commit_logins is not None:
        names.found({commits[sha][0]: login for sha, login in commit_logins(unknown, tip, within).items()
                     if sha in commits})
    parts = [name_entry(entry, requests[entry["id"]].kind == REPORT, commits, names, exclude) for entry in entries]
    tally_ = tally(parts, exclude)
    mark_first(tally_, _credited_before(tally_, requests, entries, names, collector, previous, tip, inside))
    out["credits"] = [each.as_dict() for each in tally_]


def _credited_before(tally: Sequence[Credit], requests: Mapping[str, Request], entries: Sequence[Mapping[str, Any]],
                     names: Names, collector: Collector, previous: str | None, tip: str | None = None,
                     inside: Set[str] | None = None) -> set[str]:
    """Keys (lower-case logins) of `first` candidates that an earlier build credited, judged
    from what this run reads anyway (README "Who is credited"): a request or bug report
    of theirs closed by a commit reachable from the previous build, or a commit of theirs
    (by an email this build saw for them, `credits.logins`, or their no-reply address)."""
    candidates = {logins.key(c.login): c for c in first_candidates(tally)}
    if previous is None or not candidates:
        return set()
    before: set[str] = set()
    here = {entry["id"] for entry in entries}
    # Their requests (and duplicates, by the request they were merged into) closed before.
    theirs: dict[str, set[str]] = {}
    for request in requests.values():
        if request.author and logins.key(request.author) in candidates and request.id not in here:
            top = root(request.id, requests)
            if top not in here:
                theirs.setdefault(top, set()).add(logins.key(request.author))
    if theirs:
        def closed(item: Linked) -> set[str]:
            """The candidates a closing of theirs credited before (all of them: stop reading)."""
            if not item.parsed.reverts:
                for rid in item.parsed.closes:
                    before.update(theirs.get(root(rid, requests) if rid in requests else rid, set()))
            return set(candidates) - before

        # On a first run (no link index), no further back than this build's own requests
        # were opened: a fan credited only before then may be called new (README).
        collector.closed_before(previous, set(theirs), closed, tip=tip, inside=inside)
    # Their commits before, for those credited for building.
    builders = {key: each for key, each in candidates.items() if each.built and key not in before}
    if builders:
        emails = names.emails_of(builders)
        patterns = [f"<{email}>" for email in emails] + [
            form.format(each.login) for each in builders.values()
            for form in ("<{}@users.noreply.", "+{}@users.noreply.")]

        def whose(email: str) -> str | None:
            login = emails.get(email.lower()) or logins.noreply_login(email)
            return logins.key(login) if login and logins.key(login) in builders else None

        before |= collector.authors_before(previous, patterns, whose, len(builders))
    return before
