"""Publishers that write files in the repository: `changelog-file` and the `site`.

Nothing is imported until a publisher is chosen: the site pulls in Pillow and the
card fonts, which commands that only read (`changelog`, `top`) never need.
"""

from __future__ import annotations

from tracker.hooks import Context, Publisher, Registry, require


def _changelog(context: Context) -> Publisher:
    from tracker_files.changelog import ChangelogFile

    return ChangelogFile(context)


def _site(context: Context) -> Publisher:
    require("cards", "the publisher 'site'")
    from tracker_files.site import Site

    return Site(context)


def register(registry: Registry) -> None:
    """Entry point: offer the file publishers."""
    registry.publisher("changelog-file", _changelog)
    registry.publisher("site", _site)
