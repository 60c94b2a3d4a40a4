"""The plugin contract's own types: the bases a plugin subclasses (`IssueSystem`,
`Publisher`), what the core hands them (`Context`, `Progress`, `Mark`, `Label`,
`BuildToPublish`), and the `Registry` that checks their hooks (`MisspeltHook`).

Plugins reach these through `tracker.hooks` (the contract, documented there); the core
imports them from here, so no stage goes through the plugin surface and its lazy names.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from tracker._config import Config
from tracker._errors import BadInput
from tracker._grammar import Repository
from tracker._model import REPORT, REQUEST, PullRequest, Request
from tracker._schema import Report

T = TypeVar("T")
P = TypeVar("P")
SHIPPED = "shipped"  # Mark.kind: the request shipped in the build
WITHDRAWN = "withdrawn"  # Mark.kind: a later build took back what an earlier one shipped


def kind_of(labels: Iterable[str], config: Config) -> str:
    """REQUEST or REPORT for an issue carrying `labels`: a bug report when it carries one of
    `reports.labels` and none of `requests.labels` (an issue that is both is a fan request)."""
    names = {label.lower() for label in labels}
    if names.isdisjoint(label.lower() for label in config.report_labels):
        return REQUEST
    return REQUEST if not names.isdisjoint(label.lower() for label in config.request_labels) else REPORT


def marker(kind: str, build: str) -> str:
    """The hidden marker that lets a plugin find its own earlier mark: `<!-- tracker:shipped B -->`."""
    return f"<!-- tracker:{kind} {build} -->"


class Progress(Protocol):
    """What a command's progress line takes: one stage of work at a time.

    `items` are handed on unchanged; each counts `size(item)` (default 1) in `unit`
    ("commits", "requests"); `total`, when known, is how many the stage will count.
    """

    def __call__(self, items: Iterable[T], label: str, *, size: Callable[[T], int] | None = None,
                 total: int | None = None, unit: str = "items") -> Iterator[T]:
        """`items`, counted on the command's progress line while they are read."""


@dataclass
class Context:
    """What every plugin is given: the config, where the repository is, the environment."""

    config: Config
    root: Path
    git_dir: Path
    env: Mapping[str, str]
    dry_run: bool = False
    verbose: bool = False
    say: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))
    # Counts long work (API pages, history walks) on the command's one progress line on a
    # terminal; a pass-through everywhere else.
    progress: Progress | None = None

    def track(self, items: Iterable[T], label: str, *, size: Callable[[T], int] | None = None,
              total: int | None = None, unit: str = "items") -> Iterator[T]:
        """`items`, counted on the command's progress line on a terminal (see `Progress`).

        Plugins call `context.track(listing, "reading issues", unit="requests")`.
        """
        if self.progress is None:
            return iter(items)
        return self.progress(items, label, size=size, total=total, unit=unit)

    def path(self, relative: str) -> Path:
        """A config path, relative to the repository root."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate


@dataclass(frozen=True)
class Label:
    """A label tracker's config names (`tracker init` makes sure the issue system has it)."""

    name: str
    color: str  # six hex digits, no `#`
    description: str


@dataclass(frozen=True)
class Mark:
    """What `ship` asks an issue system to record on one request."""

    request: str
    build: str
    kind: str  # SHIPPED or WITHDRAWN
    comment: str | None  # the thank-you (or withdrawal) text, Markdown, already localised
    label: str
    close: bool


