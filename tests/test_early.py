"""`git log` started before the command line loads (`tracker.early`): a guess the pipeline
takes over only when it would run exactly that command, and that changes no output."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import report_of

from tracker import _git as git
from tracker import early

REQUESTS = [{"id": str(n), "title": f"Request {n}", "author": "fan"} for n in range(1, 4)]
STEPS: list[dict[str, Any]] = [
    {"commit": "Initial"}, {"tag": "v1"},
    {"commit": "Fixes #1", "author": "ann"}, {"tag": "v2"},
    {"commit": "feat: wrapped\nsubject\n\nFixes #2", "author": "bob"}, {"commit": "Refactor"}, {"tag": "v3"},
]


@pytest.mark.parametrize(("argv", "expected"), [
    (["changelog", "v3", "--previous", "v1"], (".", "v3", "v1")),
    (["--repo", "r", "-v", "changelog", "--previous=v1", "v3", "--format", "json", "-o", "out.json"],
     ("r", "v3", "v1")),
    (["--repo=r", "--config", "c.yml", "changelog", "v3", "-oout.json", "--previous", "v1"], ("r", "v3", "v1")),
    (["changelog", "v3"], None),  # the previous build is found by the pipeline: nothing to guess
    (["changelog", "v3", "--previous"], None),
    (["changelog", "v3", "v4", "--previous", "v1"], None),
    (["changelog", "v3", "--previous", "v1", "--help"], None),
    (["--unknown", "changelog", "v3", "--previous", "v1"], None),
    (["release", "v3", "--previous", "v1"], None),
    (["--repo", "", "changelog", "v3", "--previous", "v1"], None),
    (["changelog", "v3^", "--previous", "v1"], None),  # not a plain tag name: nothing certain
    (["changelog", "v3~1", "--previous", "v1"], None),
    (["changelog", "v1..v3", "--previous", "v1"], None),
    (["changelog", "v3@{1}", "--previous", "v1"], None),
    ([], None),
])
def test_only_the_plain_form_is_read(argv: list[str], expected: tuple[str, str, str] | None) -> None:
    assert early.parse(argv) == expected


def _started() -> list[tuple[str, ...]]:
    return list(git.STARTED)


def _format_of(key: tuple[str, ...]) -> str:
    return next(arg for arg in key if arg.startswith("--format="))


def _count_starts(monkeypatch: Any) -> list[list[str]]:
    """Every `git log A..B` started from now on (early ones included)."""
    started: list[list[str]] = []
    real = git.start

    def start(args: list[str], cwd: str) -> Any:
        if any(".." in arg for arg in args):
            started.append(args)
        return real(args, cwd)

    monkeypatch.setattr(git, "start", start)
    return started


def test_a_started_log_is_taken_over(make_repo: Any, monkeypatch: Any) -> None:
    repo, _ = make_repo(STEPS, requests=REQUESTS)
    clean = report_of(repo, "v3", "--previous", "v1")
    report_of(repo, "v3")  # indexes the build: the next run reads subjects only
    for fmt in (git.SUBJECTS, git.FORMAT):
        if fmt == git.FORMAT:
            for path in (repo / ".git" / "tracker").glob("links.sqlite3*"):
                path.unlink()
        starts = _count_starts(monkeypatch)
        early.start(["--repo", str(repo), "changelog", "v3", "--previous", "v1", "--format", "json"])
        [key] = git.STARTED
        assert _format_of(key) == f"--format=tformat:{fmt}" and key[0] == str(repo)
        assert report_of(repo, "v3", "--previous", "v1") == clean
        assert not git.STARTED
        assert len(starts) == 1  # taken over, not started again


def test_a_log_started_from_a_subfolder_is_taken_over(make_repo: Any, monkeypatch: Any) -> None:
    repo, _ = make_repo(STEPS, requests=REQUESTS)
    (repo / "docs" / "deep").mkdir(parents=True)
    clean = report_of(repo, "v3", "--previous", "v1")
    starts = _count_starts(monkeypatch)
    early.start(["--repo", str(repo / "docs" / "deep"), "changelog", "v3", "--previous", "v1"])
    [key] = git.STARTED
    assert key[0] == str(repo)  # run in the work tree's root, as the pipeline runs it
    assert report_of(repo / "docs" / "deep", "v3", "--previous", "v1") == clean
    assert not git.STARTED and len(starts) == 1


def test_a_wrong_guess_is_stopped_and_changes_nothing(make_repo: Any, monkeypatch: Any) -> None:
    repo, _ = make_repo(STEPS, requests=REQUESTS)
    clean = report_of(repo, "v3", "--previous", "v1")
    report_of(repo, "v3")
    index = repo / ".git" / "tracker" / "links.sqlite3"
    conn = sqlite3.connect(index)
    conn.execute("UPDATE meta SET value = 'another:acme/elsewhere'")  # the pipeline will not trust it
    conn.commit()
    conn.close()
    starts = _count_starts(monkeypatch)
    early.start(["--repo", str(repo), "changelog", "v3", "--previous", "v1"])
    [(key, proc)] = git.STARTED.items()
    assert _format_of(key) == f"--format=tformat:{git.SUBJECTS}"  # the guess: subjects only
    assert report_of(repo, "v3", "--previous", "v1") == clean  # read whole, as the pipeline wants
    assert not git.STARTED and proc.returncode is not None  # stopped (and waited for)
    assert [_format_of(tuple(args)) for args in starts] == [f"--format=tformat:{f}"
                                                             for f in (git.SUBJECTS, git.FORMAT)]


def test_nothing_is_started_for_bad_input(make_repo: Any, tmp_path: Path) -> None:
    repo, _ = make_repo(STEPS, requests=REQUESTS)
    for argv in (["--repo", str(repo), "changelog", "v9", "--previous", "v1"],
                 ["--repo", str(repo), "changelog", "v3", "--previous", "nope"],
                 ["--repo", str(repo), "changelog", "v3", "--previous", "-v1"],
                 ["--repo", str(tmp_path / "missing"), "changelog", "v3", "--previous", "v1"]):
        early.start(argv)
        assert not _started(), argv


def test_the_console_entry_point_gives_the_same_report(make_repo: Any) -> None:
    repo, _ = make_repo(STEPS, requests=REQUESTS)
    clean = report_of(repo, "v3", "--previous", "v1")
    report_of(repo, "v3")
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", "v3", "--previous",
                               "v1", "--format", "json"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == clean
    bad = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", "v3", "--previous",
                          "v1", "--format", "nope"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("tracker: ") and len(bad.stderr.splitlines()) == 1


def test_running_in_process_leaves_the_collector_as_it_was(make_repo: Any) -> None:
    """Only the console entry point freezes the collector at exit; a program that runs the
    CLI in its own process keeps its objects collectable, and its own frozen ones frozen."""
    import gc

    repo, _ = make_repo(STEPS, requests=REQUESTS)
    assert gc.get_freeze_count() == 0
    report_of(repo, "v3", "--previous", "v1")
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        report_of(repo, "v3", "--previous", "v1")
        assert gc.get_freeze_count() >= frozen  # not thawed by the report
    finally:
        gc.unfreeze()


def test_a_components_log_starts_early_with_its_paths_and_is_taken_over(make_repo: Any, monkeypatch: Any) -> None:
    """A component build's range is git's pathspec walk: started early with the component's
    paths (from the default config), it is the one the pipeline reads."""
    import yaml

    folder = Path(__file__).parent / "fixtures" / "monorepo"
    repo, _ = make_repo(yaml.safe_load((folder / "history.yml").read_text(encoding="utf-8")),
                        config=(folder / "config.yml").read_text(encoding="utf-8"),
                        requests=json.loads((folder / "requests.json").read_text(encoding="utf-8")))
    clean = report_of(repo, "app-v1.2", "--previous", "app-v1.0")
    starts = _count_starts(monkeypatch)
    early.start(["--repo", str(repo), "changelog", "app-v1.2", "--previous", "app-v1.0", "--format", "json"])
    [key] = git.STARTED
    assert key[-2:] == ("--", "app.txt")
    assert "--full-history" in key and _format_of(key) == f"--format=tformat:{git.FORMAT}"
    assert report_of(repo, "app-v1.2", "--previous", "app-v1.0") == clean
    assert not git.STARTED and len(starts) == 1  # taken over, not started again
    # A build of no component (or another config named on the command line) starts the whole range.
    early.start(["--repo", str(repo), "--config", "other.yml", "changelog", "app-v1.2", "--previous", "app-v1.0"])
    [key] = git.STARTED
    assert key[-1] == "--"
    git.take([], "")


def test_the_early_start_reads_the_default_config_where_the_command_does() -> None:
    from tracker import _config

    assert early._DEFAULT_CONFIG == _config.DEFAULT_PATH


def test_a_config_that_is_no_regular_file_is_not_read_early(make_repo: Any) -> None:
    """A FIFO at the config's path would make the early start wait for ever: it is left to the
    command, which names it (tests/test_cli_errors.py)."""
    import os

    repo, _ = make_repo(STEPS, requests=REQUESTS)
    (repo / ".github").mkdir()
    os.mkfifo(repo / ".github" / "tracker.yml")
    assert early._component_paths(str(repo), "v3") == ()
