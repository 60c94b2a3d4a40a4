"""The GitLab plugin under faults, races and bad input (tests/gitlab_server.py's knobs).

The promise is GitHub's: a run that dies after any write resumes to the same
final state, 5xx and 429 answers are retried without writing anything twice,
bad input stops before the first request, and issues that change under a run
(a locked discussion, an issue deleted or moved after the listing, a release
someone else creates) are handled as on GitHub.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlab_fixtures import CONFIG, HISTORY, LABEL, TOKEN, MakeRepo, env_for, one_line, run, seed, state
from gitlab_server import FakeGitLab

from tracker._config import Config
from tracker.hooks import SHIPPED, Context, Mark, marker


@pytest.fixture
def server() -> Iterator[FakeGitLab]:
    with FakeGitLab() as fake:
        yield fake
    assert not fake.errors, "the fake itself crashed:\n" + "\n".join(fake.errors)


@pytest.fixture
def project(make_repo: MakeRepo) -> tuple[Path, dict[str, str]]:
    return make_repo(HISTORY, config=CONFIG)


@pytest.fixture
def reference(project: tuple[Path, dict[str, str]]) -> tuple[str, int]:
    """(final state, writes) of one uninterrupted `release v2` on a healthy server."""
    with FakeGitLab() as clean:
        seed(clean, project[1])
        result = run(project[0], clean, "release", "v2")
        assert result.exit_code == 0, result.stderr
        return state(clean), clean.writes()


def test_crash_after_any_write_resumes_to_the_same_state(project: tuple[Path, dict[str, str]],
                                                         reference: tuple[str, int]) -> None:
    repo, labels = project
    final, total = reference
    for k in range(total + 1):
        with FakeGitLab() as fake:
            seed(fake, labels)
            fake.refuse_after(k)
            first = run(repo, fake, "release", "v2")
            if k < total:
                assert first.exit_code == 1, (k, first.stdout, first.stderr)
                assert one_line(first).startswith("tracker: GitLab answered 500"), k
            fake.refuse_after(None)
            resumed = run(repo, fake, "release", "v2")
            assert resumed.exit_code == 0, (k, resumed.stderr)
            assert state(fake) == final, k


@pytest.mark.parametrize("rng_seed", [8, 11, 12])  # seeds whose 502s hit notes, PUTs and award lists
def test_flaky_server_reaches_the_same_state(project: tuple[Path, dict[str, str]], reference: tuple[str, int],
                                             server: FakeGitLab, rng_seed: int) -> None:
    seed(server, project[1])
    server.reseed(rng_seed)
    server.fail_rate = 0.15
    result = run(project[0], server, "-v", "release", "v2")
    assert result.exit_code == 0, result.stderr
    assert server.fault_count > 0 and state(server) == reference[0]
    # The plugin's own count sees every attempt, retries included, as the server does.
    assert f"gitlab: {server.reads()} reads, {server.writes()} writes" in result.stderr


def test_lost_answers_never_duplicate_a_note(project: tuple[Path, dict[str, str]], reference: tuple[str, int],
                                             server: FakeGitLab) -> None:
    seed(server, project[1])
    server.drop_after_write = True  # every write lands, and its answer is a 502
    result = run(project[0], server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    assert server.writes("/notes$") == 4  # each note posted once (three shipped, one fixed), found on re-reading
    assert state(server) == reference[0]


def test_rate_limit_waits_retry_after(project: tuple[Path, dict[str, str]], reference: tuple[str, int],
                                      server: FakeGitLab) -> None:
    seed(server, project[1])
    server.faults_on_writes_only = True
    server.rate_limit_every = 3
    started = time.monotonic()
    result = run(project[0], server, "release", "v2")
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    limited = [i for i, r in enumerate(server.log) if r.status == 429]
    assert limited and time.monotonic() - started >= len(limited) * 1.0  # Retry-After: 1, honoured
    for i in limited:  # the refused write is sent again, POST included (nothing was applied)
        assert server.log[i + 1][:2] == server.log[i][:2]
    assert state(server) == reference[0]


def test_concurrent_runs_keep_one_note(project: tuple[Path, dict[str, str]], server: FakeGitLab) -> None:
    from tracker_gitlab.issues import GitlabIssues

    repo, labels = project
    seed(server, labels)
    plugin = GitlabIssues(Context(config=Config(), root=repo, git_dir=repo / ".git", env=env_for(server)))
    plugin.requests()  # our listing says #3 has no notes yet…
    tag = marker(SHIPPED, "v2")
    server.add_note(3, "tracker-bot", f"Thanks from the other run\n\n{tag}")  # …but another run just posted
    server.add_note(3, "carol", f"Quoting it: {tag}")  # someone else's note is never deleted
    lines = plugin.mark([Mark("3", "v2", SHIPPED, "Thanks", "shipped", True)])
    assert any(line.startswith("gitlab: #3 delete duplicate note") for line in lines)
    assert [n[1] for n in server.snapshot()["issues"]["3"]["notes"]] == [
        f"Thanks from the other run\n\n{tag}", f"Quoting it: {tag}"]


def test_api_budget(project: tuple[Path, dict[str, str]], server: FakeGitLab) -> None:
    seed(server, project[1])
    result = run(project[0], server, "-v", "release", "v2")
    assert result.exit_code == 0, result.stderr
    requests_, shipped, labels = 6, 4, 2  # requests #1 #2 #3 #5 #6, bug #4 (fixed); a listing per label
    budget = labels * math.ceil(requests_ / 100) + 1 + 2 * shipped + 4  # merge requests in one listing
    assert server.reads() <= budget and server.writes() <= 2 * shipped + 2, (server.reads(), server.writes())
    server.reset_log()
    assert run(project[0], server, "release", "v2").exit_code == 0
    assert server.writes() == 0 and server.reads() <= budget


# -- bad input and bad credentials -------------------------------------------------


def test_bad_token_is_one_line_without_the_token(project: tuple[Path, dict[str, str]], server: FakeGitLab) -> None:
    seed(server, project[1])
    secret = "glpat-" + "x" * 20
    result = run(project[0], server, "release", "v2", GITLAB_TOKEN=secret)
    assert result.exit_code == 1
    assert "GitLab rejected the token (401 Unauthorized)" in one_line(result)
    assert secret not in result.stdout + result.stderr and TOKEN not in result.stderr


@pytest.mark.parametrize("env, config", [
    ({"GITLAB_TOKEN": ""}, ""),
    ({"CI_PROJECT_PATH": "acme"}, ""),
    ({"CI_PROJECT_PATH": "acme/app/"}, ""),
    ({"CI_PROJECT_PATH": "acme//app"}, ""),
    ({"CI_PROJECT_PATH": "-acme/app"}, ""),
    ({"CI_PROJECT_PATH": "acme/app.git"}, ""),
    ({"CI_PROJECT_PATH": "acme/a pp"}, ""),
    ({"CI_SERVER_URL": "gitlab.example.com"}, ""),
    ({}, "repository: 'acme app'\n"),  # the config decides, even with a good CI_PROJECT_PATH
])
def test_bad_input_stops_before_any_request(make_repo: MakeRepo, server: FakeGitLab, env: dict[str, str],
                                            config: str) -> None:
    repo, _ = make_repo(HISTORY, config=CONFIG + config)
    result = run(repo, server, "release", "v2", **env)
    assert result.exit_code == 2, result.stderr
    one_line(result)
    assert server.log == []


def test_a_release_and_label_created_meanwhile_are_used_not_duplicated(make_repo: MakeRepo,
                                                                      server: FakeGitLab) -> None:
    server.add_issue(1, "Dark mode", user="alice", labels=["feature-request"])
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}],
                        config=CONFIG)

    def other_run(method: str, path: str) -> None:  # another run creates both just before we do
        if method == "POST" and path.endswith("/releases") and "v2" not in server.releases:
            server.add_release("v2", "Written by the other run.\n")
        if method == "POST" and path.endswith("/labels"):
            server.add_label("shipped", "#123456")

    server.before_write = other_run
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    snap = server.snapshot()
    assert snap["releases"]["v2"][1].startswith("Written by the other run.\n\n<!-- tracker:start -->")
    assert snap["labels"]["shipped"][1] == "#123456" and "shipped" in snap["issues"]["1"]["labels"]


# -- issues that change under a run ------------------------------------------------


def _odd_gitlab(server: FakeGitLab) -> None:
    """A locked issue, one locked after the listing, one deleted since, one moved away, one plain."""
    server.add_issue(1, "Locked one", user="alice", labels=[LABEL], locked=True)
    server.add_award(1, "bob")
    server.add_issue(2, "Locked meanwhile", user="bob", labels=[LABEL])
    server.add_issue(3, "Deleted since", user="carol", labels=[LABEL])
    server.add_award(3, "dave")
    server.add_issue(4, "Moved away", user="dave", labels=[LABEL])
    server.move_issue(4)
    server.add_issue(5, "Plain", user="erin", labels=[LABEL])
    server.add_release("v2", "Maintainer intro.\n")
    server.gone = {3: 404}

    def lock_meanwhile(method: str, path: str) -> None:
        if method == "POST" and path.endswith("/issues/2/notes"):
            server.lock(2)  # locked after our listing said it was not

    server.before_write = lock_meanwhile


ODD_HISTORY = [{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Ship them\n\nFixes #1, #2, #3, #4 and #5"},
               {"tag": "v2"}]
ONE_FIX = [{"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}]


def test_locked_deleted_and_moved_issues_release_and_rerun(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo, _ = make_repo(ODD_HISTORY, config=CONFIG)
    _odd_gitlab(server)
    result = run(repo, server, "release", "v2")
    assert result.exit_code == 0, result.stderr
    notes = result.stderr
    assert "Traceback" not in notes
    assert "note: #1 is locked and GitLab refused the shipped note for v2" in notes
    assert "note: #2 is locked" in notes
    assert notes.count("#3 is no longer an issue of acme/app (deleted or moved since it was listed)") == 2
    assert "skipped its votes" in notes and "skipped marking it shipped in v2" in notes
    assert "note: #4 was moved to another project; skipped its shipped mark for v2" in notes

    snap = server.snapshot()["issues"]
    tag = marker(SHIPPED, "v2")
    for number in ("1", "2"):  # refused notes, but the label and the state are still set
        assert snap[number] == {"state": "closed", "labels": [LABEL, "shipped"], "notes": []}
    assert snap["3"] == {"state": "opened", "labels": [LABEL], "notes": []}  # untouched
    assert snap["4"] == {"state": "closed", "labels": [LABEL], "notes": []}  # the moved original: untouched
    assert snap["5"]["labels"] == [LABEL, "shipped"] and [tag in n[1] for n in snap["5"]["notes"]] == [True]
    assert server.snapshot()["releases"]["v2"][1].startswith("Maintainer intro.\n\n<!-- tracker:start -->")

    before = state(server)
    server.reset_log()
    again = run(repo, server, "release", "v2")
    assert again.exit_code == 0, again.stderr
    assert state(server) == before
    # The only writes are refused ones: the locked issues' notes, asked again (the lock may be
    # gone by now), and the deleted issue's (found gone, again, only by trying).
    assert sorted((r.method, r.path.split("/issues/")[-1], r.status) for r in server.log if r.method != "GET") == [
        ("POST", "1/notes", 403), ("POST", "2/notes", 403), ("POST", "3/notes", 404)]


def test_a_locked_issue_that_lets_us_note_gets_its_note(make_repo: MakeRepo, server: FakeGitLab) -> None:
    repo, _ = make_repo(ONE_FIX, config=CONFIG)
    server.add_issue(1, "Locked one", user="alice", labels=[LABEL], locked=True)
    server.locked_refuses_notes = False  # a project member may note on a locked discussion
    result = run(repo, server, "ship", "v2")
    assert result.exit_code == 0 and "locked" not in result.stderr
    assert [marker(SHIPPED, "v2") in n[1] for n in server.snapshot()["issues"]["1"]["notes"]] == [True]


def test_only_a_lock_explains_a_refused_note(make_repo: MakeRepo, server: FakeGitLab) -> None:
    """Any other 403 is the token's problem: one line, exit 1, never a skipped note."""
    repo, _ = make_repo(ONE_FIX, config=CONFIG)
    server.add_issue(1, "Open discussion", user="alice", labels=[LABEL])
    server.before_write = lambda method, path: 403 if path.endswith("/notes") else None
    result = run(repo, server, "ship", "v2")
    assert result.exit_code == 1
    assert one_line(result).startswith("tracker: GitLab refused marking #1 shipped in v2 (403 ")
    assert server.snapshot()["issues"]["1"] == {"state": "opened", "labels": [LABEL], "notes": []}


