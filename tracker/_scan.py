"""Link: one pass over a build's commits, as they stream, listing every change and
keeping only the commits a decision needs (`tracker.decide` decides from them).
"""

from __future__ import annotations

import gc
import itertools
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate, chain, compress, islice, repeat
from operator import add, itemgetter
from typing import Protocol, TypeVar, cast

from tracker import _git as git
from tracker import _grammar as links
from tracker import _logins as logins
from tracker._changes import Changes, encode_str, string
from tracker._model import GIT_SPACE, Commit, decode, split_ident, subject
from tracker._shas import Shas


def commit_author(commit: Commit) -> str:
    """The commit's author as the scan keeps it: `Name<email>` (after `.mailmap`), never a login
    (logins are found later, for the few commits that ship something: `tracker.credit`)."""
    return f"{decode(commit.name_bytes)}<{decode(commit.email_bytes)}>"


def _author(name_bytes: bytes, email_bytes: bytes, given: Mapping[str, str]) -> tuple[str, str]:
    """(the author as kept, its change entry's `author` and `login` as JSON) of one identity."""
    name, email = decode(name_bytes), decode(email_bytes)
    login = logins.login_for(email, given)
    return f"{name}<{email}>", f'{string(name.strip())}, "login": {string(login) if login else "null"}'


@dataclass(slots=True)
class Linked:
    """A commit that says something about requests, reduced to what it says (and its author's
    `Name<email>`; None where an older link index stored none)."""

    sha: str
    author: str | None
    parsed: links.Parsed


@dataclass
class Scanned:
    """What one pass over `previous..build` found.

    The commits a decision needs are kept as columns (sha, author `Name<email>`, what it says;
    commits that say the same thing share one reading): a long range keeps tens of
    thousands, and most of what is asked of them is a walk in order. `linked` (by sha)
    is made only when asked for (reverts and cherry-picks look commits up by sha).
    """

    count: int = 0
    reached: bool = False  # a commit of the range has its lower end for a parent (see `scan`)
    changes: Changes = field(default_factory=Changes)
    shas: Shas = field(default_factory=Shas)
    authors: list[str | None] = field(default_factory=list)  # `Name<email>`, see `commit_author`
    said: list[links.Parsed] = field(default_factory=list)

    def kept(self) -> Iterator[tuple[str, str | None, links.Parsed]]:
        """(sha, author, what it says) of each kept commit, in `git log` order."""
        return zip(self.shas, self.authors, self.said, strict=True)

    @cached_property
    def linked(self) -> dict[str, Linked]:
        """The kept commits by sha."""
        return {sha: Linked(sha, author, parsed) for sha, author, parsed in self.kept()}

    def keep(self, item: Linked) -> None:
        """Keep one more commit (a copy of a closing commit, found after the scan)."""
        self.shas.append(item.sha)
        self.authors.append(item.author)
        self.said.append(item.parsed)
        self.__dict__.pop("linked", None)

    def release(self) -> None:
        """Let the kept commits go (the decision is made; the report needs only count and changes)."""
        self.shas, self.authors, self.said = Shas(), [], []
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


# What the link index holds for one commit, as one text: its closes, refs, pull, reverts and
# cherry-picked originals, each space-separated, joined by US (0x1f; none of them holds
# one). One text, not five columns: fewer objects per row read, and one key for the scan's
# memo of what each distinct text means.
Row = str
_FIELDS = "\x1f"


def as_row(parsed: links.Parsed) -> Row:
    """`parsed` in the link index's row form."""
    return _FIELDS.join((" ".join(parsed.closes), " ".join(parsed.refs), parsed.pull or "",
                         " ".join(parsed.reverts), " ".join(parsed.cherry_of)))


def as_parsed(row: Row) -> links.Parsed:
    """A row of the link index read back (`as_row` undone)."""
    closes, refs, pull, reverts, cherry = row.split(_FIELDS)
    return links.Parsed(_split(closes), _split(refs), pull or None, _split(reverts), _split(cherry))


class Lookup(Protocol):
    """Rows already known (the link index), so a scan need not parse those messages again."""

    def rows(self, shas: list[str]) -> list[tuple[int, Row]] | None:
        """(position in `shas`, row) of each commit that links to something, in position order;
        None when the index cannot answer."""


