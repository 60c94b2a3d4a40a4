"""Collect: builds as git names them: the build tags, a build's previous build (by
topology, `git describe`), the ranges a command line gives, and which build first held
a commit (`git name-rev`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from tracker._errors import BadInput, did_you_mean
from tracker._git import Repo, utc

if TYPE_CHECKING:
    from tracker._model import Tag


def tags(repo: Repo, pattern: str) -> list[Tag]:
    """Every tag matching the build glob, with its commit and date (tagger date, else commit date)."""
    import fnmatch

    from tracker._model import Tag

    out = repo.run(
        "for-each-ref",
        "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)"
        "%00%(*committerdate:iso-strict)%00%(committerdate:iso-strict)",
        "refs/tags",
    ) or ""
    found = []
    for line in out.splitlines():
        name, obj, peeled, date, peeled_date, own_date = line.split("\0")
        if fnmatch.fnmatchcase(name, pattern) and date:
            committed = peeled_date or own_date
            found.append(Tag(name=name, sha=peeled or obj, date=utc(date), commit_date=utc(committed) if committed
                             else ""))
    return found


def oldest_holders(repo: Repo, shas: Iterable[str], tags: Iterable[str]) -> dict[str, str]:
    """sha → the oldest of `tags` (names) whose history holds it, in one `git name-rev` (it
    prefers the older of two tags, and walks each tag's history only down to the oldest of
    `shas`); shas none of them holds are left out."""
    import re

    wanted = sorted(set(shas))
    refs = [f"--refs=refs/tags/{name}" for name in sorted(set(tags))]
    if not wanted or not refs:
        return {}
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):  # a command line of bounded length
        batch = wanted[start:start + 500]
        out = repo.run("name-rev", "--tags", "--name-only", *refs, *batch, check=False) or ""
        for sha, name in zip(batch, out.split(), strict=False):
            if name != "undefined":
                found[sha] = re.split(r"[~^]", name, maxsplit=1)[0]
    return found


def resolve_build(builds: Sequence[Tag], name: str, pattern: str) -> Tag:
    """The build tag called `name` among `builds` (`tags(repo, pattern)`), or BadInput saying why not."""
    import fnmatch


    if not fnmatch.fnmatchcase(name, pattern):
        raise BadInput(f"'{name}' is not a build: build tags match '{pattern}' (builds.tags)"
                       + did_you_mean(name, (tag.name for tag in builds)))
    for tag in builds:
        if tag.name == name:
            return tag
    raise BadInput(f"no tag '{name}' in this repository (builds are tags matching '{pattern}')"
                   + did_you_mean(name, (tag.name for tag in builds)))


def previous_build(repo: Repo, name: str, pattern: str,
                   skip: Sequence[str] = ()) -> Callable[[Sequence[Tag]], Tag | None]:
    """The nearest build tag that is an ancestor of build `name` (topology, never dates).

    `git describe` walks history for tens of milliseconds, so it starts now, runs while
    the caller reads tags and requests, and is waited for when the returned function is
    called with the build tags. Tags on the build's own commit are not earlier builds, nor
    tags matching a glob of `skip` (a more specific channel's).
    """


    def start(exclude: Sequence[str]) -> subprocess.Popen[bytes]:
        # --candidates=1: the first build tag the walk meets (it walks newest first) is the
        # answer; git's default of ten walks on to weigh nine more (0.15 s at 100,000 commits).
        args = ["describe", "--tags", "--abbrev=0", "--candidates=1", f"--match={pattern}",
                *(f"--exclude={n}" for n in [*exclude, *skip])]
        return subprocess.Popen(repo._command([*args, f"refs/tags/{name}^{{commit}}"]), cwd=repo.work_tree,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    proc = start([name])

    def answer(builds: Sequence[Tag]) -> Tag | None:
        out, _ = proc.communicate()
        found = out.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""
        by_name = {tag.name: tag for tag in builds}
        build = by_name.get(name)
        if build is None:
            return None
        same_commit = [t.name for t in builds if t.sha == build.sha]
        if found in same_commit:  # another tag on the same commit (rare): ask again without them
            again = start(same_commit)
            out, _ = again.communicate()
            found = out.decode("utf-8", "replace").strip() if again.returncode == 0 else ""
        # An empty answer: no earlier build, this is the first.
        return by_name.get(found) if found else None

    return answer


def resolve_previous(repo: Repo, name: str) -> str:
    """The commit a `--previous` revision names, or BadInput."""
    found = repo.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}", check=False)
    if not found:
        raise BadInput(f"--previous {name}: no such tag or commit"
                       + did_you_mean(name, (tag.name for tag in tags(repo, "*"))))
    return found.strip()


def resolve_range(repo: Repo, spec: str) -> list[str]:
    """A `git log` range (`A..B`, `A...B` or one revision), checked, or BadInput saying what to write."""
    for end in _range_ends(spec):
        if not repo.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{end}^{{commit}}", check=False):
            raise BadInput(f"'{spec}' is not a range: '{end}' names no commit"
                           " (write a tag, a branch or a commit, like v2026.46..v2026.47)")
    return [spec]


def _range_ends(spec: str) -> list[str]:
    separator = "..." if "..." in spec else ".."
    ends = spec.split(separator) if separator in spec else [spec]
    if len(ends) > 2 or any(not part or part.startswith("-") or ".." in part or part != part.strip()
                            for part in ends):
        raise BadInput(f"'{spec}' is not a range: write one revision, A..B (the commits after A up to B)"
                       " or A...B, like v2026.46..v2026.47")
    return ends


def has_commits(repo: Repo) -> bool:
    """Does HEAD name a commit (a new repository has none yet)?"""
    return repo.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False) is not None


def empty_range_note(repo: Repo, spec: str) -> str | None:
    """Why the range `spec`, found to hold no commits, holds none, when that is likely a slip.

    `A..B` is empty exactly when B is A or is in A's history, so the two ends' commits say
    which: the same commit, or a range written the wrong way round.
    """
    ends = _range_ends(spec)
    if len(ends) != 2:
        return None
    first, last = (repo.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{end}^{{commit}}",
                            check=False) for end in ends)
    if first is not None and first == last:
        return f"note: {spec} holds no commits: {ends[0]} and {ends[1]} are the same commit"
    if "..." not in spec:
        return (f"note: {spec} holds no commits: {ends[1]} is already in the history of {ends[0]}"
                f" (the other way round? {ends[1]}..{ends[0]})")
    return None


def topo_order(repo: Repo, names: Sequence[str]) -> list[str]:
    """Tag names ordered newest first by topology, in one `git log` walk.

    A descendant always comes before its ancestors; unrelated lines interleave
    by commit date, as `--topo-order` does.
    """
    wanted = list(dict.fromkeys(names))
    if len(wanted) < 2:
        return wanted
    shas: dict[str, list[str]] = {}
    for tag in tags(repo, "*"):
        if tag.name in wanted:
            shas.setdefault(tag.sha, []).append(tag.name)
    out = repo.run("log", "--topo-order", "--format=%H",
                   "--simplify-by-decoration", "--decorate-refs=refs/tags/", *shas.keys(), "--") or ""
    ordered: list[str] = []
    for sha in out.split():
        for name in sorted(shas.get(sha, []), key=wanted.index):
            if name not in ordered:
                ordered.append(name)
    ordered += [n for n in wanted if n not in ordered]
    return ordered
