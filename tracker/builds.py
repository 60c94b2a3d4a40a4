"""Link: one pass over a build's commits, as they stream, listing every change and
keeping only the commits a decision needs (`tracker.decision` decides from them).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate, chain, compress, islice, repeat
from operator import add, itemgetter, methodcaller
from typing import Protocol

from tracker import links, logins
from tracker.changes import Changes, encode_str, string
from tracker.model import Commit, decode

_NOREPLY = re.compile(r"\A(?:\d+\+)?([^@]+)@users\.noreply\.github\.com\Z", re.IGNORECASE)


def commit_login(commit: Commit) -> str | None:
    """The login behind a commit: the GitHub no-reply address, else a login-shaped author name."""
    return _login(commit.name_bytes, commit.email_bytes)


@lru_cache(maxsize=4096)
def _login(name_bytes: bytes, email_bytes: bytes) -> str | None:
    match = _NOREPLY.match(decode(email_bytes))
    if match and logins.valid(match.group(1)):
        return match.group(1)
    name = decode(name_bytes).strip()
    return name if logins.valid(name) else None


@dataclass(slots=True)
class Linked:
    """A commit that says something about requests, reduced to what it says."""

    sha: str
    author: str | None
    parsed: links.Parsed


@dataclass
class Scanned:
    """What one pass over `previous..build` found.

    The commits a decision needs are kept as columns (sha, author login, what it says;
    commits that say the same thing share one reading): a long range keeps tens of
    thousands, and most of what is asked of them is a walk in order. `linked` (by sha)
    is made only when asked for (reverts and cherry-picks look commits up by sha).
    """

    count: int = 0
    changes: Changes = field(default_factory=Changes)
    shas: list[str] = field(default_factory=list)
    authors: list[str | None] = field(default_factory=list)
    said: list[links.Parsed] = field(default_factory=list)

    def kept(self) -> Iterator[tuple[str, str | None, links.Parsed]]:
        """(sha, author, what it says) of each kept commit, in `git log` order."""
        return zip(self.shas, self.authors, self.said, strict=True)

    @cached_property
    def linked(self) -> dict[str, Linked]:
        """The kept commits by sha."""
        return {sha: Linked(sha, author, parsed) for sha, author, parsed in self.kept()}

    def release(self) -> None:
        """Let the kept commits go (the decision is made; the report needs only count and changes)."""
        self.shas, self.authors, self.said = [], [], []
        self.__dict__.pop("linked", None)

    def wanted_outside(self) -> set[str]:
        """Shas named by reverts and cherry-picks that are not in the range: look them up."""
        wanted: set[str] = set()
        for parsed in self.said:
            for sha in (*parsed.reverts, *parsed.cherry_of):
                if self.find(sha) is None:
                    wanted.add(sha)
        return wanted

    def find(self, sha: str) -> str | None:
        """The full sha of a linked in-range commit that `sha` (maybe short) names."""
        if sha in self.linked:
            return sha
        for full in self.linked:
            if full.startswith(sha):
                return full
        return None

    def pull_claims(self) -> dict[str, str]:
        """Commit sha → pull request number its subject claims (merge or squash)."""
        return {sha: parsed.pull for sha, _, parsed in self.kept() if parsed.pull}


# What the link index holds for one commit: its closes, refs, pull, reverts and cherry-picked
# originals, each space-separated ("" or None when it says nothing of that kind).
Row = tuple["str | None", "str | None", "str | None", "str | None", "str | None"]


def as_row(parsed: links.Parsed) -> Row:
    """`parsed` in the link index's row form."""
    return (" ".join(parsed.closes), " ".join(parsed.refs), parsed.pull, " ".join(parsed.reverts),
            " ".join(parsed.cherry_of))


def as_parsed(row: Row) -> links.Parsed:
    """A row of the link index read back (`as_row` undone)."""
    closes, refs, pull, reverts, cherry = row
    return links.Parsed(_split(closes), _split(refs), pull or None, _split(reverts), _split(cherry))


