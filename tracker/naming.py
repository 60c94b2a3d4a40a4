"""Credit: who a git identity is, named truthfully.

A person is credited by login, and a login is only ever one the issue system or the
person gave: the issue system's own data (asked by the pipeline), a GitHub no-reply
address (`12345+alice@users.noreply.github.com`), or the config's `credits.logins`
(email → login). `.mailmap` is applied by git itself before anything here sees an
email (`%aN`/`%aE`, `git check-mailmap`). A git author *name* never becomes a login:
"alice" the author may be any of a thousand people, and a wrong `@` pings a stranger.
Anyone else is named as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker import credits, logins

if TYPE_CHECKING:
    from tracker.report import Shipped

# GitHub's no-reply addresses: `ID+login@users.noreply.github.com`, and the older form
# without the ID; GitHub Enterprise Server uses its own host after `users.noreply.`.
_NOREPLY = re.compile(r"\A(?:\d+\+)?([^@+]+)@users\.noreply\.[^@\s]+\Z", re.IGNORECASE)
# A trailer's value: `Name <email>`, `<email>`, or a login given as `@login`.
_CONTACT = re.compile(r"\A(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s]+)>\s*\Z")
_GIVEN = re.compile(r"\A@(?P<login>[\w.-]+(?:\[bot\])?)\Z")


@dataclass(frozen=True)
class Person:
    """Someone credited for a part: a login when one is known, always a name to show."""

    name: str
    login: str | None = None


def noreply_login(email: str) -> str | None:
    """The login in a GitHub no-reply address, else None."""
    match = _NOREPLY.match(email.strip())
    return match.group(1) if match and logins.valid(match.group(1)) else None


def login_for(email: str, given: Mapping[str, str]) -> str | None:
    """The login an email stands for: `credits.logins` (keys in lower case), then a no-reply address."""
    return given.get(email.strip().lower()) or noreply_login(email)


def split_ident(ident: str) -> tuple[str, str]:
    """(name, email) of a `Name<email>` identity as the scan keeps it (see `tracker.builds`)."""
    name, _, email = ident.partition("<")
    return name.strip(), email.removesuffix(">").strip()


def is_ident(builder: str) -> bool:
    """True for a git identity (`Name<email>`), False for a login (logins never hold `<`)."""
    return "<" in builder


def contact(value: str) -> tuple[str, str | None, str | None]:
    """(name, email, login given with `@`) of a trailer value such as `Co-authored-by:`'s."""
    value = value.strip()
    given = _GIVEN.match(value)
    if given and logins.valid(given.group("login")):
        return value[1:], None, given.group("login")
    match = _CONTACT.match(value)
    if match:
        return match.group("name").strip() or match.group("email"), match.group("email"), None
    return value, None, None


# Trailers on a shipping commit, and the part each credits (DESIGN "Who is credited").
TRAILER_ROLES = {"co-authored-by": "built", "suggested-by": "suggested", "reported-by": "reported",
                 "tested-by": "tested"}


class Names:
    """Who each git identity and trailer contact of one build's credited commits is.

    Identities (`Name<email>`, already through `.mailmap`) are named by `credits.logins`,
    then no-reply addresses; `found` adds what the issue system knows; contacts in
    trailers go through `.mailmap` first (`learn`'s `mailmap`, git's `check-mailmap`).
    """

    def __init__(self, given: Mapping[str, str]):
        self.given = given
        self._logins: dict[str, str | None] = {}  # identity → login
        self._contacts: dict[str, tuple[Person, str | None]] = {}  # trailer value → (person, email)
        self._people: dict[str, Person] = {}  # builder → person (a long range names each builder often)

    def learn(self, idents: Iterable[str], contacts: Iterable[str],
              mailmap: Callable[[list[str]], Mapping[str, str]]) -> None:
        """Name `idents` (commit authors) and `contacts` (trailer values) from what they say."""
        for ident in idents:
            self._logins[ident] = login_for(split_ident(ident)[1], self.given)
        parsed = {value: contact(value) for value in contacts}
        canonical = mailmap(sorted({f"{name} <{email}>" for name, email, _ in parsed.values() if email}))
        for value, (name, email, login) in parsed.items():
            if email:
                mapped = _CONTACT.match(canonical.get(f"{name} <{email}>", ""))
                if mapped:
                    name, email = mapped.group("name").strip() or name, mapped.group("email")
                login = login_for(email, self.given)
            self._contacts[value] = (Person(name, login), email)

    def login(self, ident: str) -> str | None:
        """The login of a commit author's identity, if known."""
        return self._logins.get(ident)

    def found(self, logins_of: Mapping[str, str]) -> None:
        """Logins the issue system gave for identities that had none (invalid ones are ignored)."""
        for ident, login in logins_of.items():
            if self._logins.get(ident) is None and login and logins.valid(login):
                self._logins[ident] = login
        self._people.clear()

    def person(self, builder: str) -> Person:
        """A builder as the decision lists it: a commit author's identity, or a pull request author's login."""
        known = self._people.get(builder)
        if known is None:
            if not is_ident(builder):
                known = Person(builder, builder)
            else:
                name, email = split_ident(builder)
                known = Person(name, self._logins[builder] if builder in self._logins else login_for(email, self.given))
            self._people[builder] = known
        return known

    def contact(self, value: str) -> Person:
        """The person a trailer names."""
        known = self._contacts.get(value)
        if known is None:
            name, email, login = contact(value)
            return Person(name, login or (login_for(email, self.given) if email else None))
        return known[0]

    def emails_of(self, keys: Container[str]) -> dict[str, str]:
        """Email (lower case) → login, for every email this build or `credits.logins` ties to a
        login whose key is in `keys`."""
        out = {email: login for email, login in self.given.items() if logins.key(login) in keys}
        for ident, login in self._logins.items():
            if login and logins.key(login) in keys:
                out.setdefault(split_ident(ident)[1].lower(), login)
        for person, email in self._contacts.values():
            if email and person.login and logins.key(person.login) in keys:
                out.setdefault(email.lower(), person.login)
        return out


def name_entry(entry: Shipped, report: bool, commits: Mapping[str, tuple[str, Sequence[tuple[str, str]]]],
               names: Names, exclude: Sequence[str]) -> credits.Part:
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
    who = credits.People(entry["author"], list(entry["co_authors"]), list(entry["voters"]))
    return credits.Part(entry["id"], who, report, builders, trailers)
