"""The local store through the CLI: import, re-import, add, vote, top — and concurrent writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import invoke, schema

REQUESTS = [
    {"id": "12", "title": "Dark mode", "author": "alice", "state": "open", "created_at": "2026-03-01T10:00:00Z",
     "voters": ["bob", "carol"], "duplicate_of": None, "url": None},
    {"id": "13", "title": "Night theme", "author": "dave", "duplicate_of": "12", "voters": ["erin"]},
    {"id": "14", "title": "Export", "author": "bob", "voters": ["alice", "carol", "dave"]},
    {"id": "15", "title": "Old idea", "author": "bob", "state": "closed", "voters": ["x", "y", "z", "w"]},
]


@pytest.fixture
def repo(make_repo: Any) -> Path:
    path, _ = make_repo([{"commit": "init"}, {"tag": "v1"}])
    return path


def _rows(repo: Path) -> tuple[int, int]:
    db = sqlite3.connect(repo / ".git" / "tracker" / "store.sqlite3")
    try:
        return (db.execute("SELECT COUNT(*) FROM requests").fetchone()[0],
                db.execute("SELECT COUNT(*) FROM votes").fetchone()[0])
    finally:
        db.close()


def test_the_store_lives_in_the_git_directory_and_never_dirties_the_work_tree(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "r.json"
    source.write_text(json.dumps(REQUESTS))
    assert invoke(["--repo", str(repo), "requests", "import", str(source)]).exit_code == 0
    assert (repo / ".git" / "tracker" / "store.sqlite3").is_file()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert status == ""


def test_reimport_updates_and_never_duplicates(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "r.json"
    source.write_text(json.dumps(REQUESTS))
    first = invoke(["--repo", str(repo), "requests", "import", str(source)])
    assert "4 new" in first.stdout
    assert _rows(repo) == (4, 10)
    again = invoke(["--repo", str(repo), "requests", "import", str(source)])
    assert "0 new, 0 updated, 0 new votes" in again.stdout
    assert _rows(repo) == (4, 10)
    changed = [dict(REQUESTS[0], title="Dark mode, everywhere", voters=["bob", "frank"])]
    source.write_text(json.dumps(changed))
    third = invoke(["--repo", str(repo), "requests", "import", str(source)])
    assert "0 new, 1 updated, 1 new votes" in third.stdout
    top = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)
    # bob, carol and frank, plus erin's vote on the duplicate #13
    assert {t["id"]: (t["title"], t["votes"]) for t in top}["12"] == ("Dark mode, everywhere", 4)


def test_csv_import_matches_json(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "r.csv"
    source.write_text("id,title,author,state,created_at,voters,duplicate_of,url\n"
                      "12,Dark mode,alice,open,,bob;carol,,\n"
                      "14,\"Export, to PDF\",bob,open,,alice;carol;dave,,https://forum.example/t/14\n")
    result = invoke(["--repo", str(repo), "requests", "import", str(source)])
    assert result.exit_code == 0, result.stderr
    top = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)
    assert [(t["id"], t["title"], t["votes"]) for t in top] == [("14", "Export, to PDF", 3), ("12", "Dark mode", 2)]
    assert top[0]["url"] == "https://forum.example/t/14"


def test_top_lists_open_requests_most_votes_first(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "r.json"
    source.write_text(json.dumps(REQUESTS))
    invoke(["--repo", str(repo), "requests", "import", str(source)])
    rows = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)
    jsonschema.validate(rows, schema("top.schema.json"))
    assert [r["id"] for r in rows] == ["14", "12"]  # closed and duplicates are not on the roadmap
    first = json.loads(invoke(["--repo", str(repo), "top", "-n", "1", "--format", "json"]).stdout)
    assert [r["id"] for r in first] == ["14"]
    text = invoke(["--repo", str(repo), "top"]).stdout
    assert "Export" in text and "Dark mode" in text


def test_top_orders_any_imported_id(repo: Path, tmp_path: Path) -> None:
    """Ids are letters and digits of any script: "²" is a digit int() refuses, "٣" one it takes."""
    source = tmp_path / "r.json"
    source.write_text(json.dumps([{"id": i, "title": f"Request {i}", "author": "bob"} for i in ("²", "٣", "10", "x")]))
    assert invoke(["--repo", str(repo), "requests", "import", str(source)]).exit_code == 0
    result = invoke(["--repo", str(repo), "top", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == ["x", "²", "٣", "10"]


def test_add_and_vote(repo: Path) -> None:
    added = invoke(["--repo", str(repo), "requests", "add", "Photo map", "--by", "ana"])
    assert added.exit_code == 0 and "#1" in added.stdout
    assert invoke(["--repo", str(repo), "vote", "1", "--by", "bob"]).stdout.startswith("@bob voted")
    assert "already" in invoke(["--repo", str(repo), "vote", "#1", "--by", "bob"]).stdout
    second = invoke(["--repo", str(repo), "requests", "add", "Raw photos", "--by", "李雷"])
    assert "#2" in second.stdout
    rows = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)
    assert rows[0] == {"id": "1", "title": "Photo map", "author": "ana", "votes": 1, "url": None}


def test_store_path_from_config(make_repo: Any, tmp_path: Path) -> None:
    repo, _ = make_repo([{"commit": "init"}], config="store: data/fans.sqlite3\n")
    assert invoke(["--repo", str(repo), "requests", "add", "X", "--by", "ana"]).exit_code == 0
    assert (repo / "data" / "fans.sqlite3").is_file()


def test_concurrent_votes_are_all_kept(repo: Path) -> None:
    assert invoke(["--repo", str(repo), "requests", "add", "Dark mode", "--by", "ana"]).exit_code == 0
    code = ("import sys; from tracker.cli import main; sys.argv = ['tracker', '--repo', sys.argv[1], 'vote', '1', "
            "'--by', sys.argv[2]]; main()")

    def vote(i: int) -> int:
        return subprocess.run([sys.executable, "-c", code, str(repo), f"fan{i}"], capture_output=True).returncode

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(vote, range(16)))
    assert codes == [0] * 16
    rows = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)
    assert rows[0]["votes"] == 16


def test_voters_are_the_same_with_and_without_sqlite_json(tmp_path: Path) -> None:
    """Voters are asked for with the ids as one JSON array; an SQLite without JSON functions
    gets a temporary table instead. Either way: each request's voters in vote order."""
    from tracker._model import Request
    from tracker._store import Store

    store = Store(tmp_path / "store.sqlite3")
    with store.transaction() as conn:
        for n in range(1, 6):
            store.upsert(conn, Request(id=str(n), title=f"R{n}", author="fan"))
        for n, logins in [(1, ["ann", "bob"]), (3, ["cy"]), (1, ["dee"]), (5, ["ann", "eve"])]:
            store.add_votes(conn, str(n), logins)
    expected = {"1": ["ann", "bob", "dee"], "3": ["cy"], "4": [], "9": []}
    assert store.voters(["1", "3", "4", "9", "1"]) == expected
    store.json = False
    assert store.voters(["1", "3", "4", "9", "1"]) == expected


