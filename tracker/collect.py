"""Collect: everything a build's report reads from git, behind one object.

The session asks a `Collector` for a build's range (`read`), for what earlier
history already did about the requests that range names (`earlier`), for the
build that shipped each earlier closer (`shipped_in`) and for who wrote what
(`authorship`, `closed_before`, `authors_before`), and knows nothing of how. How is here: a
`git log` started before the command line loaded is taken over, the range is
read subjects only when the link index already knows what its messages say,
the index is looked up, filled and (at the session's end) saved, a first run
reads no further back than the requests it asks about were opened, and the
cyclic collector is paused while tens of thousands of commits are kept.

Only `os` is imported up front: `indexed` answers the early start
(`tracker.early`) before anything heavier loads.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from tracker import _authors as authors
from tracker import _builds as builds
from tracker import _git as git
from tracker._copies import _COPIES_UP_TO
from tracker._earlier import EarlierHistory
from tracker._errors import BadInput

# `typing.TYPE_CHECKING` without loading typing (~5 ms) on the early start's path; type
# checkers read any name TYPE_CHECKING as True.
TYPE_CHECKING = False

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set

    from tracker import _grammar as links
    from tracker import _scan
    from tracker._config import Component, Config
    from tracker._contract import Context
    from tracker._linkindex import LinkIndex
    from tracker._model import Commit, Request, Tag

def index_path(git_dir: str | Path) -> Path:
    """Where a repository's link index lives (a cache: delete it any time)."""
    return Path(git_dir) / "tracker" / "links.sqlite3"


def indexed(git_dir: str, build_sha: str) -> bool:
    """Whether the link index (probably) holds every message under the build: then the
    range is read subjects only. Cheap (the index module loads without the scan) for the early start; a wrong
    guess costs only the guess."""
    from tracker import _linkindex

    path = index_path(git_dir)
    return os.path.isfile(path) and _linkindex.holds(path, build_sha)


class Range:
    """One build's range as read: the scan of `previous..build` and what the rest of the
    collect stage needs to know about how it was read."""

    def __init__(self, tag: Tag, previous_name: str | None, previous_sha: str | None, overridden: bool,
                 scanned: _scan.Scanned, record: bool, inside: Set[str] | None):
        self.tag = tag
        self.previous_name = previous_name
        self.previous_sha = previous_sha
        self.overridden = overridden  # the previous build was given (`--previous`), not found
        self.scanned = scanned
        self.record = record  # the range was recorded in the link index as it was read
        # The build's own linked commits, when its whole history is in the link index (its
        # range was read from there): earlier closers are all of that history but these.
        self.inside = inside
        self.earlier_builds: dict[str, Tag] = {}  # the builds before this one, whatever their line
        # Commits that reverts and cherry-picks name, by the sha they are named with.
        self.originals: dict[str, _scan.Linked] = {}


class Shape:
    """A range's shape as git has it: each commit's author email (after `.mailmap`) and
    parents, the first-parent line from the build down, and each merge on that line's
    message and author."""

    def __init__(self, emails: dict[str, str], parents: dict[str, list[str]], line: list[str],
                 merges: dict[str, tuple[str, str]]):
        self.emails = emails
        self.parents = parents
        self.line = line
        self.merges = merges


