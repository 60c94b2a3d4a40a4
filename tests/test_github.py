"""The GitHub plugin, driven through the real CLI against tests/github_server.py.

Unmodified PyGithub talks HTTP to the local fake; nothing is patched and no
network is used. The scenario (tests/github_fixtures.py) has a squash-merged
and a merged pull request, a direct closing commit, a pull request closed
without merging, a duplicate, bots and deleted accounts among the voters.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import Result
from conftest import invoke, schema
from github_fixtures import CONFIG, HISTORY, LABEL, LOCAL_REQUESTS, TOKEN, env_for, seed, seed_commits
from github_server import FakeGitHub, serve

from tracker._model import REPORT, REQUEST, Request
from tracker.hooks import SHIPPED, Context, Mark, marker

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


@pytest.fixture
def project(make_repo: MakeRepo) -> tuple[Path, dict[str, str]]:
    return make_repo(HISTORY, config=CONFIG)


def run(repo: Path, server: FakeGitHub, *args: str, **env: str) -> Result:
    return invoke(["--repo", str(repo), *args], env=env_for(server, **env))


def state(server: FakeGitHub) -> str:
    """The server's meaningful state, with its address (a random port) taken out."""
    return json.dumps(server.snapshot(), sort_keys=True).replace(server.root_url, "http://github.test")


def one_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def reference(project: tuple[Path, dict[str, str]]) -> tuple[str, int]:
    """(final state, writes) of one uninterrupted `release v2` on a healthy server."""
    with serve() as clean:
        seed(clean, project[1])
        result = run(project[0], clean, "release", "v2")
        assert result.exit_code == 0, result.stderr
        return state(clean), clean.writes()


# -- what a release does -----------------------------------------------------------


def test_release_marks_exactly_the_shipped_requests(project: tuple[Path, dict[str, str]],
                                                    server: FakeGitHub) -> None:
    repo, labels = project
    seed(server, labels)
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    assert "wrote: github: #1 comment shipped v2" in result.stdout
    assert "wrote: github: release v2 notes" in result.stdout
    for number in (1, 2, 3):
        issue = server.issue(number)
        assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
        assert {lb["name"] for lb in issue["labels"]} == {LABEL, "shipped"}
        ours = [c for c in server.comments(number) if marker(SHIPPED, "v2") in c["body"]]
        assert len(ours) == 1 and ours[0]["user"]["login"] == "tracker-bot"
    assert "@alice, @dave and the 3 who voted" in server.comments(1)[0]["body"]
    # #4 is a bug report (`reports.labels`: bug): fixed, its reporter thanked, labelled and closed too.
    assert server.issue(4)["state"] == "closed"
    assert {lb["name"] for lb in server.issue(4)["labels"]} == {"bug", "shipped"}
    assert [c["body"] for c in server.comments(4)] == [
        f"Fixed in **v2** — thank you @zed for reporting!\n\n{marker(SHIPPED, 'v2')}"]
    for number in (5, 6, 40, 41, 42, 43):  # not shipped, or pull requests
        assert server.snapshot()["issues"][str(number)]["labels"] in ([LABEL], ["bug"], [])
        assert all("tracker:" not in c["body"] for c in server.comments(number))
    assert server.issue(5)["state"] == "open"
    body = server.snapshot()["releases"]["v2"]["body"]
    assert body.startswith("Maintainer intro.\n\n<!-- tracker:start -->\n## v2")
    assert body.endswith("<!-- tracker:end -->\n") and "Offline mode" in body
    assert server.snapshot()["releases"]["v2"]["name"] == "Build 2"

    server.reset_log()
    again = run(repo, server, "release", "v2")
    assert again.exit_code == 0, again.stderr
    assert server.writes() == 0
    assert again.stdout == "v2: nothing to write (already up to date)\n"


