"""Collect: everything a build's report reads from git, behind one object.

The session asks a `Collector` for a build's range (`read`), for what earlier
history already did about the requests that range names (`earlier`), for the
build that shipped each earlier closer (`shipped_in`) and for who wrote what
(`authorship`, `credited_before`), and knows nothing of how. How is here: a
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

from tracker import _git as git
from tracker._errors import BadInput

# `typing.TYPE_CHECKING` without loading typing (~5 ms) on the early start's path; type
# checkers read any name TYPE_CHECKING as True.
TYPE_CHECKING = False

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence, Set

    from tracker import _grammar as links
    from tracker import _scan
    from tracker._config import Component, Config
    from tracker._linkindex import LinkIndex
    from tracker._model import Commit, Request, Tag
    from tracker._shas import ShaSet
    from tracker.hooks import Context

# Ranges up to this many commits are searched for unmarked copies of closing commits (a
# patch release's size; a long range would grep for tens of thousands of subjects).
_COPIES_UP_TO = 2000
# Shorter subjects ("Fix typo") say too little to look for a copy's original by.
_SUBJECT_AT_LEAST = 12
# Commits compared by patch id whatever their subject, on either side of a copy.
_PATCHES_AT_MOST = 200
# A previous build with fewer commits behind it than this has its whole history indexed on a
# first run (a fraction of a second); a longer one is read only as far back as a build asks
# (counting costs a walk of this many commits: ~25 ms).
_INDEX_AT_MOST = 2_000
# Days an issue system's "opened" date may be later than the commit that closed the request.
_CLOCK_SLACK_DAYS = 7
# `#１２`: the reference grammar reads full-width digits as digits too.
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# What git keeps of earlier history: every commit that could name a request or a commit. Which
# requests is asked here (`_naming`): git walks as fast with these as with one pattern of the
# numbers (it tried a long alternation on every line: slower), and one reading of a window
# answers every question about it.
_NAMING = ["#", "gh-", "/issues/", "/discussions/", "reverts commit", "cherry picked from commit"]
# What every reference to a request holds (`#N`, `GH-N`, an issue's or discussion's address):
# a message without one closes nothing.
_REFERRING = _NAMING[:4]
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


class Collector:
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
            return git.tags(self.repo, self.config.build_tags)
        import fnmatch

        globs = [self.config.build_tags, *(c.tags for c in self.config.components)]
        return [t for t in git.tags(self.repo, "*") if any(fnmatch.fnmatchcase(t.name, g) for g in globs)]

    def tag(self, name: str) -> Tag:
        """The build tag `name` (bad input, with a suggestion, when there is none)."""
        component = self.component(name)
        return git.resolve_build(self.tags, name, component.tags if component else self.config.build_tags)

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
        return git.topo_order(self.repo, names)

    def _previous_of(self, build: str, override: str | None) -> Callable[[], tuple[str | None, str | None]]:
        """Start finding the previous build of `build`; the returned function waits for the answer."""
        if override:
            sha = git.resolve_previous(self.repo, override)
            return lambda: (override, sha)
        pattern, skip = self._channel_globs(build)
        pending = git.previous_build(self.repo, build, pattern, skip)

        def answer() -> tuple[str | None, str | None]:
            found = pending(self.tags)
            if found is None and self.channel(build) is not None:
                # A channel's first build starts where the project stood: its nearest build of any channel.
                found = git.previous_build(self.repo, build, self.config.build_tags)(self.tags)
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
        holders = git.oldest_holders(self.repo, {sha for shas in shipped.values() for sha in shas},
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
        return git.credit_trailers(self.repo, shas)

    def mailmap(self, contacts: Iterable[str]) -> dict[str, str]:
        """`.mailmap`'s canonical `name <email>` of each contact."""
        return git.mailmap(self.repo, contacts)

    def closed_before(self, previous: str, ids: set[str], until: Callable[[_scan.Linked], Set[str]],
                      tip: str | None = None, inside: Set[str] | None = None) -> None:
        """Hand `until` each commit reachable from `previous` that closes one of `ids`, newest
        first, while it says something is still wanted. On a first run, no further back than
        this command's reading of `previous`'s history went."""

        self._closers(previous, ids, until=until, no_older_than=self._window.get(previous), tip=tip, inside=inside)

    def authors_before(self, tip: str, patterns: Iterable[str], key: Callable[[str], str | None],
                       wanted: int) -> set[str]:
        """The keys of authors (by `patterns` of their `<email>`) with a commit reachable from `tip`."""
        return git.authors_before(self.repo, tip, patterns, key, wanted)

    def resolve(self, revision: str) -> str:
        """The commit a `--previous` revision names (bad input when none)."""
        return git.resolve_previous(self.repo, revision)

    def shape(self, previous: str | None, build: str, paths: Sequence[str] = ()) -> Shape:
        """The shape of `previous..build` beyond its changes (what release notes group by);
        with `paths` (a component's), of the commits touching them."""
        emails, parents, line = git.topology(self.repo, previous, build, paths)
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

    def _beside(self, tag: Tag, earlier_builds: Mapping[str, Tag], previous_sha: str | None, overridden: bool,
                repo_id: links.Repository, since: str | None,
                ) -> Callable[[], tuple[list[_scan.Linked], dict[str, str]]]:
        """Commits of earlier builds beyond the previous build's ancestry (release branches,
        backports), and, for a `--previous` that need not be an ancestor, the previous build's
        own commits this build does not hold: (those that link to something, the bare subjects
        of those that neither close nor cherry-pick anything, by sha). Read in a thread (git
        walks, this process mostly waits on its pipe); the returned function waits for them."""
        import threading
        from itertools import chain

        from tracker import _grammar as links
        from tracker import _scan

        known = self.link_index.chain_tips(previous_sha) if previous_sha else set()
        tips = [t.sha for t in earlier_builds.values() if t.sha != previous_sha and t.sha not in known
                and (since is None or t.commit_date >= since)]  # an older build holds only older commits
        linked: list[_scan.Linked] = []
        plain: dict[str, str] = {}
        failed: list[BaseException] = []

        def read() -> None:
            try:
                commits = git.beyond(self.repo, sorted(set(tips)), previous_sha, since)
                if overridden and previous_sha:
                    commits = chain(commits, git.beyond(self.repo, [previous_sha], tag.sha, since))
                for commit in commits:
                    parsed = links.parse(commit.message, repo_id)
                    if not parsed.empty:
                        linked.append(_scan.Linked(commit.sha, _scan.commit_author(commit), parsed))
                    if not (parsed.closes or parsed.cherry_of):  # a copy that says nothing of its original
                        plain[commit.sha] = links.bare_subject(commit.summary)
            except BaseException as exc:  # raised again where the answer is asked for
                failed.append(exc)

        if not tips and not (overridden and previous_sha):
            return lambda: (linked, plain)
        reader = threading.Thread(target=read, name="tracker-beside", daemon=True)
        reader.start()

        def answer() -> tuple[list[_scan.Linked], dict[str, str]]:
            reader.join()
            if failed:
                raise failed[0]
            return linked, plain

        return answer

    def _originals(self, scanned: _scan.Scanned, beside: Sequence[_scan.Linked],
                   repo_id: links.Repository) -> dict[str, _scan.Linked]:
        """Commits named by reverts and cherry-picks, by the sha they are named with: those
        outside the range, and every cherry-picked one."""
        from itertools import chain


        picked = {sha for parsed in chain(scanned.said, (b.parsed for b in beside)) for sha in parsed.cherry_of}
        wanted = scanned.wanted_outside() | picked | {sha for b in beside for sha in b.parsed.reverts}
        return self._read_originals(wanted, picked, repo_id)

    def _read_originals(self, wanted: set[str], picked: Container[str],
                        repo_id: links.Repository) -> dict[str, _scan.Linked]:
        """The commits `wanted` names, read from git; a cherry-picked (`picked`) merge commit
        carries what the merge brought in, as a backport bot's pick of a pull request does."""
        from dataclasses import replace

        from tracker import _grammar as links
        from tracker import _scan

        originals: dict[str, _scan.Linked] = {}
        for name, commit in git.show(self.repo, wanted).items():
            parsed = links.parse(commit.message, repo_id)
            author = _scan.commit_author(commit)
            if name in picked and len(commit.parents) > 1:
                inside = [(c, links.parse(c.message, repo_id).closes)
                          for c in git.brought_in(self.repo, commit.sha)]
                parsed = replace(parsed, closes=tuple(dict.fromkeys([*parsed.closes,
                                                                     *(i for _, ids in inside for i in ids)])))
                # Who wrote the fix the merge brought in built it, not who merged it.
                author = next((_scan.commit_author(c) for c, ids in inside if ids), author)
            originals[name] = _scan.Linked(commit.sha, author, parsed)
        return originals

    def _originals_of(self, earlier: Sequence[_scan.Linked], known: Mapping[str, _scan.Linked],
                      repo_id: links.Repository) -> dict[str, _scan.Linked]:
        """The commits that earlier cherry-picks name and `known` lacks (read from git)."""

        wanted = {sha for item in earlier for sha in item.parsed.cherry_of if sha not in known}
        return self._read_originals(wanted, wanted, repo_id)

    def _derive_picks(self, items: Iterable[_scan.Linked], originals: Mapping[str, _scan.Linked] | None = None,
                      ) -> None:
        """Tell the link index what each cherry-pick among `items` closes through the commit it
        copies (what a picked merge brought in, too), so a later build's search by request
        finds the pick as an earlier closer."""

        picks = [item for item in items if item.parsed.cherry_of]
        if not picks:
            return
        names = {sha for item in picks for sha in item.parsed.cherry_of}
        known = dict(originals or {})
        known.update(self._read_originals(names - set(known), names, self.repo_id))
        for item in picks:
            ids = tuple(dict.fromkeys(i for sha in item.parsed.cherry_of if sha in known
                                      for i in known[sha].parsed.closes))
            if ids:
                self.link_index.derive(item.sha, ids)

    def _index_ancestry(self, tip: str) -> None:
        """Index every linked commit of `tip`'s ancestry, its cherry-picks' closings included."""
        items = self._linked_ancestry(tip)
        self.link_index.add(tip, None, items)
        self._derive_picks(items)

    def _other_lines(self, tag: Tag, previous_name: str | None, previous_sha: str | None) -> git.Log | None:
        """The `git log` (started now) of what `_copies_of_unreleased` compares: the subjects of
        the commits beyond this build, on the branches that moved since the previous build, that
        refer to a request (an original that closes nothing is no original); None when no branch
        moved beyond it."""
        since = None
        if previous_sha is not None:
            # As `_earlier_builds` finds the previous build (a tag on the build's own commit is none).
            previous = next((t for t in self.tags if t.name == previous_name and t.sha != tag.sha), None)
            since = previous.commit_date if previous is not None else git.commit_date(self.repo, previous_sha)
        tips = [sha for sha in git.branches_since(self.repo, since) if sha != tag.sha]
        if not tips:
            return None  # no branch moved beyond this build: nothing else to copy from
        return git.subjects_log(self.repo, tips, tag.sha, _REFERRING)

    def _copies_of_unreleased(self, others: git.Log | None, scanned: _scan.Scanned,
                              repo_id: links.Repository) -> list[_scan.Linked]:
        """Commits of this range that copy, without saying so, a closing commit outside this
        build's history (a fix backported by hand to a patch release before the main line's
        next build): same subject (backport prefixes aside) and same patch (`git patch-id`).
        Each closes what its original closes. Looked for in patch-sized ranges only, over the
        branches that moved since the previous build (`others`, `_other_lines`)."""
        from tracker import _grammar as links
        from tracker import _scan

        if others is None or scanned.count > _COPIES_UP_TO:
            return []
        said = {sha for sha, _, parsed in scanned.kept() if parsed.closes or parsed.cherry_of}
        plain: dict[str, list[str]] = {}
        for change in scanned.changes:
            subject = links.bare_subject(change["summary"])
            if change["sha"] not in said and len(subject) >= _SUBJECT_AT_LEAST:
                plain.setdefault(subject, []).append(change["sha"])
        if not plain:
            return []
        # The other branches' subjects, matched here: linear in both (git would try every
        # subject on every commit).
        alike = {sha: subject for sha, subject in git.subjects_of(others)
                 for subject in [links.bare_subject(subject)] if subject in plain}
        pairs = []
        for commit in git.show(self.repo, alike).values():
            parsed = links.parse(commit.message, repo_id)
            if parsed.closes:
                pairs += [(sha, commit, parsed) for sha in plain.get(alike[commit.sha], ())]
        if not pairs:
            return []
        patches = self._patch_ids({sha for sha, _, _ in pairs} | {c.sha for _, c, _ in pairs})
        return [_scan.Linked(sha, _scan.commit_author(original), links.Parsed(closes=parsed.closes))
                for sha, original, parsed in pairs if patches.get(sha) and patches[sha] == patches.get(original.sha)]

    def _patch_ids(self, shas: Iterable[str]) -> dict[str, str]:
        """`history.patch_ids`, each commit's computed once and kept in the link index."""
        wanted = set(shas)
        known = self.link_index.patches(wanted)
        missing = wanted - set(known)
        if missing:
            fresh = git.patch_ids(self.repo, missing)
            # A commit with no patch (a merge, an empty change) is remembered as "" (none).
            self.link_index.remember_patches({sha: fresh.get(sha, "") for sha in missing})
            known.update(fresh)
        return {sha: patch for sha, patch in known.items() if patch}

    def _copies(self, scanned: _scan.Scanned, beside: Mapping[str, str]) -> list[_scan.Linked]:
        """Patch-identical copies, on other lines, of this range's closing commits (`beside`:
        the other lines' commits that say nothing, by sha, with their bare subjects): each
        stands for what its original closes (a backport made without `-x`). A range with more
        than a few hundred closing commits compares only those that kept a subject the other
        lines show (a patch id costs a diff; the link index keeps each one computed)."""
        from tracker import _grammar as links
        from tracker import _scan

        closing = {sha: parsed for sha, _, parsed in scanned.kept() if parsed.closes}
        if not closing:
            return []
        if len(closing) > _PATCHES_AT_MOST:  # a long range: its closing commits that kept a subject seen there
            subjects = {change["sha"]: links.bare_subject(change["summary"]) for change in scanned.changes
                        if change["sha"] in closing}
            shared = set(beside.values())
            closing = {sha: parsed for sha, parsed in closing.items() if subjects.get(sha) in shared}
        ours = self._patch_ids(closing)
        if not ours:
            return []
        theirs = self._patch_ids(beside)
        by_patch: dict[str, list[str]] = {}
        for sha, patch in ours.items():
            by_patch.setdefault(patch, []).append(sha)
        copies = []
        for sha, patch in theirs.items():
            for original in by_patch.get(patch, []):
                copies.append(_scan.Linked(sha, None, links.Parsed(closes=closing[original].closes)))
        return copies

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
            holders = git.oldest_holders(self.repo, unplaced, [
                t.name for t in earlier_builds.values() if oldest is None or t.commit_date >= oldest])
        by_name = {t.name: t for t in earlier_builds.values()}
        out: dict[str, str] = {}
        for rid, shas in closers.items():
            found = [by_sha[tip] for sha in shas for tip in held.get(sha, ()) if tip in by_sha]
            found += [by_name[holders[sha]] for sha in shas if holders.get(sha) in by_name]
            out[rid] = min(found, key=lambda t: (t.date, t.name)).name if found else previous_name or ""
        return out

    @cached_property
    def link_index(self) -> LinkIndex:
        """The link index of this repository (opened on first use)."""
        from tracker._linkindex import LinkIndex

        return LinkIndex(index_path(git.git_dir(self.repo)), self.repo_id.key)

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

