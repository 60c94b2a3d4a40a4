"""`tracker requests import`: requests from JSON or CSV into the local store.

The whole file is checked before anything is written, so a bad file changes
nothing; a re-import updates requests and adds votes, never duplicates. The
`duplicate_of` links are checked against the store inside the same write
transaction, so two imports at once cannot together make a cycle.

Ids and URLs reach changelogs, so they are checked at the door like logins: an
id is letters, digits, `-`, `_` and `.`; a URL is http(s) with nothing in it that
could end a Markdown link or an HTML attribute.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from itertools import accumulate
from pathlib import Path
from typing import Any

from tracker import _logins as logins
from tracker._errors import BadInput
from tracker._model import Request
from tracker._store import Store

FIELDS = ("id", "title", "author", "state", "created_at", "voters", "duplicate_of", "url", "labels")
STATES = ("open", "closed")
_ID = re.compile(r"[\w.-]{1,100}")
_LABEL = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
_URL = re.compile(r"(?i)https?://[^\s/?#<>()\[\]\"'`\\]+(?:[/?#][^\s<>()\[\]\"'`\\]*)?")


def valid_id(request_id: str) -> bool:
    """Letters, digits, `-`, `_` and `.`, at most 100 (what `#12` and forum ids look like)."""
    return _ID.fullmatch(request_id) is not None


def valid_url(url: str) -> bool:
    """An http(s) URL with a host and no spaces, quotes, brackets, parentheses or backslashes."""
    return _URL.fullmatch(url) is not None


@dataclass(frozen=True)
class Entry:
    request: Request
    voters: tuple[str, ...]
    labels: bool = False  # the entry names its labels (else a re-import keeps the stored ones)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _shown(value: str) -> str:
    """A value as a one-line message quotes it: a 5,000-digit id is not repeated whole."""
    return repr(value) if len(value) <= 40 else f"{value[:20]!r}… ({len(value):,} characters)"


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise BadInput(f"{where}: expected an object with id and title")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise BadInput(f"{where}: unknown field '{unknown[0]}' (fields: {', '.join(FIELDS)})")
    try:
        request_id = _text(raw.get("id"))
        title = _text(raw.get("title"))
        author = _text(raw.get("author"))
        state = _text(raw.get("state")) or "open"
        created = _text(raw.get("created_at"))
        duplicate_of = _text(raw.get("duplicate_of"))
        url = _text(raw.get("url"))
    except ValueError as exc:
        raise BadInput(f"{where}: {exc}") from None
    if request_id is None:
        raise BadInput(f"{where}: missing id")
    if request_id.startswith("#"):
        request_id = request_id[1:]
    if not valid_id(request_id):
        raise BadInput(f"{where}: id {_shown(request_id)} is not an id"
                       " (at most 100 letters, digits, '-', '_' and '.')")
    if duplicate_of is not None and not valid_id(duplicate_of.lstrip("#")):
        raise BadInput(f"{where} (id {request_id}): duplicate_of {_shown(duplicate_of)} is not an id")
    duplicate_of = duplicate_of.lstrip("#") if duplicate_of is not None else None
    if title is None:
        raise BadInput(f"{where} (id {request_id}): empty title")
    if state not in STATES:
        raise BadInput(f"{where} (id {request_id}): state must be open or closed, not {state!r}")
    voters = _listed(raw.get("voters"))
    labels = _listed(raw.get("labels"))
    if not isinstance(labels, list) or not all(isinstance(v, str) and _LABEL.fullmatch(v.strip()) for v in labels):
        raise BadInput(f"{where} (id {request_id}): labels must be a list of label names"
                       " (1–100 characters, no control characters)")
    if not isinstance(voters, list) or not all(isinstance(v, str) for v in voters):
        raise BadInput(f"{where} (id {request_id}): voters must be a list of logins")
    for login in ([author] if author else []) + voters:
        if not logins.valid(login):
            raise BadInput(f"{where} (id {request_id}): invalid login {login!r}"
                           " (letters, digits, '-', '_', '.'; not starting with '.')")
    if url is not None and not valid_url(url):
        raise BadInput(f"{where} (id {request_id}): url must be an http(s) address without spaces,"
                       " quotes, brackets or parentheses")
    request = Request(id=request_id, title=title, author=author, state=state, created_at=created,
                      url=url, duplicate_of=duplicate_of, labels=tuple(dict.fromkeys(v.strip() for v in labels)))
    # One vote per fan: `Bob` and `bob` are one person (the first spelling is kept).
    once = {logins.key(v): v for v in reversed(voters)}
    return Entry(request, tuple(once[key] for key in dict.fromkeys(map(logins.key, voters))),
                 raw.get("labels") is not None)


def _listed(value: Any) -> Any:
    """A list field: a JSON list as is, a CSV cell split at `;`, nothing as []."""
    if isinstance(value, str):
        return [v for v in (part.strip() for part in value.split(";")) if v]
    return value or []


def read(path: Path) -> list[Entry]:
    """Parse and check an import file (JSON array, or CSV with the same columns)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"import file not found: {path}") from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() == ".csv" or (path.suffix.lower() != ".json" and not text.lstrip().startswith("[")):
        reader = csv.DictReader(io.StringIO(text))
        rows: list[Any] = []
        try:
            if reader.fieldnames is None or "id" not in reader.fieldnames or "title" not in reader.fieldnames:
                raise BadInput(f"{path}: not a CSV with 'id' and 'title' columns")
            repeated = [name for name, n in Counter(reader.fieldnames).items() if n > 1]
            if repeated:  # DictReader would keep the last cell of the two, silently
                raise BadInput(f"{path}:1: the header names the column {_shown(repeated[0])} twice")
            for row in reader:
                if None in row:
                    raise BadInput(f"{path}:{reader.line_num}: more cells than columns")
                rows.append({k: (v if v != "" else None) for k, v in row.items() if k})
        except csv.Error as exc:
            limit = csv.field_size_limit()
            reason = f"a cell longer than {limit:,} characters" if "field limit" in str(exc) else str(exc)
            raise BadInput(f"{path}:{reader.reader.line_num}: not a CSV this can read: {reason}") from None
        entries = [_entry(row, f"{path}:{i + 2}") for i, row in enumerate(rows)]
    else:
        if _depth(text) > _DEPTH_AT_MOST:  # refused before the parser recurses that deep
            raise BadInput(f"{path}: invalid JSON: nested too deeply for a list of requests")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        except RecursionError:
            raise BadInput(f"{path}: invalid JSON: nested too deeply for a list of requests") from None
        except ValueError:  # Python refuses to read integers of more than 4,300 digits
            raise BadInput(f"{path}: a number too long to read (ids are at most 100 characters)") from None
        if not isinstance(raw, list):
            raise BadInput(f"{path}: expected a JSON array of requests")
        entries = [_entry(item, f"{path}: entry {i + 1}") for i, item in enumerate(raw)]
    seen: set[str] = set()
    for entry in entries:
        if entry.request.id in seen:
            raise BadInput(f"{path}: id {entry.request.id} appears twice")
        seen.add(entry.request.id)
    return entries


