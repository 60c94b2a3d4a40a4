"""The console entry point: start a long range's `git log` before the command line loads.

`tracker changelog B --previous A` reads A..B. At 100,000 commits git walks for
~0.1 s before it prints its first commit, and Python takes ~0.15 s to load click,
the pipeline and its plugins before it would start git: started first, git walks
while Python loads. Only for that plain form, and only as a guess: the pipeline
takes the started process over when it would run exactly the same command
(`_git.commits`); for anything else (another repository, a tag that is not a
build, bad input of any kind) it is stopped unread at exit, and the command
reports whatever is wrong as it always does.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Sequence

from tracker import _git as git
from tracker import collect

# The options `tracker` and `tracker changelog` take, with a value or without one.
_GLOBAL_VALUES = {"--repo", "--config", "--issues"}
_GLOBAL_FLAGS = {"-v", "--verbose", "--debug"}
_CHANGELOG_VALUES = {"--previous", "--format", "--template", "--locale", "-o", "--output"}
# `_config.DEFAULT_PATH`, named here so the config module (dataclasses) loads only when the
# file names components: before that, git has not started.
_DEFAULT_CONFIG = ".github/tracker.yml"


def main() -> None:
    """Console entry point (`tracker`, `python -m tracker`)."""
    start(sys.argv[1:])
    from tracker.cli import main as cli

    try:
        cli()
    finally:
        # The process exits next, and its memory goes with it: frozen, the objects a long
        # range leaves (tens of thousands) skip the collector's last full pass (~20 ms).
        # Only here, where tracker owns the process; everything holding a file or a
        # connection is closed by now.
        gc.freeze()


def start(argv: Sequence[str]) -> None:
    """Start the `git log` that `argv` will ask for, if it is `changelog BUILD --previous PREV`.

    One `git rev-parse` finds the repository holding the path and both commits, as `_git.open_repo`,
    the build's tag and `_builds.resolve_previous` would (in a bare repository, or for
    anything unusual, it fails and nothing is started); only `os`, `subprocess` and
    `sqlite3` are loaded first (the link index answers whether the build is indexed:
    then git is asked for subjects only).
    """
    parsed = parse(argv)
    if parsed is None:
        return
    path, build, previous = parsed
    if previous.startswith("-"):
        return
    try:
        done = subprocess.run(["git", "rev-parse", "--absolute-git-dir", "--show-toplevel",
                               f"refs/tags/{build}^{{commit}}", f"{previous}^{{commit}}"],
                              cwd=path, capture_output=True, timeout=30)
        lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
        if done.returncode != 0 or len(lines) != 4:
            return
        git_dir, work_tree, build_sha, previous_sha = lines
        paths = () if any(a.partition("=")[0] == "--config" for a in argv) else _component_paths(work_tree, build)
        # A component's range is never read from the link index (see `Collector.read`).
        fmt = git.SUBJECTS if not paths and collect.indexed(git_dir, build_sha) else git.FORMAT
        git.prestart(git.command(git_dir, fmt, [*git.pathspec_options(paths), f"{previous_sha}..{build_sha}",
                                                "--", *paths]), work_tree)
    except (OSError, subprocess.SubprocessError, UnicodeError):
        return  # only a guess: the command itself says what is wrong


def _component_paths(work_tree: str, build: str) -> tuple[str, ...]:
    """The paths of the component `build` belongs to, by the default config file (`components`),
    so a component's `git log` (git's pathspec walk, most of its run) starts early too; () when
    the config names no components (then it is not parsed here) or cannot be read."""
    from pathlib import Path

    from tracker._errors import BadInput

    target = Path(work_tree) / _DEFAULT_CONFIG
    try:
        # Anything but a regular file (a FIFO would wait for ever) is for the command to name.
        if not target.is_file() or b"components" not in target.read_bytes():
            return ()
        from tracker import _config

        component = _config.component_of(_config.load(Path(work_tree), None), build)
    except (OSError, BadInput, ValueError):
        return ()  # the command itself says what is wrong
    return component.paths if component is not None else ()


def parse(argv: Sequence[str]) -> tuple[str, str, str] | None:
    """(repository path, BUILD, PREV) of `tracker [options] changelog BUILD --previous PREV [options]`;
    None for any other command line, or one this cannot read for certain."""
    args = list(argv)
    repo = "."
    at = 0
    while at < len(args) and args[at].startswith("-"):
        name, value, at = _option(args, at, _GLOBAL_VALUES, _GLOBAL_FLAGS)
        if name is None:
            return None
        if name == "--repo":
            repo = value or ""
    if args[at:at + 1] != ["changelog"]:
        return None
    at += 1
    build = previous = None
    while at < len(args):
        if args[at].startswith("-") and args[at] != "-":
            name, value, at = _option(args, at, _CHANGELOG_VALUES, set())
            if name is None:
                return None
            if name == "--previous":
                previous = value
        elif build is None:
            build, at = args[at], at + 1
        else:
            return None  # a second argument: click says what is wrong
    if not (repo and build and previous) or any(mark in build for mark in ("^", "~", ":", "@{", "..")):
        return None  # not a plain tag name: nothing certain to start
    return repo, build, previous


def _option(args: list[str], at: int, values: set[str], flags: set[str]) -> tuple[str | None, str | None, int]:
    """(name, value, next position) of the option at `args[at]`; name None when unknown."""
    token = args[at]
    name, equals, value = token.partition("=")
    if name in flags and not equals:
        return name, None, at + 1
    if name not in values:
        if token[:2] in values and not token.startswith("--"):  # `-oFILE`
            return token[:2], token[2:], at + 1
        return None, None, at + 1
    if equals:
        return name, value, at + 1
    if at + 1 >= len(args):
        return None, None, at + 1
    return name, args[at + 1], at + 2
