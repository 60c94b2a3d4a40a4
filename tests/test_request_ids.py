"""`requests add` gives a new request an id no `#N` in the history and no stored request has, so
"#31" in release notes never links to a pull request, up to and past SQLite's integer limit."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import invoke

from tracker import _git as git
from tracker import _ids as ids

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


def _add(repo: Path, title: str = "Photo map") -> str:
    result = invoke(["--repo", str(repo), "requests", "add", title, "--by", "ana"])
    assert result.exit_code == 0, result.stderr
    return result.stdout.split(":")[0].removeprefix("added #")


def _import(repo: Path, tmp_path: Path, *ids: str) -> None:
    source = tmp_path / "ids.json"
    source.write_text(json.dumps([{"id": i, "title": f"Request {i}", "author": "bob"} for i in ids]))
    assert invoke(["--repo", str(repo), "requests", "import", str(source)]).exit_code == 0


def test_a_new_id_is_above_every_number_the_history_names(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo, _ = make_repo([
        {"commit": "Initial"},
        {"commit": "Export albums to PDF (#30)\n\nFixes #15", "author": "bob"},  # a squashed pull request
        {"branch": "feature"},
        {"commit": "wip: see GH-44", "author": "bob"},  # another branch: still a number people will see
        {"commit": "docs: C#1 and #1234567890 are not references", "author": "bob"},
        {"checkout": "main"},
        {"tag": "v1"},
    ])
    _import(repo, tmp_path, "12", "29", "forum-77")
    assert _add(repo) == "45"
    assert _add(repo, "Second") == "46"
    assert ids.highest_named(git.open_repo(repo)) == 44


def test_the_demo_project_gives_no_pull_request_number(tmp_path: Path) -> None:
    assert invoke(["demo", str(tmp_path / "lumen")]).exit_code == 0
    # Its history holds "Export albums to PDF (#30)" and its store the bug report #31.
    assert _add(tmp_path / "lumen") == "32"


def test_ids_past_sqlites_integer_limit_still_give_a_new_id(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo, _ = make_repo([{"commit": "Initial"}])
    _import(repo, tmp_path, str(2**63 - 1))
    assert _add(repo) == str(2**63)
    assert _add(repo) == str(2**63 + 1)  # SQLite's CAST stops at 2**63 - 1: this collided
    _import(repo, tmp_path, "9" * 99)
    assert _add(repo) == "1" + "0" * 99
    _import(repo, tmp_path, "9" * 100)  # the longest id there is: no number is left above it
    result = invoke(["--repo", str(repo), "requests", "add", "Last", "--by", "ana"])
    assert result.exit_code == 2 and result.stderr == (
        f"tracker: no numeric id is left above #{'9' * 100}: give the request an id with --id\n")


def test_a_repository_without_commits_starts_at_one(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "new")], check=True)
    assert _add(tmp_path / "new") == "1"


def test_the_history_is_read_again_only_from_where_it_was_read(make_repo: MakeRepo) -> None:
    repo, _ = make_repo([{"commit": "Export (#30)"}, {"tag": "v1"}])
    opened = git.open_repo(repo)
    assert ids.highest_named(opened) == 30
    cache = repo / ".git" / ids.CACHE
    remembered = json.loads(cache.read_text())
    # What the cache says is believed while no ref moved (a lie here proves nothing was read)...
    cache.write_text(json.dumps({**remembered, "highest": 500}))
    assert ids.highest_named(opened) == 500
    # ...and only commits made since are read (one from a tip that no longer exists is no error).
    cache.write_text(json.dumps({"tips": [*remembered["tips"], "f" * 40], "highest": 25}))
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q",
                    "--allow-empty", "-m", "Sync (#41)"], check=True)
    assert ids.highest_named(opened) == 41
    assert json.loads(cache.read_text())["highest"] == 41
    cache.write_text("{damaged")
    assert ids.highest_named(opened) == 41  # a damaged cache: the whole history is read again
