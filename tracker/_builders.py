"""Credit's naming: who a shipping commit's author and its trailers' contacts are, named
truthfully. A login is one the issue system or the person gave (`credits.logins`, a
GitHub no-reply address, the issue system's data), never guessed from a name; anyone
else is named as plain text (see `tracker.credit`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass

from tracker import _logins as logins

# A trailer's value: `Name <email>`, `<email>`, or a login given as `@login`.
_CONTACT = re.compile(r"\A(?P<name>[^<>]*?)\s*<(?P<email>[^<>\s]+)>\s*\Z")
_GIVEN = re.compile(r"\A@(?P<login>[\w.-]+(?:\[bot\])?)\Z")


@dataclass(frozen=True)
class Person:
    """Someone credited for a part: a login when one is known, always a name to show."""

    name: str
    login: str | None = None


def split_ident(ident: str) -> tuple[str, str]:
    """(name, email) of a `Name<email>` identity as the scan keeps it (see `tracker._scan`)."""
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
            self._logins[ident] = logins.login_for(split_ident(ident)[1], self.given)
        parsed = {value: contact(value) for value in contacts}
        canonical = mailmap(sorted({f"{name} <{email}>" for name, email, _ in parsed.values() if email}))
        for value, (name, email, login) in parsed.items():
            if email:
                mapped = _CONTACT.match(canonical.get(f"{name} <{email}>", ""))
                if mapped:
                    name, email = mapped.group("name").strip() or name, mapped.group("email")
                login = logins.login_for(email, self.given)
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
                login = self._logins[builder] if builder in self._logins else logins.login_for(email, self.given)
                known = Person(name, login)
            self._people[builder] = known
        return known

    def contact(self, value: str) -> Person:
        """The person a trailer names."""
        known = self._contacts.get(value)
        if known is None:
            name, email, login = contact(value)
            return Person(name, login or (logins.login_for(email, self.given) if email else None))
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
