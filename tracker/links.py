"""The reference grammar: what a commit or pull request message says about requests.

One compiled tokenizer walks the message once (`finditer`); closing lists are
recognised by looking at the gaps between tokens, and `owner/repo#N` prefixes by
a bounded look-back, so no pattern can backtrack: a megabyte of `#` and digits
parses in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
     (?P<kw>\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b)
    |(?P<impl>^[ \t]*implements[ \t]*:)
    |(?P<url>\bhttps?://[^\s/<>()\[\],;"']{1,255}/[^\s<>()\[\],;"']{1,400})
    |(?P<gh>\bGH-(?P<ghn>\d{1,9})(?!\w))
    |(?P<hash>\#(?P<hn>\d{1,9})(?!\w))
    |(?P<sep>,|&|\band\b)
    """,
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
# What may stand between a keyword and the first reference: a conventional-commit
# scope and breaking mark (`fix(ui)!: #3`), a colon (`Closes: #12`), spaces.
_AFTER_KEYWORD = re.compile(r"(?:\([^()\n]{0,64}\))?!?[ \t]*:?[ \t]*\n?[ \t]*\Z")
_BLANK = re.compile(r"[ \t]*\n?[ \t]*\Z")
_REPO_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")
# Applied to one URL token (at most a few hundred characters), so it cannot run away.
_ISSUE_URL = re.compile(r"\A(?P<path>[^?#]+?)/(?:-/)?issues/(?P<n>\d{1,9})(?:[/?#.]|\Z)")
_REPO_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+\Z")
_MERGE_PR = re.compile(r"\AMerge pull request #(\d{1,9}) from ")
_MERGE_MR = re.compile(r"^See merge request (\S{1,255})!(\d{1,9})\s*$", re.MULTILINE)
_SQUASH_PR = re.compile(r"\(#(\d{1,9})\)\s*\Z")
_REVERT = re.compile(r"This reverts commit ([0-9a-f]{7,64})", re.IGNORECASE)
_CHERRY = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,64})\)", re.IGNORECASE)
_CONVENTIONAL = re.compile(r"\A([a-z]{2,12})(?:\([^()\n]{0,64}\))?!?:\s")
# No person writes this many references in one message; past it the rest is noise
# (or an attack), and stopping keeps hostile input cheap. Nothing past it can ship.
MAX_TOKENS = 5000
# Cheap tests that let most commits skip the tokenizer entirely (on the raw bytes,
# before decoding), and let the rest tokenize only from just before the first reference.
_MAYBE = re.compile(r"#\d|gh-\d|://|revert|cherry|merge request", re.IGNORECASE)
MAYBE_BYTES = re.compile(rb"#\d|[gG][hH]-\d|://|[rR]evert|[cC]herry|[mM]erge request")
_FIRST_REF = re.compile(r"#\d|gh-\d|://", re.IGNORECASE)


@dataclass(frozen=True)
class Repository:
    """The identity references are checked against: `owner/name`, case-insensitive."""

    slug: str | None = None

    def same(self, path: str) -> bool:
        return self.slug is not None and path.strip("/").lower() == self.slug.lower()


@dataclass
class Parsed:
    """What one message says: requests it closes or mentions, and commit-level facts."""

    closes: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    pull: str | None = None
    reverts: list[str] = field(default_factory=list)
    cherry_of: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.closes or self.refs or self.pull or self.reverts or self.cherry_of)


def _owner_prefix(text: str, pos: int) -> str:
    """The `owner/repo` run right before position `pos` (bounded look-back)."""
    start = pos
    limit = max(0, pos - 256)
    while start > limit and text[start - 1] in _REPO_CHARS:
        start -= 1
    return text[start:pos]


