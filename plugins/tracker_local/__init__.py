"""The local issue system: requests, votes and ship marks in a SQLite file.

The embedded default for projects whose fans live in forums, surveys or
spreadsheets (and for `tracker demo`): no network, no token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cached_property

from tracker.hooks import (
    SHIPPED,
    BadInput,
    Context,
    IssueSystem,
    Label,
    Mark,
    Registry,
    Repository,
    Request,
    Store,
    kind_of,
    origin_url,
    slug_from_remote,
    store_path,
    valid_slug,
)


class LocalIssues(IssueSystem):
    """Requests from the local store; marks recorded beside them."""

    name = "local"
    posts_comments = False  # marks are rows in the store: there is no conversation to thank in
    local_reads = True  # a SQLite file: earlier builds on the site are read in full

    def __init__(self, context: Context):
        super().__init__(context)
        self.store = Store(store_path(context.config.store, context.root, context.git_dir))

    @cached_property
    def repository(self) -> Repository:
        """`repository:` from the config (a malformed one is bad input), else the origin remote's
        path on any host (an odd remote, such as a local path, just means no `owner/name#N`)."""
        configured = self.context.config.repository
        if configured is not None:
            if not valid_slug(configured.strip(), nested=True):
                raise BadInput(f"repository in the config: '{configured}' is not a repository path;"
                               " expected owner/name (like acme/app)")
            return Repository(configured.strip())
        url = origin_url(self.context.root)
        found = slug_from_remote(url, None) if url else None
        return Repository(found if found and valid_slug(found, nested=True) else None)

    def requests(self) -> list[Request]:
        """Every stored request; one whose labels include a `reports.labels` one is a bug report."""
        config = self.context.config
        return [replace(r, kind=kind_of(r.labels, config)) if r.labels else r for r in self.store.requests()]

    def voters(self, ids: Sequence[str]) -> dict[str, list[str]]:
        return self.store.voters(ids)

    def ensure_labels(self, labels: Sequence[Label]) -> list[str]:
        """The store has no labels: nothing to create."""
        return []

    def mark(self, marks: Iterable[Mark]) -> list[str]:
        """Record each mark once per (request, build, kind); close shipped requests when asked.

        Marks are history: a withdrawal in a later build is recorded beside the
        earlier build's shipped mark, never instead of it, so releasing either
        build again writes nothing.
        """
        pending = list(marks)
        recorded = {build: self.store.marks(build) for build in {item.build for item in pending}}  # one read each
        todo = [item for item in pending if item.kind not in recorded[item.build].get(item.request, set())]
        lines = [f"local: mark #{item.request} {'shipped in' if item.kind == SHIPPED else 'withdrawn in'}"
                 f" {item.build}" for item in todo]
        if todo and not self.context.dry_run:
            # One transaction for the whole build: a build shipping 20,000 requests is one commit.
            self.store.record(todo)
        return lines


def register(registry: Registry) -> None:
    """Entry point: offer the `local` issue system."""
    registry.issue_system("local", LocalIssues)
