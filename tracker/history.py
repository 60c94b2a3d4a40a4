"""Collect: git history through GitPython, streamed from one `git log` process.

Commits are read record by record from the pipe and handed on as they come;
nothing here holds a whole history in memory or starts a process per commit.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import BadInput
from tracker.model import Commit, Tag

if TYPE_CHECKING:
    import git

# Fields are separated by US (0x1f); records by NUL (`-z`). Git forbids NUL in
# messages, and the message is the last field, so a stray 0x1f in it is harmless.
_FORMAT = "%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%B"
_CHUNK = 1 << 20


def open_repo(path: str | Path) -> git.Repo:
    """The repository at `path`, or BadInput saying why not."""
    import git

    target = Path(path)
    if not target.exists():
        raise BadInput(f"--repo {path}: no such directory")
    try:
        return git.Repo(target, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise BadInput(f"--repo {path}: not a git repository") from None


def git_dir(repo: git.Repo) -> Path:
    """The repository's git directory (where the local store lives by default)."""
    return Path(repo.git_dir)


def work_tree(repo: git.Repo) -> Path:
    """The repository's work tree root."""
    if repo.working_tree_dir is None:
        return Path(repo.git_dir)
    return Path(repo.working_tree_dir)


def _records(repo: git.Repo, args: list[str]) -> Iterator[bytes]:
    """Raw NUL-separated records of `git log args`, read from the pipe as they come."""
    proc = repo.git.log(f"--format=tformat:{_FORMAT}", "-z", "--no-color", *args, as_process=True)
    stream = proc.stdout
    fd = stream.fileno()
    pending = b""
    try:
        while True:
            # os.read on the raw descriptor: a BufferedReader's read(n) loops over
            # small reads and made this pipe 70% slower than git writing to a file.
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            pending += chunk
            parts = pending.split(b"\0")
            pending = parts.pop()
            yield from parts
        if pending.strip():
            yield pending
    finally:
        stream.close()
        proc.wait()


def log(repo: git.Repo, revisions: Iterable[str], *options: str) -> Iterator[Commit]:
    """Stream the commits `git log` gives for `revisions`, newest first."""
    make = Commit._make
    for record in _records(repo, [*options, *revisions, "--"]):
        fields = record.lstrip(b"\n").split(b"\x1f", 5)
        if len(fields) == 6:
            yield make(fields)


def commits(repo: git.Repo, previous: str | None, build: str) -> Iterator[Commit]:
    """The commits of a build: `previous..build`, or everything up to `build` for the first."""
    revisions = [build] if previous is None else [f"{previous}..{build}"]
    return log(repo, revisions)


def show(repo: git.Repo, shas: Iterable[str]) -> dict[str, Commit]:
    """Specific commits (cherry-pick originals, revert targets) by full or short sha, in one call."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    import git

    found: dict[str, Commit] = {}
    known = []
    for sha in wanted:
        try:
            known.append(repo.git.rev_parse("--verify", "--quiet", f"{sha}^{{commit}}"))
        except git.GitCommandError:
            continue  # a sha from another repository or a pruned branch: nothing to carry
    for commit in log(repo, known, "--no-walk=unsorted"):
        found[commit.sha] = commit
    return {sha: c for sha in wanted for c in found.values() if c.sha.startswith(sha)}


def grep(repo: git.Repo, tip: str, patterns: list[str]) -> Iterator[Commit]:
    """Commits reachable from `tip` whose message matches any pattern (git filters, in C)."""
    if not patterns:
        return iter(())
    options = ["-E", "-i", *(f"--grep={p}" for p in patterns)]
    return log(repo, [tip], *options)


def is_shallow(repo: git.Repo) -> bool:
    """True for a shallow clone, where history before the cut is missing."""
    return (Path(repo.git_dir) / "shallow").exists()


def _utc(iso: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tags(repo: git.Repo, pattern: str) -> list[Tag]:
    """Every tag matching the build glob, with its commit and date (tagger date, else commit date)."""
    out = repo.git.for_each_ref(
        "refs/tags",
        "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:iso-strict)",
    )
    found = []
    for line in out.splitlines():
        name, obj, peeled, date = line.split("\0")
        if fnmatch.fnmatchcase(name, pattern) and date:
            found.append(Tag(name=name, sha=peeled or obj, date=_utc(date)))
    return found


def resolve_build(repo: git.Repo, name: str, pattern: str) -> Tag:
    """The build tag called `name`, or BadInput saying why it is not a build."""
    if not fnmatch.fnmatchcase(name, pattern):
        raise BadInput(f"'{name}' is not a build: build tags match '{pattern}' (builds.tags)")
    for tag in tags(repo, pattern):
        if tag.name == name:
            return tag
    raise BadInput(f"no tag '{name}' in this repository (builds are tags matching '{pattern}')")


def previous_build(repo: git.Repo, build: Tag, pattern: str) -> Tag | None:
    """The nearest build tag that is an ancestor of `build` (topology, never dates)."""
    import git

    all_tags = tags(repo, pattern)
    same_commit = [t.name for t in all_tags if t.sha == build.sha]
    args = ["--tags", "--abbrev=0", f"--match={pattern}"]
    args += [f"--exclude={name}" for name in same_commit]
    try:
        name = repo.git.describe(*args, build.sha)
    except git.GitCommandError:
        return None  # no earlier build: this is the first
    for tag in all_tags:
        if tag.name == name:
            return tag
    return None


def resolve_previous(repo: git.Repo, name: str) -> str:
    """The commit a `--previous` revision names, or BadInput."""
    import git

    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{name}^{{commit}}"))
    except git.GitCommandError:
        raise BadInput(f"--previous {name}: no such tag or commit") from None


def resolve_range(repo: git.Repo, spec: str) -> list[str]:
    """A `git log` range (`A..B`, `A...B` or one revision), checked, or BadInput."""
    import git

    for end in _range_ends(spec):
        try:
            repo.git.rev_parse("--verify", "--quiet", "--end-of-options", end)
        except git.GitCommandError:
            raise BadInput(f"'{spec}' is not a range: '{end[:-9]}' names no commit") from None
    return [spec]


def _range_ends(spec: str) -> list[str]:
    separator = "..." if "..." in spec else ".."
    ends = [part for part in spec.split(separator)] if separator in spec else [spec]
    if any(not part or part.startswith("-") for part in ends):
        raise BadInput(f"'{spec}' is not a range: expected REV, A..B or A...B")
    return [f"{part}^{{commit}}" for part in ends]


def topo_order(repo: git.Repo, names: Sequence[str]) -> list[str]:
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
    out = repo.git.log("--topo-order", "--format=%H",
                       "--simplify-by-decoration", "--decorate-refs=refs/tags/", *shas.keys())
    ordered: list[str] = []
    for sha in out.split():
        for name in sorted(shas.get(sha, []), key=wanted.index):
            if name not in ordered:
                ordered.append(name)
    ordered += [n for n in wanted if n not in ordered]
    return ordered
