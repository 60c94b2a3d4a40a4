"""The GitLab plugin, driven through the real CLI against tests/gitlab_server.py.

Unmodified python-gitlab talks HTTP to the local fake; nothing is patched. The
scenario is GitHub's (tests/github_fixtures.py) told the GitLab way: merge
commits `See merge request acme/app!N`, merge requests whose descriptions close
issues, one closed without merging, thumbs-up award emoji (a bot's and a
deleted account's among them), a duplicate, and a bug report without the label.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from conftest import invoke, schema
from github_fixtures import LOCAL_REQUESTS
from gitlab_fixtures import CONFIG, HISTORY, LABEL, MakeRepo, run, seed, state
from gitlab_server import FakeGitLab

from tracker.hooks import SHIPPED, WITHDRAWN, marker


@pytest.fixture
def server() -> Iterator[FakeGitLab]:
    with FakeGitLab() as fake:
        yield fake
    assert not fake.errors, "the fake itself crashed:\n" + "\n".join(fake.errors)


@pytest.fixture
def project(make_repo: MakeRepo) -> tuple[Path, dict[str, str]]:
    return make_repo(HISTORY, config=CONFIG)


def simple(make_repo: MakeRepo, server: FakeGitLab, message: str = "Fixes #1", config: str = "") -> Path:
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    return make_repo([{"commit": "Initial"}, {"tag": "v1"}, {"commit": message}, {"tag": "v2"}],
                     config=CONFIG + config)[0]


# -- what a release does -----------------------------------------------------------


def test_release_marks_exactly_the_shipped_requests(project: tuple[Path, dict[str, str]],
                                                    server: FakeGitLab) -> None:
    repo, labels = project
    seed(server, labels)
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    for line in ("gitlab: #1 note shipped v2", "gitlab: create label shipped", "gitlab: #3 label shipped",
                 "gitlab: #2 close", "gitlab: release v2 notes"):
        assert f"wrote: {line}\n" in result.stdout
    snap = server.snapshot()
    for number in ("1", "2", "3"):
        issue = snap["issues"][number]
        assert issue["state"] == "closed" and set(issue["labels"]) == {LABEL, "shipped"}
        assert [n[0] for n in issue["notes"] if marker(SHIPPED, "v2") in n[1]] == ["tracker-bot"]
    assert "@alice, @dave and the 3 who voted" in snap["issues"]["1"]["notes"][0][1]
    # #4 is a bug report (`reports.labels`: bug): fixed, its reporter thanked, labelled and closed too.
    assert snap["issues"]["4"]["state"] == "closed" and set(snap["issues"]["4"]["labels"]) == {"bug", "shipped"}
    assert [n[1] for n in snap["issues"]["4"]["notes"]] == [
        f"Fixed in **v2** — thank you @zed for reporting!\n\n{marker(SHIPPED, 'v2')}"]
    for number in ("5", "6"):  # not shipped, a duplicate
        assert "shipped" not in snap["issues"][number]["labels"]
        assert all("tracker:" not in n[1] for n in snap["issues"][number]["notes"])
    assert snap["issues"]["5"]["state"] == "opened"
    assert snap["labels"]["shipped"] == ["shipped", "#0e8a16", "Shipped in a build (set by tracker)"]
    name, body = snap["releases"]["v2"]
    assert name == "Build 2" and body.startswith("Maintainer intro.\n\n<!-- tracker:start -->\n## v2")
    assert body.endswith("<!-- tracker:end -->\n") and "Offline mode" in body

    server.reset_log()
    again = run(repo, server, "release", "v2")
    assert again.exit_code == 0, again.stderr
    assert server.writes() == 0 and again.stdout == "v2: nothing to write (already up to date)\n"


def test_dry_run_reads_and_writes_nothing(project: tuple[Path, dict[str, str]], server: FakeGitLab) -> None:
    seed(server, project[1])
    before = state(server)
    result = run(project[0], server, "release", "v2", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert server.writes() == 0 and state(server) == before
    for line in ("gitlab: #1 note shipped v2", "gitlab: create label shipped", "gitlab: #2 close",
                 "gitlab: release v2 notes"):
        assert f"would write: {line}\n" in result.stdout


def test_changelog_credits_the_same_people_as_github(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo, labels = make_repo(HISTORY, config=CONFIG, requests=LOCAL_REQUESTS)
    seed(server, labels)
    local = json.loads(invoke(["--repo", str(repo), "--issues", "local", "changelog", "v2", "--format",
                               "json"]).stdout)
    result = run(repo, server, "changelog", "v2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    remote = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema("report-1.schema.json")).validate(remote)
    assert server.writes() == 0
    # Commit messages alone ship #1; GitLab's merge requests add #2 (!40) and #3 (!41); !43 was not merged.
    assert [s["id"] for s in local["shipped"]] == ["1"]
    by_id = {s["id"]: s for s in remote["shipped"]}
    assert sorted(by_id) == ["1", "2", "3"] and by_id["2"]["pulls"] == ["40"] and by_id["3"]["pulls"] == ["41"]
    people = ("author", "co_authors", "voters", "votes", "commits")
    assert {k: by_id["1"][k] for k in people} == {k: local["shipped"][0][k] for k in people}
    assert by_id["1"]["voters"] == ["bob", "carol", "erin"]  # no bot, no deleted account
    assert by_id["1"]["url"] == f"{server.url}/acme/app/-/issues/1"
    credits = {c["login"]: c for c in remote["credits"]}
    assert set(credits) >= {c["login"] for c in local["credits"]} | {"dev", "bob"}


def test_merge_requests_count_only_when_gitlab_agrees(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo, labels = make_repo([
        {"commit": "Initial"}, {"tag": "v1"},
        {"commit": "Port sync\n\nSee merge request acme/app!44"},  # merged into another branch
        {"commit": "Themes\n\nSee merge request acme/app!45", "as": "rebased"},  # rebased: no merge commit
        {"commit": "Docs\n\nSee merge request acme/app!46"},  # no such merge request
        {"commit": "Search\n\nSee merge request acme/app!47", "as": "squash"},  # fast-forward squash
        {"commit": "Other\n\nSee merge request other/app!48"},  # another project's
        {"tag": "v2"},
    ], config=CONFIG)
    for number in (5, 7, 8, 9, 10):
        server.add_issue(number, f"Request {number}", user="erin", labels=[LABEL])
    server.add_mr(44, "Sync", "Closes #5", merge_commit_sha="a" * 40, target_branch="release-1")
    server.add_mr(45, "Themes", "Closes #7")
    server.link_commit_mr(labels["rebased"], 45)
    server.add_mr(47, "Search", f"Resolves {server.url}/acme/app/-/issues/8", squash_commit_sha=labels["squash"])
    server.add_mr(48, "Other", "Closes #10")
    report = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)
    assert sorted((s["id"], s["pulls"][0]) for s in report["shipped"]) == [("7", "45"), ("8", "47")]
    assert server.reads(r"/app/merge_requests$") == 1  # one listing by iid for every claim


def test_a_merge_requests_own_closes_issues_list_counts(make_repo: MakeRepo, server: FakeGitLab) -> None:
    """An issue linked to the MR in GitLab (not in its description) ships, as GitLab would close it;
    an unmerged MR's list ships nothing and is not even read."""
    repo, labels = make_repo([
        {"commit": "Initial"}, {"tag": "v1"},
        {"commit": "Search\n\nSee merge request acme/app!47", "as": "squash"},
        {"commit": "Try\n\nSee merge request acme/app!48"},
        {"tag": "v2"},
    ], config=CONFIG)
    for number in (5, 6, 7):
        server.add_issue(number, f"Request {number}", user="erin", labels=[LABEL])
    server.add_mr(47, "Search", "No keywords here.", squash_commit_sha=labels["squash"])
    server.link_mr_closes(47, 5, 6)
    server.add_mr(48, "Try", "", state="closed")
    server.link_mr_closes(48, 7)
    report = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)
    assert sorted((s["id"], s["pulls"][0]) for s in report["shipped"]) == [("5", "47"), ("6", "47")]
    assert server.reads(r"/merge_requests/\d+/closes_issues$") == 1


