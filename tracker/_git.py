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

from tracker._errors import BadInput, WorkFailed, did_you_mean

# `typing.TYPE_CHECKING` without loading typing (~5 ms) on the early start's path; type
# checkers read any name TYPE_CHECKING as True.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from tracker._model import Commit, Tag

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
        if sha and (date is None or (when and _utc(when) >= date)):
            tips.append(sha)
    return sorted(set(tips))


def subjects_beyond(repo: Repo, tips: Sequence[str], below: str,
                    naming: Sequence[str] = ()) -> Iterator[tuple[str, str]]:
    """(sha, subject) of the commits reachable from `tips` but not from `below`, as git lists
    them (subjects only: cheap to read for thousands); with `naming`, only those whose message
    holds one of those words (any case: git filters, in C, as `grep` does)."""
    if not tips:
        return iter(())
    return subjects_of(subjects_log(repo, tips, below, naming))


def subjects_log(repo: Repo, tips: Sequence[str], below: str, naming: Sequence[str] = ()) -> Log:
    """The `git log` of `subjects_beyond`, started now (read it with `subjects_of`)."""
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


# The trailers that credit people (DESIGN "Who is credited"), as git itself parses them.
CREDIT_TRAILERS = ("co-authored-by", "suggested-by", "reported-by", "tested-by")
_TRAILERS = "%(trailers:" + ",".join(f"key={key}" for key in CREDIT_TRAILERS) + ",unfold,separator=%x1e)"


def credit_trailers(repo: Repo, shas: Iterable[str]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """sha → (author `Name<email>` after `.mailmap`, [(trailer key in lower case, value)]) of
    the commits `shas`, in one `git log --no-walk` (the shas on its stdin: a long range ships
    tens of thousands, more than a command line holds): only commits that ship something ask."""
    from tracker._model import decode

    wanted = sorted(set(shas))
    if not wanted:
        return {}
    fmt = f"--format=tformat:%H%x1f%aN<%aE>%x1f{_TRAILERS}"
    done = subprocess.run(repo._command(["log", "--no-walk=unsorted", "--stdin", fmt, "-z", "--no-color"]),
                          cwd=repo.work_tree, input="\n".join(wanted).encode("ascii") + b"\n", capture_output=True)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(f"git log failed: {detail[-1] if detail else f'exit {done.returncode}'}")
    out: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for record in done.stdout.split(b"\0"):
        parts = decode(record.strip(b"\n")).split("\x1f", 2)
        if len(parts) != 3:
            continue
        sha, ident, text = parts
        trailers = []
        if text:
            for line in text.split("\x1e"):
                key, colon, value = line.partition(":")
                if colon and value.strip():
                    trailers.append((key.strip().lower(), value.strip()))
        out[sha] = (ident, trailers)
    return out


def mailmap(repo: Repo, contacts: Iterable[str]) -> dict[str, str]:
    """`Name <email>` → its canonical form by the repository's `.mailmap` (git's own
    `check-mailmap`, one process for all); unchanged contacts map to themselves."""
    wanted = sorted(set(contacts))
    if not wanted:
        return {}
    done = subprocess.run(repo._command(["check-mailmap", "--stdin"]), cwd=repo.work_tree,
                          input="\n".join(wanted).encode("utf-8") + b"\n", capture_output=True)
    answers = done.stdout.decode("utf-8", "replace").splitlines() if done.returncode == 0 else []
    if len(answers) != len(wanted):
        return {contact: contact for contact in wanted}  # a contact git refused: keep them as written
    return dict(zip(wanted, answers, strict=True))


_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\")


def ere_literal(text: str) -> str:
    """`text` as a POSIX extended regular expression that matches it as written."""
    return "".join("\\" + char if char in _ERE_SPECIAL else char for char in text)


def authors_before(repo: Repo, tip: str, patterns: Iterable[str], key: Callable[[str], str | None],
                   count: int) -> set[str]:
    """The keys (`key` of an author email, after `.mailmap`; None for no one wanted) of the
    commits reachable from `tip` whose author matches any fixed-string `patterns` (such as
    `<alice@example.org>`). git filters the walk in C; reading stops once `count` keys are found."""
    from tracker._model import decode

    found: set[str] = set()
    wanted = sorted(set(patterns))
    if count <= 0 or not wanted:
        return found
    # One pattern for all (git tries each --author on every commit): the fixed strings, escaped.
    pattern = "|".join(map(ere_literal, wanted))
    log = Log(repo, ["--use-mailmap", "-i", "-E", f"--author={pattern}", tip, "--"], "%aE")
    try:
        for block in log:
            for email in block.split(b"\0"):
                hit = key(decode(email.strip(b"\n")))
                if hit is not None:
                    found.add(hit)
                    if len(found) >= count:
                        return found
    finally:
        log.close()
    return found


def topology(repo: Repo, previous: str | None, build: str,
             paths: Sequence[str] = ()) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """(sha → author email after `.mailmap`, sha → parents, the range's
    first-parent line from `build` (a full sha) down) of `previous..build`, in one `git log`."""
    emails: dict[str, str] = {}
    parents: dict[str, list[str]] = {}
    revisions = [build] if previous is None else [build, f"^{previous}"]
    # With `paths`, parents are rewritten to the commits touching them (the line stays a line).
    for block in Log(repo, [*(["--parents"] if paths else []), *revisions, "--", *paths],
                     "%H%x1f%P%x1f%aE"):
        for record in block.split(b"\0"):
            sha, _, rest = record.strip(b"\n").decode("utf-8", "replace").partition("\x1f")
            above, _, email = rest.partition("\x1f")
            if sha:
                emails[sha] = email
                parents[sha] = above.split()
    line = []
    at: str | None = build
    while at is not None and at in parents:
        line.append(at)
        at = parents[at][0] if parents[at] else None
    return emails, parents, line


def commit_date(repo: Repo, sha: str) -> str:
    """A commit's committer date, UTC, ISO 8601 (as build dates are written)."""
    return _utc((repo.run("log", "-1", "--format=%cI", sha, "--") or "").strip())


def is_shallow(repo: Repo) -> bool:
    """True for a shallow clone, where history before the cut is missing."""
    return (repo.git_dir / "shallow").exists()


def _utc(iso: str) -> str:
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
            found.append(Tag(name=name, sha=peeled or obj, date=_utc(date), commit_date=_utc(committed) if committed
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


def commit_dates(repo: Repo, shas: Iterable[str]) -> dict[str, str]:
    """sha → its committer date (UTC, ISO 8601), in one call."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    out = repo.run("log", "--no-walk=unsorted", "--format=%H %cI", *wanted, "--", check=False) or ""
    return {sha: _utc(when) for sha, _, when in (line.partition(" ") for line in out.splitlines()) if when}


def is_ancestor(repo: Repo, older: str, newer: str) -> bool:
    """Is commit `older` in the history of `newer` (itself included)? A walk from `newer`
    down to `older`: short when it is."""
    done = subprocess.run(repo._command(["merge-base", "--is-ancestor", older, newer]), cwd=repo.work_tree,
                          capture_output=True)
    return done.returncode == 0


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
