"""Earlier history, collect's second half: what the builds before this one already hold.

A request ships once (per line of builds): before a build may say it shipped a request, the
history behind its previous build is asked whether a commit there already closed it, or a
copy of one of its closing commits (a backport without `-x`, a hand-made cherry-pick) sits on
another line. The link index answers when it holds that history; a first run reads only the
window since the oldest asked request was opened, once, for the decision and credit alike.
`collect.Collector` is the one interface: these are its methods, kept here by what they hold
(the copies on other lines in `_copies.OtherLines`, which this class builds on).
"""

from __future__ import annotations

from tracker import _builds as builds
from tracker import _git as git
from tracker._copies import _REFERRING, OtherLines

TYPE_CHECKING = False  # as in collect: typing stays unloaded on the early start's path

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterable, Mapping, Sequence, Set

    from tracker import _scan
    from tracker._contract import Context
    from tracker._model import Commit, Request, Tag
    from tracker._shas import ShaSet

# A previous build with fewer commits behind it than this has its whole history indexed on a
# first run (a fraction of a second); a longer one is read only as far back as a build asks
# (counting costs a walk of this many commits: ~25 ms).
_INDEX_AT_MOST = 2_000
# Days an issue system's "opened" date may be later than the commit that closed the request.
_CLOCK_SLACK_DAYS = 7
# What git keeps of earlier history: every commit that could name a request or a commit. Which
# requests is asked here (`_naming`): git walks as fast with these as with one pattern of the
# numbers (it tried a long alternation on every line: slower), and one reading of a window
# answers every question about it.
_NAMING = [*_REFERRING, "reverts commit", "cherry picked from commit"]
_NARROW = str.maketrans("０１２３４５６７８９", "0123456789")
# A number after `#`, `gh-`, `/issues/` or `/discussions/` (its digits), full-width digits after
# `#` (UTF-8), or a revert's or cherry-pick's words.
_NAMED = (rb"(?:#|gh-|/issues/|/discussions/)([0-9]+)|#((?:\xef\xbc[\x90-\x99])+)"
          rb"|(reverts commit|cherry picked from commit)")


def _naming(numbers: Iterable[str]) -> Callable[[bytes], bool]:
    """Does a commit message name one of `numbers`, revert or cherry-pick something? What
    `git log -E -i --grep` kept before with `(#|gh-|/issues/|/discussions/)0*(N|M|…)([^0-9]|$)`
    and `#(Ｎ|Ｍ|…)` (full-width), asked with one short pattern and a set: compiling an
    alternation of a few hundred numbers cost Python ~25 ms a question."""
    import re

    wanted = set(numbers)
    pattern = re.compile(_NAMED, re.IGNORECASE)  # any case, as git's -i

    def named(digits: str) -> bool:
        """`0*N` with nothing after: N after any run of leading zeros."""
        for start, char in enumerate(digits):
            if digits[start:] in wanted:
                return True
            if char != "0":
                return False
        return False

    def wide(digits: str) -> bool:
        """`#Ｎ` followed by anything: any beginning of the run."""
        plain = digits.translate(_NARROW)
        return any(plain[:end] in wanted for end in range(1, len(plain) + 1))

    def says(message: bytes) -> bool:
        for ascii_digits, wide_digits, words in pattern.findall(message):  # one C call a message
            if words or (ascii_digits and named(ascii_digits.decode("ascii"))) \
                    or (wide_digits and wide(wide_digits.decode("utf-8"))):
                return True
        return False

    return says


