"""Shell completion as the README sets it up: build tags complete wherever a BUILD is asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

STEPS = [{"commit": "Initial"}, {"tag": "v2026.45"}, {"commit": "Two"}, {"tag": "v2026.46"}, {"tag": "nightly"},
         {"commit": "Three"}, {"tag": "v2026.47"}]
MakeRepo = Callable[..., tuple[Path, dict[str, str]]]
BIN = Path(sys.executable).parent  # where the installed `tracker` command is


def _complete(cwd: Path, words: list[str]) -> list[str]:
    """What bash offers after `words` (the last one being completed), with the README's setup line."""
    script = ('eval "$(_TRACKER_COMPLETE=bash_source tracker)"\n'
              f"COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}\n"
              "_tracker_completion tracker\n"  # bash calls it with the command name
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.fixture
def repo(make_repo: MakeRepo) -> Path:
    if shutil.which("bash") is None or not (BIN / "tracker").exists():
        pytest.skip("needs bash and the installed tracker command")
    return make_repo(STEPS, config="issues: local\n")[0]


def test_build_tags_complete_newest_first(repo: Path) -> None:
    assert _complete(repo, ["tracker", "changelog", "v2026.4"]) == ["v2026.47", "v2026.46", "v2026.45"]
    assert _complete(repo, ["tracker", "changelog", "v2026.47", "--previous", "v2026.4"])[0] == "v2026.47"
    assert _complete(repo, ["tracker", "release", "v2026.46"]) == ["v2026.46"]
    assert _complete(repo, ["tracker", "fans", "--since", "v"]) == ["v2026.47", "v2026.46", "v2026.45"]
    assert _complete(repo, ["tracker", "scan", "v2026.45..v2026.4"]) == [
        "v2026.45..v2026.47", "v2026.45..v2026.46", "v2026.45..v2026.45"]
    assert "nightly" not in _complete(repo, ["tracker", "ship", "''"])  # not a build tag (builds.tags)


def test_completion_works_from_a_subfolder_and_with_repo(repo: Path, tmp_path: Path) -> None:
    (repo / "docs").mkdir()
    assert _complete(repo / "docs", ["tracker", "publish", "v2026.45"]) == ["v2026.45"]
    assert _complete(tmp_path, ["tracker", "--repo", str(repo), "changelog", "v2026.46"]) == ["v2026.46"]


def test_outside_a_repository_nothing_is_offered_and_nothing_printed(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    assert _complete(tmp_path / "elsewhere", ["tracker", "changelog", "v"]) == []
    assert _complete(repo, ["tracker", "requests", "li"]) == ["list"]
