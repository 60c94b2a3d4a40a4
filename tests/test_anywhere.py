"""tracker runs from any folder of a repository, as git does; `--repo PATH` means the repository holding PATH."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import invoke

STEPS = [{"commit": "Initial"}, {"tag": "v1"}, {"commit": "feat: dark mode\n\nFixes #1", "author": "ann"},
         {"tag": "v2"}]
REQUESTS = [{"id": "1", "title": "Dark mode", "author": "bob", "voters": ["cy"]}]
CONFIG = "issues: local\nbuilds:\n  tags: 'v*'\n"


@pytest.fixture
def repo(make_repo: Callable[..., tuple[Path, dict[str, str]]]) -> Path:
    path = make_repo(STEPS, config=CONFIG, requests=REQUESTS)[0]
    (path / "site" / "assets").mkdir(parents=True)
    return path


def test_a_command_run_in_a_subfolder_works_on_the_whole_repository(repo: Path) -> None:
    # A real process in the subfolder: the console entry point, the early `git log` start and the
    # config at the root all find the repository as git does.
    done = subprocess.run([sys.executable, "-m", "tracker", "changelog", "v2", "--previous", "v1", "--format", "json"],
                          cwd=repo / "site" / "assets", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [entry["id"] for entry in json.loads(done.stdout)["shipped"]] == ["1"]
    top = subprocess.run([sys.executable, "-m", "tracker", "top", "--format", "json"], cwd=repo / "site",
                         capture_output=True, text=True)
    assert [row["id"] for row in json.loads(top.stdout)] == ["1"]


def test_repo_may_name_any_folder_inside_the_repository(repo: Path) -> None:
    result = invoke(["--repo", str(repo / "site" / "assets"), "changelog", "v2", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["shipped"][0]["id"] == "1"


def test_outside_any_repository_the_line_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plain").mkdir()
    monkeypatch.chdir(tmp_path / "plain")
    result = invoke(["top"])
    assert result.exit_code == 2
    assert result.stderr == ("tracker: the current folder: not a git repository"
                             " (run tracker inside a repository, or give --repo PATH)\n")