def check_duplicates(parents: dict[str, str | None], where: str) -> None:
    """Every `duplicate_of` names a known id and no chain loops back on itself.

    Linear in the number of requests: each chain is walked once, and a walk stops
    where an earlier one found the way out (a hostile file of long chains stays cheap).
    """
    settled: set[str] = set()  # ids whose chain is known to end at a request that is no duplicate
    for start in parents:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in settled:
            if node in on_path:
                loop = path[path.index(node):]
                shown = [*loop, node] if len(loop) <= 8 else [*loop[:4], f"… ({len(loop)} requests) …", node]
                raise BadInput(f"{where}: duplicate_of forms a cycle: {' → '.join(shown)}")
            if node not in parents:
                raise BadInput(f"{where}: request {path[-1]} is a duplicate_of unknown id {node}")
            path.append(node)
            on_path.add(node)
            node = parents[node]
        settled.update(path)


# A list of requests nests three deep (list, request, voters); far deeper is no such list,
# and near Python's recursion limit the parser (and anything the collector runs) fails.
_DEPTH_AT_MOST = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _depth(text: str) -> int:
    """How deep JSON `text`'s brackets nest (strings left out), in one pass at C speed."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    steps = brackets.translate(_STEPS).encode("ascii")  # "[" and "{" as 2, the closers as 0
    return max(accumulate(b - 1 for b in steps), default=0)


_STEPS = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


def import_file(store: Store, path: Path) -> tuple[int, int, int]:
    """Load a file into the store; return (new requests, updated requests, new votes)."""
    entries = read(path)

    def check(existing: dict[str, Request]) -> None:
        parents: dict[str, str | None] = {rid: r.duplicate_of for rid, r in existing.items()}
        parents.update({e.request.id: e.request.duplicate_of for e in entries})
        check_duplicates(parents, str(path))

    check({r.id: r for r in store.requests()})  # a bad file is refused before the store is even opened to write
    created = updated = votes = 0
    with store.transaction() as conn:
        # Again under the write lock: another import cannot slip in between check and write.
        existing = {r.id: r for r in store.requests(conn)}
        check(existing)
        for entry in entries:
            if entry.request.id in existing:
                before = replace(existing[entry.request.id], votes=0)
                updated += before != (entry.request if entry.labels else replace(entry.request, labels=before.labels))
            else:
                created += 1
            store.upsert(conn, entry.request, labels=entry.labels)
            votes += store.add_votes(conn, entry.request.id, entry.voters)
    return created, updated, votes
