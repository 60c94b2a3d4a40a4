"""The local request store: requests, votes and ship marks in one SQLite file.

It lives in the git directory by default so it never dirties the work tree.
WAL and a busy timeout let two processes (a vote and an import) write at once
without losing either; the schema is made in one transaction, and a reader that
finds a store still being made by another process reads it as empty.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from tracker import _logins as logins
from tracker._contract import SHIPPED, Mark
from tracker._errors import BadInput
from tracker._files import resolve
from tracker._model import Request

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    author TEXT,
    state TEXT NOT NULL DEFAULT 'open',
    created_at TEXT,
    duplicate_of TEXT,
    url TEXT,
    labels TEXT
);
CREATE TABLE IF NOT EXISTS votes (
    request_id TEXT NOT NULL,
    login TEXT NOT NULL,
    key TEXT,
    PRIMARY KEY (request_id, login)
);
CREATE TABLE IF NOT EXISTS marks (
    request_id TEXT NOT NULL,
    build TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (request_id, build, kind)
);
"""


STORE_NAME = "tracker/store.sqlite3"
_TABLES = ("requests", "votes", "marks")
# Columns added since the first stores were made (`_upgrade` adds them to an older store).
_ADDED = {"requests": ("labels", "TEXT"), "votes": ("key", "TEXT")}
# One vote per (request, person): a login's key ignores case (`logins.key`), as GitHub does.
_ONE_VOTE = "CREATE UNIQUE INDEX IF NOT EXISTS votes_once ON votes (request_id, key)"


def _upgraded(conn: sqlite3.Connection) -> bool:
    """Does this store have every column and index of the current schema?"""
    for table, (column, _kind) in _ADDED.items():
        if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
            return False
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'votes_once'").fetchone() \
        is not None


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring an older store to the current schema, once, in one write transaction: the new
    columns, every vote's key, and one vote per (request, login whatever its case) — the
    first one cast is kept, with its spelling."""
    if _upgraded(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, (column, kind) in _ADDED.items():  # again under the lock: another process may have done it
            if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        conn.create_function("login_key", 1, logins.key, deterministic=True)
        conn.execute("UPDATE votes SET key = login_key(login) WHERE key IS NULL")
        conn.execute("DELETE FROM votes WHERE rowid NOT IN (SELECT MIN(rowid) FROM votes GROUP BY request_id, key)")
        conn.execute(_ONE_VOTE)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _complete(conn: sqlite3.Connection) -> bool:
    """Does this database hold the whole schema (not a file another process just created)?"""
    found = conn.execute(
        f"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ({', '.join('?' * len(_TABLES))})",
        _TABLES,
    ).fetchone()[0]
    return bool(found == len(_TABLES))


def _readable_as_is(conn: sqlite3.Connection) -> bool:
    """Can this store be read without its upgrade (it has the new columns)?"""
    return all(column in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
               for table, (column, _kind) in _ADDED.items())


def _unusable(exc: sqlite3.DatabaseError) -> bool:
    """Is this the file's fault (not an SQLite database, cannot be opened), not a passing lock?"""
    name = getattr(exc, "sqlite_errorname", "")
    return name in ("SQLITE_NOTADB", "SQLITE_CANTOPEN", "SQLITE_CORRUPT") or any(
        words in str(exc) for words in ("not a database", "unable to open", "malformed"))


def store_path(configured: str | None, root: Path, git_dir: Path) -> Path:
    """`store:` from the config (relative to the repo root), else inside the git directory."""
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else root / path
    return git_dir / STORE_NAME


