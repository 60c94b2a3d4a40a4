"""The build's section in its GitHub release body, between tracker's markers.

What maintainers wrote around the section is kept byte for byte: the section
is appended (after a blank line) the first time and replaced between the
markers afterwards; an unchanged body is not written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from github import UnknownObjectException

from tracker_github.client import settle

if TYPE_CHECKING:
    from github.GitRelease import GitRelease
    from github.Repository import Repository as GhRepository

START = "<!-- tracker:start -->"
END = "<!-- tracker:end -->"


def splice(body: str, section: str) -> str:
    """`body` with `section` between the markers: replaced there, else appended."""
    inner = "\n" + section.strip("\n") + "\n"
    end = body.find(END)
    start = body.rfind(START, 0, end) if end >= 0 else -1
    if start >= 0:  # the last start before the first end: a stray start above is left alone
        return body[: start + len(START)] + inner + body[end:]
    block = START + inner + END + "\n"
    if not body:
        return block
    gap = "" if body.endswith("\n\n") else "\n" if body.endswith("\n") else "\n\n"
    return body + gap + block


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


def write_notes(repo: GhRepository, tag: str, section: str, dry_run: bool) -> list[str]:
    """Put `section` in the release of `tag`, creating the release (named as the tag) if none exists."""
    current = find(repo, tag)
    if current is None:
        line = f"github: create release {tag}"
        if not dry_run:
            settle(lambda: repo.create_git_release(tag, name=tag, message=splice("", section)),
                   lambda: find(repo, tag) is not None)
        return [line]
    body = current.body or ""
    updated = splice(body, section)
    if updated == body:
        return []
    line = f"github: release {tag} notes"
    if not dry_run:
        # PATCH sends absolute values, so GithubRetry may repeat it safely; name,
        # draft and prerelease are sent as they are because PyGithub always sends them.
        settle(lambda: current.update_release(name=current.name or tag, message=updated,
                                              draft=current.draft, prerelease=current.prerelease),
               lambda: (find(repo, tag) or current).body == updated)
    return [line]
