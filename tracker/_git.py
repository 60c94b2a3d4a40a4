"""Collect: git itself, streamed from one process per question.

Commits are read record by record from the pipe and handed on as they come;
nothing here holds a whole history in memory or starts a process per commit.

Reading runs `git` itself rather than through GitPython: this path runs on every
command, and `import git` alone costs more (~150 ms) than reading a weekly build's
whole range. GitPython is the write side (`tracker._sample`), where its object
model earns its import.

Only `os`, `subprocess` and `tracker._errors` load with this module (the rest where a
function needs it), so the console entry point (`tracker.early`) can start a long
range's `git log` before click and the rest of tracker have loaded; `Log` takes the
started process over. A process started that early waits in `STARTED` for the one
command it was started for (`take`); any other is stopped when the process exits, unread.
"""

from __future__ import annotations

import atexit
import os
import subprocess
from pathlib import Path

from tracker._errors import BadInput, WorkFailed

# `typing.TYPE_CHECKING` without loading typing (~5 ms) on the early start's path; type
# checkers read any name TYPE_CHECKING as True.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from tracker._model import Commit

# Fields are separated by US (0x1f); records by NUL (`-z`). Git forbids NUL in
# messages. The author is one field, `name<email>` (`model.split_ident`): one key per
# commit to look up; `%aN`/`%aE`, so git applies the repository's `.mailmap` (its canonical
# names and emails cost nothing measurable without one). A stray 0x1f in a name or a
# message is read around (`fields`).
FORMAT = "%H%x1f%P%x1f%aN<%aE>%x1f%B"
# The same with the subject (`%s`) in place of the whole message: what a scan needs when
# the link index already knows what every message says. Bodies are most of what git
# formats and writes for a long range (a real project's pull-request texts even more).
SUBJECTS = "%H%x1f%P%x1f%aN<%aE>%x1f%s"
_PIPE = 1 << 20

# Processes started before anything asked for them, by (working directory, *command).
STARTED: dict[tuple[str, ...], subprocess.Popen[bytes]] = {}


def command(git_dir: str, fmt: str, revisions: list[str]) -> list[str]:
    """The `git log` command line for `revisions` in `fmt` (FORMAT or SUBJECTS)."""
    return ["git", f"--git-dir={git_dir}", "log", f"--format=tformat:{fmt}", "-z", "--no-color", *revisions]


def fields(record: bytes) -> list[bytes]:
    """sha, parents, `name<email>` and message (or subject) of one record, wherever else the
    separator occurs: git lets no name hold `<` and no email hold `>`, so the author field
    ends at the first `>` after the first `<`. Fewer than four fields for a damaged record."""
    parts = record.split(b"\x1f", 2)
    if len(parts) < 3:
        return parts
    sha, parents, rest = parts
    opening = rest.find(b"<")
    closing = rest.find(b">\x1f", opening) if opening >= 0 else -1
    if closing < 0:
        return record.split(b"\x1f", 3)
    return [sha, parents, rest[:closing + 1], rest[closing + 2:]]


def start(args: list[str], cwd: str) -> subprocess.Popen[bytes]:
    """Start `args` (a `command`) with its output on a pipe as wide as the system allows."""
    # GIT_FLUSH=0: git flushes its output after every commit when writing to a pipe (for a
    # pager), a write per commit; unflushed it writes whole buffers, ~18x fewer writes,
    # and a long range reads ~35% faster.
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "GIT_FLUSH": "0"})
    assert proc.stdout is not None
    _widen(proc.stdout.fileno())
    return proc


