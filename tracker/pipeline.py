"""One release, start to finish: collect → link → decide → credit → render → publish.

This is the only module that calls all the others; each step hands plain data
to the next and nothing flows back.

What is needed only once history is being read (the scan, the link index, the
report and credits) is imported where it is used: `git log` starts ~20 ms sooner
on every command, and git's walk to its first commit overlaps those imports.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import config, history, links, plugins
from tracker.errors import BadInput
from tracker.hooks import SHIPPED, WITHDRAWN, Context, IssueSystem, Mark, Rendered
from tracker.model import Request, Tag

if TYPE_CHECKING:
    from tracker import builds
    from tracker.linkindex import LinkIndex


_CLOSES = attrgetter("closes")


def default_issue_system(option: str | None, cfg: config.Config, env: Mapping[str, str]) -> str:
    """`--issues`, else `issues:` in the config, else github in Actions, else local."""
    if option:
        return option
    if cfg.issues:
        return cfg.issues
    return "github" if env.get("GITHUB_REPOSITORY") else "local"


@dataclass
class Session:
    """Everything one command works on: the repository, its config, its issue system."""

    repo_path: str = "."
    config_path: str | None = None
    issues_name: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    dry_run: bool = False
    verbose: bool = False
    say: Callable[[str], None] | None = None
    progress: Callable[[Iterable[Any], str], Iterator[Any]] | None = None

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
        name = default_issue_system(self.issues_name, self.config, self.env)
        return plugins.issue_system(name, self.context)

    @cached_property
    def requests(self) -> dict[str, Request]:
        return {r.id: r for r in self.issues.requests()}

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

    def report(self, build: str, previous: str | None = None) -> dict[str, Any]:
        """The schema-1 report of one build."""
        # `git describe` runs while tags and requests are read; with --previous, `git log`
        # starts before requests load, for subjects only when the link index already knows
        # what the build's messages say (the scan then never reads a message body).
        pending = None if previous else self._previous_of(build, None)
        log: history.Log | None = None
        lookup = None
        try:
            try:
                tag = self.build_tag(build)
                self.check_history()
                lookup = self.link_index.lookup(tag.sha)  # None unless the build is indexed already
                if pending is None:
                    previous_name, previous_sha = self._previous_of(build, previous)()
                    log = history.commits(self.repo, previous_sha, tag.sha, subjects=lookup is not None)
                requests = self.requests
                repo_id = self.repository
            finally:
                if pending is not None:
                    previous_name, previous_sha = pending()
            if log is None:
                log = history.commits(self.repo, previous_sha, tag.sha, subjects=lookup is not None)
            from tracker import builds  # git is walking: see the module's docstring

            label = f"reading {previous_name + '..' if previous_name else ''}{build}"
            # A range between a build and its own previous build is recorded in the link index
            # (unless the build is indexed already, then its messages are read from there).
            # A --previous need not be an ancestor (and checking costs a history walk), so its
            # range says nothing certain about the build's whole ancestry: never recorded.
            index = self.link_index
            record = previous is None and lookup is None
            try:
                scanned = builds.scan(self.context.track(log, label), repo_id, requests, lookup,
                                      index.collect(tag.sha) if record else None, subjects=log.subjects)
            except builds.LookupFailed:
                # The index broke mid-read (it answers None from now on): read the range again,
                # messages and all, and parse them.
                log.close()
                log = history.commits(self.repo, previous_sha, tag.sha)
                scanned = builds.scan(self.context.track(log, label), repo_id, requests)
        finally:
            if lookup is not None:
                lookup.close()
            if log is not None:
                log.close()
        with builds.frozen():  # requests and the kept commits live until the report is built
            out = self._report_from(tag, previous_name, previous_sha, requests, repo_id, scanned, record)
        if previous is not None and not out["commits"]:
            # previous..build is empty exactly when the build is the --previous commit or in its history.
            how = "is the same commit as" if previous_sha == tag.sha else "comes after"
            self.context.say(f"note: --previous {previous} {how} {build}, so the report holds no commits;"
                             f" name an earlier build of {build}'s history")
        return out

    def _report_from(self, tag: Tag, previous_name: str | None, previous_sha: str | None,
                     requests: dict[str, Request], repo_id: links.Repository, scanned: builds.Scanned,
                     record: bool) -> dict[str, Any]:
        """The report of a scanned range: decide, credit, assemble."""
        from tracker import builds
        from tracker import decision as decisions

        originals = {
            sha: builds.Linked(c.sha, builds.commit_login(c), links.parse(c.message, repo_id))
            for sha, c in history.show(self.repo, scanned.wanted_outside()).items()
        }
        claims = scanned.pull_claims()
        claims.update({s: o.parsed.pull for s, o in originals.items() if o.parsed.pull})
        pulls = self.issues.pulls(claims) if claims else {}
        candidates = set(chain.from_iterable(map(_CLOSES, chain(scanned.said, (o.parsed for o in originals.values())))))
        for pull in pulls.values():
            candidates.update(links.references(pull.body or "", repo_id)[0])
            candidates.update(pull.closes)
        candidates = {decisions.root(i, requests) for i in candidates if i in requests}
        search = candidates | {d for d, r in requests.items() if r.duplicate_of in candidates}
        earlier = self._earlier(tag.sha, previous_sha, search, record)
        decision = decisions.decide(scanned, requests, pulls, originals, earlier, repo_id)
        # The report needs none of what the decision was made from: a long range's tens of
        # thousands of linked commits go before the report is built (memory stays flat).
        scanned.release()
        del earlier, originals
        from tracker import report as reports
        from tracker.credits import Duplicates, people

        duplicates = Duplicates(requests)
        wanted = [d for rid in decision.shipped for d in [rid, *duplicates.of(rid)]]
        voters = self.issues.voters(wanted) if wanted else {}
        exclude = self.config.credits_exclude
        who = {rid: people(rid, requests, voters, exclude, duplicates) for rid in decision.shipped}
        out = reports.build(tag, previous_name, scanned, decision, requests, who, exclude, self.project)
        for entry in [*out["shipped"], *out["withdrawn"]]:
            entry["url"] = entry["url"] or self.issues.issue_url(entry["id"])
        return out

    @cached_property
    def link_index(self) -> LinkIndex:
        from tracker.linkindex import LinkIndex

        return LinkIndex(history.git_dir(self.repo) / "tracker" / "links.sqlite3", self.repository.slug)

    def _earlier(self, tip: str, previous: str | None, search: set[str], record: bool) -> list[builds.Linked]:
        """Commits reachable from the previous build that close (or revert closers of) `search`.

        From the link index when the previous build's ancestry is indexed; otherwise
        one `git log --grep` indexes that ancestry first (once per repository). The
        answer is the same either way: the index only saves reading history again.
        `record`: the scan collected `previous..tip` into the index; mark the range.
        """
        index = self.link_index
        if previous is None:
            if record:
                index.add(tip, None, ())
            return []
        if not index.complete(previous):
            if not search:
                return []
            # Index the previous build's whole ancestry once, so next week's build reads only
            # its own range. (A --previous's ancestry is as true as a build's; only the range
            # to a --previous that need not be an ancestor is never recorded.)
            index.add(previous, None, self._linked_ancestry(previous))
        if record:
            index.add(tip, previous, ())
        if not search:
            return []
        found = index.closers(search, within=previous)
        if found is None:
            # The stored index failed while read: read the history and answer from that.
            index.add(previous, None, self._linked_ancestry(previous))
            found = index.closers(search, within=previous)
        return found or []

    def _linked_ancestry(self, tip: str) -> list[builds.Linked]:
        """Every commit reachable from `tip` that links to something: exactly those `builds.scan`
        keeps (`links.maybe_bytes`, then a non-empty parse), found by one `git log --grep`."""
        from tracker import builds
        from tracker.linkindex import GREP_PATTERNS

        repo_id = self.repository
        return [builds.Linked(commit.sha, builds.commit_login(commit), parsed)
                for commit in self.context.track(history.grep(self.repo, tip, GREP_PATTERNS),
                                                 "indexing earlier history (once)")
                if links.maybe_bytes(commit.raw)
                for parsed in [links.parse(commit.message, repo_id)] if not parsed.empty]

    def save_caches(self) -> None:
        """Keep what this run learnt about history (called once a command has succeeded;
        a dry run writes nothing at all, this cache included)."""
        if "link_index" in self.__dict__ and not self.dry_run:
            self.link_index.save()

    def scan(self, spec: str | None) -> list[dict[str, Any]]:
        """Every link in a range: commit → request, with its kind.

        Reverts and cherry-picks name commits, not requests: they are reported with the
        requests their target closes (read in one batch once the range is read).
        """
        if spec is None and not history.has_commits(self.repo):
            raise BadInput("this repository has no commits yet, so there is nothing to scan;"
                           " commit first, or name a repository with --repo")
        revisions = history.resolve_range(self.repo, spec) if spec else ["HEAD"]
        repo_id = self.repository
        rows: list[dict[str, Any]] = []
        named: list[tuple[dict[str, Any], str]] = []
        seen = 0
        for commit in history.log(self.repo, revisions):
            seen += 1
            parsed = links.parse(commit.message, repo_id)
            base = {"sha": commit.sha, "summary": commit.summary, "pull": parsed.pull}
            rows += [{**base, "request": rid, "kind": "closes"} for rid in parsed.closes]
            rows += [{**base, "request": rid, "kind": "refs"} for rid in parsed.refs if not parsed.reverts]
            for kind, target in [("revert", t) for t in parsed.reverts] + [("cherry-pick", o)
                                                                          for o in parsed.cherry_of]:
                named.append(({**base, "kind": kind, "commit": target}, target))
        targets = history.show(self.repo, {target for _, target in named})
        for row, target in named:
            found = targets.get(target)
            requests = links.parse(found.message, repo_id).closes if found else []
            rows += [{**row, "request": rid} for rid in requests] or [{**row, "request": None}]
        if not rows:  # an empty answer says why, never nothing at all
            note = history.empty_range_note(self.repo, spec) if spec and not seen else None
            self.context.say(note or f"note: no links to requests in the {seen} commits of {spec or 'HEAD'}")
        return rows

    # -- render, publish, mark -----------------------------------------------------

    def render(self, data: Mapping[str, Any], template: str | None = None, locale: str | None = None,
               **extra: Any) -> str:
        """Render a report. `markdown` means the project's Markdown changelog: the built-in one,
        or `changelog.template` when that is a Markdown template of the project's own (so
        CHANGELOG.md, release notes and the job summary all use it)."""
        from tracker import render  # jinja2 and the templates only when something renders

        configured = self.config.template
        chosen = template or configured
        if chosen == "markdown" and render.flavour(render.FORMATS.get(configured, configured)) == "markdown":
            chosen = configured
        if chosen == configured and (self.root / configured).is_file():
            chosen = str(self.root / configured)  # config paths are relative to the repository root
        shipping = {sha for entry in data["shipped"] for sha in entry["commits"]}
        others = [c for c in data["changes"] if c["sha"] not in shipping and c.get("type") in ("feat", "fix", "perf")]
        context = {"report": data, "project": self.project, "reports": [], "other_changes": others, **extra}
        return render.render(chosen, context, locale or self.config.locale, self.root)

    def order_builds(self, names: Sequence[str]) -> list[str]:
        """Build names, newest first by topology (a descendant before its ancestors)."""
        return history.topo_order(self.repo, names)

    def marks_for(self, data: Mapping[str, Any]) -> list[Mark]:
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
        for entry in data["withdrawn"]:
            comment = render.render("comment_withdrawn.md.j2", {"build": data["build"], "request": entry},
                                    cfg.locale, self.root).strip() if talks else None
            marks.append(Mark(entry["id"], data["build"], WITHDRAWN, comment, cfg.ship_label, False))
        return marks

    def ship(self, data: Mapping[str, Any]) -> list[str]:
        """Mark the build's shipped (and withdrawn) requests in the issue system."""
        return self.issues.mark(self.marks_for(data))

    def publish(self, data: dict[str, Any], names: Sequence[str] | None = None,
                ready: Mapping[str, str] | None = None) -> list[str]:
        """Run the configured publishers on one build (`ready`: formats rendered already)."""
        chosen = plugins.publishers(list(names if names is not None else self.config.publish), self.context)
        texts = dict(ready or {})  # each format rendered once, however many publishers ask for it

        def render_once(fmt: str) -> str:
            if fmt not in texts:
                texts[fmt] = self.render(data, fmt)
            return texts[fmt]

        rendered = Rendered(
            report=data,
            render=render_once,
            order=self.order_builds,
            issues=self.issues,
            builds=lambda: self.all_reports(upto=data["build"]),
        )
        lines: list[str] = []
        for publisher in chosen:
            lines += publisher.publish(rendered)
        return lines

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
        if publish:
            plugins.publishers(list(self.config.publish), self.context)
        data = self.report(build)
        ready = {"markdown": self.render(data, "markdown")} if publish else {}  # a template error stops us here
        lines: list[str] = []
        try:
            if ship:
                lines += self.ship(data)
            if publish:
                lines += self.publish(data, ready=ready)
            actions.report_outputs(self, data)
        finally:
            self.issues.close()
        return build, lines

    def build_names(self) -> list[str]:
        """Every build tag, newest first by topology."""
        names = [t.name for t in self.build_tags]
        return self.order_builds(names)

    def all_reports(self, upto: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """Reports of every build (newest first) up to `upto`, and from `since` on."""
        names = self.build_names()
        if upto is not None and upto in names:
            names = names[names.index(upto):]
        if since is not None:
            if since not in names:
                self.build_tag(since)
                raise BadInput(f"--since {since}: not a build before the latest")
            names = names[: names.index(since) + 1]
        return [self.report(name) for name in names]
