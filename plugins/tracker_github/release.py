"""The build's section in its GitHub release body, between tracker's markers.

What maintainers wrote around the section is kept byte for byte: the section
is appended (after a blank line) the first time and replaced between the
markers afterwards; an unchanged body is not written. When two runs both find
no release and both create it, GitHub refuses the second (422, the tag's
release already exists): that run reads the release again and goes on from there.
After a lost answer, a release found on re-reading counts as ours only when it
carries our section: one a person (or another tool) made meanwhile is updated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from github import GithubException, UnknownObjectException

from tracker.hosting import splice  # the section rule every code host shares
from tracker_github.client import settle

if TYPE_CHECKING:
    from github.GitRelease import GitRelease
    from github.Repository import Repository as GhRepository

def find(repo: GhRepository, tag: str) -> GitRelease | None:
    """The release of `tag`, drafts included (GitHub hides drafts from the by-tag lookup)."""
    try:
        found = repo.get_release(tag)
        _ = found.body  # a lazy client fetches here
        return found
    except UnknownObjectException:
        pass
    for candidate in repo.get_releases().get_page(0):  # drafts are the newest, on the first page
        if candidate.tag_name == tag:
            return candidate
    return None


def already_exists(exc: GithubException) -> bool:
    """A 422 saying the thing we tried to create is there already."""
    errors = exc.data.get("errors", []) if isinstance(exc.data, dict) else []
    return exc.status == 422 and any(isinstance(e, dict) and e.get("code") == "already_exists" for e in errors)


def write_notes(repo: GhRepository, tag: str, section: str, dry_run: bool) -> list[str]:
    """Put `section` in the release of `tag`, creating the release (named as the tag) if none exists."""
    current = find(repo, tag)
    if current is None:
        line = f"github: create release {tag}"
        if dry_run:
            return [line]
        def landed() -> bool:  # ours, not a release someone else made meanwhile without our section
            found = find(repo, tag)
            return found is not None and splice(found.body or "", section) == found.body

        try:
            settle(lambda: repo.create_git_release(tag, name=tag, message=splice("", section)), landed)
            return [line]
        except GithubException as exc:
            if not already_exists(exc):
                raise
            current = find(repo, tag)  # another run created it between our read and our write
            if current is None:
                raise
    found: GitRelease = current
    body = found.body or ""
    updated = splice(body, section)
    if updated == body:
        return []
    line = f"github: release {tag} notes"
    if not dry_run:
        # PATCH sends absolute values, so GithubRetry may repeat it safely; name,
        # draft and prerelease are sent as they are because PyGithub always sends them.
        settle(lambda: found.update_release(name=found.name or tag, message=updated,
                                            draft=found.draft, prerelease=found.prerelease),
               lambda: (find(repo, tag) or found).body == updated)
    return [line]