def test_voters_over_two_pages(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo = simple(make_repo, server)
    for i in range(150):
        server.add_award(1, f"fan{i}")
    server.add_award(1, "fan0", "heart")
    server.add_award(1, "alice")  # the author is not a voter of her own request
    entry = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)["shipped"][0]
    assert entry["votes"] == 150 and entry["voters"] == [f"fan{i}" for i in range(150)]
    assert server.reads(r"/issues/1/award_emoji$") == 2


def test_any_of_several_labels_and_no_confidential_issue(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1, #2, #3 and #4"},
                         {"tag": "v2"}], config=CONFIG + "requests:\n  labels: [idea, wish]\n")
    server.add_issue(1, "a", labels=["idea"])
    server.add_issue(2, "b", labels=["wish", "idea"])
    server.add_issue(3, "c", labels=["bug"])
    server.add_issue(4, "secret plan", labels=["idea"], confidential=True)  # never in public notes
    report = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)
    assert sorted(s["id"] for s in report["shipped"]) == ["1", "2"]


def test_duplicates_on_gitlab_before_15_1_come_from_the_system_note(make_repo: MakeRepo) -> None:
    with FakeGitLab(legacy_duplicates=True) as server:
        repo, labels = make_repo(HISTORY, config=CONFIG)
        seed(server, labels)
        report = json.loads(run(repo, server, "changelog", "v2", "--format", "json").stdout)
        shipped = {s["id"]: s for s in report["shipped"]}
        assert shipped["1"]["co_authors"] == ["dave"] and "erin" in shipped["1"]["voters"]
        assert server.reads(r"/issues/\d+/notes$") == 1  # only the closed request's notes


