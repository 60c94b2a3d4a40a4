"""Fan comments are fan text: only tracker's own comments are its marks, and only a maintainer
(or the issue system itself) says that an issue duplicates another.

Against the fake GitHub (a personal token, and a GitHub App's installation token, which GitHub
refuses to name on `GET /user`) and the fake GitLab, through the real command line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke
from github_fixtures import LABEL
from github_fixtures import env_for as github_env
from github_server import FakeGitHub, serve
from gitlab_fixtures import CONFIG as GITLAB_CONFIG
from gitlab_fixtures import env_for as gitlab_env
from gitlab_server import FakeGitLab

from tracker.hooks import SHIPPED, WITHDRAWN, marker

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]
SHIP = [{"commit": "init"}, {"tag": "v1"}, {"commit": "Dark mode\n\nFixes #1", "as": "dark"}, {"tag": "v2"}]
WITHDRAW = [*SHIP, {"commit": 'Revert "Dark mode"\n\nThis reverts commit {dark}.'}, {"tag": "v3"}]
PASTED = "me too!\n\n" + marker(SHIPPED, "v2") + "\n" + marker(WITHDRAWN, "v3")


@pytest.fixture(params=["personal token", "app installation token"])
def github(request: pytest.FixtureRequest) -> Iterator[FakeGitHub]:
    with serve(app="tracker-app" if request.param.startswith("app") else None) as fake:
        yield fake
    assert not fake.errors, "the fake itself crashed:\n" + "\n".join(fake.errors)


def ours(comments: list[dict[str, Any]], tag: str, who: str) -> list[dict[str, Any]]:
    return [c for c in comments if tag in c["body"] and c["user"]["login"] == who]


def test_a_pasted_marker_does_not_stop_the_thank_you_or_the_withdrawal(make_repo: MakeRepo,
                                                                       github: FakeGitHub) -> None:
    repo, _ = make_repo(WITHDRAW, config="publish: []\n")
    github.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    github.add_comment(1, "mallory", PASTED)
    env = github_env(github)
    for build in ("v2", "v3"):
        result = invoke(["--repo", str(repo), "ship", build], env=env)
        assert result.exit_code == 0, result.stderr
        github.reset_log()
        again = invoke(["--repo", str(repo), "ship", build], env=env)  # a rerun finds our own comment
        assert again.exit_code == 0 and "nothing to write" in again.stdout, again.stderr
        assert github.writes() == 0
        # Who the token is: asked once per run (an app's installation token is refused, and then
        # only a bot's comment can be ours).
        assert [r.status for r in github.log if r.path == "/user"] == [403 if github.app else 200]
    comments = github.comments(1)
    assert len(ours(comments, marker(SHIPPED, "v2"), github.viewer)) == 1
    assert len(ours(comments, marker(WITHDRAWN, "v3"), github.viewer)) == 1
    assert comments[0]["body"] == PASTED  # the fan's comment: left as it is, never deleted
    if github.app:  # our comments say which app wrote them
        assert all(c["performed_via_github_app"]["slug"] == "tracker-app" for c in comments[1:])


def test_a_race_deletes_only_our_own_newer_copy(make_repo: MakeRepo, github: FakeGitHub) -> None:
    from tracker._config import Config
    from tracker.hooks import Context, Mark
    from tracker_github.issues import GithubIssues

    repo, _ = make_repo(SHIP, config="publish: []\n")
    github.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    plugin = GithubIssues(Context(config=Config(), root=repo, git_dir=repo / ".git", env=github_env(github)))
    plugin.requests()  # the listing says #1 has no comments…
    tag = marker(SHIPPED, "v2")
    github.add_comment(1, "mallory", f"first! {tag}")  # …a fan pastes the marker, then another run posts
    github.add_comment(1, github.viewer, f"Thanks from the other run\n\n{tag}")
    lines = plugin.mark([Mark("1", "v2", SHIPPED, "Thanks", "shipped", True)])
    assert sum(line.startswith("github: #1 delete duplicate comment") for line in lines) == 1
    assert [c["body"] for c in github.comments(1)] == [f"first! {tag}", f"Thanks from the other run\n\n{tag}"]


@pytest.mark.parametrize("who, association, counted", [
    ("mallory", "NONE", False),
    ("drive-by", "CONTRIBUTOR", False),
    ("maint", "MEMBER", True),
    ("owner-person", "OWNER", True),
    ("helper", "COLLABORATOR", True),
])
def test_only_a_maintainer_marks_a_duplicate(make_repo: MakeRepo, who: str, association: str,
                                             counted: bool) -> None:
    repo, _ = make_repo(SHIP, config="publish: []\n")
    with serve() as github:
        github.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
        github.add_issue(2, "Night mode", user="dave", labels=[LABEL], state="closed", state_reason="duplicate")
        github.add_reaction(2, "erin", "+1")
        github.add_user(who, association=association)
        github.add_comment(2, who, "Duplicate of #1")
        result = invoke(["--repo", str(repo), "changelog", "v2", "--format", "json"], env=github_env(github))
    assert result.exit_code == 0, result.stderr
    (shipped,) = json.loads(result.stdout)["shipped"]
    assert (shipped["co_authors"], shipped["voters"]) == ((["dave"], ["erin"]) if counted else ([], []))


# -- GitLab ----------------------------------------------------------------------------


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    with FakeGitLab() as fake:
        yield fake
    assert not fake.errors, "the fake itself crashed:\n" + "\n".join(fake.errors)


def test_gitlab_a_pasted_marker_does_not_stop_the_notes(make_repo: MakeRepo, gitlab: FakeGitLab) -> None:
    repo, _ = make_repo(WITHDRAW, config=GITLAB_CONFIG)
    gitlab.add_issue(1, "Dark mode", user="alice", labels=["feature-request"])
    gitlab.add_note(1, "mallory", PASTED)
    gitlab.add_note(1, "mallory", marker(SHIPPED, "v2"), system=True)  # not even a system note is our mark
    for build in ("v2", "v3"):
        result = invoke(["--repo", str(repo), "ship", build], env=gitlab_env(gitlab))
        assert result.exit_code == 0, result.stderr
        gitlab.reset_log()
        again = invoke(["--repo", str(repo), "ship", build], env=gitlab_env(gitlab))
        assert again.exit_code == 0 and "nothing to write" in again.stdout, again.stderr
        assert gitlab.writes() == 0 and gitlab.reads("^/user$") == 1
    notes = gitlab.snapshot()["issues"]["1"]["notes"]
    assert [n for n in notes if n[0] == "tracker-bot" and marker(SHIPPED, "v2") in n[1]] != []
    assert [n for n in notes if n[0] == "tracker-bot" and marker(WITHDRAWN, "v3") in n[1]] != []
    assert notes[0] == ["mallory", PASTED]


def test_gitlab_a_note_that_only_says_duplicate_moves_nothing(make_repo: MakeRepo) -> None:
    repo, _ = make_repo(SHIP, config=GITLAB_CONFIG)
    with FakeGitLab(legacy_duplicates=True) as gitlab:  # an older GitLab: only notes say "duplicate"
        gitlab.add_issue(1, "Dark mode", user="alice", labels=["feature-request"])
        gitlab.add_issue(2, "Night mode", user="dave", labels=["feature-request"], state="closed")
        gitlab.add_award(2, "erin")
        gitlab.add_note(2, "mallory", "marked this issue as a duplicate of #1")  # typed by a fan
        fan = invoke(["--repo", str(repo), "changelog", "v2", "--format", "json"], env=gitlab_env(gitlab))
        gitlab.add_note(2, "maint", "marked this issue as a duplicate of #1", system=True)  # GitLab's own
        system = invoke(["--repo", str(repo), "changelog", "v2", "--format", "json"], env=gitlab_env(gitlab))
    assert fan.exit_code == 0 and system.exit_code == 0, (fan.stderr, system.stderr)
    assert json.loads(fan.stdout)["shipped"][0]["co_authors"] == []
    assert json.loads(system.stdout)["shipped"][0]["co_authors"] == ["dave"]


def test_ship_notify_voters_mentions_at_most_fifty_once(make_repo: MakeRepo, github: FakeGitHub) -> None:
    repo, _ = make_repo(SHIP, config="publish: []\nship:\n  notify: voters\n")
    github.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    for n in range(53):
        github.add_reaction(1, f"fan{n}")
    env = github_env(github)
    assert invoke(["--repo", str(repo), "ship", "v2"], env=env).exit_code == 0
    body = ours(github.comments(1), marker(SHIPPED, "v2"), github.viewer)[0]["body"]
    mentioned = [word for word in body.split() if word.startswith("@fan")]
    assert len(mentioned) == 50 and "and 3 more" in body and "@alice" in body
    github.reset_log()
    again = invoke(["--repo", str(repo), "ship", "v2"], env=env)  # a rerun pings nobody again
    assert again.exit_code == 0 and github.writes() == 0
    assert len(ours(github.comments(1), marker(SHIPPED, "v2"), github.viewer)) == 1


def test_ship_notify_defaults_to_suggesters_only(make_repo: MakeRepo, github: FakeGitHub) -> None:
    repo, _ = make_repo(SHIP, config="publish: []\n")
    github.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    github.add_reaction(1, "bob")
    assert invoke(["--repo", str(repo), "ship", "v2"], env=github_env(github)).exit_code == 0
    body = ours(github.comments(1), marker(SHIPPED, "v2"), github.viewer)[0]["body"]
    assert "@alice" in body and "@bob" not in body and "the 1 fan who voted" in body
