"""The reference grammar: what a commit or pull request message says about requests.

Two scans find the references and the closing keywords; from each keyword an
anchored walk takes the list that follows it (`Fixes #1, #2 and #3`). Every
pattern is bounded or anchored and `owner/repo#N` prefixes are found by a
bounded look-back, so nothing can backtrack: a megabyte of `#` and digits parses
in linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import cast

# A reference: `#N`, `GH-N`, or an issue URL. Every branch starts with a literal
# character so the regex engine skips ahead at C speed; word boundaries and the
# `owner/repo` prefix of `#N` are checked in Python, by a bounded look-back.
_REF = re.compile(
    r"#(\d{1,9})(?!\w)"
    r"|[gG][hH]-(\d{1,9})(?!\w)"
    r"|[hH][tT][tT][pP][sS]?://[^\s/<>()\[\],;\"']{1,255}/([^\s<>()\[\],;\"']{1,400})"
)
# A `#N` token alone (the first branch of `_REF`).
_HASH_REF = re.compile(r"#(\d{1,9})(?!\w)")
# A closing keyword (matched on the lower-cased text, so no IGNORECASE cost).
_KEYWORD = re.compile(r"close[sd]?|fix(?:e[sd])?|resolve[sd]?|implements")
# Between tokens of one closing list: spaces and at most one line break.
_GAP = r"[ \t]{0,32}(?:\r?\n[ \t]{0,32})?"
# After a keyword: a conventional-commit scope and `!` (`fix(ui)!: #3`), a colon (`Closes: #12`).
_AFTER_KEYWORD = r"(?:\([^()\n]{0,64}\))?!?[ \t]{0,32}:?" + _GAP
_AFTER_KEYWORD_AT = re.compile(_AFTER_KEYWORD)
_IMPLEMENTS_COLON = re.compile(r"[ \t]{0,32}:" + _GAP)
_SEPARATORS = r"(?:" + _GAP + r"(?:,|&|[aA][nN][dD](?!\w)))*" + _GAP
_SEPARATORS_AT = re.compile(_SEPARATORS)
# A plain message: ASCII (a position in its lower-cased text is the same position), at most
# this long (no token limit reached), only `#N` references (no URL, `GH-N`, revert,
# cherry-pick, merge, squash subject or `Implements:` trailer), and no `#` joined to what
# comes before it (an `owner/repo#N` prefix, `C#1`, an HTML entity `&#39;`). There every
# `#N` is a request, and a closing list is a keyword, what may follow it, and `#N` tokens
# with separators between them, exactly as the walk reads one: each part ends where its
# longest match ends, and no shorter match ends at a `#`.
_PLAIN_AT_MOST = 4000
_JOINED_HASH = re.compile(r"#(?<=[A-Za-z0-9_./&-]#)")  # `#` first: found at memchr speed
_PLAIN_TOKEN = r"#\d{1,9}(?!\w)"
_FAR = 1 << 31
_PLAIN_LIST = re.compile(r"(?<!\w)(?:[cC][lL][oO][sS][eE][sSdD]?|[fF][iI][xX](?:[eE][sSdD])?"
                         r"|[rR][eE][sS][oO][lL][vV][eE][sSdD]?)(?!\w)" + _AFTER_KEYWORD
                         + "(" + _PLAIN_TOKEN + "(?:" + _SEPARATORS + _PLAIN_TOKEN + ")*)")
_REPO_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/")
# Applied to one URL token (at most a few hundred characters), so it cannot run away.
# An issue's or (GitHub) a discussion's web address: both are numbered in one sequence.
_ISSUE_URL = re.compile(r"\A(?P<path>[^?#]+?)/(?:-/)?(?:issues|discussions)/(?P<n>\d{1,9})(?:[/?#.]|\Z)")
_REPO_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+\Z")
_MERGE_PR = re.compile(r"\AMerge pull request #(\d{1,9}) from ")
_MERGE_MR = re.compile(r"^See merge request (\S{1,255})!(\d{1,9})\s*$", re.MULTILINE)
_SQUASH_PR = re.compile(r"\(#(\d{1,9})\)\s*\Z")
_REVERT = re.compile(r"This reverts commit ([0-9a-f]{7,64})", re.IGNORECASE)
# A subject quoting what it reverts: `Revert "…"`, also behind a backport prefix (`[3.12] Revert …`).
_REVERT_SUBJECT = re.compile(r"\A\s*(?:\[[^\]\n]{0,64}\]\s*)?revert\b")
_CHERRY = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,64})\)", re.IGNORECASE)
# Matches every summary: group 1 is the type where the summary follows Conventional Commits.
_CONVENTIONAL = re.compile(r"\A(?:([a-z]{2,12})(?:\([^()\n]{0,64}\))?!?:\s)?")
_GROUP_1 = itemgetter(1)
# No person writes this many references in one message; past it the rest is noise
# (or an attack), and stopping keeps hostile input cheap. Nothing past it can ship.
MAX_TOKENS = 5000
# Cheap tests that let most commits skip the tokenizer entirely (on the raw bytes,
# before decoding), and let the rest tokenize only from just before the first reference.
# (Substring tests: CPython's `in` is a memchr-speed scan, a regex alternation is 50x slower.)


_MAYBE = (b"#", b"://", b"H-", b"h-", b"evert", b"EVERT", b"herry", b"HERRY", b"erge request")


def maybe_bytes(raw: bytes) -> bool:
    """Could this raw message hold a reference, revert, cherry-pick or merge request? (Cheap.)"""
    # `_MAYBE`, unrolled (a loop costs more than the scans). No lower(): copying every message
    # costs more than a few more memchr scans. `find`, not `in`: bytes' `in` first tries the
    # needle as an integer, which costs more than the scan.
    find = raw.find
    return (find(b"#") >= 0 or find(b"://") >= 0 or find(b"H-") >= 0 or find(b"h-") >= 0
            or find(b"evert") >= 0 or find(b"EVERT") >= 0 or find(b"herry") >= 0 or find(b"HERRY") >= 0
            or find(b"erge request") >= 0)


def maybe_records(block: bytes, starts: Sequence[int]) -> set[int]:
    """Indices of the records of `block` where `maybe_bytes` would find something, anywhere
    in the record (a superset: its other fields are searched too).

    `starts[i]` is where record i+1 begins. One memchr-speed pass per substring over
    the whole block, and one step per record that holds it, instead of nine scans
    of every record.
    """
    hits: set[int] = set()
    find = block.find
    last = len(starts)
    for needle in _MAYBE:
        at = find(needle)
        while at >= 0:
            index = bisect_right(starts, at)
            hits.add(index)
            if index >= last:
                break
            at = find(needle, starts[index])
    return hits


@dataclass(frozen=True)
class Repository:
    """The identity references are checked against: `owner/name`, case-insensitive. With a
    hub (`requests.repository`), requests are the hub's: a reference must name it, and a
    bare `#N` (this repository's issue or pull request) names no request."""

    slug: str | None = None
    hub: str | None = None

    def same(self, path: str) -> bool:
        return self.slug is not None and path.strip("/").lower() == self.slug.lower()

    def holds_requests(self, path: str) -> bool:
        """Does `owner/name` (a reference's prefix or an issue URL's path) name where requests live?"""
        if self.hub is None:
            return self.same(path)
        return path.strip("/").lower() == self.hub.lower()

    @property
    def key(self) -> str:
        """What parsed messages depend on (the link index is kept per key)."""
        return (self.slug or "") + (f" hub:{self.hub}" if self.hub else "")


@dataclass(slots=True)
class Parsed:
    """What one message says: requests it closes or mentions, and commit-level facts.

    Tuples and slots: a long range keeps tens of thousands of these, and an empty
    tuple is one shared object where an empty list is 56 bytes each.
    """

    closes: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    pull: str | None = None
    reverts: tuple[str, ...] = ()
    cherry_of: tuple[str, ...] = ()

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


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


_STEMS = ("close", "fix", "resolve", "implements")


def _positions(haystack: str, needle: str, limit: int = MAX_TOKENS) -> list[int]:
    """Every offset of `needle` (str.find runs at memchr speed; a regex scan is ~50x slower)."""
    found: list[int] = []
    at = haystack.find(needle)
    while at != -1 and len(found) < limit:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def _scan_refs(text: str, lowered: str, repo: Repository,
               skip: frozenset[int]) -> dict[int, tuple[int, str | None]]:
    """Every reference token: its start (the owner's, for `owner/repo#N`) → (end, number).

    The number is None for a token that names no request here (another repository,
    `C#1`, an HTML entity, the pull request of a merge subject): it still ends a list.
    """
    if "gh-" in lowered or "://" in text or text.count("#") > MAX_TOKENS:
        return _scan_all_refs(text, lowered, repo, skip)
    # Only `#N` tokens can be here (the usual message): one C-speed scan finds exactly the
    # `#` where `_REF` matches (a `#` cannot sit inside another match's digits).
    found: dict[int, tuple[int, str | None]] = {}
    for match in _HASH_REF.finditer(text):
        start, number = _hash_ref(text, match.start(), match.group(1), skip, repo)
        found[start] = (match.end(), number)
    return found


def _hash_ref(text: str, start: int, digits: str, skip: frozenset[int],
              repo: Repository) -> tuple[int, str | None]:
    """Where a `#N` token starts (with its `owner/name` prefix) and the request number it names
    in this repository's requests, or None."""
    before = text[start - 1] if start else ""
    if start in skip or before == "&":
        return start, None  # the PR of a merge/squash subject; an HTML entity (`&#39;`)
    if before and before in _REPO_CHARS:
        prefix = _owner_prefix(text, start)
        if not _REPO_PATH.match(prefix) or not repo.holds_requests(prefix):
            return start - len(prefix), None  # another repository, or not a reference (`C#1`, `abc#2`)
        return start - len(prefix), str(int(digits))
    if repo.hub is not None:
        return start, None  # this repository's `#N`, where requests live in the hub
    return start, str(int(digits))


def _scan_all_refs(text: str, lowered: str, repo: Repository,
                   skip: frozenset[int]) -> dict[int, tuple[int, str | None]]:
    """`_scan_refs` for any message: `#N`, `GH-N` and URL tokens, at most MAX_TOKENS candidates."""

    found: dict[int, tuple[int, str | None]] = {}
    candidates = _positions(text, "#")
    if "gh-" in lowered or "://" in text:
        candidates = sorted(candidates + _positions(lowered, "gh-") + _positions(text, "://"))
    for at in candidates[:MAX_TOKENS]:
        char = text[at]
        if char == ":":
            start = lowered.rfind("http", max(0, at - 5), at)
            if start == -1 or not lowered.startswith(("http://", "https://"), start):
                continue
        else:
            start = at
        match = _REF.match(text, start)
        if match is None:
            continue
        before = text[start - 1] if start else ""
        number: str | None
        if match.group(1) is not None:
            start, number = _hash_ref(text, start, match.group(1), skip, repo)
        elif _is_word(before):
            continue  # `xGH-1`, `xhttp://`: part of a longer word
        elif match.group(2) is not None:
            number = str(int(match.group(2))) if repo.hub is None else None
        else:
            url = _ISSUE_URL.match(match.group(3))
            number = str(int(url.group("n"))) if url and repo.holds_requests(url.group("path")) else None
        found[start] = (match.end(), number)
    return found


def _keywords(text: str, lowered: str, quoted: tuple[tuple[int, int], ...] = ()) -> list[int]:
    """Where each closing list starts: the position right after a closing keyword
    (none inside `quoted`, the span of a revert's quotation of what it undoes)."""
    # The first keyword's place at memchr speed (a regex scan of the whole message costs more).
    first = -1
    for stem in _STEMS:
        at = lowered.find(stem)
        if at >= 0 and (first < 0 or at < first):
            first = at
    if first < 0:
        return []
    starts: list[int] = []
    # From there one scan finds every keyword: no stem can begin inside another's match
    # (none begins with a letter a match holds after its own first), so the matches
    # are exactly the keywords at each stem's every occurrence, in order.
    for match in islice(_KEYWORD.finditer(lowered, first), MAX_TOKENS):
        begin, end = match.span()
        if quoted and any(start <= begin < stop for start, stop in quoted):
            continue
        if begin:
            char = text[begin - 1]
            if char.isalnum() or char == "_":
                continue
        if end < len(text):
            char = text[end]
            if char.isalnum() or char == "_":
                continue
        if end - begin == 10:  # `implements`: only as a trailer, `Implements: #12` at the start of a line
            line_start = text.rfind("\n", 0, begin) + 1
            colon = _IMPLEMENTS_COLON.match(text, end)
            if text[line_start:begin].strip() or colon is None:
                continue
            starts.append(colon.end())
            continue
        after = _AFTER_KEYWORD_AT.match(text, end)
        starts.append(after.end() if after else end)
    return starts


def references(text: str, repo: Repository, skip: frozenset[int] = frozenset()) -> tuple[list[str], list[str]]:
    """Return (closing ids, mentioned ids) in order of appearance, each id once.

    `skip` holds start offsets of `#N` tokens that are not request references
    (the pull request number of a merge or squash subject).
    """
    return _references(text, text.lower(), repo, skip)


def _references(text: str, lowered: str, repo: Repository, skip: frozenset[int],
                quoted: tuple[tuple[int, int], ...] = ()) -> tuple[list[str], list[str]]:
    refs = _scan_refs(text, lowered, repo, skip)
    if not refs:
        return [], []
    closing_starts: set[int] = set()
    closes: dict[str, None] = {}
    for position in _keywords(text, lowered, quoted):
        # Walk the list after one keyword: reference, separators, reference, …
        while position in refs and position not in closing_starts:
            closing_starts.add(position)
            end, number = refs[position]
            if number is not None:
                closes[number] = None
            position = _SEPARATORS_AT.match(text, end).end()  # type: ignore[union-attr]
    mentions = [number for start, (_, number) in refs.items()
                if number is not None and start not in closing_starts and number not in closes]
    return list(closes), list(dict.fromkeys(mentions))


def parse(message: str, repo: Repository) -> Parsed:
    """Everything a commit message says, under DESIGN.md's link rules."""
    lowered = message.lower()
    if (repo.hub is None and "#" in message and len(message) <= _PLAIN_AT_MOST and message.isascii()
            and not ("://" in message or "gh-" in lowered or "revert" in lowered or "cherry" in lowered
                     or "merge request" in lowered or "implements" in lowered)
            and _JOINED_HASH.search(message) is None and _MERGE_PR.match(message) is None
            and _SQUASH_PR.search(message.partition("\n")[0].rstrip()) is None):
        return _plain(message, lowered)
    return _parse(message, lowered, repo)


def _plain(message: str, lowered: str) -> Parsed:
    """`_parse` of a plain message (see `_PLAIN_LIST`) in a few C-speed scans: its `#N`
    tokens, then its closing lists whole (the walk from token to token is the pattern's).
    A token outside every list is a mention unless a list closes its number too."""
    numbers = _HASH_REF.findall(message)
    if not numbers:
        return Parsed()
    # Digits without a leading zero are the number already (the message is ASCII).
    zeros = "#0" in message
    ids = dict.fromkeys(map(str, map(int, numbers)) if zeros else numbers)
    # The scan for lists starts at the first keyword, found at memchr speed (a miss, -1, counts
    # as far away); the pattern's look-behind still sees what comes before it.
    first = min(lowered.find("fix") % _FAR, lowered.find("clos") % _FAR, lowered.find("resolv") % _FAR)
    lists = _PLAIN_LIST.findall(message, first) if first < _FAR - 1 else None
    if not lists:
        return Parsed((), tuple(ids))
    closing = _HASH_REF.findall(lists[0] if len(lists) == 1 else " ".join(lists))
    closes = dict.fromkeys(map(str, map(int, closing)) if zeros else closing)
    if ids.keys() <= closes.keys():
        return Parsed(tuple(closes))
    return Parsed(tuple(closes), tuple([n for n in ids if n not in closes]))


def _parse(message: str, lowered: str, repo: Repository) -> Parsed:
    """`parse`, token by token: any message (`lowered` is `message.lower()`)."""
    parsed = Parsed()
    if not ("#" in message or "://" in message or "gh-" in lowered or "revert" in lowered
            or "cherry" in lowered or "merge request" in lowered):
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
    quoted: tuple[tuple[int, int], ...] = ()
    if "reverts commit" in lowered:
        parsed.reverts = tuple(dict.fromkeys(m.lower() for m in _REVERT.findall(message)))
        quoted = _quotation(message, lowered) if parsed.reverts else ()
    if "cherry picked" in lowered:
        parsed.cherry_of = tuple(dict.fromkeys(m.lower() for m in _CHERRY.findall(message)))
    closes, refs = _references(message, lowered, repo, frozenset(skip), quoted)
    parsed.closes, parsed.refs = tuple(closes), tuple(refs)
    return parsed


def _quotation(message: str, lowered: str) -> tuple[tuple[int, int], ...]:
    """The parts of a revert's message that quote what it undoes: a `Revert "…"` subject
    (wrapped or not) and each `This reverts commit …` line. A closing keyword there is the
    reverted commit's, not the revert's; the revert's own `Fixes #N` elsewhere counts."""
    spans = []
    if _REVERT_SUBJECT.match(lowered):
        end = lowered.find("\n\n")
        spans.append((0, len(message) if end < 0 else end))
    for match in _REVERT.finditer(message):
        start = message.rfind("\n", 0, match.start()) + 1
        end = message.find("\n", match.end())
        spans.append((start, len(message) if end < 0 else end))
    return tuple(spans)


def conventional_types(summaries: Iterable[str]) -> list[str | None]:
    """`feat`, `fix`, … for each summary that follows Conventional Commits (else None),
    matched at C speed (a long range has 100,000)."""
    # The pattern matches every summary, so no Python step per summary tells a match from None.
    matches = cast("Iterator[re.Match[str]]", map(_CONVENTIONAL.match, summaries))
    return list(map(_GROUP_1, matches))


# What a backport adds around the subject it copies: `[8.2.x] `, `[PR #12/abc backport][8.3.x] `
# before it, ` (#12350)` after it.
_BACKPORT_PREFIX = re.compile(r"\A(?:\s*\[[^\]\n]{0,80}\])+\s*")
_PULL_SUFFIX = re.compile(r"(?:\s*\(#\d{1,9}\))+\s*\Z")


def bare_subject(summary: str) -> str:
    """A subject without what backports and squash merges add to it, to find a copy's original."""
    return _PULL_SUFFIX.sub("", _BACKPORT_PREFIX.sub("", summary)).strip()
