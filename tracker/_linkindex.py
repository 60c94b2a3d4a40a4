"""A cache of what earlier commits say, so a weekly build need not re-read all history.

Deciding what build B shipped asks "did a commit reachable from the previous
build already close this request?". Without an index that is a `git log --grep`
over the whole history before B: a second per 100,000 commits, every week. The
index keeps the links of every commit that has any (commit messages never
change, so entries never go stale), the build tips whose whole ancestry has
been indexed, and for each tip the tip below it: a weekly run reads only its
own range and looks up earlier closers by request id.

Reachability needs no git walk: a commit indexed while reading range P..B is an
ancestor of every build whose chain of recorded tips reaches B, and a complete
tip's ancestry is, by induction, covered by the ranges along its chain.

It lives in the git directory (`tracker/links.sqlite3`), is only a cache (delete
it any time), and is written only when a command succeeds (`save`), so a
failing command leaves nothing behind. Entries carry the repository slug and
the grammar version they were parsed with; a change of either starts afresh.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Set
from pathlib import Path

# `typing.TYPE_CHECKING` without loading typing (~5 ms) on the early start's path; type
# checkers read any name TYPE_CHECKING as True.
TYPE_CHECKING = False

if TYPE_CHECKING:  # loaded where used: the early start asks `holds` before anything heavier
    from tracker._grammar import Parsed
    from tracker._scan import Linked, Row

# Bump when the link grammar changes what a message means, or the tables change.
GRAMMAR = "10"  # 10: a discussion's URL closes it, as an issue's does
# `git log -E -i --grep` patterns for indexing a whole ancestry: the substrings
# `links.maybe_bytes` tests (case-insensitive here, so a superset). What the grep finds
# is then filtered with `maybe_bytes` itself, so it keeps exactly the commits a range
# scan keeps, and an index reads the same whichever way it was built. (Narrower
# patterns such as `#[0-9]` missed `#１`, which the grammar reads as #1.)
GREP_PATTERNS = ["#", "://", "h-", "evert", "herry", "erge request"]
_TABLES = ("meta", "tips", "linked", "seen", "closes", "reverts", "picks", "patches")
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tips (sha TEXT PRIMARY KEY, parent TEXT)",
    # WITHOUT ROWID: each lookup by key is one B-tree search, not an index search and a row fetch.
    # `says`: what the message says, in `_scan.as_row` form.
    "CREATE TABLE IF NOT EXISTS linked (sha TEXT PRIMARY KEY, author TEXT, says TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS seen (sha TEXT NOT NULL, tip TEXT NOT NULL, PRIMARY KEY (sha, tip)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS seen_by_tip ON seen (tip)",
    "CREATE TABLE IF NOT EXISTS closes (request TEXT NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (request, sha))"
    " WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS closes_by_sha ON closes (sha)",
    "CREATE TABLE IF NOT EXISTS reverts (target TEXT NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (target, sha))"
    " WITHOUT ROWID",
    # Each commit's `git patch-id` once computed (a diff each): copies are found by it.
    "CREATE TABLE IF NOT EXISTS patches (sha TEXT PRIMARY KEY, patch TEXT NOT NULL) WITHOUT ROWID",
    # Cherry-picks by the commit they copy: a copy of a closing commit ships what it closes.
    "CREATE TABLE IF NOT EXISTS picks (target TEXT NOT NULL, sha TEXT NOT NULL, PRIMARY KEY (target, sha))"
    " WITHOUT ROWID",
]


_SEEN_IN_CHAIN = "EXISTS (SELECT 1 FROM seen s JOIN temp.chain t ON t.sha = s.tip WHERE s.sha = c.sha)"


# Does the index hold a tip's whole ancestry? (The one question the early start asks.)
_HOLDS = "SELECT 1 FROM tips WHERE sha = ?"


def holds(path: Path, tip: str) -> bool:
    """Does the index file at `path` hold `tip`'s whole ancestry? One query; any failure: no."""
    try:
        conn = sqlite3.connect(path, timeout=1)
        try:
            return conn.execute(_HOLDS, (tip,)).fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _count(conn: sqlite3.Connection, joined: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {joined}").fetchone()[0])


class LinkIndex:
    """Links of indexed commits, and which build tips are indexed all the way down."""

    def __init__(self, path: Path, slug: str | None):

        self.path = path
        self.identity = f"{GRAMMAR}:{(slug or '').lower()}"
        self._tips: dict[str, str | None] = {}  # pending: tip → the tip below it (None: indexed whole)
        self._items: dict[str, Linked] = {}
        self._seen: dict[str, set[str]] = {}  # pending: sha → tips whose range held it
        self._derived: dict[str, tuple[str, ...]] = {}  # pending: a cherry-pick → what its original closes
        self._patches: dict[str, str] = {}  # pending: commit → its patch id
        self._broken = False  # the stored index failed a read: ignore it from then on

    def _open(self) -> sqlite3.Connection | None:
        """The stored index, or None when there is none usable (absent, foreign, damaged)."""
        if self._broken or not self.path.is_file():
            return None
        try:
            conn = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error:
            return None
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
            if row and row[0] == self.identity:
                return conn
        except sqlite3.Error:
            pass  # a damaged cache is no cache
        conn.close()
        return None

    def complete(self, tip: str) -> bool:
        """True when every commit reachable from `tip` is indexed."""
        if tip in self._tips:
            return True
        conn = self._open()
        if conn is None:
            return False
        try:
            return self._holds(conn, tip)
        finally:
            conn.close()

    def _holds(self, conn: sqlite3.Connection, tip: str) -> bool:
        """True when the stored index records `tip` as complete."""
        try:
            return conn.execute(_HOLDS, (tip,)).fetchone() is not None
        except sqlite3.Error:
            self._broken = True  # a table missing, a page damaged: read history instead
            return False

    def add(self, tip: str, below: str | None, linked: Iterable[Linked]) -> None:
        """Record the linked commits of range `below..tip` (everything under `tip` when `below`
        is None); `tip` is then complete, provided `below` was. Kept until `save`."""
        for item in linked:
            self._items[item.sha] = item
            self._seen.setdefault(item.sha, set()).add(tip)
        self._tips[tip] = below

    def patches(self, shas: Iterable[str]) -> dict[str, str]:
        """sha → patch id of those of `shas` the index knows."""
        wanted = set(shas)
        found = {sha: self._patches[sha] for sha in wanted if sha in self._patches}
        conn = self._open()
        if conn is None or not wanted:
            return found
        try:
            rows = conn.execute("SELECT p.sha, p.patch FROM json_each(?) j JOIN patches p ON p.sha = j.value",
                                ('["' + '","'.join(sorted(wanted)) + '"]',)).fetchall()
        except sqlite3.Error:
            return found
        finally:
            conn.close()
        found.update(dict(rows))
        return found

    def remember_patches(self, patches: Mapping[str, str]) -> None:
        """Keep patch ids computed this run (saved with the next `save`)."""
        self._patches.update(patches)

    def derive(self, sha: str, requests: tuple[str, ...]) -> None:
        """Record that the indexed cherry-pick `sha` closes `requests` through the commit it copies
        (its message says only "cherry picked from"): a search by request finds it. Kept until `save`."""
        self._derived[sha] = requests

    def collect(self, tip: str) -> Callable[[str, str | None, Parsed], None]:
        """A function recording one linked commit of `tip`'s range as a scan reads it (the
        range itself is recorded by `add(tip, below, ())` once the scan is done)."""
        from tracker._scan import Linked

        items, seen = self._items, self._seen

        def record(sha: str, author: str | None, parsed: Parsed) -> None:
            items[sha] = Linked(sha, author, parsed)
            seen.setdefault(sha, set()).add(tip)

        return record

    def lookup(self, tip: str) -> Lookup | None:
        """What each indexed commit under complete `tip` says, for a scan to read instead of
        parsing: a commit of `tip`'s ancestry that the index lacks links to nothing.
        None when `tip` is not complete or the stored index is unusable."""
        conn = self._open()  # one connection: asked whether `tip` is complete, then read
        if tip in self._tips or (conn is not None and self._holds(conn, tip)):
            return Lookup(self, conn)
        if conn is not None:
            conn.close()
        return None

    def ranges_holding(self, shas: Iterable[str]) -> dict[str, set[str]]:
        """sha → the build tips whose recorded range (from the tip below it, not a whole
        ancestry) held that commit: which build first had it, where the index knows."""
        wanted = set(shas)
        below = dict(self._tips)
        out: dict[str, set[str]] = {}
        for sha in wanted:
            for tip in self._seen.get(sha, ()):
                if below.get(tip) is not None:
                    out.setdefault(sha, set()).add(tip)
        conn = self._open()
        if conn is None or not wanted:
            return out
        try:
            rows = conn.execute(
                "SELECT s.sha, s.tip FROM json_each(?) j JOIN seen s ON s.sha = j.value"
                " JOIN tips t ON t.sha = s.tip WHERE t.parent IS NOT NULL",
                ('["' + '","'.join(sorted(wanted)) + '"]',)).fetchall()
        except sqlite3.Error:
            return out
        finally:
            conn.close()
        for sha, tip in rows:
            out.setdefault(sha, set()).add(tip)
        return out

    def chain_tips(self, tip: str) -> set[str]:
        """Recorded build tips known to be in `tip`'s ancestry (`tip` included); empty when
        the index knows nothing of `tip` or cannot be read."""
        if not self.complete(tip):
            return set()
        conn = self._open()
        try:
            return self._chain(conn, tip)
        except sqlite3.Error:
            return {tip}
        finally:
            if conn is not None:
                conn.close()

    def _chain(self, conn: sqlite3.Connection | None, tip: str) -> set[str]:
        """`tip` and every tip below it, following recorded ranges."""
        parents: dict[str, set[str]] = {}
        rows = list(conn.execute("SELECT sha, parent FROM tips")) if conn is not None else []
        for sha, parent in [*rows, *self._tips.items()]:
            parents.setdefault(sha, set())
            if parent:
                parents[sha].add(parent)
        chain, stack = set(), [tip]
        while stack:
            current = stack.pop()
            if current in chain:
                continue
            chain.add(current)
            stack.extend(parents.get(current, ()))
        return chain

    def closers(self, requests: Iterable[str], within: str, picked: Set[str] | None = None) -> list[Linked] | None:
        """Commits reachable from `within` that close any of `requests` or cherry-pick any of
        the commits `picked`, and those that revert them (and revert the reverts); None when
        the stored index failed while read (then the caller reads `within`'s history, `add`s
        it, and asks again)."""
        conn = self._open()
        try:
            # `picked` as given: a long range's closing commits are tens of thousands (a copy as a
            # set of str would cost megabytes).
            return self._closers(conn, set(requests), within, picked if picked is not None else frozenset())
        except sqlite3.Error:
            self._broken = True
            return None
        finally:
            if conn is not None:
                conn.close()

    def _closers(self, conn: sqlite3.Connection | None, wanted: set[str], within: str,
                 picked: Set[str]) -> list[Linked]:
        from dataclasses import replace

        from tracker._scan import Linked, as_parsed

        chain = self._chain(conn, within)
        # Reachable candidates: this run's pending items seen under a tip of the chain, and
        # the stored ones, read in joined queries whatever the number of requests.
        closers = {s: i for s, i in self._items.items() if self._seen.get(s, set()) & chain
                   and not (wanted.isdisjoint(i.parsed.closes) and wanted.isdisjoint(self._derived.get(s, ()))
                            and not any(map(picked.__contains__, i.parsed.cherry_of)))}
        reverters = {s: i for s, i in self._items.items() if self._seen.get(s, set()) & chain
                     and i.parsed.reverts}
        if conn is not None and (wanted or picked):
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS chain (sha TEXT PRIMARY KEY)")
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (request TEXT PRIMARY KEY)")
            conn.executemany("INSERT OR IGNORE INTO temp.chain VALUES (?)", [(t,) for t in chain])
            conn.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?)", [(r,) for r in wanted])
            # Closings of the wanted requests that the chain saw: walked from whichever side
            # has fewer rows (a long range wants thousands of requests of a short ancestry; a
            # weekly build, a few requests of a long one). Temp tables have no statistics, so
            # SQLite is told the order by CROSS JOIN; each count reads one index range.
            by_chain = "temp.chain t CROSS JOIN seen s ON s.tip = t.sha"
            by_wanted = "temp.wanted w CROSS JOIN closes c ON c.request = w.request"
            if _count(conn, by_chain) < _count(conn, by_wanted):
                # `+c.request`: a filter, not an index key (as a key SQLite would probe every
                # wanted request for every closing).
                closings = (f"{by_chain} CROSS JOIN closes c ON c.sha = s.sha"
                            " WHERE +c.request IN (SELECT request FROM temp.wanted)")
            else:
                closings = f"{by_wanted} WHERE {_SEEN_IN_CHAIN}"
            queries = [(closings, closers), (f"reverts c WHERE {_SEEN_IN_CHAIN}", reverters)]
            if picked:
                conn.execute("CREATE TEMP TABLE IF NOT EXISTS picked (sha TEXT PRIMARY KEY)")
                conn.executemany("INSERT OR IGNORE INTO temp.picked VALUES (?)", zip(picked))
                queries.append((f"temp.picked p CROSS JOIN picks c ON c.target = p.sha WHERE {_SEEN_IN_CHAIN}",
                                closers))
            for query, found in queries:
                for row in conn.execute(
                        f"SELECT l.sha, l.author, l.says FROM linked l WHERE l.sha IN (SELECT c.sha FROM {query})"):
                    if row[0] not in found:
                        found[row[0]] = Linked(row[0], row[1], as_parsed(row[2]))
        # A copy or pick closes what its original closes: its derived closings join its own.
        derived: dict[str, list[str]] = {}
        if conn is not None and closers:
            for request, sha in conn.execute(
                    "SELECT c.request, c.sha FROM json_each(?) j JOIN closes c ON c.sha = j.value",
                    ('["' + '","'.join(sorted(closers)) + '"]',)):
                derived.setdefault(sha, []).append(request)
        for sha, ids in self._derived.items():
            derived.setdefault(sha, []).extend(ids)
        for sha, item in list(closers.items()):
            extra = [i for i in derived.get(sha, ()) if i not in item.parsed.closes]
            if extra:
                closers[sha] = Linked(sha, item.author, replace(item.parsed, closes=(*item.parsed.closes, *extra)))
        # Then whatever reverts a closer, reverts that revert, and so on.
        found = dict(closers)
        frontier = set(found)
        while frontier:
            new = {s: i for s, i in reverters.items() if s not in found
                   and any(f.startswith(t) for t in i.parsed.reverts for f in frontier)}
            found.update(new)
            frontier = set(new)
        return [found[sha] for sha in sorted(found)]

    def save(self) -> None:
        """Write what this run learnt. A cache that cannot be written is skipped, not an error.

        Two runs may save at once (two workflow runs): SQLite lets one writer in at a
        time, and a few retries cover the moments a lock is refused outright (switching
        a new file to WAL takes one, and the busy timeout does not wait for it).
        """
        if not (self._tips or self._patches):
            return
        for attempt in range(5):
            try:
                self._save()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    return
                time.sleep(0.05 * (attempt + 1))
            except sqlite3.Error:
                return  # a read-only or unreadable cache costs speed next time, never correctness

    def _save(self) -> None:
        from tracker._scan import as_row

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except OSError:
            return
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            # A cache: a crash may lose the last write, never make the file unreadable (WAL), and
            # a write that waits for the disk twice per transaction costs more than it keeps.
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("BEGIN IMMEDIATE")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            row = conn.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone() \
                if "meta" in tables else None
            if row is None or row[0] != self.identity or not tables.issuperset(_TABLES):
                # Another grammar or repository, or a damaged file (a table missing): start afresh,
                # in this transaction (executescript would commit first).
                for table in _TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute("INSERT INTO meta VALUES ('identity', ?)", (self.identity,))
            # A tip is complete only if the tip below it is: this run may have read a tip
            # as complete from a file that was deleted or reset since. Keep only grounded tips.
            known = {r[0] for r in conn.execute("SELECT sha FROM tips")}
            grounded: dict[str, str | None] = {}
            while True:
                more = {t: b for t, b in self._tips.items()
                        if t not in grounded and (b is None or b in known or b in grounded)}
                if not more:
                    break
                grounded.update(more)
            items = self._items.values()
            conn.executemany("INSERT OR REPLACE INTO linked VALUES (?, ?, ?)",
                             [(i.sha, i.author, as_row(i.parsed)) for i in items])
            conn.executemany("INSERT OR IGNORE INTO closes VALUES (?, ?)",
                             [(r, i.sha) for i in items for r in i.parsed.closes]
                             + [(r, sha) for sha, ids in self._derived.items() for r in ids])
            conn.executemany("INSERT OR IGNORE INTO reverts VALUES (?, ?)",
                             [(t, i.sha) for i in items for t in i.parsed.reverts])
            conn.executemany("INSERT OR IGNORE INTO picks VALUES (?, ?)",
                             [(t, i.sha) for i in items for t in i.parsed.cherry_of])
            conn.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)",
                             [(sha, tip) for sha, tips in self._seen.items() for tip in sorted(tips)])
            conn.executemany("INSERT OR IGNORE INTO tips VALUES (?, ?)", list(grounded.items()))
            conn.executemany("INSERT OR IGNORE INTO patches VALUES (?, ?)", list(self._patches.items()))
            conn.execute("COMMIT")
            self._items.clear()
            self._seen.clear()
            self._tips.clear()
            self._derived.clear()
            self._patches.clear()
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()


