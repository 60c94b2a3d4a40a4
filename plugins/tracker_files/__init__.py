"""Publishers that write files in the repository: `changelog-file` (and the site)."""

from __future__ import annotations

from tracker.hooks import Registry


def register(registry: Registry) -> None:
    """Entry point: offer the file publishers."""
    from tracker_files.changelog import ChangelogFile
    from tracker_files.site import Site

    registry.publisher("changelog-file", ChangelogFile)
    registry.publisher("site", Site)