def test_dry_run_reads_and_writes_nothing(project: tuple[Path, dict[str, str]], server: FakeGitHub) -> None:
    repo, labels = project
    seed(server, labels)
    before = state(server)
    result = run(repo, server, "release", "v2", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert server.writes() == 0 and state(server) == before
    for line in ("github: #1 comment shipped v2", "github: create label shipped", "github: #3 label shipped",
                 "github: #2 close", "github: release v2 notes"):
        assert f"would write: {line}\n" in result.stdout


def test_changelog_credits_the_same_people_as_local_plus_pull_request_closings(
        make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, labels = make_repo(HISTORY, config=CONFIG, requests=LOCAL_REQUESTS)
    seed(server, labels)
    local = json.loads(invoke(["--repo", str(repo), "--issues", "local", "changelog", "v2", "--format",
                               "json"]).stdout)
    result = run(repo, server, "changelog", "v2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    remote = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema("report-1.schema.json")).validate(remote)
    assert server.writes() == 0
    # Commit messages alone ship #1 in both; GitHub's pull requests add #2 (merge) and #3 (squash).
    assert [s["id"] for s in local["shipped"]] == ["1"]
    assert sorted(s["id"] for s in remote["shipped"]) == ["1", "2", "3"]
    people = ("author", "co_authors", "voters", "votes", "commits")
    assert {k: remote["shipped"][0][k] for k in people} == {k: local["shipped"][0][k] for k in people}
    assert remote["shipped"][0]["voters"] == ["bob", "carol", "erin"]  # no bot, no deleted account
    by_id = {s["id"]: s for s in remote["shipped"]}
    assert by_id["2"]["pulls"] == ["40"] and by_id["3"]["pulls"] == ["41"]
    local_credits = {c["login"]: c for c in local["credits"]}
    for credit in remote["credits"]:
        if credit["login"] in local_credits:
            before = local_credits[credit["login"]]
            for key in ("suggested", "voted", "built"):
                assert set(before[key]) <= set(credit[key])
                assert set(credit[key]) - set(before[key]) <= {"2", "3"}
    assert set(local_credits) <= {c["login"] for c in remote["credits"]}
    assert {"dev", "bob"} <= {c["login"] for c in remote["credits"]}  # PR author, #2's suggester


def test_pull_requests_count_only_when_merged_into_the_build(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, labels = make_repo([
        {"commit": "Initial"}, {"tag": "v1"},
        {"commit": "Port sync (#44)", "as": "port"},  # claims a pull merged into another branch
        {"commit": "Themes (#45)", "as": "rebased"},  # a rebase merge: not the merge commit, but in the pull
        {"commit": "Docs (#46)"},  # #46 is an issue, not a pull request
        {"tag": "v2"},
    ], config=CONFIG)
    for number, title in [(5, "Sync"), (7, "Themes"), (9, "Docs")]:
        server.add_issue(number, title, user="erin", labels=[LABEL])
    server.add_pull(44, "Sync", body="Closes #5", base="release-1", merge_commit_sha="a" * 40)
    server.add_pull(45, "Themes", body="Closes #7", merge_commit_sha="b" * 40)
    server.link_commit_pull(labels["rebased"], 45)
    server.add_issue(46, "Docs request", body="Closes #9", labels=[LABEL])
    report = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)
    assert [(s["id"], s["pulls"]) for s in report["shipped"]] == [("7", ["45"])]


def test_voters_over_two_pages(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}],
                        config=CONFIG)
    server.add_issue(1, "Popular", user="alice", labels=[LABEL])
    for i in range(150):
        server.add_reaction(1, f"fan{i}", "+1")
    server.add_reaction(1, "fan0", "heart")
    server.add_reaction(1, "alice", "+1")  # the author is not a voter of her own request
    report = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)
    entry = report["shipped"][0]
    assert entry["votes"] == 150 and entry["voters"] == [f"fan{i}" for i in range(150)]
    assert server.reads(r"/issues/1/reactions$") == 2


def test_any_of_several_labels_makes_a_request(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1, #2 and #3"}, {"tag": "v2"}],
                        config=CONFIG + "requests:\n  labels: [idea, wish]\n")
    server.add_issue(1, "a", labels=["idea"])
    server.add_issue(2, "b", labels=["wish", "idea"])
    server.add_issue(3, "c", labels=["bug"])
    report = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)
    assert sorted(s["id"] for s in report["shipped"]) == ["1", "2"]