def now() -> str:
    """The current time, UTC, ISO 8601 (seconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """Requests and votes in SQLite. Reads never create the file; writes do."""

    def __init__(self, path: Path):
        self.path = path
        self.json = True  # SQLite has JSON functions (asked in one statement, not through a temp table)

    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def _connect(self, write: bool) -> Iterator[sqlite3.Connection]:
        conn: sqlite3.Connection | None = None
        # A folder, a FIFO or a device where the store should be is bad input (it would read
        # as an empty store, or fail later as an internal error).
        resolve(self.path, f"store {self.path}")
        if write or self.exists():
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA busy_timeout = 30000")
                if write:
                    conn.execute("PRAGMA journal_mode = WAL")
                    # One transaction, so a reader never sees half a schema.
                    conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
                    _upgrade(conn)
                elif not _complete(conn):
                    # Another process is creating the store this very moment: it is still empty.
                    conn.close()
                    conn = None
                else:
                    try:
                        _upgrade(conn)  # a store made by an older tracker: upgraded on first use
                    except sqlite3.OperationalError:
                        if not _upgraded(conn) and not _readable_as_is(conn):
                            raise BadInput(f"{self.path}: the local store needs an upgrade, and it cannot be"
                                           " written (read-only?): run a command that writes to it, such as"
                                           " 'tracker requests import', where it can be") from None
            except sqlite3.DatabaseError as exc:
                if conn is not None:
                    conn.close()
                if not _unusable(exc):
                    raise
                raise BadInput(f"store {self.path}: not a tracker store ({exc}); point 'store:' in the config"
                               " at a new file, or move this one away") from None
        if conn is None:
            conn = sqlite3.connect(":memory:")
            conn.executescript(_SCHEMA + _ONE_VOTE + ";")
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so writers queue, not fail."""
        with self._connect(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- reads -----------------------------------------------------------------

    def requests(self, conn: sqlite3.Connection | None = None) -> list[Request]:
        """Every request with its vote count, in one query (inside `conn`'s transaction when given)."""
        query = ("SELECT r.id, r.title, r.author, r.state, r.created_at, r.url, r.duplicate_of,"
                 " (SELECT COUNT(*) FROM votes v WHERE v.request_id = r.id), r.labels"
                 " FROM requests r")
        if conn is not None:
            rows = conn.execute(query).fetchall()
        else:
            with self._connect(write=False) as reader:
                rows = reader.execute(query).fetchall()
        return [
            Request(id=r[0], title=r[1], author=r[2], state=r[3], created_at=r[4], url=r[5],
                    duplicate_of=r[6], votes=r[7], labels=tuple(json.loads(r[8])) if r[8] else ())
            for r in rows
        ]

    def voters(self, ids: Iterable[str]) -> dict[str, list[str]]:
        """Voters of each request in `ids`, in one query."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, list[str]] = {i: [] for i in wanted}
        if not wanted:
            return out
        with self._connect(write=False) as conn:
            rows = None
            if self.json:
                try:
                    # The ids as one JSON array: one statement, however many (a long range ships thousands).
                    rows = conn.execute("SELECT request_id, login FROM votes WHERE request_id IN"
                                        " (SELECT value FROM json_each(?)) ORDER BY rowid", (json.dumps(wanted),))
                except sqlite3.OperationalError:  # an SQLite without JSON functions
                    self.json = False
            if rows is None:
                conn.execute("CREATE TEMP TABLE wanted (id TEXT PRIMARY KEY)")
                conn.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", [(i,) for i in wanted])
                rows = conn.execute("SELECT v.request_id, v.login FROM votes v JOIN wanted w ON w.id = v.request_id"
                                    " ORDER BY v.rowid")
            same: dict[str, str] = {}  # one string per fan, however many requests they voted on
            # Vote order is rowid order; each request's list is filled in it.
            for request_id, login in rows:
                out[request_id].append(same.setdefault(login, login))
        return out

    def marks(self, build: str) -> dict[str, set[str]]:
        """Marks already written for `build`: request id → kinds ('shipped', 'withdrawn')."""
        out: dict[str, set[str]] = {}
        with self._connect(write=False) as conn:
            for request_id, kind in conn.execute("SELECT request_id, kind FROM marks WHERE build = ?", (build,)):
                out.setdefault(request_id, set()).add(kind)
        return out

    # -- writes ----------------------------------------------------------------

    def upsert(self, conn: sqlite3.Connection, request: Request, labels: bool = True) -> None:
        """Insert or update one request (inside a transaction); with `labels` False, an
        existing request keeps its labels (an import that names none)."""
        conn.execute(
            "INSERT INTO requests (id, title, author, state, created_at, duplicate_of, url, labels)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET title = excluded.title, author = excluded.author,"
            " state = excluded.state, created_at = COALESCE(excluded.created_at, requests.created_at),"
            " duplicate_of = excluded.duplicate_of, url = excluded.url,"
            " labels = COALESCE(excluded.labels, requests.labels)",
            (request.id, request.title, request.author, request.state, request.created_at,
             request.duplicate_of, request.url,
             json.dumps(list(request.labels), ensure_ascii=False) if labels else None),
        )

    def add_votes(self, conn: sqlite3.Connection, request_id: str, voters: Iterable[str]) -> int:
        """Add votes, one per (request, login whatever its case: `Bob` and `bob` are one fan);
        return how many were new."""
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO votes (request_id, login, key) VALUES (?, ?, ?)",
            [(request_id, login, logins.key(login)) for login in voters],
        )
        return conn.total_changes - before

    def next_id(self, conn: sqlite3.Connection, above: int = 0) -> str:
        """A new numeric id: one above every numeric id in the store and above `above` (the
        highest `#N` the history names, so `#new` never links to a pull request).

        Compared in Python: SQLite's CAST stops at 2**63 - 1, where the next id collided.
        """
        highest = above
        for (text,) in conn.execute("SELECT id FROM requests WHERE id GLOB '[0-9]*' AND id NOT GLOB '*[^0-9]*'"
                                    " AND length(id) <= 100"):  # longer is no id (importer.valid_id)
            highest = max(highest, int(text))
        new = str(highest + 1)
        if len(new) > 100:
            raise BadInput(f"no numeric id is left above #{highest}: give the request an id with --id")
        return new

    def record(self, marks: Iterable[Mark]) -> None:
        """Record marks once each (a concurrent run's are kept, not doubled) and close the requests
        of shipped marks that close, all in one transaction."""
        items = list(marks)
        at = now()
        with self.transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO marks (request_id, build, kind, at) VALUES (?, ?, ?, ?)",
                             [(m.request, m.build, m.kind, at) for m in items])
            conn.executemany("UPDATE requests SET state = 'closed' WHERE id = ? AND state != 'closed'",
                             [(m.request,) for m in items if m.kind == SHIPPED and m.close])


def require_request(store: Store, request_id: str) -> Request:
    """The stored request `request_id`, or BadInput."""
    for request in store.requests():
        if request.id == request_id:
            return request
    raise BadInput(f"no request #{request_id} in the local store ({store.path})")