class IssueSystem:
    """Adapts one issue system to plain data. Subclass it and register a factory.

    Required: `requests`. Everything else has a default that does nothing useful
    and says so once.
    """

    name = "issues"
    # Does `mark` post `Mark.comment` on the request? An issue system that keeps no
    # conversation (the local store) says False, and no comment is rendered for it.
    posts_comments = True
    # Does reading cost no API call (a file on this machine)? The session then reads what
    # earlier builds' reports need; otherwise they are made from what the command read already.
    local_reads = False

    def __init__(self, context: Context):
        self.context = context
        self._warned: set[str] = set()

    def _unsupported(self, what: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            self.context.say(f"note: the {self.name} plugin does not support {what}; skipped")

    @property
    def repository(self) -> Repository:
        """Which `owner/name` references must name to count as this repository's."""
        return Repository(self.context.config.repository)

    def requests(self) -> list[Request]:
        """Every fan request, open and closed, with its vote count."""
        raise NotImplementedError

    def voters(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Logins that voted for each request in `ids` (called only for what is shown)."""
        self._unsupported("voter lists")
        return {i: [] for i in ids}

    def pulls(self, claims: Mapping[str, str]) -> dict[str, PullRequest]:
        """Pull requests behind commits: `claims` maps commit sha → PR number its subject names."""
        return {}

    def commit_logins(self, shas: Sequence[str], head: str, within: int) -> dict[str, str]:
        """The issue system's own login of each commit's author, for commits in `shas` (all
        reachable from `head`, among about its `within` newest commits): sha → login, for
        those it knows. Batched, never one call per commit. By default nothing is known, and
        authors are named by their no-reply address or `credits.logins`."""
        return {}

    def issue_url(self, request_id: str) -> str | None:
        """The web address of a request, for links in changelogs."""
        return None

    def mark(self, marks: Iterable[Mark]) -> list[str]:
        """Record ship (or withdrawal) marks; idempotent; return what was (or would be) written."""
        self._unsupported("marking requests")
        return []

    def ensure_labels(self, labels: Sequence[Label]) -> list[str]:
        """Create those of `labels` the issue system lacks (names compare without case; an
        existing label is left as it is); return one line per label created (or, on dry run,
        that would be). Without credentials that may write, say so once and create nothing."""
        self._unsupported("creating labels")
        return []

    def release_notes(self, build: str, section: str) -> list[str]:
        """Put `section` in the build's release notes between tracker's markers."""
        self._unsupported("release notes")
        return []

    def close(self) -> None:
        """Release connections; report API usage when verbose."""


@dataclass(frozen=True)
class BuildToPublish:
    """One build as publishers receive it: plain data, computed once by the session.

    Nothing here calls back into the pipeline: the report and the earlier builds are
    JSON-ready values (`json.dumps` takes them as they are), the text is rendered
    already, the order of builds is a list.
    """

    # The build's schema-1 report (DESIGN "JSON report"; `tracker._schema.Report`), every
    # value a str, int, bool, None, list or dict.
    report: Report
    # Format name → the report rendered in it, in the configured locale: one entry for each
    # format a chosen publisher lists in `Publisher.formats` (rendered once, however many use it).
    texts: Mapping[str, str]
    # Build names newest first by topology (a descendant before its ancestors): the names the
    # publisher asked for (`Publisher.builds_to_order`) and this build; only this build when
    # it asked for none (ordering every build tag walks the whole history: seconds in a fresh
    # clone). (Unrelated lines interleave by date as `git log --topo-order` has them, which
    # depends on the names ordered: hence the publisher says which.)
    order: Sequence[str]
    # The issue system the command works with: where a publisher that writes to it (the
    # release notes) writes. Reading from it is the session's job, done before publishers run.
    issues: IssueSystem
    # The reports of the builds before this one, newest first (those after it in `order`),
    # when a chosen publisher sets `Publisher.earlier_builds`; else empty. Made from what the
    # command read for this build (README "Earlier builds on the site").
    earlier: Sequence[Report] = ()
    # Every request the issue system holds, its `url` filled in, when a chosen publisher sets
    # `Publisher.earlier_builds` (the site's roadmap); else empty.
    requests: Sequence[Request] = ()

    def newest_first(self, names: Sequence[str]) -> list[str]:
        """`names` ordered as `order` has them; names it lacks (not a build tag) come last, as given."""
        rank = {name: n for n, name in enumerate(self.order)}
        known = sorted((name for name in dict.fromkeys(names) if name in rank), key=rank.__getitem__)
        return known + [name for name in dict.fromkeys(names) if name not in rank]


class Publisher:
    """Writes a build somewhere, replacing only its own earlier output.

    A subclass says what it needs, so the session makes only that, once per command:
    `formats`, the texts it reads from `BuildToPublish.texts`; `earlier_builds`, whether
    it lists earlier builds (`BuildToPublish.earlier`, `BuildToPublish.requests`);
    `builds_to_order`, which builds `BuildToPublish.order` must order.
    """

    name = "publisher"
    formats: tuple[str, ...] = ()
    earlier_builds = False

    def __init__(self, context: Context):
        self.context = context

    def builds_to_order(self, build: str) -> list[str]:
        """The builds this publisher's own earlier output holds that `build` must be placed
        among (CHANGELOG.md's sections, the build a site shows): `BuildToPublish.order` then
        orders exactly those and `build`. None by default (`order` is `build` alone)."""
        return []

    def publish(self, build: BuildToPublish) -> list[str]:
        """Write (or, on dry run, describe) this build's output; return one line per write."""
        raise NotImplementedError


IssueFactory = Callable[[Context], IssueSystem]  # what `Registry.issue_system` takes: a class or a function
PublisherFactory = Callable[[Context], Publisher]  # what `Registry.publisher` takes: a class or a function


class MisspeltHook(BadInput):
    """A plugin's class defines a method that is not a hook but looks like one (see the module docstring)."""


def _methods(cls: type, ours: bool) -> dict[str, type]:
    """Public methods and properties that `cls`'s tracker bases (`ours`), or its other classes,
    define → the class that defines each."""
    import inspect
    from functools import cached_property

    found: dict[str, type] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("tracker.") != ours:
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and (inspect.isfunction(value) or isinstance(
                    value, (staticmethod, classmethod, property, cached_property))):
                found[name] = klass
    return found


def _meant(name: str, hooks: Iterable[str]) -> str | None:
    """The hook a method called `name` probably meant: one it extends after `_`, or one a typo away."""
    choices = sorted(hooks)
    for hook in choices:
        if name.startswith(hook + "_"):
            return hook
    import difflib  # only when a plugin has helper methods

    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.8)
    return close[0] if close else None


def _check_hooks(cls: type, kind: type, plugin: str) -> None:
    """MisspeltHook when `cls` (a subclass of `kind`, IssueSystem or Publisher) defines a public
    method that is no hook of its tracker bases but looks like one of them; `plugin` names it."""
    ours = _methods(cls, ours=True)
    for name, klass in _methods(cls, ours=False).items():
        meant = None if name in ours else _meant(name, ours)
        if meant is not None:
            raise MisspeltHook(f"plugin {plugin}: {klass.__qualname__}.{name} is not a hook of {kind.__name__};"
                               f" did you mean '{meant}'? (a helper's name starts with '_')")


class Registry:
    """Where plugins register what they provide. Names are unique across plugins."""

    def __init__(self) -> None:
        self.issue_systems: dict[str, IssueFactory] = {}
        self.publishers: dict[str, PublisherFactory] = {}
        self.origin: dict[str, str] = {}
        self.current = "?"

    def issue_system(self, name: str, factory: IssueFactory) -> None:
        """Offer an issue system under `name` (what `issues:` and `--issues` take)."""
        self._claim(f"issues:{name}")
        self.issue_systems[name] = self._checked(factory, IssueSystem)

    def publisher(self, name: str, factory: PublisherFactory) -> None:
        """Offer a publisher under `name` (what `publish:` lists)."""
        self._claim(f"publish:{name}")
        self.publishers[name] = self._checked(factory, Publisher)

    def _checked(self, factory: Callable[[Context], P], kind: type[P]) -> Callable[[Context], P]:
        """`factory`, its class checked for misspelt hooks now, or what it makes checked when it is called."""
        plugin = self.current
        if isinstance(factory, type):
            if issubclass(factory, kind):
                _check_hooks(factory, kind, plugin)
            return factory

        def load(context: Context) -> P:
            made = factory(context)
            if isinstance(made, kind):
                _check_hooks(type(made), kind, plugin)
            return made

        return load

    def _claim(self, key: str) -> None:
        if key in self.origin and self.origin[key] != self.current:
            raise ValueError(f"{key} is provided by both {self.origin[key]} and {self.current}")
        self.origin[key] = self.current
