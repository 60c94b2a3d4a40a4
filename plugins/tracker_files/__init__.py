"""Publishers that write files in the repository: `changelog-file` and the `site`.

Nothing is imported until a publisher is chosen: the site pulls in Pillow and the
card fonts, which commands that only read (`changelog`, `top`) never need.
"""

from __future__ import annotations

from tracker.hooks import Registry, deferred


def register(registry: Registry) -> None:
    """Entry point: offer the file publishers."""
    registry.publisher("changelog-file", deferred("tracker_files.changelog:ChangelogFile"))
    registry.publisher("site", deferred("tracker_files.site:Site", "cards", "the publisher 'site'"))
