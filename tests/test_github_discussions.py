"""A Discussions category as fan requests (`requests.discussions`), on the tests' GitHub (GraphQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import invoke
from github_fixtures import LABEL, env_for
from github_server import FakeGitHub

from tracker.hooks import SHIPPED, marker

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]
CONFIG = "requests:\n  discussions: Ideas\npublish: [github-release]\n"
TAG = marker(SHIPPED, "v2")


@pytest.fixture
def repo(make_repo: MakeRepo, server: FakeGitHub) -> Path:
    """Discussion #12 (Ideas) ships by its URL in a squash commit; #13 duplicates it; #14 is a Q&A."""
    url = f"{server.root_url}/acme/app/discussions/12"
    history = [{"commit": "Initial"}, {"tag": "v1"},
               {"commit": f"Dark mode (#20)\n\nCloses {url}", "author": "dev", "as": "squash"},
               {"commit": "Tidy up\n\nFixes #14", "author": "dev"},
               {"tag": "v2"}]
    path, labels = make_repo(history, config=CONFIG)
    server.add_user("maint", association="MEMBER")
    server.add_user("helper[bot]", type="Bot")
    server.add_issue(1, "Issue request", user="zoe", labels=[LABEL])
    server.add_category("Q&A")
    server.add_discussion(12, "Dark mode", user="alice", category="Ideas", upvotes=41)
    for who, content in [("bob", "+1"), ("carol", "+1"), ("alice", "+1"), ("helper[bot]", "+1"), ("dave", "heart")]:
        server.add_discussion_reaction(12, who, content)
    server.add_discussion(13, "Night theme", user="erin", category="Ideas", upvotes=3)
    server.add_discussion_reaction(13, "frank", "+1")
    server.add_discussion_comment(13, "erin", "Duplicate of #1")  # a fan's word moves nothing…
    server.add_discussion_comment(13, "maint", "Duplicate of #12")  # …a maintainer's does
    server.add_discussion(14, "How do I build?", user="gil", category="Q&A")
    server.add_pull(20, "Dark mode", body="", user="dev", merge_commit_sha=labels["squash"])
    server.add_release("v2", body="")
    return path


def run(repo: Path, server: FakeGitHub, *args: str) -> Result:
    return invoke(["--repo", str(repo), *args], env=env_for(server))


def report(repo: Path, server: FakeGitHub) -> dict[str, Any]:
    result = run(repo, server, "changelog", "v2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return dict(json.loads(result.stdout))


def marked(server: FakeGitHub, number: int) -> tuple[int, list[str], bool, str | None]:
    found = server.discussions[number]
    return sum(TAG in c.body for c in found.comments), sorted(found.labels), found.closed, found.state_reason


def test_an_ideas_discussion_ships_by_its_url_with_upvotes_voters_and_duplicate(repo: Path,
                                                                               server: FakeGitHub) -> None:
    out = report(repo, server)
    shipped = {s["id"]: s for s in out["shipped"]}
    assert set(shipped) == {"12"}  # #14 is a Q&A discussion: not a request, its `Fixes #14` ships nothing
    entry = shipped["12"]
    assert entry["votes"] == 41 and entry["author"] == "alice" and entry["co_authors"] == ["erin"]
    assert entry["voters"] == ["bob", "carol", "frank"]  # 👍 only; not the author, not a bot; the duplicate's too
    assert entry["url"] == f"{server.root_url}/acme/app/discussions/12"


def test_marking_a_discussion_comments_labels_and_closes_once(repo: Path, server: FakeGitHub) -> None:
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    assert marked(server, 12) == (1, ["shipped"], True, "RESOLVED")
    mine = [c for c in server.discussions[12].comments if TAG in c.body]
    assert mine[0].user == server.viewer and "@alice" in mine[0].body
    server.reset_log()
    again = run(repo, server, "release", "v2")
    assert again.exit_code == 0, again.stderr
    assert server.writes() == 0 and marked(server, 12) == (1, ["shipped"], True, "RESOLVED")


def test_a_fans_copy_of_the_marker_is_not_the_mark(repo: Path, server: FakeGitHub) -> None:
    server.add_discussion_comment(12, "bob", f"Is it out?\n\n{TAG}")
    assert run(repo, server, "release", "v2").exit_code == 0
    assert marked(server, 12)[0] == 2  # bob's quote, and tracker's own comment


def test_a_crash_between_comment_and_close_is_finished_by_a_rerun(repo: Path, server: FakeGitHub) -> None:
    server.refuse_writes_after = 1  # the comment lands; the label and the close are refused
    failed = run(repo, server, "release", "v2")
    assert failed.exit_code == 1 and len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert marked(server, 12) == (1, [], False, None)
    server.clear_faults()
    assert run(repo, server, "release", "v2").exit_code == 0
    assert marked(server, 12) == (1, ["shipped"], True, "RESOLVED")


def test_a_lost_answer_to_the_comment_is_not_posted_twice(repo: Path, server: FakeGitHub) -> None:
    server.drop_after_write = 1  # the comment lands, its answer is a 502
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    assert marked(server, 12) == (1, ["shipped"], True, "RESOLVED")


def test_two_concurrent_releases_leave_one_comment(repo: Path, server: FakeGitHub) -> None:
    server.gate_writes(r"^POST /graphql addDiscussionComment$", parties=2)
    env = {**os.environ, **env_for(server)}
    runs = [subprocess.Popen([sys.executable, "-m", "tracker", "--repo", str(repo), "release", "v2"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for each in runs:
        out, err = each.communicate(timeout=120)
        assert each.returncode == 0, (out, err)
    assert server.gate_releases == 1  # both posted: a real race, cleaned up after
    assert marked(server, 12) == (1, ["shipped"], True, "RESOLVED")


def test_a_category_that_does_not_exist_is_bad_input(repo: Path, server: FakeGitHub) -> None:
    (repo / ".github" / "tracker.yml").write_text(CONFIG.replace("Ideas", "Idaes"))
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 2 and result.stdout == "", result.stderr
    assert result.stderr.strip() == "tracker: requests.discussions: acme/app has no Discussions category 'Idaes'" \
                                    " (categories: Ideas, Q&A)"
    assert server.writes() == 0


def test_a_token_without_discussions_write_is_one_line(repo: Path, server: FakeGitHub) -> None:
    server.discussions_writable = False
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Resource not accessible by integration" in lines[0], lines
    assert "discussions: write" in lines[0] and server.token not in result.stderr
    assert marked(server, 12) == (0, [], False, None)