class Lookup:
    """Stored rows of commits by sha, one query per block of a range.

    The block's shas go to SQLite as one JSON array (`json_each`): one statement per
    block however long, ~1 µs a commit, and nothing held beyond the block (reading
    the whole table instead costs as much time and megabytes of memory). SQLite
    answers with each linked commit's place in the array, so the scan need not look
    its shas up again. Where SQLite lacks JSON functions, batches of `IN (?, …)` do
    the same a little slower.
    """

    _BATCH = 900  # under SQLite's smallest limit on query parameters (999)

    def __init__(self, index: LinkIndex, conn: sqlite3.Connection | None):
        self.index = index
        self.conn = conn
        self.json = True
        self.failed = False

    def rows(self, shas: list[str]) -> list[tuple[int, Row]] | None:
        """(position in `shas`, what its message says) of those of `shas` that link to
        something, in position order; None once the stored index has failed while read
        (then parse instead)."""
        from tracker._scan import as_row

        if self.failed:
            return None
        pending = self.index._items
        found = [(n, as_row(pending[sha].parsed)) for n, sha in enumerate(shas) if sha in pending] \
            if pending else []
        if self.conn is None:
            return found
        try:
            if self.json:
                try:
                    # Shas are hex: the JSON array needs no escaping, and joining is ~10x json.dumps.
                    stored = self.conn.execute(
                        "SELECT j.key, l.says FROM json_each(?) j CROSS JOIN linked l ON l.sha = j.value",
                        ('["' + '","'.join(shas) + '"]',)).fetchall()
                    return _merged(found, stored)
                except sqlite3.OperationalError:
                    # An SQLite without JSON (or table-valued) functions: ask in batches from now
                    # on; a damaged file fails those too, and is then given up below.
                    self.json = False
            at = {sha: n for n, sha in enumerate(shas)}
            stored = []
            for start in range(0, len(shas), self._BATCH):
                batch = shas[start:start + self._BATCH]
                stored += [(at[sha], says) for sha, says in self.conn.execute(
                    f"SELECT sha, says FROM linked WHERE sha IN ({','.join('?' * len(batch))})", batch)]
        except sqlite3.Error:
            self.index._broken = True
            self.failed = True  # every later block is parsed too: the index answers for all or none
            self.close()
            return None
        return _merged(found, stored)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _merged(pending: list[tuple[int, Row]], stored: list[tuple[int, Row]]) -> list[tuple[int, Row]]:
    """This run's rows and the stored ones, each position once, in position order."""
    if pending:
        taken = {n for n, _ in pending}
        stored = [item for item in stored if item[0] not in taken]
    return sorted(pending + stored)