def _widen(fd: int) -> None:
    """Let git run ahead of the reader by up to 1 MiB: with the default 64 KiB pipe, git
    waits whenever this process is busy with a batch and the two take turns on two cores."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or capped by /proc/sys/fs/pipe-max-size: the default pipe still works


def prestart(args: list[str], cwd: str) -> None:
    """Start `args` now, for `take` to hand over later."""
    if not STARTED:
        atexit.register(_stop_unread)
    key = (cwd, *args)
    STARTED[key] = start(args, cwd)


def take(args: list[str], cwd: str) -> subprocess.Popen[bytes] | None:
    """The process `prestart` started for exactly `args` in `cwd`, if any; every other
    one started early is stopped now (a guess that missed)."""
    found = STARTED.pop((cwd, *args), None)
    _stop_unread()
    return found


def _stop_unread() -> None:
    for proc in STARTED.values():
        proc.kill()
        proc.communicate()
    STARTED.clear()


_BLOCK = 1 << 18


class GitFailed(WorkFailed):
    """A git command this module ran failed in a way no input check foresaw."""


class Repo:
    """A local repository: where its git directory and work tree are."""

    __slots__ = ("git_dir", "work_tree")

    def __init__(self, git_dir: Path, work_tree: Path):
        self.git_dir = git_dir
        self.work_tree = work_tree

    def __repr__(self) -> str:
        return f"Repo({str(self.git_dir)!r}, {str(self.work_tree)!r})"

    def _command(self, args: Sequence[str]) -> list[str]:
        return ["git", f"--git-dir={self.git_dir}", *args]

    def run(self, *args: str, check: bool = True) -> str | None:
        """Output of one git command; None when it fails and `check` is False."""
        done = subprocess.run(self._command(args), cwd=self.work_tree, capture_output=True)
        if done.returncode != 0:
            if not check:
                return None
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitFailed(f"git {args[0]} failed: {detail[-1] if detail else f'exit {done.returncode}'}")
        return done.stdout.decode("utf-8", "replace")


def open_repo(path: str | Path | None = None) -> Repo:
    """The repository holding `path` (default: the current folder), found as git finds it
    (`git -C PATH`): from its work tree or any folder inside it, or a bare repository.
    BadInput saying why not."""
    named = f"--repo {path}" if path is not None else "the current folder"
    target = Path("." if path is None else path)
    if not target.exists():
        raise BadInput(f"{named}: no such directory")
    if not target.is_dir():
        raise BadInput(f"{named}: not a directory")
    done = subprocess.run(["git", "rev-parse", "--absolute-git-dir", "--is-bare-repository", "--show-toplevel"],
                          cwd=target, capture_output=True)
    # In a bare repository (or inside a git directory) git prints the first two answers, then
    # fails on the third.
    lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != (3 if done.returncode == 0 else 2):
        # A path holding a line break: git has no NUL-separated form of these answers,
        # so ask for each alone (its one trailing newline is the only separator).
        lines = [answer for answer in (_rev_parse(target, option) for option in
                                       ("--absolute-git-dir", "--is-bare-repository", "--show-toplevel"))
                 if answer is not None]
    if len(lines) == 3:
        return Repo(Path(lines[0]), Path(lines[2]))
    if len(lines) == 2:
        git_dir = Path(lines[0])
        if lines[1] == "true":
            return Repo(git_dir, git_dir)
        if git_dir.resolve() == target.resolve():  # a work tree's `.git` folder itself
            return Repo(git_dir, git_dir.parent)
        raise BadInput(f"{named}: inside a git directory ({git_dir}); give the work tree")
    where = " (run tracker inside a repository, or give --repo PATH)" if path is None else ""
    raise BadInput(f"{named}: not a git repository{where}")


def _rev_parse(cwd: Path, option: str) -> str | None:
    """One `git rev-parse` answer, exactly (a line break in it kept), or None when git fails."""
    done = subprocess.run(["git", "rev-parse", option], cwd=cwd, capture_output=True)
    answer = done.stdout.decode("utf-8", "surrogateescape")
    return answer[:-1] if done.returncode == 0 and answer.endswith("\n") else None


def git_dir(repo: Repo) -> Path:
    """The repository's git directory (where the local store lives by default)."""
    return repo.git_dir