def test_a_build_is_marked_in_one_transaction(make_repo: Any) -> None:
    """All of a build's marks and closings land together or not at all (and in one commit, not two
    per request): a store that refuses the third mark keeps none of them."""
    requests_ = [{"id": str(n), "title": f"Idea {n}", "author": "ann"} for n in range(1, 6)]
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1, #2, #3, #4 and #5"}, {"tag": "v2"}],
                        config="issues: local\npublish: []\n", requests=requests_)
    store = repo / ".git" / "tracker" / "store.sqlite3"
    db = sqlite3.connect(store)
    db.execute("CREATE TRIGGER refuse BEFORE INSERT ON marks WHEN (SELECT COUNT(*) FROM marks) >= 2"
               " BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
    db.commit()
    failed = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "ship", "v2"],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert db.execute("SELECT COUNT(*) FROM marks").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM requests WHERE state = 'closed'").fetchone()[0] == 0
    db.execute("DROP TRIGGER refuse")
    db.commit()
    assert invoke(["--repo", str(repo), "ship", "v2"]).exit_code == 0
    assert db.execute("SELECT COUNT(*) FROM marks").fetchone()[0] == 5
    assert db.execute("SELECT COUNT(*) FROM requests WHERE state = 'closed'").fetchone()[0] == 5
    again = invoke(["--repo", str(repo), "ship", "v2"])
    assert "nothing to write" in again.stdout
    db.close()
