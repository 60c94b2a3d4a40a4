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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import _builds as builds
from tracker import _config as config
from tracker import _git as git
from tracker import _grammar as links
from tracker import _logins as logins
from tracker import _plugins as plugins
from tracker import collect
from tracker import publish as publishing
from tracker._contract import BuildToPublish, Context, IssueSystem, Progress, Publisher
from tracker._errors import BadInput
from tracker._model import Request
from tracker._readonce import ReadOnce
from tracker._schema import Report

ROADMAP_SIZE = 10  # the open requests a report carries (`tracker top`'s default)

if TYPE_CHECKING:
    from tracker._notes import Topology




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

    @cached_property
    def repo(self) -> git.Repo:
        return git.open_repo(self.repo_path)

    @cached_property
    def root(self) -> Path:
        return git.work_tree(self.repo)

    @cached_property
    def config(self) -> config.Config:
        return config.load(self.root, self.config_path)

    @cached_property
    def context(self) -> Context:
        ctx = Context(config=self.config, root=self.root, git_dir=git.git_dir(self.repo), env=self.env,
                      dry_run=self.dry_run, verbose=self.verbose, progress=self.progress)
        if self.say is not None:
            ctx.say = self.say
        return ctx

    @cached_property
    def issues(self) -> IssueSystem:
        name = plugins.default_issue_system(self.issues_name, self.config, self.env, self.root)
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

    @cached_property
    def repository(self) -> links.Repository:
        """This repository, and the hub its requests live in (`requests.repository`)."""
        own = self.issues.repository
        hub = self.config.requests_repository
        return own if hub is None or own.hub == hub else replace(own, hub=hub)

    @property
    def project(self) -> str:
        return self.repository.slug or self.root.name

    # -- collect, link, decide, credit -------------------------------------------

    @cached_property
    def collector(self) -> collect.Collector:
        """What reads the builds' ranges and earlier history (git and the link index)."""
        return collect.Collector(self.repo, self.config, self.context, lambda: self.repository,
                                 lambda: self.requests)

    def report(self, build: str, previous: str | None = None) -> Report:
        """The schema-1 report of one build: collect its range, link, decide, credit."""
        found = self.collector.read(build, previous)
        from tracker import _scan  # loaded by the read

        with _scan.frozen():  # requests and the kept commits live until the report is built
            out = self._report_from(found)
        if previous is not None and not out["commits"]:
            # previous..build is empty exactly when the build is the --previous commit or in its history.
            how = "is the same commit as" if found.previous_sha == found.tag.sha else "comes after"
            self.context.say(f"note: --previous {previous} {how} {build}, so the report holds no commits;"
                             f" name an earlier build of {build}'s history")
        return out

    def _report_from(self, found: collect.Range) -> Report:
        """The report of a collected range: link to pull requests, decide, credit, assemble."""
        from tracker import decide, link

        tag, scanned, originals = found.tag, found.scanned, found.originals
        requests, repo_id = self.requests, self.repository
        claims, own = link.pull_claims(scanned, originals)
        pulls = self.reads.pulls(claims) if claims else {}
        search = link.requests_named(scanned, originals, pulls, requests, repo_id)
        earlier = self.collector.earlier(found, search)
        decision = decide.decide(scanned, requests, pulls, originals, earlier, repo_id)
        already = self.collector.shipped_in(found, decision.earlier)
        first_in = self.collector.first_in(found, decision.shipped)
        # The report needs none of what the decision was made from: a long range's tens of
        # thousands of linked commits go before the report is built (memory stays flat).
        scanned.release()
        del earlier, originals
        found.originals = {}
        from tracker import credit
        from tracker import report as reports

        duplicates = credit.Duplicates(requests)
        wanted = [d for rid in decision.shipped for d in [rid, *duplicates.of(rid)]]
        voters = self.reads.voters(wanted) if wanted else {}
        exclude = self.config.credits_exclude
        who = {rid: credit.people(rid, requests, voters, exclude, duplicates) for rid in decision.shipped}
        out = reports.build(tag, found.previous_name, scanned, decision, requests, who, exclude, self.project, already,
                            [pull for number, pull in pulls.items() if number in own])
        for entry in [*out["shipped"], *out["fixed"], *out["withdrawn"], *out["already_shipped"]]:
            entry["url"] = entry["url"] or self.issues.issue_url(entry["id"])
        component = self.collector.component(tag.name)
        if component is not None:
            out["component"] = component.name
        channel = self.collector.channel(tag.name)
        if channel is not None:
            out["channel"] = channel
            for shipped in out["shipped"]:
                if shipped["id"] in first_in:
                    shipped["first_in"] = first_in[shipped["id"]]
        credit.credit(out, requests, self.config.credits_logins, self.config.credits_exclude, self.collector,
                      self.reads.commit_logins,
                      tag.sha, found.previous_sha, scanned.count, found.inside)
        # The roadmap as it stands, for the sites that merge this repository's reports (`site.reports`).
        from tracker import _views as views

        gone = {entry["id"] for entry in out["shipped"]}
        still = islice(((r, votes) for r, votes in self._ranked if r.id not in gone), ROADMAP_SIZE)
        out["roadmap"] = [views.roadmap_row(r, votes, self.issues.issue_url) for r, votes in still]  # type: ignore[misc]  # views rows are RoadmapEntry-shaped
        return out

    @cached_property
    def _ranked(self) -> list[tuple[Request, int]]:
        """Every open request with its votes, most first (`tracker top`), ranked once per command."""
        from tracker import _views as views

        return views.ranked(self.requests.values())

    def __enter__(self) -> Session:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """The session's end: what it learnt about history is kept (the link index) when its
        command succeeded; a failed command, or a dry run, writes nothing at all."""
        if kind is None and not self.dry_run and "collector" in self.__dict__:
            self.collector.save()

    def scan(self, spec: str | None) -> list[dict[str, Any]]:
        """Every link in a range: commit → request, with its kind.

        Rows are in history order (`git log`'s, newest first). Reverts and cherry-picks name
        commits, not requests: they are reported with the requests their target closes (read
        in one batch once the range is read).
        """
        if spec is None and not builds.has_commits(self.repo):
            raise BadInput("this repository has no commits yet, so there is nothing to scan;"
                           " commit first, or name a repository with --repo")
        revisions = builds.resolve_range(self.repo, spec) if spec else ["HEAD"]
        repo_id = self.repository
        found: list[dict[str, Any] | tuple[dict[str, Any], str]] = []  # a row, or (a row, the commit it names)
        seen = 0
        for commit in git.log(self.repo, revisions):
            seen += 1
            parsed = links.parse(commit.message, repo_id)
            base = {"sha": commit.sha, "summary": commit.summary, "pull": parsed.pull}
            found += [{**base, "request": rid, "kind": "closes"} for rid in parsed.closes]
            found += [{**base, "request": rid, "kind": "refs"} for rid in parsed.refs if not parsed.reverts]
            found += [({**base, "kind": kind, "commit": target}, target)
                      for kind, targets in (("revert", parsed.reverts), ("cherry-pick", parsed.cherry_of))
                      for target in targets]
        named = git.show(self.repo, {entry[1] for entry in found if isinstance(entry, tuple)})
        rows: list[dict[str, Any]] = []
        for entry in found:
            if isinstance(entry, dict):
                rows.append(entry)
                continue
            row, target = entry
            requests = links.parse(named[target].message, repo_id).closes if target in named else []
            rows += [{**row, "request": rid} for rid in requests] or [{**row, "request": None}]
        if not rows:  # an empty answer says why, never nothing at all
            note = builds.empty_range_note(self.repo, spec) if spec and not seen else None
            self.context.say(note or f"note: no links to requests in the {seen} commits of {spec or 'HEAD'}")
        return rows

    # -- render, publish, mark -----------------------------------------------------

    def render(self, data: Report, template: str | None = None, locale: str | None = None) -> str:
        """Render a report. `markdown` means the project's Markdown changelog: the built-in one,
        or `changelog.template` when that is a Markdown template of the project's own (so
        CHANGELOG.md, release notes and the job summary all use it). Each (report, template,
        locale) is rendered once per command, however many outputs use it."""
        from tracker import render  # jinja2 and the templates only when something renders

        chosen, language = self._template(template, locale)
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

    def _template(self, template: str | None, locale: str | None = None) -> tuple[str, str]:
        """(the template `render` uses for `template`, the locale): `markdown` is the project's
        Markdown template when it has one; config paths are relative to the repository root."""
        from tracker import render

        configured = self.config.template
        chosen = template or configured
        if chosen == "markdown" and render.flavour(render.FORMATS.get(configured, configured)) == "markdown":
            chosen = configured
        if chosen == configured and (self.root / configured).is_file():
            chosen = str(self.root / configured)
        return chosen, locale or self.config.locale

    def _prepare(self, data: Report, formats: Iterable[str]) -> None:
        """Make the release notes' facts of `data` (`notes`: git walks the build's range and its
        authors' earlier commits) in a thread while the templates of `formats` compile here: the
        first waits on git, the second is Python."""
        import threading
        from contextlib import suppress

        from tracker import render

        def facts() -> None:
            # `notes` keeps only what succeeded: a failure is raised again where rendering asks.
            with suppress(Exception):
                self.notes(data)

        ahead = threading.Thread(target=facts, name="tracker-notes", daemon=True)
        ahead.start()
        try:
            for fmt in dict.fromkeys(formats):
                chosen, language = self._template(fmt)
                render.prepare(chosen, language, self.root)
        finally:
            ahead.join()

    def notes(self, data: Report) -> dict[str, Any] | None:
        """The build's release notes under the fans' part (`changelog.changes: all`): its merged
        pull requests and other commits, grouped, and its new contributors; made once per build."""
        if self.config.changelog_changes != "all" or not isinstance(data.get("changes"), Iterable):
            return None
        key = (data["build"], data.get("previous"))
        made = self._notes.get(key)
        if made is None:
            from tracker import _notes as notes

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
        from tracker import _notes as notes

        try:
            build = self.collector.tag(data["build"]).sha
            given = data.get("previous")
            previous = self.collector.resolve(given) if given else None
        except BadInput:
            return notes.Topology(), None
        shape = self.collector.shape(previous, build, self.collector.paths(data["build"]))
        topology = notes.topology(shape, lambda message: links.parse(message, self.repository).pull)
        if previous is None:
            return topology, None
        wanted = {email.lower() for email in topology.emails.values() if email}
        before = self.collector.authors_before(previous, [f"<{email}>" for email in sorted(wanted)],
                                               lambda email: email.lower() if email.lower() in wanted else None,
                                               len(wanted))
        return topology, before

    def ship(self, data: Report) -> list[str]:
        """Mark the build's shipped (and withdrawn) requests in the issue system."""
        cfg = self.config
        # Only the last (widest) channel closes: a beta build says "try it in", the request stays open.
        preview = bool(cfg.channels) and data.get("channel") not in (None, cfg.channels[-1][0])
        return self.issues.mark(publishing.marks(data, cfg.ship_label, cfg.ship_close and not preview,
                                                 cfg.ship_comment, cfg.locale, self.project, self.root,
                                                 talks=self.issues.posts_comments, preview=preview,
                                                 notify=cfg.ship_notify))

    def publish(self, data: Report, names: Sequence[str] | None = None) -> list[str]:
        """Run the configured publishers (or those `names`) on one build: each gets the same
        plain data, made once (see `BuildToPublish`)."""
        chosen = self.publishers(names if names is not None else self.config.publish)
        wants_earlier = any(publisher.earlier_builds for publisher in chosen)
        build = BuildToPublish(
            report=publishing.plain(data),
            texts=self._texts_for(data, chosen),
            order=(),
            issues=self.issues,
            earlier=[publishing.plain(r) for r in self._earlier_reports(data["build"])] if wants_earlier else (),
            requests=self._requests_with_urls() if wants_earlier else (),
        )
        return publishing.run(chosen, build, lambda asked: self.collector.order([*asked, data["build"]])
                              if asked else [data["build"]])

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
        from tracker import _actions as actions

        if build is None:
            build = actions.build_from_env(self.env)
            if build is None:
                raise BadInput("missing BUILD: give the build tag (in GitHub Actions it defaults to the release's tag)")
        chosen = self.publishers(self.config.publish) if publish else []
        data = self.built(build)
        if publish:  # a template error stops us here, before any write (the job summary's Markdown too)
            self._prepare(data, [*(fmt for publisher in chosen for fmt in publisher.formats), "markdown"])
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
        return self.collector.order([t.name for t in self.collector.tags])

    def build_names(self) -> list[str]:
        """Every build tag, newest first by topology (a descendant before its ancestors)."""
        return list(self._build_names)

    def all_reports(self, since: str | None = None) -> list[Report]:
        """Reports of every build (newest first), from `since` on."""
        names = self.build_names()
        if since is not None:
            if since not in names:
                self.collector.tag(since)  # bad input, with a suggestion, when no build has the name
                raise BadInput(f"--since {since}: not a build before the latest")
            names = names[: names.index(since) + 1]
        return [self.built(name) for name in names]