class EarlierHistory(OtherLines):
    """The earlier-history half of `collect.Collector` (its state is set up there)."""

    context: Context
    _requests: Callable[[], Mapping[str, Request]]
    _short: dict[str, bool]
    _counting: dict[str, threading.Thread]
    _dates: dict[str, str]
    _window: dict[str, str | None]
    _read: dict[tuple[str, str | None], list[Commit]]

    def _index_ancestry(self, tip: str) -> None:
        """Index every linked commit of `tip`'s ancestry, its cherry-picks' closings included."""
        items = self._linked_ancestry(tip)
        self.link_index.add(tip, None, items)
        self._derive_picks(items)

    def _shipped_in(self, closers: Mapping[str, Sequence[str]], earlier_builds: Mapping[str, Tag],
                    previous_name: str | None) -> dict[str, str]:
        """Request id → the build that shipped it: the oldest build holding any of its earlier
        closers. The link index says which build's range held a commit it recorded; for the
        others, the builds dated from the oldest commit's own date on are asked, in one
        `git name-rev`. The previous build when none can be found."""
        if not closers:
            return {}
        by_sha = {t.sha: t for t in earlier_builds.values()}
        held = self.link_index.ranges_holding({sha for shas in closers.values() for sha in shas})
        unplaced = {sha for shas in closers.values() for sha in shas if not held.get(sha, set()) & set(by_sha)}
        holders: dict[str, str] = {}
        if unplaced:  # the builds that can hold them: those whose commit is no older than the oldest
            dates = self._commit_dates(unplaced)
            oldest = git.shifted(min(dates.values()), -_CLOCK_SLACK_DAYS) if dates else None
            holders = builds.oldest_holders(self.repo, unplaced, [
                t.name for t in earlier_builds.values() if oldest is None or t.commit_date >= oldest])
        by_name = {t.name: t for t in earlier_builds.values()}
        out: dict[str, str] = {}
        for rid, shas in closers.items():
            found = [by_sha[tip] for sha in shas for tip in held.get(sha, ()) if tip in by_sha]
            found += [by_name[holders[sha]] for sha in shas if holders.get(sha) in by_name]
            out[rid] = min(found, key=lambda t: (t.date, t.name)).name if found else previous_name or ""
        return out

    def _earlier(self, tip: str, previous: str | None, search: set[str], record: bool,
                 picked: ShaSet | None = None, inside: Set[str] | None = None) -> list[_scan.Linked]:
        """Commits reachable from the previous build that close (or revert closers of) `search`,
        or cherry-pick one of the commits `picked` (this range's closing commits).
        `record`: the scan collected `previous..tip` into the index; mark the range."""

        index = self.link_index
        if previous is None:
            if record:
                index.add(tip, None, ())
            return []
        found = self._closers(previous, search, picked, tip=tip, inside=inside) if search or picked else []
        if record:
            index.add(tip, previous, ())
        return self._not_before_opened(found)

    def _not_before_opened(self, items: list[_scan.Linked]) -> list[_scan.Linked]:
        """`items` without the closings of requests that were opened after the commit (less a
        week of clock slack): such a `#N` named something else (a number given again)."""
        from dataclasses import replace


        requests = self._requests()
        opened = {rid: when for item in items for rid in item.parsed.closes if rid in requests
                  for when in [requests[rid].created_at] if when}
        if not opened:
            return items
        dates = self._commit_dates({item.sha for item in items
                                                 if any(rid in opened for rid in item.parsed.closes)})
        kept = []
        for item in items:
            when = dates.get(item.sha)
            late = {rid for rid in item.parsed.closes if when and rid in opened
                    and (git.shifted(opened[rid], -_CLOCK_SLACK_DAYS) or "") > when}
            kept.append(replace(item, parsed=replace(item.parsed, closes=tuple(
                rid for rid in item.parsed.closes if rid not in late))) if late else item)
        return kept

    def _closers(self, previous: str, search: set[str], picked: ShaSet | None = None,
                 until: Callable[[_scan.Linked], Set[str]] | None = None,
                 no_older_than: str | None = None, tip: str | None = None,
                 inside: Set[str] | None = None) -> list[_scan.Linked]:
        """Commits reachable from `previous` that close any of `search` or cherry-pick any of
        `picked`, and the reverts among them.

        From the link index when it holds `previous`'s whole ancestry, or the build's (`tip`),
        less the build's own range (`inside`: its linked commits). Otherwise a first run
        indexes that ancestry when it is short (under `_INDEX_AT_MOST` commits), and reads
        the rest with one `git log --grep` that goes back no further than the oldest of the
        requests was opened (a commit cannot close a request before it exists): what a
        weekly build asks of a long history costs what its requests' age says, not the
        history's length. The answer is the same either way.

        `until`, when given, hears each commit found, newest first, and says what is still
        wanted: reading stops once nothing is (a question one closing answers)."""

        index = self.link_index
        within = previous
        if not index.complete(previous):
            if tip is not None and inside is not None:
                within = tip  # the build's whole history is indexed: all of it but its own range
            elif self._short_history(previous):  # a few thousand commits
                self._index_ancestry(previous)
        if index.complete(within):
            found = index.closers(search, within=within, picked=picked)
            if found is not None and within != previous:
                found = [item for item in found if item.sha not in (inside or ())]
            if found is not None:
                if until is not None:
                    for item in sorted(found, key=lambda i: i.sha):
                        if not until(item):
                            break
                return found
        return self._walk_for(previous, search, picked, until, no_older_than)

    def _short_history(self, tip: str) -> bool:
        """Does `tip`'s history hold fewer than `_INDEX_AT_MOST` commits? (Asked once per tip;
        `_count_ahead` may have started the counting.)"""
        known = self._short.get(tip)
        if known is None:
            counting = self._counting.pop(tip, None)
            if counting is not None:
                counting.join()
            known = self._short.get(tip)
        if known is None:
            known = self._short[tip] = git.count_at_most(self.repo, tip, _INDEX_AT_MOST) < _INDEX_AT_MOST
        return known

    def _count_ahead(self, tip: str) -> None:
        """Start counting `tip`'s history (`_short_history`) in a thread: git walks its first
        commits while the range is scanned (a first run asks before reading earlier history)."""
        import threading

        if tip in self._short or tip in self._counting:
            return

        def count() -> None:
            from contextlib import suppress

            with suppress(Exception):  # `_short_history` then counts again, where an error is reported
                self._short[tip] = git.count_at_most(self.repo, tip, _INDEX_AT_MOST) < _INDEX_AT_MOST

        self._counting[tip] = thread = threading.Thread(target=count, name="tracker-count", daemon=True)
        thread.start()

    def _commit_dates(self, shas: Iterable[str]) -> dict[str, str]:
        """`git.commit_dates`, each commit's asked once per command (the decision and
        `shipped_in` ask about the same earlier closers)."""
        wanted = set(shas)
        missing = wanted - set(self._dates)
        if missing:
            self._dates.update(git.commit_dates(self.repo, missing))
            self._dates.update({sha: "" for sha in missing if sha not in self._dates})
        return {sha: self._dates[sha] for sha in wanted if self._dates[sha]}

    def _opened_since(self, search: Iterable[str]) -> str | None:
        """How far back a commit can close any of `search`: a week before the oldest was opened
        (clocks of commits and issue systems differ), or None when one has no date."""
        requests = self._requests()
        wanted = list(search)
        dated = [when for rid in wanted if rid in requests for when in [requests[rid].created_at] if when]
        if not wanted or len(dated) < len(wanted):
            return None
        return git.shifted(min(dated), -_CLOCK_SLACK_DAYS)

    def _walk_for(self, previous: str, search: set[str], picked: ShaSet | None,
                  until: Callable[[_scan.Linked], Set[str]] | None = None,
                  no_older_than: str | None = None, paths: Sequence[str] = ()) -> list[_scan.Linked]:
        """`_closers` read from git: one `git log` of `previous`'s ancestry since the oldest
        request of `search` was opened (all of it when one has no date), keeping, in C, the
        commits that name any issue, revert or cherry-pick something, and of those, here, the
        ones that name one of `search`; those are parsed as a scan would, and cherry-picks
        close what the commits they copy close. A second question about the same window
        (credit's, after the decision's) is answered from the first one's reading."""
        from tracker import _grammar as links
        from tracker import _scan

        since = self._opened_since(search)
        if no_older_than is not None and (since is None or no_older_than > since):
            since = no_older_than
        self._window.setdefault(previous, since)
        repo_id = self.repo_id
        numbers = sorted(rid for rid in search if rid.isascii() and rid.isdigit())  # what `#N` can name
        wanted = _naming(numbers)
        items = []
        kept = self._read.get((previous, since)) if not paths else None
        found: Iterable[Commit] = kept if kept is not None else git.grep(self.repo, previous, _NAMING, since, paths)
        # A whole reading is kept for the next question (`until` may stop this one early).
        keep: list[Commit] | None = [] if kept is None and until is None and not paths else None
        for commit in self.context.track(found, "reading earlier history", unit="commits"):
            if keep is not None:
                keep.append(commit)
            if not wanted(commit.raw):
                continue
            parsed = links.parse(commit.message, repo_id)
            if parsed.empty:
                continue
            items.append(_scan.Linked(commit.sha, _scan.commit_author(commit), parsed))
            if until is not None and not until(items[-1]):
                break  # the generator's git is stopped when it is collected
        close = getattr(found, "close", None)
        if close is not None:
            close()
        if keep is not None:
            self._read[(previous, since)] = keep
        copies = [item for item in items if item.parsed.cherry_of]
        closes: dict[str, set[str]] = {}
        if copies:
            names = {sha for item in copies for sha in item.parsed.cherry_of}
            originals = self._read_originals(names, names, repo_id)
            closes = {item.sha: {i for sha in item.parsed.cherry_of if sha in originals
                                 for i in originals[sha].parsed.closes} for item in copies}
        return [item for item in items
                if item.parsed.reverts or not search.isdisjoint(item.parsed.closes)
                or not search.isdisjoint(closes.get(item.sha, ()))
                or (picked is not None and any(map(picked.has_prefix, item.parsed.cherry_of)))]

    def _linked_ancestry(self, tip: str) -> list[_scan.Linked]:
        """Every commit reachable from `tip` that links to something: exactly those `_scan.scan`
        keeps (`links.maybe_bytes`, then a non-empty parse), found by one `git log --grep`."""
        from tracker import _grammar as links
        from tracker import _scan
        from tracker._linkindex import GREP_PATTERNS

        repo_id = self.repo_id
        return [_scan.Linked(commit.sha, _scan.commit_author(commit), parsed)
                for commit in self.context.track(git.grep(self.repo, tip, GREP_PATTERNS),
                                                 "indexing earlier history (once)", unit="commits")
                if links.maybe_bytes(commit.raw)
                for parsed in [links.parse(commit.message, repo_id)] if not parsed.empty]