class Collector(EarlierHistory):
    """Reads builds' ranges and earlier history from git and the link index."""

    def __init__(self, repo: git.Repo, config: Config, context: Context,
                 repository: Callable[[], links.Repository], requests: Callable[[], Mapping[str, Request]]):

        self.repo = repo
        self.config = config
        self.context = context
        # The issue system says which repository references name and what requests exist:
        # asked only once git is busy walking (both may read the network).
        self._repository = repository
        self._requests = requests
        self._short: dict[str, bool] = {}
        self._counting: dict[str, threading.Thread] = {}  # `_count_ahead`'s counts not yet asked for
        self._dates: dict[str, str] = {}  # commit → its committer date ("" when git has none)
        # How far back the first-run reading of a previous build's history went (None: all of it).
        self._window: dict[str, str | None] = {}
        # (previous build, since) → the commits of that window that name anything (`_NAMING`).
        self._read: dict[tuple[str, str | None], list[Commit]] = {}

    @property
    def repo_id(self) -> links.Repository:

        return self._repository()

    @cached_property
    def tags(self) -> list[Tag]:
        """Every build tag (and every component's), read once."""
        if not self.config.components:
            return builds.tags(self.repo, self.config.build_tags)
        import fnmatch

        globs = [self.config.build_tags, *(c.tags for c in self.config.components)]
        return [t for t in builds.tags(self.repo, "*") if any(fnmatch.fnmatchcase(t.name, g) for g in globs)]

    def tag(self, name: str) -> Tag:
        """The build tag `name` (bad input, with a suggestion, when there is none)."""
        component = self.component(name)
        return builds.resolve_build(self.tags, name, component.tags if component else self.config.build_tags)

    def component(self, build: str) -> Component | None:
        """The component a build tag belongs to (`components`), None for a build of the whole repository."""
        from tracker._config import component_of

        return component_of(self.config, build) if self.config.components else None

    def paths(self, build: str) -> tuple[str, ...]:
        """The paths a build's range is limited to: its component's, else none (every commit)."""
        component = self.component(build)
        return component.paths if component else ()

    def order(self, names: Sequence[str]) -> list[str]:
        """Build names, newest first by topology (a descendant before its ancestors)."""
        return builds.topo_order(self.repo, names)

    def _previous_of(self, build: str, override: str | None) -> Callable[[], tuple[str | None, str | None]]:
        """Start finding the previous build of `build`; the returned function waits for the answer."""
        if override:
            sha = builds.resolve_previous(self.repo, override)
            return lambda: (override, sha)
        pattern, skip = self._channel_globs(build)
        pending = builds.previous_build(self.repo, build, pattern, skip)

        def answer() -> tuple[str | None, str | None]:
            found = pending(self.tags)
            if found is None and self.channel(build) is not None:
                # A channel's first build starts where the project stood: its nearest build of any channel.
                found = builds.previous_build(self.repo, build, self.config.build_tags)(self.tags)
            return (found.name, found.sha) if found else (None, None)

        return answer

    def channel(self, build: str) -> str | None:
        """The channel of a build tag (`builds.channels`), None where no channels are configured."""
        from tracker._config import channel_of

        return channel_of(self.config, build) if self.config.channels else None

    def _channel_globs(self, build: str) -> tuple[str, list[str]]:
        """The glob a build's previous build matches, and the globs it must not (the more
        specific channels' ones): its own channel's, or every build's without channels."""
        component = self.component(build)
        if component is not None:
            return component.tags, []
        channel = self.channel(build)
        if channel is None:
            return self.config.build_tags, []
        names = [name for name, _ in self.config.channels]
        globs = dict(self.config.channels)
        return globs[channel], [globs[name] for name in names[:names.index(channel)]]

    def first_in(self, found: Range, shipped: Mapping[str, Sequence[str]]) -> dict[str, str]:
        """Request id → the build of another channel, before this one, that first held its
        shipping commits ("first in v2.0-beta.3" in the stable notes); channels only."""
        mine = self.channel(found.tag.name)
        if mine is None or not shipped:
            return {}
        cutoff = (found.tag.date, found.tag.name)
        others = [t for t in self.tags if t.sha != found.tag.sha and (t.date, t.name) < cutoff
                  and self.channel(t.name) not in (mine, None)]
        holders = builds.oldest_holders(self.repo, {sha for shas in shipped.values() for sha in shas},
                                     [t.name for t in others])
        by_name = {t.name: t for t in others}
        out: dict[str, str] = {}
        for rid, shas in shipped.items():
            held = [by_name[holders[sha]] for sha in shas if holders.get(sha) in by_name]
            if held:
                out[rid] = min(held, key=lambda t: (t.date, t.name)).name
        return out

    def check_history(self) -> None:
        """Bad input for a shallow clone: earlier builds cannot be found in one."""
        if git.is_shallow(self.repo):
            raise BadInput("this is a shallow clone, so earlier builds cannot be found: fetch the full history"
                           " (actions/checkout: fetch-depth: 0) or run 'git fetch --unshallow --tags'")

    def read(self, build: str, previous: str | None = None) -> Range:
        """Read `previous..build` (`previous`: given, else the build's previous build) and link
        its commits; the commits of other lines that copy, unmarked, a commit this range holds
        are kept too, and the commits its reverts and cherry-picks name are read."""
        # `git describe` runs while tags are read; the range's `git log` starts before requests
        # load, for subjects only when the link index already knows what the build's messages
        # say (the scan then never reads a message body).
        self._read.clear()  # an earlier build's window of history answers only that build's questions
        pending = None if previous else self._previous_of(build, None)
        log: git.Log | None = None
        others: git.Log | None = None  # the other lines' subjects (`_copies_of_unreleased`)
        lookup = None
        try:
            try:
                tag = self.tag(build)
                self.check_history()
                paths = self.paths(build)
                # A component's range (a pathspec's) is no build's whole range: the index neither answers
                # nor records it.
                lookup = self.link_index.lookup(tag.sha) if not paths else None
                if pending is not None:
                    # `git describe --candidates=1` is a short walk: the range's `git log` then
                    # runs while requests load.
                    previous_name, previous_sha = pending()
                    pending = None
                else:
                    previous_name, previous_sha = self._previous_of(build, previous)()
                log = git.commits(self.repo, previous_sha, tag.sha, subjects=lookup is not None, paths=paths)
                if previous is None and previous_sha is not None:
                    # A build's own range, short: the copies search walks meanwhile (a first
                    # build's whole history is no patch-sized range: nothing to start).
                    others = self._other_lines(tag, previous_name, previous_sha)
                if lookup is None and not paths and previous_sha and not self.link_index.complete(previous_sha):
                    self._count_ahead(previous_sha)  # a first run: earlier history will be asked about
                requests = self._requests()
                repo_id = self.repo_id
            finally:
                if pending is not None:
                    pending()  # a failure before the answer was read: reap the process
            from tracker import _scan  # git is walking: its imports overlap the walk

            label = f"reading {previous_name + '..' if previous_name else ''}{build}"
            # A range between a build and its previous build is recorded in the link index
            # (unless the build is indexed already, then its messages are read from there).
            index = self.link_index
            # A --previous range is recorded when it makes the build's history whole (its lower
            # end's is, and the scan sees it as an ancestor): a full range read once is then
            # read from the index, subjects only.
            extends = not paths and (previous is None or (previous_sha is not None and index.complete(previous_sha)))
            try:
                scanned = _scan.scan(self._track(log, label), repo_id, requests, lookup,
                                      index.collect(tag.sha) if lookup is None and extends else None,
                                      subjects=log.subjects,
                                      given=self.config.credits_logins,
                                      boundary=previous_sha if previous is not None else None)
            except _scan.LookupFailed:
                # The index broke mid-read (it answers None from now on): read the range again,
                # messages and all, and parse them.
                log.close()
                log = git.commits(self.repo, previous_sha, tag.sha, paths=paths)
                scanned = _scan.scan(self._track(log, label), repo_id, requests,
                                      given=self.config.credits_logins)
        except BaseException:
            if others is not None:
                others.close()  # the read failed: nobody compares the other lines
            raise
        finally:
            if lookup is not None:
                lookup.close()
            if log is not None:
                log.close()
        overridden = previous is not None
        found = Range(tag, previous_name, previous_sha, overridden, scanned,
                      record=lookup is None and extends and (not overridden or scanned.reached),
                      inside=scanned.shas.sorted() if lookup is not None else None)
        try:
            found.earlier_builds = self._earlier_builds(tag, previous_name, previous_sha, overridden)
            if others is None and scanned.count <= _COPIES_UP_TO:
                others = self._other_lines(tag, previous_name, previous_sha)
            for copy in self._copies_of_unreleased(others, scanned, repo_id):
                scanned.keep(copy)
        finally:
            if others is not None:
                others.close()  # unread when the range had nothing to compare
        found.originals = self._originals(scanned, (), repo_id)
        if found.record:  # the range's picks are indexed: what they close through their originals, too
            self._derive_picks([_scan.Linked(sha, author, parsed) for sha, author, parsed in scanned.kept()
                                if parsed.cherry_of], found.originals)
        return found

    def earlier(self, found: Range, search: set[str]) -> list[_scan.Linked]:
        """What earlier history did about `search` (request ids) and this range's closing
        commits: the commits reachable from the previous build that close (or revert closers
        of) one of them or cherry-pick one of the range's closing commits, the other lines'
        commits (release branches, backports) back to when the oldest of them was opened,
        and the patch-identical copies there of the range's closing commits. `found.originals`
        learns the commits those name."""

        tag, scanned, repo_id = found.tag, found.scanned, self.repo_id
        # Other lines, back to when the oldest candidate was opened: nothing older can close it.
        # Read while this line's earlier history is: two walks of the same years on two cores.
        beside_read = self._beside(tag, found.earlier_builds, found.previous_sha,
                                   found.overridden and not scanned.reached, repo_id, self._opened_since(search))
        try:
            # As one sorted bytes, not a set of str: a long range has tens of thousands.
            closing = scanned.shas.sorted(bool(parsed.closes or parsed.pull) for parsed in scanned.said)
            paths = self.paths(tag.name)
            if paths:  # a component: what closed them before, among the commits touching its paths
                earlier = self._not_before_opened(self._walk_for(found.previous_sha, search, closing,
                                                                 paths=paths)
                                                  if found.previous_sha and (search or closing) else [])
            else:
                earlier = self._earlier(tag.sha, found.previous_sha, search, found.record, closing,
                                        inside=found.inside)
        finally:
            beside, beside_shas = beside_read()
        originals = found.originals
        originals.update(self._read_originals(
            {sha for b in beside for sha in (*b.parsed.cherry_of, *b.parsed.reverts)} - set(originals),
            {sha for b in beside for sha in b.parsed.cherry_of}, repo_id))
        # What earlier commits cherry-picked from this range closes what their originals close.
        originals.update(self._originals_of(earlier, originals, repo_id))
        if beside_shas:
            earlier += self._copies(scanned, beside_shas)
        return [*earlier, *beside]

    def shipped_in(self, found: Range, closers: Mapping[str, Sequence[str]]) -> dict[str, str]:
        """Request id → the earlier build that shipped it (see `_shipped_in`)."""
        return self._shipped_in(closers, found.earlier_builds, found.previous_name)

    def authorship(self, shas: Iterable[str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
        """Each commit's author (`name <email>`) and its credit trailers."""
        return authors.credit_trailers(self.repo, shas)

    def mailmap(self, contacts: Iterable[str]) -> dict[str, str]:
        """`.mailmap`'s canonical `name <email>` of each contact."""
        return authors.mailmap(self.repo, contacts)

    def closed_before(self, previous: str, ids: set[str], until: Callable[[_scan.Linked], Set[str]],
                      tip: str | None = None, inside: Set[str] | None = None) -> None:
        """Hand `until` each commit reachable from `previous` that closes one of `ids`, newest
        first, while it says something is still wanted. On a first run, no further back than
        this command's reading of `previous`'s history went."""

        self._closers(previous, ids, until=until, no_older_than=self._window.get(previous), tip=tip, inside=inside)

    def authors_before(self, tip: str, patterns: Iterable[str], key: Callable[[str], str | None],
                       wanted: int) -> set[str]:
        """The keys of authors (by `patterns` of their `<email>`) with a commit reachable from `tip`."""
        return authors.authors_before(self.repo, tip, patterns, key, wanted)

    def resolve(self, revision: str) -> str:
        """The commit a `--previous` revision names (bad input when none)."""
        return builds.resolve_previous(self.repo, revision)

    def shape(self, previous: str | None, build: str, paths: Sequence[str] = ()) -> Shape:
        """The shape of `previous..build` beyond its changes (what release notes group by);
        with `paths` (a component's), of the commits touching them."""
        emails, parents, line = authors.topology(self.repo, previous, build, paths)
        merges = git.show(self.repo, [sha for sha in line if len(parents.get(sha, ())) > 1])
        return Shape(emails, parents, line,
                     {sha: (commit.message, commit.author_name) for sha, commit in merges.items()})

    def save(self) -> None:
        """Keep what was learnt about history in the link index (when it was opened)."""
        if "link_index" in self.__dict__:
            self.link_index.save()

    def _track(self, log: git.Log, label: str) -> Iterator[bytes]:
        """A build's `git log` blocks, counted in commits on the progress line."""
        return self.context.track(log, label, size=git.records_in, unit="commits")

    def _earlier_builds(self, tag: Tag, previous_name: str | None, previous_sha: str | None,
                        overridden: bool) -> dict[str, Tag]:
        """The builds that came before this one, whatever their line: its previous build and
        every build dated before it. With `--previous`, the range from there is read as one
        build: only builds dated before the given previous one (and it) came before."""
        cutoff = (tag.date, tag.name)
        if overridden and previous_sha is not None:
            given = next((t for t in self.tags if t.name == previous_name), None)
            cutoff = (given.date, given.name) if given else (git.commit_date(self.repo, previous_sha), "")
        # A request ships once per channel and per component: only the builds of its own line came before.
        line = self._line(tag.name)
        found = {t.name: t for t in self.tags
                 if t.sha != tag.sha and (((t.date, t.name) < cutoff and self._line(t.name) == line)
                                          or t.name == previous_name)}
        # A build holding this one is later whatever its tag's date (a build tagged late, or one
        # out before a --previous released after it): only one whose commit is no older can be.
        for name, other in list(found.items()):
            if name != previous_name and other.commit_date >= tag.commit_date \
                    and git.is_ancestor(self.repo, tag.sha, other.sha):
                del found[name]
        return found

    def _line(self, build: str) -> tuple[str | None, str | None]:
        """The line of builds a build is on: its channel and its component (both None by default)."""
        component = self.component(build)
        return self.channel(build), component.name if component else None

    @cached_property
    def link_index(self) -> LinkIndex:
        """The link index of this repository (opened on first use)."""
        from tracker._linkindex import LinkIndex

        return LinkIndex(index_path(git.git_dir(self.repo)), self.repo_id.key)
