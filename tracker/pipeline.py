"""One release, start to finish: collect → link → decide → credit → render → publish.

This is the only module that calls all the others; each step hands plain data
to the next and nothing flows back.

What is needed only once history is being read (the scan, the link index, the
report and credits) is imported where it is used: `git log` starts ~20 ms sooner
on every command, and git's walk to its first commit overlaps those imports.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import config, history, links, logins, plugins
from tracker.errors import BadInput
from tracker.hooks import SHIPPED, WITHDRAWN, BuildToPublish, Context, IssueSystem, Mark, Progress, Publisher
from tracker.model import REPORT, Request, Tag
from tracker.readonce import ReadOnce
from tracker.report import Report, Shipped

if TYPE_CHECKING:
    from tracker import builds, credits, naming
    from tracker.linkindex import LinkIndex
    from tracker.notes import Topology


_CLOSES = attrgetter("closes")
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


def default_issue_system(option: str | None, cfg: config.Config, env: Mapping[str, str],
                         root: Path | None = None) -> str:
    """`--issues`, else `issues:` in the config, else github in Actions (GITHUB_REPOSITORY) or
    with a GitHub token for a repository on GitHub, else local."""
    if option:
        return option
    if cfg.issues:
        return cfg.issues
    if env.get("GITHUB_REPOSITORY"):
        return "github"
    if (env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")) and _on_github(cfg, env, root):
        return "github"
    return "local"


def _on_github(cfg: config.Config, env: Mapping[str, str], root: Path | None) -> bool:
    """Is the repository on GitHub? The origin remote's host says (github.com, or the host of
    GITHUB_SERVER_URL or GITHUB_API_URL); without an origin, a `repository:` in the config
    (with a GitHub token set) means GitHub."""
    from urllib.parse import urlsplit

    from tracker import hosting

    url = hosting.origin_url(root) if root is not None else None
    if url is None:
        return cfg.repository is not None
    hosts = {"github.com", "www.github.com"}
    for variable in ("GITHUB_SERVER_URL", "GITHUB_API_URL"):
        host = (urlsplit((env.get(variable) or "").strip()).hostname or "").lower()
        if host:
            hosts.add(host.removeprefix("api."))
    return hosting.slug_from_remote(url, hosts) is not None


def _nothing_held(name: str, cfg: config.Config) -> str:
    """The note for an issue system that holds no requests at all, with where to look next."""
    if name == "local":
        return ("note: the local store holds no requests: import them with 'tracker requests import FILE',"
                " or read them from GitHub with --issues github (and GITHUB_TOKEN)")
    labels = ", ".join([*cfg.request_labels, *cfg.report_labels]) or "any label"
    return f"note: the {name} issue system holds no requests (issues labelled {labels})"


@dataclass
class Session:
    """Everything one command works on: the repository, its config, its issue system."""

    repo_path: str | None = None  # None: the repository holding the current folder
    config_path: str | None = None
    issues_name: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    dry_run: bool = False
    verbose: bool = False
    say: Callable[[str], None] | None = None
    progress: Progress | None = None
    _notes: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    # Every report this command made, by (build, previous): each is made once.
    _reports: dict[tuple[str, str | None], Report] = field(default_factory=dict, init=False, repr=False)
    # Earlier builds' reports made for publishers from what the command had read (`_earlier_reports`).
    _partial: dict[str, Report] = field(default_factory=dict, init=False, repr=False)
    # (build, previous, template, locale) → (the report rendered, its text): each rendered once.
    _texts: dict[tuple[str, str | None, str, str], tuple[Report, str]] = field(
        default_factory=dict, init=False, repr=False)
    # How many times each (build, template, locale) was rendered in this command.
    renders: Counter[tuple[str, str, str]] = field(default_factory=Counter, init=False, repr=False)
    _short: dict[str, bool] = field(default_factory=dict, init=False, repr=False)
    # How far back the first-run reading of a previous build's history went (None: all of it).
    _window: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def repo(self) -> history.Repo:
        return history.open_repo(self.repo_path)

    @cached_property
    def root(self) -> Path:
        return history.work_tree(self.repo)

    @cached_property
    def config(self) -> config.Config:
        return config.load(self.root, self.config_path)

    @cached_property
    def context(self) -> Context:
        ctx = Context(config=self.config, root=self.root, git_dir=history.git_dir(self.repo), env=self.env,
                      dry_run=self.dry_run, verbose=self.verbose, progress=self.progress)
        if self.say is not None:
            ctx.say = self.say
        return ctx

    @cached_property
    def issues(self) -> IssueSystem:
        name = default_issue_system(self.issues_name, self.config, self.env, self.root)
        try:
            return plugins.issue_system(name, self.context)
        except plugins.UnknownPlugin as exc:
            if self.issues_name or not self.config.issues:
                raise
            raise BadInput(f"{self._config_place('issues')}: {exc}") from None

    def publishers(self, names: Sequence[str]) -> list[Publisher]:
        """The publishers named in `publish:` (an unknown one is named with its place in the config)."""
        try:
            return plugins.publishers(list(names), self.context)
        except plugins.UnknownPlugin as exc:
            raise BadInput(f"{self._config_place('publish')}: {exc}") from None

    def _config_place(self, key: str) -> str:
        """`file:line` of a top-level key of the config, for a message about its value."""
        import yaml

        shown = self.config.source or config.DEFAULT_PATH
        path = self.root / config.DEFAULT_PATH if self.config_path is None else Path(self.config_path)
        if not path.is_absolute() and not path.exists():
            path = self.root / path  # as the loader finds a relative --config
        line = 1
        try:
            node = yaml.compose(path.read_text(encoding="utf-8"))
            for name, _value in node.value if isinstance(node, yaml.MappingNode) else []:
                if name.value == key:
                    line = name.start_mark.line + 1
        except (OSError, UnicodeError, yaml.YAMLError):
            pass  # the loader read it a moment ago; without the line, the file still names it
        return f"{shown}:{line}"

    @cached_property
    def requests(self) -> dict[str, Request]:
        """Every request the issue system holds (read once); none at all is said on stderr, once:
        an empty changelog must not look like a build that shipped nothing."""
        found = {r.id: r for r in self.issues.requests()}
        if not found:
            self.context.say(_nothing_held(self.issues.name, self.config))
        return found

    @cached_property
    def reads(self) -> ReadOnce:
        """The issue system's voters, pull requests and commit logins, each read once per command."""
        return ReadOnce(self.issues)

    @property
    def repository(self) -> links.Repository:
        return self.issues.repository

    @property
    def project(self) -> str:
        return self.repository.slug or self.root.name

    # -- collect, link, decide, credit -------------------------------------------

    @cached_property
    def build_tags(self) -> list[Tag]:
        """Every build tag, read once per session."""
        return history.tags(self.repo, self.config.build_tags)

    def build_tag(self, name: str) -> Tag:
        return history.resolve_build(self.build_tags, name, self.config.build_tags)

    def _previous_of(self, build: str, override: str | None) -> Callable[[], tuple[str | None, str | None]]:
        """Start finding the previous build of `build`; the returned function waits for the answer."""
        if override:
            sha = history.resolve_previous(self.repo, override)
            return lambda: (override, sha)
        pending = history.previous_build(self.repo, build, self.config.build_tags)

        def answer() -> tuple[str | None, str | None]:
            found = pending(self.build_tags)
            return (found.name, found.sha) if found else (None, None)

        return answer

    def check_history(self) -> None:
        if history.is_shallow(self.repo):
            raise BadInput("this is a shallow clone, so earlier builds cannot be found: fetch the full history"
                           " (actions/checkout: fetch-depth: 0) or run 'git fetch --unshallow --tags'")

    def report(self, build: str, previous: str | None = None) -> Report:
        """The schema-1 report of one build."""
        # `git describe` runs while tags are read; the range's `git log` starts before requests
        # load, for subjects only when the link index already knows what the build's messages
        # say (the scan then never reads a message body).
        pending = None if previous else self._previous_of(build, None)
        log: history.Log | None = None
        lookup = None
        try:
            try:
                tag = self.build_tag(build)
                self.check_history()
                lookup = self.link_index.lookup(tag.sha)  # None unless the build is indexed already
                if pending is not None:
                    # `git describe --candidates=1` is a short walk: the range's `git log` then
                    # runs while requests load.
                    previous_name, previous_sha = pending()
                    pending = None
                else:
                    previous_name, previous_sha = self._previous_of(build, previous)()
                log = history.commits(self.repo, previous_sha, tag.sha, subjects=lookup is not None)
                requests = self.requests
                repo_id = self.repository
            finally:
                if pending is not None:
                    pending()  # a failure before the answer was read: reap the process
            from tracker import builds  # git is walking: see the module's docstring

            label = f"reading {previous_name + '..' if previous_name else ''}{build}"
            # A range between a build and its previous build is recorded in the link index
            # (unless the build is indexed already, then its messages are read from there).
            index = self.link_index
            # A --previous range is recorded when it makes the build's history whole (its lower
            # end's is, and the scan sees it as an ancestor): a full range read once is then
            # read from the index, subjects only.
            extends = previous is None or (previous_sha is not None and index.complete(previous_sha))
            try:
                scanned = builds.scan(self._track(log, label), repo_id, requests, lookup,
                                      index.collect(tag.sha) if lookup is None and extends else None,
                                      subjects=log.subjects,
                                      given=self.config.credits_logins,
                                      boundary=previous_sha if previous is not None else None)
            except builds.LookupFailed:
                # The index broke mid-read (it answers None from now on): read the range again,
                # messages and all, and parse them.
                log.close()
                log = history.commits(self.repo, previous_sha, tag.sha)
                scanned = builds.scan(self._track(log, label), repo_id, requests,
                                      given=self.config.credits_logins)
        finally:
            if lookup is not None:
                lookup.close()
            if log is not None:
                log.close()
        record = lookup is None and extends and (previous is None or scanned.reached)
        with builds.frozen():  # requests and the kept commits live until the report is built
            out = self._report_from(tag, previous_name, previous_sha, requests, repo_id, scanned, record,
                                    overridden=previous is not None, lookup_used=lookup is not None)
        if previous is not None and not out["commits"]:
            # previous..build is empty exactly when the build is the --previous commit or in its history.
            how = "is the same commit as" if previous_sha == tag.sha else "comes after"
            self.context.say(f"note: --previous {previous} {how} {build}, so the report holds no commits;"
                             f" name an earlier build of {build}'s history")
        return out

    def _track(self, log: history.Log, label: str) -> Iterator[bytes]:
        """A build's `git log` blocks, counted in commits on the progress line."""
        return self.context.track(log, label, size=history.records_in, unit="commits")

    def _report_from(self, tag: Tag, previous_name: str | None, previous_sha: str | None,
                     requests: dict[str, Request], repo_id: links.Repository, scanned: builds.Scanned,
                     record: bool, overridden: bool = False, lookup_used: bool = False) -> Report:
        """The report of a scanned range: decide, credit, assemble. `lookup_used`: the build's
        whole history is in the link index (its range was read from there)."""
        from tracker import builds
        from tracker import decision as decisions

        earlier_builds = self._earlier_builds(tag, previous_name, previous_sha, overridden)
        for copy in self._copies_of_unreleased(tag, previous_sha, earlier_builds.get(previous_name or ""),
                                               scanned, repo_id):
            scanned.keep(copy)
        originals = self._originals(scanned, (), repo_id)
        if record:  # the range's picks are indexed: what they close through their originals, too
            self._derive_picks([builds.Linked(sha, author, parsed) for sha, author, parsed in scanned.kept()
                                if parsed.cherry_of], originals)
        claims = scanned.pull_claims()
        in_range = set(claims.values())  # the build's own pull requests (not those of other lines)
        for item in originals.values():
            if item.parsed.pull:
                claims[item.sha] = item.parsed.pull
        pulls = self.reads.pulls(claims) if claims else {}
        candidates = set(chain.from_iterable(map(_CLOSES, chain(scanned.said, (o.parsed for o in originals.values())))))
        for pull in pulls.values():
            candidates.update(links.references(pull.body or "", repo_id)[0])
            candidates.update(pull.closes)
        candidates = {decisions.root(i, requests) for i in candidates if i in requests}
        search = candidates | {d for d, r in requests.items() if r.duplicate_of in candidates}
        # Other lines, back to when the oldest candidate was opened: nothing older can close it.
        beside, beside_shas = self._beside(tag, earlier_builds, previous_sha, overridden and not scanned.reached,
                                           repo_id, self._opened_since(search))
        originals.update(self._read_originals(
            {sha for b in beside for sha in (*b.parsed.cherry_of, *b.parsed.reverts)} - set(originals),
            {sha for b in beside for sha in b.parsed.cherry_of}, repo_id))
        closing = [sha for sha, _, parsed in scanned.kept() if parsed.closes or parsed.pull]
        inside = set(scanned.shas) if lookup_used else None  # the build's own range, when its history is indexed
        earlier = self._earlier(tag.sha, previous_sha, search, record, closing, inside=inside)
        # What earlier commits cherry-picked from this range closes what their originals close.
        originals.update(self._originals_of(earlier, originals, repo_id))
        if beside_shas:
            earlier += self._copies(scanned, beside_shas)
        decision = decisions.decide(scanned, requests, pulls, originals, [*earlier, *beside], repo_id)
        already = self._shipped_in(decision.earlier, earlier_builds, previous_name)
        # The report needs none of what the decision was made from: a long range's tens of
        # thousands of linked commits go before the report is built (memory stays flat).
        scanned.release()
        del earlier, originals, beside
        from tracker import report as reports
        from tracker.credits import Duplicates, people

        duplicates = Duplicates(requests)
        wanted = [d for rid in decision.shipped for d in [rid, *duplicates.of(rid)]]
        voters = self.reads.voters(wanted) if wanted else {}
        exclude = self.config.credits_exclude
        who = {rid: people(rid, requests, voters, exclude, duplicates) for rid in decision.shipped}
        out = reports.build(tag, previous_name, scanned, decision, requests, who, exclude, self.project, already,
                            [pull for number, pull in pulls.items() if number in in_range])
        for entry in [*out["shipped"], *out["fixed"], *out["withdrawn"], *out["already_shipped"]]:
            entry["url"] = entry["url"] or self.issues.issue_url(entry["id"])
        self._credit(out, requests, tag.sha, previous_sha, scanned.count, inside)
        return out

    def _earlier_builds(self, tag: Tag, previous_name: str | None, previous_sha: str | None,
                        overridden: bool) -> dict[str, Tag]:
        """The builds that came before this one, whatever their line: its previous build and
        every build dated before it. With `--previous`, the range from there is read as one
        build: only builds dated before the given previous one (and it) came before."""
        cutoff = (tag.date, tag.name)
        if overridden and previous_sha is not None:
            given = next((t for t in self.build_tags if t.name == previous_name), None)
            cutoff = (given.date, given.name) if given else (history.commit_date(self.repo, previous_sha), "")
        found = {t.name: t for t in self.build_tags
                 if t.sha != tag.sha and ((t.date, t.name) < cutoff or t.name == previous_name)}
        # A build holding this one is later whatever its tag's date (a build tagged late, or one
        # out before a --previous released after it): only one whose commit is no older can be.
        for name, other in list(found.items()):
            if name != previous_name and other.commit_date >= tag.commit_date \
                    and history.is_ancestor(self.repo, tag.sha, other.sha):
                del found[name]
        return found

    def _beside(self, tag: Tag, earlier_builds: Mapping[str, Tag], previous_sha: str | None, overridden: bool,
                repo_id: links.Repository, since: str | None) -> tuple[list[builds.Linked], dict[str, str]]:
        """Commits of earlier builds beyond the previous build's ancestry (release branches,
        backports), and, for a `--previous` that need not be an ancestor, the previous build's
        own commits this build does not hold: (those that link to something, the bare subjects
        of those that neither close nor cherry-pick anything, by sha)."""
        from tracker import builds

        known = self.link_index.chain_tips(previous_sha) if previous_sha else set()
        tips = [t.sha for t in earlier_builds.values() if t.sha != previous_sha and t.sha not in known
                and (since is None or t.commit_date >= since)]  # an older build holds only older commits
        commits = history.beyond(self.repo, sorted(set(tips)), previous_sha, since)
        if overridden and previous_sha:
            commits = chain(commits, history.beyond(self.repo, [previous_sha], tag.sha, since))
        linked: list[builds.Linked] = []
        plain: dict[str, str] = {}
        for commit in commits:
            parsed = links.parse(commit.message, repo_id)
            if not parsed.empty:
                linked.append(builds.Linked(commit.sha, builds.commit_author(commit), parsed))
            if not (parsed.closes or parsed.cherry_of):  # a copy that says nothing of its original
                plain[commit.sha] = links.bare_subject(commit.summary)
        return linked, plain

    def _originals(self, scanned: builds.Scanned, beside: Sequence[builds.Linked],
                   repo_id: links.Repository) -> dict[str, builds.Linked]:
        """Commits named by reverts and cherry-picks, by the sha they are named with: those
        outside the range, and every cherry-picked one."""
        picked = {sha for parsed in chain(scanned.said, (b.parsed for b in beside)) for sha in parsed.cherry_of}
        wanted = scanned.wanted_outside() | picked | {sha for b in beside for sha in b.parsed.reverts}
        return self._read_originals(wanted, picked, repo_id)

    def _read_originals(self, wanted: set[str], picked: Container[str],
                        repo_id: links.Repository) -> dict[str, builds.Linked]:
        """The commits `wanted` names, read from git; a cherry-picked (`picked`) merge commit
        carries what the merge brought in, as a backport bot's pick of a pull request does."""
        from tracker import builds

        originals: dict[str, builds.Linked] = {}
        for name, commit in history.show(self.repo, wanted).items():
            parsed = links.parse(commit.message, repo_id)
            author = builds.commit_author(commit)
            if name in picked and len(commit.parents) > 1:
                inside = [(c, links.parse(c.message, repo_id).closes)
                          for c in history.brought_in(self.repo, commit.sha)]
                parsed = replace(parsed, closes=tuple(dict.fromkeys([*parsed.closes,
                                                                     *(i for _, ids in inside for i in ids)])))
                # Who wrote the fix the merge brought in built it, not who merged it.
                author = next((builds.commit_author(c) for c, ids in inside if ids), author)
            originals[name] = builds.Linked(commit.sha, author, parsed)
        return originals

    def _originals_of(self, earlier: Sequence[builds.Linked], known: Mapping[str, builds.Linked],
                      repo_id: links.Repository) -> dict[str, builds.Linked]:
        """The commits that earlier cherry-picks name and `known` lacks (read from git)."""
        wanted = {sha for item in earlier for sha in item.parsed.cherry_of if sha not in known}
        return self._read_originals(wanted, wanted, repo_id)

    def _derive_picks(self, items: Iterable[builds.Linked], originals: Mapping[str, builds.Linked] | None = None,
                      ) -> None:
        """Tell the link index what each cherry-pick among `items` closes through the commit it
        copies (what a picked merge brought in, too), so a later build's search by request
        finds the pick as an earlier closer."""
        picks = [item for item in items if item.parsed.cherry_of]
        if not picks:
            return
        names = {sha for item in picks for sha in item.parsed.cherry_of}
        known = dict(originals or {})
        known.update(self._read_originals(names - set(known), names, self.repository))
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

    def _copies_of_unreleased(self, tag: Tag, previous_sha: str | None, previous: Tag | None,
                              scanned: builds.Scanned, repo_id: links.Repository) -> list[builds.Linked]:
        """Commits of this range that copy, without saying so, a closing commit outside this
        build's history (a fix backported by hand to a patch release before the main line's
        next build): same subject (backport prefixes aside) and same patch (`git patch-id`).
        Each closes what its original closes. Looked for in patch-sized ranges only, over the
        branches that moved since the previous build."""
        from tracker import builds

        if scanned.count > _COPIES_UP_TO:
            return []
        since = None
        if previous_sha is not None:
            since = previous.commit_date if previous is not None else history.commit_date(self.repo, previous_sha)
        tips = [sha for sha in history.branches_since(self.repo, since) if sha != tag.sha]
        if not tips:
            return []  # no branch moved beyond this build: nothing else to copy from
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
        alike = {sha: subject for sha, subject in history.subjects_beyond(self.repo, tips, tag.sha)
                 for subject in [links.bare_subject(subject)] if subject in plain}
        pairs = []
        for commit in history.show(self.repo, alike).values():
            parsed = links.parse(commit.message, repo_id)
            if parsed.closes:
                pairs += [(sha, commit, parsed) for sha in plain.get(alike[commit.sha], ())]
        if not pairs:
            return []
        patches = self._patch_ids({sha for sha, _, _ in pairs} | {c.sha for _, c, _ in pairs})
        return [builds.Linked(sha, builds.commit_author(original), links.Parsed(closes=parsed.closes))
                for sha, original, parsed in pairs if patches.get(sha) and patches[sha] == patches.get(original.sha)]

    def _patch_ids(self, shas: Iterable[str]) -> dict[str, str]:
        """`history.patch_ids`, each commit's computed once and kept in the link index."""
        wanted = set(shas)
        known = self.link_index.patches(wanted)
        missing = wanted - set(known)
        if missing:
            fresh = history.patch_ids(self.repo, missing)
            # A commit with no patch (a merge, an empty change) is remembered as "" (none).
            self.link_index.remember_patches({sha: fresh.get(sha, "") for sha in missing})
            known.update(fresh)
        return {sha: patch for sha, patch in known.items() if patch}

    def _copies(self, scanned: builds.Scanned, beside: Mapping[str, str]) -> list[builds.Linked]:
        """Patch-identical copies, on other lines, of this range's closing commits (`beside`:
        the other lines' commits that say nothing, by sha, with their bare subjects): each
        stands for what its original closes (a backport made without `-x`). A range with more
        than a few hundred closing commits compares only those that kept a subject the other
        lines show (a patch id costs a diff; the link index keeps each one computed)."""
        from tracker import builds

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
                copies.append(builds.Linked(sha, None, links.Parsed(closes=closing[original].closes)))
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
            dates = history.commit_dates(self.repo, unplaced)
            oldest = history.shifted(min(dates.values()), -_CLOCK_SLACK_DAYS) if dates else None
            holders = history.oldest_holders(self.repo, unplaced, [
                t.name for t in earlier_builds.values() if oldest is None or t.commit_date >= oldest])
        by_name = {t.name: t for t in earlier_builds.values()}
        out: dict[str, str] = {}
        for rid, shas in closers.items():
            found = [by_sha[tip] for sha in shas for tip in held.get(sha, ()) if tip in by_sha]
            found += [by_name[holders[sha]] for sha in shas if holders.get(sha) in by_name]
            out[rid] = min(found, key=lambda t: (t.date, t.name)).name if found else previous_name or ""
        return out

    def _credit(self, out: Report, requests: Mapping[str, Request], tip: str, previous: str | None,
                within: int, inside: Set[str] | None = None) -> None:
        """Name the builders of `out`'s shipped requests and fixed reports, read their commits'
        credit trailers, and fill `out["credits"]` (DESIGN "Who is credited, and how they are named")."""
        from tracker import credits, naming

        entries = [*out["shipped"], *out["fixed"]]
        if not entries:
            return
        names = naming.Names(self.config.credits_logins)
        commits = history.credit_trailers(self.repo, {sha for entry in entries for sha in entry["commits"]})
        names.learn({ident for ident, _ in commits.values()},
                    [value for _, trailers in commits.values() for _, value in trailers],
                    lambda contacts: history.mailmap(self.repo, contacts))
        unknown = [sha for sha, (ident, _) in commits.items() if names.login(ident) is None]
        if unknown:  # the issue system knows who wrote them (GitHub: the author's account)
            names.found({commits[sha][0]: login for sha, login in self.reads.commit_logins(unknown, tip, within).items()
                         if sha in commits})
        parts = [naming.name_entry(entry, requests[entry["id"]].kind == REPORT, commits, names,
                                   self.config.credits_exclude) for entry in entries]
        tally = credits.tally(parts, self.config.credits_exclude)
        credits.mark_first(tally, self._credited_before(tally, requests, entries, names, previous, tip, inside))
        out["credits"] = [credit.as_dict() for credit in tally]

    def _credited_before(self, tally: Sequence[credits.Credit], requests: Mapping[str, Request],
                         entries: Sequence[Shipped], names: naming.Names,
                         previous: str | None, tip: str | None = None, inside: Set[str] | None = None) -> set[str]:
        """Keys (lower-case logins) of `first` candidates that an earlier build credited, judged
        from what this run reads anyway (README "Who is credited"): a request or bug report
        of theirs closed by a commit reachable from the previous build, or a commit of theirs
        (by an email this build saw for them, `credits.logins`, or their no-reply address)."""
        from tracker import credits, logins, naming
        from tracker import decision as decisions

        candidates = {logins.key(c.login): c for c in credits.first_candidates(tally)}
        if previous is None or not candidates:
            return set()
        before: set[str] = set()
        here = {entry["id"] for entry in entries}
        # Their requests (and duplicates, by the request they were merged into) closed before.
        theirs: dict[str, set[str]] = {}
        for request in requests.values():
            if request.author and logins.key(request.author) in candidates and request.id not in here:
                root = decisions.root(request.id, requests)
                if root not in here:
                    theirs.setdefault(root, set()).add(logins.key(request.author))
        if theirs:
            def credit(item: builds.Linked) -> set[str]:
                """The candidates a closing of theirs credited before (all of them: stop reading)."""
                if not item.parsed.reverts:
                    for rid in item.parsed.closes:
                        before.update(theirs.get(decisions.root(rid, requests) if rid in requests else rid, set()))
                return set(candidates) - before

            # On a first run (no link index), no further back than this build's own requests
            # were opened: a fan credited only before then may be called new (README).
            self._closers(previous, set(theirs), until=credit, no_older_than=self._window.get(previous),
                          tip=tip, inside=inside)
        # Their commits before, for those credited for building.
        builders = {key: credit for key, credit in candidates.items() if credit.built and key not in before}
        if builders:
            emails = names.emails_of(builders)
            patterns = [f"<{email}>" for email in emails] + [
                form.format(credit.login) for credit in builders.values()
                for form in ("<{}@users.noreply.", "+{}@users.noreply.")]

            def whose(email: str) -> str | None:
                login = emails.get(email.lower()) or naming.noreply_login(email)
                return logins.key(login) if login and logins.key(login) in builders else None

            before |= history.authors_before(self.repo, previous, patterns, whose, len(builders))
        return before

    @cached_property
    def link_index(self) -> LinkIndex:
        from tracker.linkindex import LinkIndex

        return LinkIndex(history.git_dir(self.repo) / "tracker" / "links.sqlite3", self.repository.slug)

    def _earlier(self, tip: str, previous: str | None, search: set[str], record: bool,
                 picked: Iterable[str] = (), inside: Set[str] | None = None) -> list[builds.Linked]:
        """Commits reachable from the previous build that close (or revert closers of) `search`,
        or cherry-pick one of the commits `picked` (this range's closing commits).
        `record`: the scan collected `previous..tip` into the index; mark the range."""
        index = self.link_index
        if previous is None:
            if record:
                index.add(tip, None, ())
            return []
        picked = set(picked)
        found = self._closers(previous, search, picked, tip=tip, inside=inside) if search or picked else []
        if record:
            index.add(tip, previous, ())
        return self._not_before_opened(found)

    def _not_before_opened(self, items: list[builds.Linked]) -> list[builds.Linked]:
        """`items` without the closings of requests that were opened after the commit (less a
        week of clock slack): such a `#N` named something else (a number given again)."""
        requests = self.requests
        opened = {rid: when for item in items for rid in item.parsed.closes if rid in requests
                  for when in [requests[rid].created_at] if when}
        if not opened:
            return items
        dates = history.commit_dates(self.repo, {item.sha for item in items
                                                 if any(rid in opened for rid in item.parsed.closes)})
        kept = []
        for item in items:
            when = dates.get(item.sha)
            late = {rid for rid in item.parsed.closes if when and rid in opened
                    and (history.shifted(opened[rid], -_CLOCK_SLACK_DAYS) or "") > when}
            kept.append(replace(item, parsed=replace(item.parsed, closes=tuple(
                rid for rid in item.parsed.closes if rid not in late))) if late else item)
        return kept

    def _closers(self, previous: str, search: set[str], picked: Set[str] = frozenset(),
                 until: Callable[[builds.Linked], Set[str]] | None = None,
                 no_older_than: str | None = None, tip: str | None = None,
                 inside: Set[str] | None = None) -> list[builds.Linked]:
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
        """Does `tip`'s history hold fewer than `_INDEX_AT_MOST` commits? (Asked once per tip.)"""
        known = self._short.get(tip)
        if known is None:
            known = self._short[tip] = history.count_at_most(self.repo, tip, _INDEX_AT_MOST) < _INDEX_AT_MOST
        return known

    def _opened_since(self, search: Iterable[str]) -> str | None:
        """How far back a commit can close any of `search`: a week before the oldest was opened
        (clocks of commits and issue systems differ), or None when one has no date."""
        requests = self.requests
        wanted = list(search)
        dated = [when for rid in wanted if rid in requests for when in [requests[rid].created_at] if when]
        if not wanted or len(dated) < len(wanted):
            return None
        return history.shifted(min(dated), -_CLOCK_SLACK_DAYS)

    def _walk_for(self, previous: str, search: set[str], picked: Set[str],
                  until: Callable[[builds.Linked], Set[str]] | None = None,
                  no_older_than: str | None = None) -> list[builds.Linked]:
        """`_closers` read from git: one `git log` of `previous`'s ancestry since the oldest
        request of `search` was opened (all of it when one has no date), keeping, in C, the
        commits that name one of them, revert or cherry-pick something; those are parsed as a
        scan would, and cherry-picks close what the commits they copy close."""
        from tracker import builds

        since = self._opened_since(search)
        if no_older_than is not None and (since is None or no_older_than > since):
            since = no_older_than
        self._window.setdefault(previous, since)
        repo_id = self.repository
        numbers = sorted(rid for rid in search if rid.isascii() and rid.isdigit())  # what `#N` can name
        # One pattern for all the numbers: git tries each --grep on every commit.
        patterns = ["reverts commit", "cherry picked from commit"]
        if numbers:
            patterns += [f"(#|gh-|/issues/|/discussions/)0*({'|'.join(numbers)})([^0-9]|$)",
                         f"#({'|'.join(n.translate(_FULLWIDTH) for n in numbers)})"]
        items = []
        found = history.grep(self.repo, previous, patterns, since)
        for commit in self.context.track(found, "reading earlier history", unit="commits"):
            parsed = links.parse(commit.message, repo_id)
            if parsed.empty:
                continue
            items.append(builds.Linked(commit.sha, builds.commit_author(commit), parsed))
            if until is not None and not until(items[-1]):
                break  # the generator's git is stopped when it is collected
        close = getattr(found, "close", None)
        if close is not None:
            close()
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
                or any(sha.startswith(p) or p.startswith(sha) for sha in item.parsed.cherry_of for p in picked)]

    def _linked_ancestry(self, tip: str) -> list[builds.Linked]:
        """Every commit reachable from `tip` that links to something: exactly those `builds.scan`
        keeps (`links.maybe_bytes`, then a non-empty parse), found by one `git log --grep`."""
        from tracker import builds
        from tracker.linkindex import GREP_PATTERNS

        repo_id = self.repository
        return [builds.Linked(commit.sha, builds.commit_author(commit), parsed)
                for commit in self.context.track(history.grep(self.repo, tip, GREP_PATTERNS),
                                                 "indexing earlier history (once)", unit="commits")
                if links.maybe_bytes(commit.raw)
                for parsed in [links.parse(commit.message, repo_id)] if not parsed.empty]

    def save_caches(self) -> None:
        """Keep what this run learnt about history (called once a command has succeeded;
        a dry run writes nothing at all, this cache included)."""
        if "link_index" in self.__dict__ and not self.dry_run:
            self.link_index.save()

    def scan(self, spec: str | None) -> list[dict[str, Any]]:
        """Every link in a range: commit → request, with its kind.

        Rows are in history order (`git log`'s, newest first). Reverts and cherry-picks name
        commits, not requests: they are reported with the requests their target closes (read
        in one batch once the range is read).
        """
        if spec is None and not history.has_commits(self.repo):
            raise BadInput("this repository has no commits yet, so there is nothing to scan;"
                           " commit first, or name a repository with --repo")
        revisions = history.resolve_range(self.repo, spec) if spec else ["HEAD"]
        repo_id = self.repository
        found: list[dict[str, Any] | tuple[dict[str, Any], str]] = []  # a row, or (a row, the commit it names)
        seen = 0
        for commit in history.log(self.repo, revisions):
            seen += 1
            parsed = links.parse(commit.message, repo_id)
            base = {"sha": commit.sha, "summary": commit.summary, "pull": parsed.pull}
            found += [{**base, "request": rid, "kind": "closes"} for rid in parsed.closes]
            found += [{**base, "request": rid, "kind": "refs"} for rid in parsed.refs if not parsed.reverts]
            found += [({**base, "kind": kind, "commit": target}, target)
                      for kind, targets in (("revert", parsed.reverts), ("cherry-pick", parsed.cherry_of))
                      for target in targets]
        named = history.show(self.repo, {entry[1] for entry in found if isinstance(entry, tuple)})
        rows: list[dict[str, Any]] = []
        for entry in found:
            if isinstance(entry, dict):
                rows.append(entry)
                continue
            row, target = entry
            requests = links.parse(named[target].message, repo_id).closes if target in named else []
            rows += [{**row, "request": rid} for rid in requests] or [{**row, "request": None}]
        if not rows:  # an empty answer says why, never nothing at all
            note = history.empty_range_note(self.repo, spec) if spec and not seen else None
            self.context.say(note or f"note: no links to requests in the {seen} commits of {spec or 'HEAD'}")
        return rows

    # -- render, publish, mark -----------------------------------------------------

    def render(self, data: Report, template: str | None = None, locale: str | None = None) -> str:
        """Render a report. `markdown` means the project's Markdown changelog: the built-in one,
        or `changelog.template` when that is a Markdown template of the project's own (so
        CHANGELOG.md, release notes and the job summary all use it). Each (report, template,
        locale) is rendered once per command, however many outputs use it."""
        from tracker import render  # jinja2 and the templates only when something renders

        configured = self.config.template
        chosen = template or configured
        if chosen == "markdown" and render.flavour(render.FORMATS.get(configured, configured)) == "markdown":
            chosen = configured
        if chosen == configured and (self.root / configured).is_file():
            chosen = str(self.root / configured)  # config paths are relative to the repository root
        language = locale or self.config.locale
        key = (data["build"], data.get("previous"), chosen, language)
        made = self._texts.get(key)
        if made is not None and made[0] is data:
            return made[1]
        shipping = {sha for entry in [*data["shipped"], *data.get("fixed", ())] for sha in entry["commits"]}
        others = [c for c in data["changes"] if c["sha"] not in shipping and c.get("type") in ("feat", "fix", "perf")]
        context = {"report": data, "project": self.project, "reports": [], "other_changes": others,
                   "notes": self.notes(data) if chosen != "atom" else None,
                   # The build's pull requests by number, for links from the fans' part.
                   "pull_requests": {p["number"]: p for p in data.get("pulls", ())}}
        text = render.render(chosen, context, language, self.root)
        self.renders[(data["build"], chosen, language)] += 1
        self._texts[key] = (data, text)
        return text

    def notes(self, data: Report) -> dict[str, Any] | None:
        """The build's release notes under the fans' part (`changelog.changes: all`): its merged
        pull requests and other commits, grouped, and its new contributors; made once per build."""
        if self.config.changelog_changes != "all" or not isinstance(data.get("changes"), Iterable):
            return None
        key = (data["build"], data.get("previous"))
        made = self._notes.get(key)
        if made is None:
            from tracker import notes

            topology, before = self._topology(data)
            found = notes.lines(data["changes"], data.get("pulls", ()), topology,
                                [*data["shipped"], *data.get("fixed", ())])
            excluded = logins.keys(tuple(self.config.credits_exclude))
            newcomers = notes.newcomers(data["changes"], data.get("pulls", ()), topology, before,
                                        lambda who: excluded[who] is None) if before is not None else []
            made = self._notes[key] = {"groups": notes.grouped(found), "count": len(found), "newcomers": newcomers}
        return made

    def _topology(self, data: Report) -> tuple[Topology, set[str] | None]:
        """What the notes need of git for a report's range: its `notes.Topology`, and the emails
        of its authors that have commits before it (None for a first build, or a report this
        repository cannot place: then nobody is called new)."""
        from tracker import notes

        try:
            build = self.build_tag(data["build"]).sha
            given = data.get("previous")
            previous = history.resolve_previous(self.repo, given) if given else None
        except BadInput:
            return notes.Topology(), None
        emails, parents, line = history.topology(self.repo, previous, build)
        mainline = set(line)
        merges = [sha for sha in line if len(parents.get(sha, ())) > 1]
        claimed: list[dict[str, Any]] = []
        hidden: dict[str, str] = {}
        for sha, commit in history.show(self.repo, merges).items():
            pull = links.parse(commit.message, self.repository).pull
            claimed.append({"sha": sha, "pull": pull, "summary": notes.merge_title(commit.message),
                            "author": commit.author_name, "login": None,
                            "head": parents[sha][1] if pull and parents[sha][1] in parents else None})
            stack = list(parents[sha][1:]) if pull else []
            while stack:  # what this pull request's merge brought in: its line, not theirs
                at = stack.pop()
                if at in parents and at not in mainline and at not in hidden:
                    hidden[at] = pull or ""
                    stack.extend(parents[at])
        claimed.sort(key=lambda m: line.index(m["sha"]))
        topology = notes.Topology(emails=emails, hidden=hidden, merges=claimed)
        if previous is None:
            return topology, None
        wanted = {email.lower() for email in emails.values() if email}
        before = history.authors_before(self.repo, previous, [f"<{email}>" for email in sorted(wanted)],
                                        lambda email: email.lower() if email.lower() in wanted else None, len(wanted))
        return topology, before

    def marks_for(self, data: Report) -> list[Mark]:
        from tracker import render

        cfg = self.config
        talks = self.issues.posts_comments  # no comment is rendered where none is posted
        marks = []
        for entry in data["shipped"]:
            comment = None
            if cfg.ship_comment and talks:
                comment = render.render("comment_shipped.md.j2", {
                    "build": data["build"], "request": entry, "votes": entry["votes"], "project": self.project,
                }, cfg.locale, self.root).strip()
            marks.append(Mark(entry["id"], data["build"], SHIPPED, comment, cfg.ship_label, cfg.ship_close))
        for entry in data.get("fixed", ()):  # a bug report is marked like a request: thanked, labelled, closed
            comment = None
            if cfg.ship_comment:
                comment = render.render("comment_fixed.md.j2", {
                    "build": data["build"], "request": entry, "votes": entry["votes"], "project": self.project,
                }, cfg.locale, self.root).strip()
            marks.append(Mark(entry["id"], data["build"], SHIPPED, comment, cfg.ship_label, cfg.ship_close))
        for withdrawn in data["withdrawn"]:
            comment = render.render("comment_withdrawn.md.j2", {"build": data["build"], "request": withdrawn},
                                    cfg.locale, self.root).strip() if talks else None
            marks.append(Mark(withdrawn["id"], data["build"], WITHDRAWN, comment, cfg.ship_label, False))
        return marks

    def ship(self, data: Report) -> list[str]:
        """Mark the build's shipped (and withdrawn) requests in the issue system."""
        return self.issues.mark(self.marks_for(data))

    def publish(self, data: Report, names: Sequence[str] | None = None) -> list[str]:
        """Run the configured publishers (or those `names`) on one build: each gets the same
        plain data, made once (see `BuildToPublish`)."""
        chosen = self.publishers(names if names is not None else self.config.publish)
        texts = self._texts_for(data, chosen)
        wants_earlier = any(publisher.earlier_builds for publisher in chosen)
        build = BuildToPublish(
            report=_plain(data),
            texts=texts,
            order=(),
            issues=self.issues,
            earlier=[_plain(r) for r in self._earlier_reports(data["build"])] if wants_earlier else (),
            requests=self._requests_with_urls() if wants_earlier else (),
        )
        lines: list[str] = []
        for publisher in chosen:
            asked = publisher.builds_to_order(data["build"])
            order = history.topo_order(self.repo, [*asked, data["build"]]) if asked else self.build_names()
            lines += publisher.publish(replace(build, order=order))
        return lines

    def _texts_for(self, data: Report, chosen: Sequence[Publisher]) -> dict[str, str]:
        """Each format the `chosen` publishers read, rendered once in the configured locale."""
        return {fmt: self.render(data, fmt) for publisher in chosen for fmt in publisher.formats}

    def _earlier_reports(self, build: str) -> list[Report]:
        """The reports of the builds before `build` (after it in `build_names`), newest first,
        made from what this command read from the issue system already (README "Earlier
        builds on the site"): the requests, and the voters, pull requests and commit logins
        of ids read for a report before; nothing new is read from a remote issue system."""
        names = self.build_names()
        earlier = names[names.index(build) + 1:] if build in names else [n for n in names if n != build]
        reads = self.reads
        out: list[Report] = []
        before, reads.fresh = reads.fresh, False
        try:
            for name in earlier:
                made = self._reports.get((name, None)) or self._partial.get(name)
                if made is None:
                    made = self._partial[name] = self.report(name)
                out.append(made)
        finally:
            reads.fresh = before
        return out

    def _requests_with_urls(self) -> list[Request]:
        """Every request, its `url` filled in from the issue system where the request lacks one."""
        url_of = self.issues.issue_url
        return [r if r.url else replace(r, url=url_of(r.id)) for r in self.requests.values()]

    def built(self, build: str) -> Report:
        """`report(build)`, made once per command."""
        made = self._reports.get((build, None))
        if made is None:
            made = self._reports[(build, None)] = self.report(build)
        return made

    def release(self, build: str | None, ship: bool = True, publish: bool = True) -> tuple[str, list[str]]:
        """`ship`, `publish` or both for one build; return (build, one line per write).

        Everything that can be bad input (the build, the publishers and their targets,
        the templates) is checked before the first write.
        """
        from tracker import actions

        if build is None:
            build = actions.build_from_env(self.env)
            if build is None:
                raise BadInput("missing BUILD: give the build tag (in GitHub Actions it defaults to the release's tag)")
        chosen = self.publishers(self.config.publish) if publish else []
        data = self.built(build)
        if publish:  # a template error stops us here, before any write (the job summary's Markdown too)
            self._texts_for(data, chosen)
            self.render(data, "markdown")
        lines: list[str] = []
        try:
            if ship:
                lines += self.ship(data)
            if publish:
                lines += self.publish(data)
            actions.report_outputs(self.env, self.context.git_dir, data, lambda: self.render(data, "markdown"))
        finally:
            self.issues.close()
        return build, lines

    @cached_property
    def _build_names(self) -> list[str]:
        return history.topo_order(self.repo, [t.name for t in self.build_tags])

    def build_names(self) -> list[str]:
        """Every build tag, newest first by topology (a descendant before its ancestors)."""
        return list(self._build_names)

    def all_reports(self, since: str | None = None) -> list[Report]:
        """Reports of every build (newest first), from `since` on."""
        names = self.build_names()
        if since is not None:
            if since not in names:
                self.build_tag(since)
                raise BadInput(f"--since {since}: not a build before the latest")
            names = names[: names.index(since) + 1]
        return [self.built(name) for name in names]


def _plain(data: Report) -> Report:
    """A report as JSON-ready values: its spooled `changes` as a list (what publishers receive)."""
    changes = data["changes"]
    return data if isinstance(changes, list) else {**data, "changes": list(changes)}