def test_a_missing_project_is_not_a_missing_issue(make_repo: MakeRepo, server: FakeGitLab) -> None:
    """A 404 only skips an issue when a second read says the issue is gone, not the project."""
    repo, _ = make_repo(ONE_FIX, config=CONFIG)
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])

    def renamed(method: str, path: str) -> None:
        server.path = "acme/renamed"  # the project moved while we were running

    server.before_write = renamed
    result = run(repo, server, "ship", "v2")
    assert result.exit_code == 1
    assert one_line(result).startswith("tracker: GitLab answered 404 while marking #1 shipped in v2")


def test_a_release_made_meanwhile_after_a_lost_answer_gets_the_section(make_repo: MakeRepo,
                                                                       server: FakeGitLab) -> None:
    """Our create is answered 502 (not applied) and a person creates the release meanwhile:
    finding *a* release is not finding ours; it is updated, not taken as done."""
    repo, _ = make_repo(ONE_FIX, config=CONFIG)
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])

    def person_meanwhile(method: str, path: str) -> int | None:
        if method == "POST" and path.endswith("/releases") and "v2" not in server.releases:
            server.add_release("v2", "Notes by a person.\n")
            return 502
        return None

    server.before_write = person_meanwhile
    result = run(repo, server, "publish", "v2")
    assert result.exit_code == 0, result.stderr
    body = server.snapshot()["releases"]["v2"][1]
    assert body.startswith("Notes by a person.\n\n<!-- tracker:start -->\n") and "Dark mode" in body
    assert body.count("<!-- tracker:start -->") == 1