def work_tree(repo: Repo) -> Path:
    """The repository's work tree root (the git directory of a bare repository)."""
    return repo.work_tree


class Log:
    """One running `git log`: started at once, read as blocks of whole records.

    Starting it before the caller's other work (loading requests) lets git get
    ahead; `close` stops it when the reader gives up early or never reads.
    """

    def __init__(self, repo: Repo, args: list[str], fmt: str = FORMAT, early: bool = False):
        """Start `git log ARGS` in `fmt`; with `early`, take over the one `tracker.early`
        started for exactly this command if there is one."""
        self.subjects = fmt == SUBJECTS  # records end with the subject, not the whole message
        line = command(str(repo.git_dir), fmt, args)
        started = take(line, str(repo.work_tree)) if early else None
        self.proc = started or start(line, str(repo.work_tree))
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        """Blocks of NUL-separated records (no trailing NUL), a pipe read's worth at a time."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        pending: list[bytes] = []
        size = 0
        finished = False
        try:
            while True:
                # os.read on the raw descriptor: a BufferedReader's read(n) loops over
                # small reads and made this pipe 70% slower than git writing to a file.
                # At most a block: what a block costs in memory while the scan works on
                # it is the same for any range (a full pipe read at once made it 4x more).
                chunk = os.read(fd, _BLOCK)
                if not chunk:
                    break
                pending.append(chunk)
                size += len(chunk)
                # git writes a few KiB at a time; a block of many records keeps the
                # reader's per-block work (one index query, one pre-filter pass) rare.
                if size >= _BLOCK:
                    data = b"".join(pending)
                    cut = data.rfind(b"\0")
                    if cut >= 0:
                        yield data[:cut]
                        data = data[cut + 1:]
                    pending, size = [data], len(data)
            rest = b"".join(pending)
            if rest.strip():
                yield rest.rstrip(b"\0")
            finished = True
        finally:
            self._finish(finished)

    def close(self) -> None:
        """Stop git if it is still running (the reader gave up, or never started)."""
        self._finish(False)

    def _finish(self, finished: bool) -> None:
        if self._done:
            return
        self._done = True
        proc = self.proc
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        if not finished:
            proc.kill()  # git need not finish a walk nobody reads
        error = proc.stderr.read()
        proc.stderr.close()
        code = proc.wait()
        if finished and code != 0:
            detail = error.decode("utf-8", "replace").strip().splitlines()
            raise GitFailed(f"git log failed: {detail[-1] if detail else f'exit {code}'}")


def records_in(block: bytes) -> int:
    """How many commits one of `Log`'s blocks holds."""
    return block.count(b"\0") + 1 if block else 0


def log(repo: Repo, revisions: Iterable[str], *options: str, paths: Sequence[str] = ()) -> Iterator[Commit]:
    """Stream the commits `git log` gives for `revisions` (touching `paths`, when given), newest first."""
    from tracker._model import Commit, split_ident

    for block in Log(repo, [*options, *pathspec_options(paths), *revisions, "--", *paths]):
        for record in block.split(b"\0"):
            parts = fields(record.lstrip(b"\n"))
            if len(parts) == 4:
                sha, parents, ident, raw = parts
                yield Commit(sha, parents, *split_ident(ident), raw)


def pathspec_options(paths: Sequence[str]) -> list[str]:
    """How a walk limited to `paths` keeps a merge that brings changes to them in (a pull request's
    merge commit names the pull request): every parent followed, no merge dropped as TREESAME."""
    return ["--full-history"] if paths else []


