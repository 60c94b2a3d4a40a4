"""Logins: the one shape a fan's name may take, and who counts as a bot.

A login names files (`cards/LOGIN.svg`), so it is checked once, at the door.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from functools import lru_cache

_LOGIN = re.compile(r"[\w.-]{1,100}(\[bot\])?")
# GitHub's no-reply addresses: `ID+login@users.noreply.github.com`, and the older form
# without the ID; GitHub Enterprise Server uses its own host after `users.noreply.`.
_NOREPLY = re.compile(r"\A(?:\d+\+)?([^@+]+)@users\.noreply\.[^@\s]+\Z", re.IGNORECASE)


def given(text: str) -> str:
    """A login as a person types it: `@bob` is `bob` (one leading `@`, as a mention writes it)."""
    return text[1:] if text.startswith("@") else text


def valid(login: str) -> bool:
    """Letters of any script, digits, `-`, `_` and `.`; not starting with `.`; 1–100 long;
    optionally ending in `[bot]` (how GitHub names its Apps: `dependabot[bot]`)."""
    return bool(login) and not login.startswith(".") and _LOGIN.fullmatch(login) is not None


def is_app(login: str) -> bool:
    """A GitHub App's login (`…[bot]`): valid, never mentioned, never credited by default."""
    return login.endswith("[bot]")


def key(login: str) -> str:
    """What a login is compared by: GitHub's logins ignore case, so `Bob` and `bob` are one person."""
    return login.lower()


class _Keys(dict[str, "str | None"]):
    """login → the key it is counted under (lower case), None for bots and excluded logins;
    each login worked out once, then answered by a plain dict lookup."""

    def __init__(self, patterns: tuple[str, ...]):
        super().__init__()
        self.patterns = patterns

    def __missing__(self, login: str) -> str | None:
        key = self[login] = None if not login or _excluded(login, self.patterns) else login.lower()
        return key


@lru_cache(maxsize=16)
def keys(patterns: tuple[str, ...]) -> dict[str, str | None]:
    """`_Keys` for one set of patterns (credits ask once per vote)."""
    return _Keys(patterns)


@lru_cache(maxsize=65536)
def _excluded(login: str, patterns: tuple[str, ...]) -> bool:
    """True for bots and anyone `credits.exclude` names.

    Only `*` and `?` are wildcards, so the default `*[bot]` means a literal `[bot]`
    suffix (as GitHub names apps), not a character class.
    """
    lowered = login.lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower().replace("[", "[[]")) for p in patterns)


def noreply_login(email: str) -> str | None:
    """The login in a GitHub no-reply address, else None."""
    match = _NOREPLY.match(email.strip())
    return match.group(1) if match and valid(match.group(1)) else None


def login_for(email: str, given: Mapping[str, str]) -> str | None:
    """The login an email stands for: `credits.logins` (keys in lower case), then a no-reply address."""
    return given.get(email.strip().lower()) or noreply_login(email)