def test_withdrawn_request_loses_its_label_and_gets_a_note(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo, _ = make_repo([
        {"commit": "Initial"}, {"tag": "v1"}, {"commit": "Dark mode\n\nFixes #1", "as": "dark"}, {"tag": "v2"},
        {"commit": 'Revert "Dark mode"\n\nThis reverts commit {dark}.'}, {"tag": "v3"},
    ], config=CONFIG)
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    assert run(repo, server, "release", "v2").exit_code == 0
    result = run(repo, server, "release", "v3")
    assert result.exit_code == 0, result.stderr
    assert "wrote: gitlab: #1 unlabel shipped" in result.stdout
    assert "wrote: gitlab: create release v3" in result.stdout
    issue = server.snapshot()["issues"]["1"]
    assert issue["labels"] == [LABEL] and issue["state"] == "closed"  # the state is left as it is
    assert [marker(WITHDRAWN, "v3") in n[1] for n in issue["notes"]] == [False, True]
    server.reset_log()
    assert run(repo, server, "release", "v3").exit_code == 0 and server.writes() == 0


# -- where the plugin points, and with which token -----------------------------------


def test_subgroup_project_from_the_origin_remote(make_repo: MakeRepo) -> None:
    with FakeGitLab(path="acme/tools/app") as server:
        history = [{**step, "commit": step["commit"].replace("acme/app!", "acme/tools/app!")}
                   if "commit" in step else step for step in HISTORY]
        repo, labels = make_repo(history, config=CONFIG)
        seed(server, labels)
        subprocess.run(["git", "remote", "add", "origin", "git@gitlab.com:acme/tools/app.git"], cwd=repo, check=True)
        result = run(repo, server, "changelog", "v2", "--format", "json", CI_PROJECT_PATH="")
        assert result.exit_code == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["project"] == "acme/tools/app" and sorted(s["id"] for s in report["shipped"]) == ["1", "2"]
        # !41's description says `Closes acme/app#3`: another project, seen from acme/tools/app.


def test_job_token_reads_a_public_project_and_writes_only_release_notes(
        project: tuple[Path, dict[str, str]]) -> None:
    with FakeGitLab(public=True) as server:
        seed(server, project[1])
        env = {"GITLAB_TOKEN": "", "CI_JOB_TOKEN": server.job_token}
        published = run(project[0], server, "publish", "v2", **env)
        assert published.exit_code == 0, published.stderr
        assert "wrote: gitlab: release v2 notes" in published.stdout
        before, writes = state(server), server.writes()
        shipped = run(project[0], server, "ship", "v2", **env)
        assert shipped.exit_code == 2 and "CI_JOB_TOKEN cannot write issues" in shipped.stderr
        assert server.writes() == writes and state(server) == before


def test_release_is_created_when_missing(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo = simple(make_repo, server)
    assert "wrote: gitlab: create release v2" in run(repo, server, "publish", "v2").stdout
    name, body = server.snapshot()["releases"]["v2"]
    assert name == "v2" and body.startswith("<!-- tracker:start -->\n## v2")
    server.reset_log()
    assert run(repo, server, "publish", "v2").exit_code == 0 and server.writes() == 0


def test_gitlab_is_not_imported_by_commands_that_do_not_use_it(make_repo: MakeRepo) -> None:
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}])
    code = ("import sys; from tracker.cli import main; sys.argv = ['tracker', '--repo', sys.argv[1], 'top'];"
            "\ntry:\n    main()\nexcept SystemExit:\n    pass\nassert 'gitlab' not in sys.modules, 'imported'")
    done = subprocess.run([sys.executable, "-c", code, str(repo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