def test_withdrawn_request_loses_its_label_and_gets_a_note(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = make_repo([
        {"commit": "Initial"}, {"tag": "v1"}, {"commit": "Dark mode\n\nFixes #1", "as": "dark"}, {"tag": "v2"},
        {"commit": 'Revert "Dark mode"\n\nThis reverts commit {dark}.'}, {"tag": "v3"},
    ], config=CONFIG)
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    server.add_release("v3", body="")
    assert run(repo, server, "release", "v2").exit_code == 0
    result = run(repo, server, "release", "v3")
    assert result.exit_code == 0, result.stderr
    assert "wrote: github: #1 unlabel shipped" in result.stdout
    issue = server.snapshot()["issues"]["1"]
    assert issue["labels"] == [LABEL] and issue["state"] == "closed"  # the state is left as it is
    assert [marker("withdrawn", "v3") in c["body"] for c in issue["comments"]] == [False, True]
    server.reset_log()
    assert run(repo, server, "release", "v3").exit_code == 0 and server.writes() == 0


# -- crash safety and retries ------------------------------------------------------


def test_crash_after_any_write_resumes_to_the_same_state(project: tuple[Path, dict[str, str]],
                                                         reference: tuple[str, int]) -> None:
    repo, labels = project
    final, total = reference
    for k in range(total + 1):
        with serve() as fake:
            seed(fake, labels)
            fake.refuse_writes_after = k
            first = run(repo, fake, "release", "v2")
            if k < total:
                assert first.exit_code == 1, (k, first.stdout, first.stderr)
                assert one_line(first).startswith("tracker: GitHub"), k
            fake.refuse_writes_after = None
            resumed = run(repo, fake, "release", "v2")
            assert resumed.exit_code == 0, (k, resumed.stderr)
            assert state(fake) == final, k


@pytest.mark.parametrize("rng_seed", [7, 8, 11])  # seeds whose 502s hit comments, labels and a PATCH
def test_flaky_server_reaches_the_same_state(project: tuple[Path, dict[str, str]], reference: tuple[str, int],
                                             server: FakeGitHub, rng_seed: int) -> None:
    seed(server, project[1])
    server.reseed(rng_seed)
    server.fail_rate = 0.1
    result = run(project[0], server, "-v", "release", "v2")
    assert result.exit_code == 0, result.stderr
    assert server.fault_count > 0 and state(server) == reference[0]
    # The plugin's own count sees every attempt, retries included, as the server does.
    assert f"github: {server.reads()} reads, {server.writes()} writes" in result.stderr


def test_lost_answers_never_duplicate_a_comment(project: tuple[Path, dict[str, str]], reference: tuple[str, int],
                                                server: FakeGitHub) -> None:
    seed(server, project[1])
    server.drop_after_write = True  # every write lands, and its answer is a 502
    result = run(project[0], server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    assert server.writes("/comments$") == 4  # each comment posted once (three shipped, one fixed), found on re-reading
    assert state(server) == reference[0]


def test_secondary_rate_limit_waits_retry_after(project: tuple[Path, dict[str, str]], reference: tuple[str, int],
                                                server: FakeGitHub) -> None:
    seed(server, project[1])
    server.faults_on_writes_only = True
    server.secondary_rate_limit_every = 6
    started = time.monotonic()
    result = run(project[0], server, "release", "v2")
    assert result.exit_code == 0 and result.stderr == "", result.stderr  # PyGithub's retry chatter stays quiet
    limited = [i for i, r in enumerate(server.log) if r.status == 403]
    assert limited and time.monotonic() - started >= len(limited) * 1.0  # Retry-After: 1, honoured
    for i in limited:  # the refused write is sent again, POST included (nothing was applied)
        assert (server.log[i + 1].method, server.log[i + 1].path) == (server.log[i].method, server.log[i].path)
    assert state(server) == reference[0]


def test_concurrent_runs_keep_one_comment(project: tuple[Path, dict[str, str]], server: FakeGitHub) -> None:
    from tracker._config import Config
    from tracker_github.issues import GithubIssues

    repo, labels = project
    seed(server, labels)
    context = Context(config=Config(), root=repo, git_dir=repo / ".git", env=env_for(server))
    plugin = GithubIssues(context)
    plugin.requests()  # our listing says #3 has no comments yet…
    tag = marker(SHIPPED, "v2")
    server.add_comment(3, "tracker-bot", f"Thanks from the other run\n\n{tag}")  # …but another run just posted
    lines = plugin.mark([Mark("3", "v2", SHIPPED, "Thanks", "shipped", True)])
    assert any(line.startswith("github: #3 delete duplicate comment") for line in lines)
    assert [c["body"] for c in server.comments(3)] == [f"Thanks from the other run\n\n{tag}"]


# -- who built it -------------------------------------------------------------------


def test_builders_are_named_by_their_github_accounts_in_one_query(make_repo: MakeRepo, server: FakeGitHub) -> None:
    """GitHub links a commit to the account whose email wrote it: that login is credited,
    read in one batched GraphQL query (100 commits a call), never guessed from a name."""
    history = [{"commit": "Initial", "author": "Maint <maint@corp.example>"}, {"tag": "v1"},
               *({"commit": f"Refactor {n}", "author": "Maint <maint@corp.example>"} for n in range(3)),
               {"commit": "Dark mode\n\nFixes #1", "author": "Frank F <frank@corp.example>"},
               {"commit": "Export\n\nFixes #2", "author": "alice <alice@example.org>"},
               {"commit": "Sync\n\nFixes #3\n\nCo-authored-by: Gil <gil@corp.example>",
                "author": "Ed <7+ed@users.noreply.github.com>"},
               {"tag": "v2"}]
    repo, _ = make_repo(history, config=CONFIG)
    for number, title in ((1, "Dark mode"), (2, "Export"), (3, "Sync")):
        server.add_issue(number, title, user="zoe", labels=[LABEL])
    # GitHub knows Frank's and Gil's addresses; alice@example.org is nobody's (she is not @alice).
    seed_commits(server, repo, {"frank@corp.example": "frank-f", "gil@corp.example": "gil"})
    server.reset_log()
    result = run(repo, server, "changelog", "v2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema("report-1.schema.json")).validate(report)
    by_id = {s["id"]: s for s in report["shipped"]}
    assert (by_id["1"]["builders"], by_id["1"]["builder_names"]) == (["frank-f"], [])
    assert (by_id["2"]["builders"], by_id["2"]["builder_names"]) == ([], ["alice"])
    # Ed by his no-reply address (GitHub is not asked); a co-author's email is no commit: named as written.
    assert (by_id["3"]["builders"], by_id["3"]["builder_names"]) == (["ed"], ["Gil"])
    assert len(server.graphql("query")) == 1  # one batched GraphQL query for the two commits it was asked about
    assert server.reads(r"/commits") == 0  # never one call per commit, and no listing to page through


def test_builders_github_does_not_know_are_named_as_written(project: tuple[Path, dict[str, str]],
                                                             server: FakeGitHub) -> None:
    repo, labels = project
    seed(server, labels)  # no commits on the fake: GitHub answers 422 for the build's commit
    result = run(repo, server, "changelog", "v2", "--format", "json")
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    by_id = {s["id"]: s for s in json.loads(result.stdout)["shipped"]}
    assert (by_id["1"]["builders"], by_id["1"]["builder_names"]) == ([], ["frank"])
    assert by_id["3"]["builders"] == ["dev"]  # the squash-merged pull request's author, from GitHub


# -- budget ------------------------------------------------------------------------


def test_api_budget(project: tuple[Path, dict[str, str]], server: FakeGitHub) -> None:
    repo, labels = project
    seed(server, labels)
    result = run(repo, server, "-v", "release", "v2")
    assert result.exit_code == 0, result.stderr
    requests_, pulls, shipped = 6, 3, 4  # requests #1 #2 #3 #5 #6 and bug #4; pulls #40 #41 #43; #4 fixed
    labels, commits = 2, 6  # a listing per label (feature-request, bug); the commit listing for builders
    budget = labels * math.ceil(requests_ / 100) + math.ceil(pulls / 100) + math.ceil(commits / 100) \
        + 2 * shipped + 10
    assert server.reads() <= budget and server.writes() <= 3 * shipped + 2, (server.reads(), server.writes())
    assert f"github: {server.reads()} reads, {server.writes()} writes" in result.stderr
    server.reset_log()
    assert run(repo, server, "release", "v2").exit_code == 0
    assert server.writes() == 0 and server.reads() <= budget


# -- bad input and bad credentials -------------------------------------------------


def test_bad_token_is_one_line_without_the_token(project: tuple[Path, dict[str, str]], server: FakeGitHub) -> None:
    seed(server, project[1])
    secret = "ghp_" + "x" * 36
    result = run(project[0], server, "release", "v2", GITHUB_TOKEN=secret)
    assert result.exit_code == 1
    assert "GitHub rejected the token (401 Bad credentials)" in one_line(result)
    assert secret not in result.stdout + result.stderr and TOKEN not in result.stderr


@pytest.mark.parametrize("env, config", [
    ({"GITHUB_TOKEN": ""}, ""),
    ({"GITHUB_REPOSITORY": "acme"}, ""),
    ({"GITHUB_REPOSITORY": "acme/app/extra"}, ""),
    ({"GITHUB_REPOSITORY": "-acme/app"}, ""),
    ({"GITHUB_REPOSITORY": "acme/.."}, ""),
    ({}, "repository: 'acme app'\n"),  # the config decides, even with a good GITHUB_REPOSITORY
])
def test_bad_input_stops_before_any_request(make_repo: MakeRepo, server: FakeGitHub, env: dict[str, str],
                                            config: str) -> None:
    repo, _ = make_repo(HISTORY, config=CONFIG + config)
    result = run(repo, server, "release", "v2", **env)
    assert result.exit_code == 2, result.stderr
    one_line(result)
    assert server.log == []


def test_repository_from_the_origin_remote(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, labels = make_repo(HISTORY, config=CONFIG + "issues: github\n")
    seed(server, labels)
    subprocess.run(["git", "remote", "add", "origin", "git@github.com:acme/app.git"], cwd=repo, check=True)
    result = run(repo, server, "changelog", "v2", "--format", "json", GITHUB_REPOSITORY="")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["project"] == "acme/app"


@pytest.mark.parametrize("url, slug", [
    ("https://github.com/acme/app.git", "acme/app"),
    ("https://github.com/acme/app", "acme/app"),
    ("git@github.com:acme/app.git", "acme/app"),
    ("ssh://git@github.com/acme/app.git", "acme/app"),
    ("https://token@github.com/acme/app.git", "acme/app"),
    ("https://gitlab.com/acme/app.git", None),
    ("/srv/git/app.git", None),
])
def test_slug_from_remote(url: str, slug: str | None) -> None:
    from tracker.hooks import slug_from_remote

    assert slug_from_remote(url, {"github.com"}) == slug


# -- release notes -----------------------------------------------------------------


def test_draft_release_is_found_and_kept_a_draft(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}],
                        config=CONFIG)
    server.add_issue(1, "Dark mode", labels=[LABEL])
    server.add_release("v2", body="Draft by a person", draft=True)
    assert run(repo, server, "publish", "v2").exit_code == 0
    release: dict[str, Any] = server.snapshot()["releases"]["v2"]
    assert release["draft"] and release["body"].startswith("Draft by a person\n\n<!-- tracker:start -->")
    assert len(server.snapshot()["releases"]) == 1


def test_release_is_created_when_missing(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}],
                        config=CONFIG)
    server.add_issue(1, "Dark mode", labels=[LABEL])
    assert "wrote: github: create release v2" in run(repo, server, "publish", "v2").stdout
    release = server.snapshot()["releases"]["v2"]
    assert release["name"] == "v2" and release["body"].startswith("<!-- tracker:start -->\n## v2")
    server.reset_log()
    assert run(repo, server, "publish", "v2").exit_code == 0 and server.writes() == 0


