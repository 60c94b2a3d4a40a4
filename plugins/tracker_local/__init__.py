"""The local issue system: requests, votes and ship marks in a SQLite file.

The embedded default for projects whose fans live in forums, surveys or
spreadsheets (and for `tracker demo`): no network, no token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tracker.hooks import SHIPPED, Context, IssueSystem, Mark, Registry
from tracker.model import Request
from tracker.store import Store, store_path


class LocalIssues(IssueSystem):
    """Requests from the local store; marks recorded beside them."""

    name = "local"

    def __init__(self, context: Context):
        super().__init__(context)
        self.store = Store(store_path(context.config.store, context.root, context.git_dir))

    def requests(self) -> list[Request]:
        return self.store.requests()

    def voters(self, ids: Sequence[str]) -> dict[str, list[str]]:
        return self.store.voters(ids)

    def mark(self, marks: Iterable[Mark]) -> list[str]:
        """Record each mark once per (request, build, kind); close shipped requests when asked.

        Marks are history: a withdrawal in a later build is recorded beside the
        earlier build's shipped mark, never instead of it, so releasing either
        build again writes nothing.
        """
        lines = []
        for item in marks:
            existing = self.store.marks(item.build).get(item.request, set())
            if item.kind in existing:
                continue
            verb = "shipped in" if item.kind == SHIPPED else "withdrawn in"
            lines.append(f"local: mark #{item.request} {verb} {item.build}")
            if self.context.dry_run:
                continue
            if item.kind == SHIPPED and item.close:
                self.store.set_state(item.request, "closed")
            self.store.mark(item.request, item.build, item.kind)
        return lines


def register(registry: Registry) -> None:
    """Entry point: offer the `local` issue system."""
    registry.issue_system("local", LocalIssues)
