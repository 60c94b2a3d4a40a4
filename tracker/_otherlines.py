"""Collect: what other lines of history hold that a build's own line does not, asked of git.

Release branches and backports: the commits reachable from other branches' tips but not
from a build, their subjects (cheap to read by the thousand), what a merge brought in, and
the patch ids that recognise the same change under another sha. `_copies.OtherLines` asks
these to find copies of a range's commits that shipped on another line first.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from tracker._git import Log, Repo, log, utc

if TYPE_CHECKING:
    from tracker._model import Commit


def beyond(repo: Repo, tips: Sequence[str], below: str | None, since: str | None = None) -> Iterator[Commit]:
    """Commits reachable from `tips` but not from `below` (everything under `tips` for None),
    committed at `since` or later when given: what builds on other lines hold that the
    previous build's ancestry does not."""

    if not tips:
        return iter(())
    return log(repo, [*tips, *([f"^{below}"] if below else [])], *([f"--since={since}"] if since else []))


def branches_since(repo: Repo, date: str | None) -> list[str]:
    """Tips of the branches (local and remote-tracking) with a commit since `date` (all for None):
    where a commit not yet in any build may be."""
    out = repo.run("for-each-ref", "--format=%(objectname)%00%(committerdate:iso-strict)", "refs/heads",
                   "refs/remotes", check=False) or ""
    tips = []
    for line in out.splitlines():
        sha, _, when = line.partition("\0")
        if sha and (date is None or (when and utc(when) >= date)):
            tips.append(sha)
    return sorted(set(tips))


def subjects_log(repo: Repo, tips: Sequence[str], below: str, naming: Sequence[str] = ()) -> Log:
    """The `git log`, started now, of the commits reachable from `tips` (at least one) but not
    from `below`, subjects only (cheap to read for thousands; read it with `subjects_of`); with
    `naming`, only those whose message holds one of those words (any case: git filters, in C,
    as `grep` does)."""
    options = ["-E", "-i", *(f"--grep={p}" for p in naming)] if naming else []
    return Log(repo, [*tips, f"^{below}", *options, "--"], "%H%x1f%s")


def subjects_of(log: Log) -> Iterator[tuple[str, str]]:
    """(sha, subject) of each record of a `subjects_log`; git is stopped if reading stops early."""
    from tracker._model import decode

    try:
        for block in log:
            for record in block.split(b"\0"):
                sha, _, subject = record.strip(b"\n").partition(b"\x1f")
                if sha:
                    yield sha.decode("ascii"), decode(subject)
    finally:
        log.close()


def brought_in(repo: Repo, merge: str) -> Iterator[Commit]:
    """The commits a merge commit brought in (`M^1..M`, the merge itself included)."""

    return log(repo, [f"{merge}^1..{merge}"])


def patch_ids(repo: Repo, shas: Iterable[str]) -> dict[str, str]:
    """sha → its patch id (`git patch-id --stable`), for the non-merge commits among `shas`
    that change something: two commits with one patch id are the same change."""
    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    shown = subprocess.run(repo._command(["log", "--no-walk=unsorted", "--no-merges", "-p", "--no-color",
                                          "--format=commit %H", "--stdin"]),
                           cwd=repo.work_tree, input="\n".join(wanted).encode("ascii") + b"\n", capture_output=True)
    if shown.returncode != 0:
        return {}
    done = subprocess.run(repo._command(["patch-id", "--stable"]), cwd=repo.work_tree, input=shown.stdout,
                          capture_output=True)
    found: dict[str, str] = {}
    for line in done.stdout.decode("ascii", "replace").splitlines():
        patch, _, sha = line.partition(" ")
        if sha:
            found[sha] = patch
    return found
