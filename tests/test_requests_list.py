"""`tracker requests list`: the requests the issue system holds, in every list format, by state."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import invoke
from github_fixtures import CONFIG, HISTORY, env_for, seed
from github_server import serve

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]
REQUESTS = [
    {"id": "12", "title": "Dark mode", "author": "alice", "voters": ["bob", "carol"]},
    {"id": "9", "title": "更大的字体", "author": "李雷", "voters": ["韩梅梅"]},
    {"id": "forum-3", "title": "=cmd|' /C calc'!A0", "author": "mallory", "state": "closed"},
    {"id": "13", "title": "Night theme", "author": "dave", "duplicate_of": "12", "state": "closed"},
]


@pytest.fixture
def local(make_repo: MakeRepo) -> Path:
    return make_repo([{"commit": "Initial"}], config="issues: local\n", requests=REQUESTS)[0]


def _list(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = invoke(["--repo", str(repo), "requests", "list", *args], env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_open_requests_by_id_as_a_table(local: Path) -> None:
    lines = _list(local).splitlines()
    assert lines[0].split() == ["id", "kind", "state", "votes", "title", "author", "duplicate_of", "url"]
    assert [line.split()[:4] for line in lines[1:]] == [["9", "request", "open", "1"], ["12", "request", "open", "2"]]
    assert lines[1].index("李雷") + 5 == lines[2].index("alice")  # 更大的字体: 5 characters, 10 columns


def test_every_state_and_format(local: Path) -> None:
    rows = json.loads(_list(local, "--state", "all", "--format", "json"))
    assert [(r["id"], r["state"], r["votes"], r["duplicate_of"]) for r in rows] == [
        ("9", "open", 1, None), ("12", "open", 2, None), ("13", "closed", 0, "12"), ("forum-3", "closed", 0, None)]
    closed = list(csv.DictReader(io.StringIO(_list(local, "--state", "closed", "--format", "csv"))))
    assert [(r["id"], r["title"]) for r in closed] == [("13", "Night theme"), ("forum-3", "'=cmd|' /C calc'!A0")]
    markdown = _list(local, "--format", "markdown")
    assert markdown.splitlines()[0] == "| id | kind | state | votes | title | author | duplicate_of | url |"


def test_the_requests_come_through_the_issue_system_plugin(make_repo: MakeRepo) -> None:
    repo, labels = make_repo(HISTORY, config=CONFIG)
    with serve() as server:
        seed(server, labels)
        rows = json.loads(_list(repo, "--state", "all", "--format", "json", env=env_for(server)))
    # `votes` is what the listing counts (every 👍, as `top` reads it); voter lists are not read here.
    # Bug reports (reports.labels) are listed too, as kind "report".
    assert [(r["id"], r["kind"], r["state"], r["votes"], r["duplicate_of"]) for r in rows] == [
        ("1", "request", "open", 4, None), ("2", "request", "open", 1, None), ("3", "request", "open", 0, None),
        ("4", "report", "open", 0, None), ("5", "request", "open", 0, None), ("6", "request", "closed", 1, "1")]
    assert rows[0]["url"].endswith("/acme/app/issues/1") and rows[0]["author"] == "alice"
