"""What GitHub records only in GraphQL: sidebar links, bots by type, GITHUB_GRAPHQL_URL, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import invoke
from github_fixtures import CONFIG, LABEL, env_for
from github_server import FakeGitHub

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]

HISTORY = [
    {"commit": "Initial"}, {"tag": "v1"},
    {"commit": "Dark mode (#10)", "author": "dev", "as": "sidebar"},  # its only link: the PR's sidebar
    {"commit": "Bump deps (#11)", "author": "dev", "as": "bot"},  # a bot's pull request closing #2
    {"tag": "v2"},
]


@pytest.fixture
def repo(make_repo: MakeRepo, server: FakeGitHub) -> Path:
    path, labels = make_repo(HISTORY, config=CONFIG)
    server.add_user("renovate[bot]", type="Bot")
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    server.add_issue(2, "Newer parser", user="bob", labels=[LABEL])
    server.add_issue(3, "Not a request", user="bob")
    server.add_pull(10, "Dark mode", body="Theme work.", user="dev", merge_commit_sha=labels["sidebar"])
    server.link_closing(10, 1)
    server.add_pull(11, "Bump deps", body="Closes #2", user="renovate[bot]", merge_commit_sha=labels["bot"])
    server.add_release("v2", body="")
    return path


def run(repo: Path, server: FakeGitHub, *args: str, **env: str) -> Result:
    return invoke(["--repo", str(repo), *args], env=env_for(server, **env))


def report(repo: Path, server: FakeGitHub, **env: str) -> dict[str, object]:
    result = run(repo, server, "changelog", "v2", "--format", "json", **env)
    assert result.exit_code == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_a_pull_request_linked_only_in_the_sidebar_ships_its_request(repo: Path, server: FakeGitHub) -> None:
    out = report(repo, server)
    shipped = {s["id"]: s for s in out["shipped"]}  # type: ignore[attr-defined]
    assert set(shipped) == {"1", "2"}
    assert shipped["1"]["pulls"] == ["10"]
    # Two pull requests and their commits: one batched query, no REST call per pull or commit.
    assert len(server.graphql("query")) == 1
    assert server.reads(r"/pulls|/commits") == 0


def test_a_bot_is_told_by_its_type_and_never_credited(repo: Path, server: FakeGitHub) -> None:
    out = report(repo, server)
    logins = {c["login"].lower() for c in out["credits"]}  # type: ignore[attr-defined]
    assert "dev" in logins and not any("renovate" in login for login in logins)


def test_closing_references_beyond_the_first_page_are_read(repo: Path, server: FakeGitHub) -> None:
    server.link_closing(10, 3, 2)  # #1 (a request), #3 (an issue but no request), #2: three links
    server.graphql_page = 1  # GitHub answers one node a page: the rest must be paged
    out = report(repo, server)
    assert {s["id"] for s in out["shipped"]} == {"1", "2"}  # type: ignore[attr-defined]
    assert len(server.graphql("query")) == 1 + 2  # the batch, then two more pages of #10's links


def test_graphql_url_is_honoured(repo: Path, server: FakeGitHub) -> None:
    server.graphql_path = "/enterprise/api/graphql"
    out = report(repo, server, GITHUB_GRAPHQL_URL=f"{server.root_url}/enterprise/api/graphql")
    assert {s["id"] for s in out["shipped"]} == {"1", "2"}  # type: ignore[attr-defined]
    assert server.log and all(r.status != 404 for r in server.log)


def test_graphql_url_must_be_a_graphql_address(repo: Path, server: FakeGitHub) -> None:
    result = run(repo, server, "changelog", "v2", GITHUB_GRAPHQL_URL="https://ghe.example/api/v3")
    assert result.exit_code == 2 and "GITHUB_GRAPHQL_URL must end in /graphql" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_errors_in_a_200_answer_are_one_line_and_nothing_is_written(repo: Path, server: FakeGitHub) -> None:
    server.graphql_errors = ["Something went wrong while executing your query. Please include `ABC:123`."]
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Something went wrong" in lines[0] and "Traceback" not in result.stderr, lines
    assert server.writes() == 0


def test_queries_are_retried_on_5xx_and_secondary_rate_limits(repo: Path, server: FakeGitHub) -> None:
    server.secondary_rate_limit_every = 2  # every second request refused before it is looked at
    out = report(repo, server)
    assert {s["id"] for s in out["shipped"]} == {"1", "2"}  # type: ignore[attr-defined]
    server.secondary_rate_limit_every = 0
    server.reset_log()
    server.drop_after_write = False
    server.fail_rate = 0.5
    server.reseed(3)
    out = report(repo, server)
    assert {s["id"] for s in out["shipped"]} == {"1", "2"}  # type: ignore[attr-defined]
    assert any(r.graphql == "query" and r.status == 502 for r in server.log)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "https://api.github.com/graphql"),
    ({"GITHUB_API_URL": "https://ghe.example/api/v3"}, "https://ghe.example/api/graphql"),
    ({"GITHUB_API_URL": "https://ghe.example/api/v3", "GITHUB_GRAPHQL_URL": "https://gql.example/graphql/"},
     "https://gql.example/graphql"),
])
def test_the_graphql_address_is_pygithubs_unless_given(env: dict[str, str], expected: str) -> None:
    from tracker_github.settings import load_settings

    settings = load_settings("acme/app", env, Path("."))
    assert settings.graphql == expected