def commits(repo: Repo, previous: str | None, build: str, subjects: bool = False,
            paths: Sequence[str] = ()) -> Log:
    """The commits of a build, `previous..build` (everything up to `build` for the first),
    as a started `git log` read in blocks of raw records (`tracker._scan.scan` reads them);
    with `subjects`, each record ends with the subject instead of the whole message. A
    `git log` started for exactly this before the command line loaded is taken over. With
    `paths` (a component's), only the commits touching them: git's own pathspec."""
    revisions = [build] if previous is None else [f"{previous}..{build}"]
    return Log(repo, [*pathspec_options(paths), *revisions, "--", *paths], SUBJECTS if subjects else FORMAT,
               early=True)


def show(repo: Repo, shas: Iterable[str]) -> dict[str, Commit]:
    """Specific commits (cherry-pick originals, revert targets) by full or short sha, in one call."""

    wanted = sorted(set(shas))
    if not wanted:
        return {}
    found: dict[str, Commit] = {}
    # One `cat-file` resolves every name (short shas too); a sha from another repository or a
    # pruned branch answers "missing": nothing to carry.
    done = subprocess.run(repo._command(["cat-file", "--batch-check=%(objectname)"]), cwd=repo.work_tree,
                          input="".join(f"{sha}^{{commit}}\n" for sha in wanted).encode("ascii", "replace"),
                          capture_output=True)
    known = [line for line in done.stdout.decode("ascii", "replace").split("\n")
             if len(line) in (40, 64) and all(c in "0123456789abcdef" for c in line)]
    if not known:
        return {}
    for commit in log(repo, known, "--no-walk=unsorted"):
        found[commit.sha] = commit
    return {sha: c for sha in wanted for c in found.values() if c.sha.startswith(sha)}


def grep(repo: Repo, tip: str, patterns: list[str], since: str | None = None,
         paths: Sequence[str] = ()) -> Iterator[Commit]:
    """Commits reachable from `tip` whose message matches any pattern (git filters, in C),
    committed at `since` (ISO 8601) or later when given: git stops walking there."""

    if not patterns:
        return iter(())
    options = ["-E", "-i", *(f"--grep={p}" for p in patterns), *([f"--since={since}"] if since else [])]
    return log(repo, [tip], *options, paths=paths)


def count_at_most(repo: Repo, tip: str, limit: int) -> int:
    """How many commits `tip`'s history holds, counting no further than `limit` (cheap to ask)."""
    out = repo.run("rev-list", "--count", f"--max-count={limit}", tip, "--", check=False)
    return int(out.strip()) if out and out.strip().isdigit() else limit


def shifted(iso: str, days: float) -> str | None:
    """An ISO 8601 moment moved by `days` (negative: earlier), in UTC; None for a moment that
    is not one (an imported date in another shape)."""
    from datetime import datetime, timedelta, timezone

    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment + timedelta(days=days)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit_date(repo: Repo, sha: str) -> str:
    """A commit's committer date, UTC, ISO 8601 (as build dates are written)."""
    return utc((repo.run("log", "-1", "--format=%cI", sha, "--") or "").strip())


def is_shallow(repo: Repo) -> bool:
    """True for a shallow clone, where history before the cut is missing."""
    return (repo.git_dir / "shallow").exists()


def utc(iso: str) -> str:
    """An ISO 8601 moment in UTC, as build dates are written (`2026-11-20T10:00:00Z`)."""
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def commit_dates(repo: Repo, shas: Iterable[str]) -> dict[str, str]:
    """sha → its committer date (UTC, ISO 8601), in one call."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    out = repo.run("log", "--no-walk=unsorted", "--format=%H %cI", *wanted, "--", check=False) or ""
    return {sha: utc(when) for sha, _, when in (line.partition(" ") for line in out.splitlines()) if when}


def is_ancestor(repo: Repo, older: str, newer: str) -> bool:
    """Is commit `older` in the history of `newer` (itself included)? A walk from `newer`
    down to `older`: short when it is."""
    done = subprocess.run(repo._command(["merge-base", "--is-ancestor", older, newer]), cwd=repo.work_tree,
                          capture_output=True)
    return done.returncode == 0