def test_github_is_not_imported_by_commands_that_do_not_use_it(make_repo: MakeRepo) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}])
    code = ("import sys; from tracker.cli import main; sys.argv = ['tracker', '--repo', sys.argv[1], 'top'];"
            "\ntry:\n    main()\nexcept SystemExit:\n    pass\nassert 'github' not in sys.modules, 'imported'")
    done = subprocess.run([__import__("sys").executable, "-c", code, str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_requests_are_plain_data(project: tuple[Path, dict[str, str]], server: FakeGitHub) -> None:
    from tracker._config import Config
    from tracker_github.issues import GithubIssues

    seed(server, project[1])
    plugin = GithubIssues(Context(config=Config(), root=project[0], git_dir=project[0] / ".git",
                                  env=env_for(server)))
    found = {r.id: r for r in plugin.requests()}
    assert sorted(found) == ["1", "2", "3", "4", "5", "6"]  # no pull request
    assert found["6"] == Request(id="6", title="Night mode", author="dave", state="closed",
                                 created_at=found["6"].created_at, url=f"{server.root_url}/acme/app/issues/6",
                                 votes=1, duplicate_of="1", labels=(LABEL,))
    assert found["4"].kind == REPORT and found["4"].labels == ("bug",)  # a bug report, from the same kind of listing
    assert {r.kind for rid, r in found.items() if rid != "4"} == {REQUEST}
    assert found["1"].votes == 4  # GitHub's own count; the voter list later drops the bot and the ghost


def test_the_site_costs_no_extra_reads(make_repo: MakeRepo, tmp_path: Path) -> None:
    """Earlier builds on the site come from what the release read already: publishing the
    site, CHANGELOG.md and the release notes reads GitHub exactly as often as the release
    notes alone (requests listed once, no voter or pull request read twice)."""
    history = [*HISTORY, {"commit": "Sync at last\n\nFixes #5", "author": "frank"}, {"tag": "v3"}]
    reads = {}
    for publish in ("[github-release]", "[site, changelog-file, github-release]"):
        config = f"publish: {publish}\nsite:\n  dir: {tmp_path / publish[1:5]}\nchangelog:\n" \
                 f"  file: {tmp_path / publish[1:5]}.md\n"
        repo, labels = make_repo(history, config=config)
        with serve() as server:
            seed(server, labels)
            server.add_release("v3", body="")
            result = run(repo, server, "release", "v3")
            assert result.exit_code == 0, result.stderr
            reads[publish] = server.reads()
    assert (tmp_path / "site" / "builds" / "v2.html").is_file()  # the site did list the earlier build
    assert reads["[site, changelog-file, github-release]"] == reads["[github-release]"], reads


def test_the_site_shows_an_earlier_build_from_the_report_it_kept(make_repo: MakeRepo, tmp_path: Path) -> None:
    """A release of v3 reads nothing new for v2 (see above), so what only a read could tell of v2
    (its voters, a request closed by a pull request's description) comes from the report the site
    kept when it published v2 (`reports/v2.json`), not from the release of v3."""
    history = [*HISTORY, {"commit": "Sync at last\n\nFixes #5", "author": "frank"}, {"tag": "v3"}]
    site = tmp_path / "site"
    repo, labels = make_repo(history, config=f"publish: [site]\nsite:\n  dir: {site}\n")
    with serve() as server:
        seed(server, labels)
        assert run(repo, server, "release", "v2").exit_code == 0
        kept = json.loads((site / "reports" / "v2.json").read_text(encoding="utf-8"))
        assert run(repo, server, "release", "v3").exit_code == 0
        page = (site / "builds" / "v2.html").read_text(encoding="utf-8")
        assert "Export to CSV" in page and "@carol" in page  # closed by #40's body; a voter of #1
        assert json.loads((site / "reports" / "v2.json").read_text(encoding="utf-8")) == kept
        (site / "reports" / "v2.json").unlink()  # what v3's release alone can tell of v2: less
        assert run(repo, server, "release", "v3").exit_code == 0
        partial = (site / "builds" / "v2.html").read_text(encoding="utf-8")
        assert "Export to CSV" not in partial and "@carol" not in partial