Recorder = Callable[[str, "str | None", links.Parsed], None]
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)
_FIRST_BYTE = itemgetter(slice(None, 1))
_CACHED = 65536
# Rows remembered with what they mean: a long range has ~12,000 distinct ones, and holding
# them all would make its memory grow with its length (~2.5 MiB at 100,000 commits).
_MEMO = 4096


class LookupFailed(Exception):
    """The link index failed while a scan of subjects only was reading it: the messages
    it stood for were never read, so the range must be read again, whole."""


def scan(blocks: Iterable[bytes], repo: links.Repository, known: Container[str],
         lookup: Lookup | None = None, record: Recorder | None = None, subjects: bool = False,
         given: Mapping[str, str] | None = None, boundary: str | None = None) -> Scanned:
    """`_scan`, with the cyclic garbage collector off: each block makes thousands of
    short-lived containers and no reference cycles (reference counting frees them), and
    the collector's passes over them cost ~40 ms of a 100,000-commit range.

    `boundary`: the range's lower end; `Scanned.reached` says whether a commit of the range
    has it for a parent, which is exactly when it is an ancestor of the range's tip."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan(blocks, repo, known, lookup, record, subjects, given or {},
                     boundary.encode("ascii") if boundary else None)
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Everything alive now frozen for the cyclic collector until the block ends: what a
    scan leaves lives until its report is built, and the collector's passes while the report
    is built (~25 ms each over a long range's objects) skip it. Nothing is frozen or thawed
    when the program running tracker froze objects of its own."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _scan(blocks: Iterable[bytes], repo: links.Repository, known: Container[str],
          lookup: Lookup | None, record: Recorder | None, subjects: bool, given: Mapping[str, str],
          boundary: bytes | None = None) -> Scanned:
    """One streaming pass: count commits, list changes, keep the commits a decision needs.

    `blocks` are `git log` output in `gitlog.FORMAT` (with `subjects`, in
    `gitlog.SUBJECTS`, and then only `lookup` says what messages link to, and
    LookupFailed is raised if it cannot): records separated by NUL, many to a block.
    This loop runs once per commit of the range (100,000 for a long
    history), so it does the least it can. Which records may link to anything is
    found per block (`links.maybe_records`); only those are parsed (or, with
    `lookup`, read from the link index: a commit it lacks links to nothing, and
    commits that say the same thing share one reading); other messages are never
    decoded beyond their subject; authors are resolved once each; each change is
    encoded to its JSON line at once (`tracker._changes`; `author` is the name, `login` the
    login its email stands for by `given` (`credits.logins`) or a no-reply address, else
    null). `known` are the request ids
    a change may list; `record` hears every parsed commit that links to anything
    (with `lookup`, nothing is parsed). Commits that only mention requests are
    listed, not kept: nothing in a decision depends on a mention.
    """
    out = Scanned()
    # An author (the `name<email` field) → (`Name<email>` as kept, its entry's author and login
    # as JSON): once per author, not per commit.
    authors: dict[bytes, tuple[str | None, str]] = {}
    kind_json: dict[str | None, str] = {}
    ids: dict[str, str] = {}  # one string object per request id, however many commits name it
    quoted: dict[str, str] = {}  # request id → its JSON string, "" when not a known request
    kept: dict[object, links.Parsed] = {}  # what a closing commit says → one shared reading
    memo: dict[Row, tuple[str, links.Parsed | None]] = {}  # a row → `_facts` of it
    readings: list[tuple[int, links.Parsed]] = []  # (record, what it says) for `record`
    # Kept commits as columns until the range is read: their shas' digests in one buffer, so
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
        if len(fields) == 4 * size:
            columns = [fields[n::4] for n in range(4)]
        else:
            records = block.split(b"\0")
            columns = list(zip(*map(git.fields, records), strict=True))
        shas_b, parents, idents, raws = columns
        if boundary is not None and not out.reached:
            out.reached = b" ".join(parents).find(boundary) >= 0
        count += size
        shas = list(map(bytes.decode, shas_b))
        # What each linked commit says: from the index (it holds every linked commit of an
        # indexed ancestry, so it answers for all), else parsed.
        found = lookup.rows(shas) if lookup is not None else None
        # (record, (its JSON request items, what a decision keeps of it or None)) of each
        # linked commit of the block.
        at: list[int] = []
        made: list[tuple[str, links.Parsed | None]] = []
        if found is None:
            if subjects:
                raise LookupFailed("the link index failed while read")
            # starts[i]: where record i+1 begins (the lengths so far, plus separators).
            if records is None:
                starts = list(map(add, islice(accumulate(map(len, fields)), 3, None, 4), itertools.count(4, 4)))
            else:
                starts = list(map(add, accumulate(map(len, records)), itertools.count(1)))
            for i in sorted(links.maybe_records(block, starts)):
                raw = raws[i]
                if links.maybe_bytes(raw):
                    reading = links.parse(decode(raw).strip("\n"), repo)  # `Commit.message`
                    if not reading.empty:
                        at.append(i)
                        made.append(_parsed_facts(reading, known, quoted, ids, kept))
                        if record is not None:
                            readings.append((i, reading))
        elif found:
            # Column by column again: what each linked commit says, made once per distinct row.
            at = list(map(_FIRST, found))
            rows = list(map(_SECOND, found))
            facts = list(map(memo.get, rows))
            if None in facts:
                if len(memo) >= _MEMO:
                    memo.clear()
                for n, row in enumerate(rows):
                    if facts[n] is None:
                        fact = memo.get(row)  # a row new to this block may occur twice in it
                        if fact is None:
                            fact = memo[row] = _facts(row, known, quoted, ids, kept)
                        facts[n] = fact
            made = cast("list[tuple[str, links.Parsed | None]]", facts)  # no None left
        for ident in set(idents).difference(authors):
            authors[ident] = _author(*split_ident(ident), given)
        if readings:  # parsed now (not read from the index), and `record` wants them
            for i, reading in readings:
                record(shas[i], authors[idents[i]][0], reading)  # type: ignore[misc]
            readings.clear()
        requests = [_NO_PULL] * size  # each commit's JSON request items and pull request
        if made:
            deque(map(requests.__setitem__, at, map(_FIRST, made)), 0)
            decides = list(map(_SECOND, made))
            keep = list(map(bool, decides))
            if any(keep):
                at_kept = list(compress(at, keep))
                kept_shas += bytes.fromhex(b"".join(map(shas_b.__getitem__, at_kept)).decode("ascii"))
                kept_authors += map(_FIRST, map(authors.__getitem__, map(idents.__getitem__, at_kept)))
                kept_parsed += compress(decides, keep)
        # Merge commits are counted and linked, not listed: a merge's parents field is longer
        # than one sha and a space (tested by length, at C speed).
        listing = list(map((len(shas_b[0]) + 1).__gt__, map(len, parents)))
        heads = list(compress(raws, listing))
        if not subjects:
            heads = _subjects(heads)
        try:
            summaries = list(map(str.strip, map(bytes.decode, heads)))
        except UnicodeDecodeError:  # a Latin-1 subject somewhere in this block
            summaries = [decode(head).strip() for head in heads]
        types = links.conventional_types(summaries)
        for kind in set(types).difference(kind_json):
            kind_json[kind] = string(kind) if kind else "null"
        # The block's entries as one text: the fixed parts interleaved with the encoded fields.
        out.changes.write_lines("".join(chain.from_iterable(zip(
            repeat('{"sha": "'), compress(shas, listing), repeat('", "summary": '), map(encode_str, summaries),
            repeat(', "author": '), map(_SECOND, map(authors.__getitem__, compress(idents, listing))),
            repeat(', "type": '), map(kind_json.__getitem__, types), repeat(', "requests": ['),
            compress(requests, listing), repeat("}\n")))), len(summaries))
    out.count = count
    if kept_parsed:
        out.shas = Shas(kept_shas, len(kept_shas) // len(kept_parsed))  # 20 bytes a sha (SHA-1), or 32
        out.authors, out.said = kept_authors, kept_parsed
    return out


def _subjects(messages: list[bytes]) -> list[bytes]:
    """`model.subject` of each raw message: at C speed for the usual shape (one subject
    line, then nothing or a blank line), line by line for the rest."""
    parts = list(map(bytes.partition, messages, repeat(b"\n")))
    heads = list(map(bytes.rstrip, map(_FIRST, parts), repeat(GIT_SPACE)))
    # The subject ends at its first line when what follows is nothing or an empty line.
    usual = list(map(b"\n".startswith, map(_FIRST_BYTE, map(_THIRD, parts))))
    if all(heads) and all(usual):
        return heads
    return [head if head and ends else subject(message) for head, ends, message
            in zip(heads, usual, messages, strict=True)]


def _facts(row: Row, known: Container[str], quoted: dict[str, str], ids: dict[str, str],
           cache: dict[object, links.Parsed]) -> tuple[str, links.Parsed | None]:
    """What the scan makes of one linked row: the end of its change entry's JSON (the items
    of the known requests it names, then its `pull`), and what a decision keeps of it
    (None when it only mentions).

    `quoted` holds each request id's JSON string ("" when not a known request); `ids`
    one string object per request id; `cache` one reading per distinct decision-relevant
    part, shared by every commit that says the same (a Parsed is never changed once made).
    """
    closes, refs, pull, reverts, cherry = row.split(_FIELDS)
    mentioned = f"{closes} {refs}" if refs else closes
    fragment = ", ".join(filter(None, [quoted.get(r) or quoted.setdefault(r, f'"{r}"' if r in known else "")
                                       for r in mentioned.split()])) if mentioned else ""
    fragment += f'], "pull": "{pull}"' if pull else _NO_PULL  # a pull number is digits: no escaping
    if not (closes or pull or reverts or cherry):
        return fragment, None  # a mention only: nothing in a decision depends on it
    shared = _closing(closes, cache, ids, _split)
    if not (pull or reverts or cherry):
        return fragment, shared
    return fragment, links.Parsed(shared.closes, (), pull or None, _split(reverts), _split(cherry))


_Closes = TypeVar("_Closes", str, "tuple[str, ...]")  # a row's text, or the ids a message was parsed into


def _closing(closes: _Closes, cache: dict[object, links.Parsed], ids: dict[str, str],
             split: Callable[[_Closes], tuple[str, ...]]) -> links.Parsed:
    """The one reading of commits that close `closes` (a row's text, or a parsed tuple) and
    say nothing else, shared by all of them. A reading with a pull request, a revert or a
    pick is made apart, around the same `closes` tuple: a pull request's number makes it
    one of a kind, and cached by it, a long range kept ~17,000 keys and readings."""
    parsed = cache.get(closes)
    if parsed is None:
        if len(cache) >= _CACHED:
            cache.clear()
        ids_closed = split(closes)
        parsed = cache[closes] = links.Parsed(tuple(map(ids.setdefault, ids_closed, ids_closed)))
    return parsed


def _parsed_facts(parsed: links.Parsed, known: Container[str], quoted: dict[str, str], ids: dict[str, str],
                  cache: dict[object, links.Parsed]) -> tuple[str, links.Parsed | None]:
    """`_facts(as_row(parsed), …)`, without making the row: for a message parsed now."""
    closes, refs, pull = parsed.closes, parsed.refs, parsed.pull
    fragment = ", ".join(filter(None, [quoted.get(r) or quoted.setdefault(r, f'"{r}"' if r in known else "")
                                       for r in (closes + refs if refs else closes)]))
    fragment += f'], "pull": "{pull}"' if pull else _NO_PULL  # a pull number is digits: no escaping
    reverts, cherry = parsed.reverts, parsed.cherry_of
    if not (closes or pull or reverts or cherry):
        return fragment, None  # a mention only: nothing in a decision depends on it
    # Keyed apart from `_facts`' texts: a tuple of ids.
    shared = _closing(closes, cache, ids, tuple)
    if not (pull or reverts or cherry):
        return fragment, shared
    return fragment, links.Parsed(shared.closes, (), pull, reverts, cherry)


# The end of a change entry's JSON after its request items, for a commit that claims no pull request.
_NO_PULL = '], "pull": null'


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()