def _number(match: re.Match[str], text: str, repo: Repository, skip: frozenset[int]) -> str | None:
    """The request number a reference token names, or None when it names none here."""
    kind = match.lastgroup
    if kind == "hash":
        start = match.start()
        if start in skip:
            return None
        if start and text[start - 1] in _REPO_CHARS:
            prefix = _owner_prefix(text, start)
            if not _REPO_PATH.match(prefix) or not repo.same(prefix):
                return None  # another repository, or not a reference at all (`C#1`, `abc#2`)
        elif start and text[start - 1] == "&":
            return None  # an HTML entity such as `&#39;`
        return str(int(match.group("hn")))
    if kind == "gh":
        return str(int(match.group("ghn")))
    url = _ISSUE_URL.match(match.group("url").split("://", 1)[1].split("/", 1)[1])
    if url is None or not repo.same(url.group("path")):
        return None
    return str(int(url.group("n")))


def references(text: str, repo: Repository, skip: frozenset[int] = frozenset()) -> tuple[list[str], list[str]]:
    """Return (closing ids, mentioned ids) in order of appearance, each id once.

    `skip` holds start offsets of `#N` tokens that are not request references
    (the pull request number of a merge or squash subject).
    """
    closes: dict[str, None] = {}
    mentions: dict[str, None] = {}
    closing = False
    after_keyword = False
    first = _FIRST_REF.search(text)
    if first is None:
        return [], []
    # A keyword reaches a reference across at most one line break, so nothing before
    # the line above the first reference can matter: start tokenizing there.
    line = text.rfind("\n", 0, first.start())
    last_end = text.rfind("\n", 0, line) + 1 if line > 0 else 0
    for count, match in enumerate(_TOKEN.finditer(text, last_end)):
        if count >= MAX_TOKENS:
            break
        kind = match.lastgroup
        if kind == "kw" or kind == "impl":
            closing, after_keyword, last_end = True, True, match.end()
            continue
        if closing:
            start = match.start()
            if kind == "hash" and start and text[start - 1] in _REPO_CHARS:
                start -= len(_owner_prefix(text, start))  # `owner/repo#N` starts at the owner
            gap = text[last_end:start]
            if gap and not (_AFTER_KEYWORD if after_keyword else _BLANK).match(gap):
                closing = False
        after_keyword = False
        last_end = match.end()
        if kind == "sep":
            continue
        number = _number(match, text, repo, skip)
        if number is not None:
            (closes if closing else mentions)[number] = None
    return list(closes), [m for m in mentions if m not in closes]


def parse(message: str, repo: Repository) -> Parsed:
    """Everything a commit message says, under DESIGN.md's link rules."""
    parsed = Parsed()
    if not _MAYBE.search(message):
        return parsed
    skip: set[int] = set()
    merge = _MERGE_PR.match(message)
    if merge:
        parsed.pull = merge.group(1)
        skip.add(message.index("#"))
    else:
        mr = _MERGE_MR.search(message) if "merge request" in message else None
        if mr and repo.same(mr.group(1)):
            parsed.pull = mr.group(2)
        else:
            subject = message.split("\n", 1)[0].rstrip()
            squash = _SQUASH_PR.search(subject)
            if squash:
                parsed.pull = squash.group(1)
                skip.add(squash.start() + 1)
    lowered = message.lower()
    if "reverts commit" in lowered:
        parsed.reverts = list(dict.fromkeys(m.lower() for m in _REVERT.findall(message)))
    if "cherry picked" in lowered:
        parsed.cherry_of = list(dict.fromkeys(m.lower() for m in _CHERRY.findall(message)))
    closes, refs = references(message, repo, frozenset(skip))
    if parsed.reverts:
        # A revert quotes the subject it undoes (`Revert "Fix #12"`): that is not a new closing.
        refs = list(dict.fromkeys(closes + refs))
        closes = []
    parsed.closes, parsed.refs = closes, refs
    return parsed


def conventional_type(summary: str) -> str | None:
    """`feat`, `fix`, … when the summary follows Conventional Commits."""
    match = _CONVENTIONAL.match(summary)
    return match.group(1).lower() if match else None