class Lookup(Protocol):
    """Rows already known (the link index), so a scan need not parse those messages again."""

    def rows(self, shas: list[str]) -> dict[str, Row] | None: ...


Recorder = Callable[[str, "str | None", links.Parsed], None]
_LSTRIP = methodcaller("lstrip", b"\n")
_STARTS_BLANK = methodcaller("startswith", b"\n")
_AUTHOR = itemgetter(1)
_CACHED = 65536


def scan(blocks: Iterable[bytes], repo: links.Repository, known: Container[str],
         lookup: Lookup | None = None, record: Recorder | None = None) -> Scanned:
    """One streaming pass: count commits, list changes, keep the commits a decision needs.

    `blocks` are `git log` output in `history.FORMAT`: records separated by NUL, many
    to a block. This loop runs once per commit of the range (100,000 for a long
    history), so it does the least it can. Which records may link to anything is
    found per block (`links.maybe_records`); only those are parsed (or, with
    `lookup`, read from the link index: a commit it lacks links to nothing, and
    commits that say the same thing share one reading); other messages are never
    decoded beyond their first line; authors are resolved once each; each change is
    encoded to its JSON line at once (`tracker.changes`). `known` are the request ids
    a change may list; `record` hears every parsed commit that links to anything
    (with `lookup`, nothing is parsed). Commits that only mention requests are
    listed, not kept: nothing in a decision depends on a mention.
    """
    out = Scanned()
    # (name, email) → (login or None, the name to show as JSON): once per author, not per commit.
    authors: dict[tuple[bytes, bytes], tuple[str | None, str]] = {}
    kind_json: dict[str | None, str] = {}
    ids: dict[str, str] = {}  # one string object per request id, however many commits name it
    quoted: dict[str, str] = {}  # request id → its JSON string, "" when not a known request
    kept: dict[object, links.Parsed] = {}  # what a closing commit says → one shared reading
    # Kept commits as columns until the range is read: their shas as bytes in one buffer, so
    # no small object per commit outlives its block (those would pin the memory every
    # block's temporary objects come from, and a long range's peak would grow with it).
    kept_shas = bytearray()
    kept_authors: list[str | None] = []
    kept_parsed: list[links.Parsed] = []
    count = 0
    for block in blocks:
        if not block:
            continue
        # Column by column, with `map` over C functions where it can: per-commit Python
        # statements are what a long range costs. One split of the whole block gives every
        # field, unless a message holds the field separator (then record by record).
        fields = block.replace(b"\0", b"\x1f").split(b"\x1f")
        size = block.count(b"\0") + 1
        columns: list[Sequence[bytes]]
        records: list[bytes] | None = None
        if len(fields) == 5 * size:
            columns = [fields[n::5] for n in range(5)]
        else:
            records = block.split(b"\0")
            columns = list(zip(*(r.split(b"\x1f", 4) for r in records), strict=True))
        shas_b, parents, names, emails, raws = columns
        count += size
        shas = list(map(bytes.decode, shas_b))
        # What each linked commit says: from the index (it holds every linked commit of an
        # indexed ancestry, so it answers for all), else parsed.
        said = lookup.rows(shas) if lookup is not None else None
        readings: dict[str, links.Parsed] = {}
        if said is None:
            said = {}
            # starts[i]: where record i+1 begins (the lengths so far, plus separators).
            if records is None:
                starts = list(map(add, islice(accumulate(map(len, fields)), 4, None, 5), itertools.count(5, 5)))
            else:
                starts = list(map(add, accumulate(map(len, records)), itertools.count(1)))
            for i in sorted(links.maybe_records(block, starts)):
                if links.maybe_bytes(raws[i]):
                    reading = links.parse(Commit(shas_b[i], parents[i], names[i], emails[i], raws[i]).message, repo)
                    if not reading.empty:
                        said[shas[i]] = as_row(reading)
                        readings[shas[i]] = reading
        keys = list(zip(names, emails, strict=True))
        for key in set(keys).difference(authors):
            login = _login(*key)
            authors[key] = (login, string(login or decode(key[0])))
        listed: dict[str, str] = {}
        if said:
            hits = list(map(said.__contains__, shas))
            for sha, sha_bytes, key in zip(compress(shas, hits), compress(shas_b, hits), compress(keys, hits),
                                           strict=True):
                closes, refs, pull, reverts, cherry = said[sha]
                mentioned = f"{closes} {refs}" if refs else closes
                if mentioned:
                    # The JSON items of the known ids it names (most name one: no list made).
                    fragment = quoted.get(mentioned) if " " not in mentioned else None
                    if fragment is None:
                        fragment = ", ".join(filter(None, [
                            quoted.get(r) or quoted.setdefault(r, f'"{r}"' if r in known else "")
                            for r in mentioned.split()]))
                    if fragment:
                        listed[sha] = fragment
                if record is not None and sha in readings:  # parsed now, not read from the index
                    record(sha, authors[key][0], readings[sha])
                if closes or pull or reverts or cherry:
                    # Thousands of commits say the same thing (`Fixes #12`): one reading for all.
                    what = closes if not (pull or reverts or cherry) else (closes, pull, reverts, cherry)
                    parsed = kept.get(what)
                    if parsed is None:
                        parsed = kept[what] = _kept(closes, pull, reverts, cherry, ids, kept)
                    kept_shas += sha_bytes
                    kept_authors.append(authors[key][0])
                    kept_parsed.append(parsed)
        # Merge commits are counted and linked, not listed: a merge's parents field is longer
        # than one sha and a space (tested by length, at C speed).
        listing = list(map((len(shas_b[0]) + 1).__gt__, map(len, parents)))
        shas_listed = list(compress(shas, listing))
        messages: Iterable[bytes] = compress(raws, listing)
        if any(map(_STARTS_BLANK, raws)):  # git strips leading blank lines; a hand-made commit may not
            messages = map(_LSTRIP, messages)
        heads = [raw[:end] if (end := raw.find(b"\n")) >= 0 else raw for raw in messages]
        try:
            summaries = list(map(str.strip, map(bytes.decode, heads)))
        except UnicodeDecodeError:  # a Latin-1 subject somewhere in this block
            summaries = [decode(head).strip() for head in heads]
        types = links.conventional_types(summaries)
        for kind in set(types).difference(kind_json):
            kind_json[kind] = string(kind) if kind else "null"
        # The block's entries as one text: the fixed parts interleaved with the encoded fields.
        out.changes.write_lines("".join(chain.from_iterable(zip(
            repeat('{"sha": "'), shas_listed, repeat('", "summary": '), map(encode_str, summaries),
            repeat(', "author": '),
            map(_AUTHOR, map(authors.__getitem__, compress(keys, listing))),
            repeat(', "type": '), map(kind_json.__getitem__, types), repeat(', "requests": ['),
            map(listed.get, shas_listed, repeat("")), repeat("]}\n")))), len(shas_listed))
    out.count = count
    if kept_parsed:
        text = kept_shas.decode("ascii")
        width = len(text) // len(kept_parsed)  # 40 (SHA-1) or 64 (SHA-256), one kind per repository
        out.shas = [text[start:start + width] for start in range(0, len(text), width)]
        out.authors, out.said = kept_authors, kept_parsed
    return out


def _kept(closes_text: str | None, pull: str | None, reverts: str | None, cherry: str | None,
          ids: dict[str, str], cache: dict[object, links.Parsed]) -> links.Parsed:
    """What a decision keeps of an indexed commit: shared by every commit that says the same
    (a Parsed is never changed once made)."""
    if len(cache) >= _CACHED:
        cache.clear()  # bounded, far above the distinct closings a long range has (~8,000 in 100,000)
    closes = _split(closes_text)
    return links.Parsed(tuple(map(ids.setdefault, closes, closes)), (), pull or None, _split(reverts), _split(cherry))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()
