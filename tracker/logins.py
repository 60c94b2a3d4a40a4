"""Logins: the one shape a fan's name may take, and who counts as a bot.

A login names files (`cards/LOGIN.svg`), so it is checked once, at the door.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

_LOGIN = re.compile(r"[\w.-]{1,100}")


def valid(login: str) -> bool:
    """Letters of any script, digits, `-`, `_` and `.`; not starting with `.`; 1–100 long."""
    return bool(login) and not login.startswith(".") and _LOGIN.fullmatch(login) is not None


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
