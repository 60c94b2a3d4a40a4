"""Prove tests/github_server.py speaks GitHub's REST shapes, *through* PyGithub.

Nothing here patches PyGithub or touches the network: every call goes over
HTTP to the local fake.  Besides checking the fake, these tests pin down how
unmodified PyGithub + GithubRetry behave on faults, which the GitHub plugin
has to live with.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any

import github
import pytest
import requests
from github import GithubException, GithubRetry
from github.Repository import Repository
from github_server import FakeGitHub, pygithub_client, serve

TOKEN = "t0k3n"


@pytest.fixture
def gh(server: FakeGitHub) -> github.Github:
    return pygithub_client(server)


@pytest.fixture
def repo(gh: github.Github) -> Repository:
    return gh.get_repo("acme/app")


def raw_get(server: FakeGitHub, path: str, token: str | None = TOKEN) -> tuple[int, dict[str, str], Any]:
    """Plain urllib GET, to look at headers/bodies PyGithub hides from us."""
    request = urllib.request.Request(server.url + path)
    if token is not None:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


# --------------------------------------------------------------------------- basics


def test_repo_user_and_rate_limit_shapes(server: FakeGitHub, gh: github.Github, repo: Repository) -> None:
    assert repo.full_name == "acme/app"
    assert repo.owner.login == "acme" and repo.owner.type == "Organization"
    assert repo.url == f"{server.url}/repos/acme/app"
    assert repo.default_branch == "main"
    assert gh.get_user().login == "tracker-bot"
    assert gh.get_rate_limit().resources.core.remaining > 0
    assert gh.get_user("ghost").id == 10137


def test_unknown_route_is_github_404(server: FakeGitHub) -> None:
    status, _, body = raw_get(server, "/repos/acme/app/nope")
    assert status == 404
    assert body["message"] == "Not Found" and body["documentation_url"].startswith("https://docs.github.com")
    status, _, _ = raw_get(server, "/repos/other/repo")
    assert status == 404


def test_missing_objects_raise_unknown_object(repo: Repository) -> None:
    with pytest.raises(github.UnknownObjectException):
        repo.get_issue(999)
    with pytest.raises(github.UnknownObjectException):
        repo.get_pull(999)


# --------------------------------------------------------------------------- issues + pagination


def test_labelled_issues_paginate_like_github(server: FakeGitHub) -> None:
    server.add_label("bug")
    server.add_label("ui")
    for i in range(250):
        server.add_issue(title=f"bug {i}", labels=["bug", "ui"] if i % 2 else ["bug"])
    server.add_issue(title="unlabelled")
    server.add_pull(title="a pull", labels=["bug"], merged=False, state="open")
    server.add_issue(title="closed bug", labels=["bug"], state="closed", state_reason="not_planned")

    gh = pygithub_client(server, per_page=100)
    repo = gh.get_repo("acme/app")
    server.reset_log()

    open_bugs = list(repo.get_issues(state="open", labels=["bug"]))
    # 250 issues + 1 pull (issue listings include pulls), 3 pages of <=100
    assert len(open_bugs) == 251
    pages = [r for r in server.log if r.path == "/repos/acme/app/issues"]
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
    assert all(r.query["labels"] == "bug" and r.query["per_page"] == "100" for r in pages)
    # default sort=created, direction=desc: newest first
    numbers = [i.number for i in open_bugs]
    assert numbers == sorted(numbers, reverse=True)

    # The fields a tracker needs are all present: no lazy-completion GETs.
    server.reset_log()
    for issue in open_bugs:
        _ = (
            issue.title,
            issue.body,
            issue.state,
            issue.state_reason,
            issue.user.login,
            issue.locked,
            [lb.name for lb in issue.labels],
            issue.comments,
            issue.created_at,
            issue.updated_at,
            issue.closed_at,
            issue.html_url,
            issue.reactions["+1"],
        )
    assert server.reads() == 0

    pull = next(i for i in open_bugs if i.title == "a pull")
    assert pull.pull_request is not None and pull.pull_request.url.endswith(f"/pulls/{pull.number}")
    assert "/pull/" in pull.html_url
    # Plain issues have no "pull_request" key, so asking costs one lazy GET
    # (exactly as on github.com); "/pull/" in html_url is free.
    plain = open_bugs[-1]
    assert plain.pull_request is None
    assert server.reads() == 1

    # labels filter is AND, case-insensitive
    both = repo.get_issues(state="all", labels=["BUG", "ui"])
    assert both.totalCount == 125
    closed = list(repo.get_issues(state="closed"))
    assert [(i.title, i.state_reason) for i in closed] == [("closed bug", "not_planned")]
    asc = list(repo.get_issues(state="all", sort="created", direction="asc"))[:3]
    assert [i.number for i in asc] == [1, 2, 3]


def test_since_filters_on_updated_at(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="old")
    cutoff = server.now()
    server.advance(60)
    server.add_issue(number=2, title="new")
    server.add_comment(1, "bob", "bump")  # a comment bumps the issue's updated_at
    assert {i.title for i in repo.get_issues(state="all", since=cutoff)} == {"old", "new"}
    new_updated = repo.get_issue(2).updated_at
    later = new_updated.replace(second=new_updated.second + 1)
    assert [i.title for i in repo.get_issues(state="all", since=later)] == ["old"]


def test_patch_issue_state_reason_labels_body(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=7, title="t", body="b", labels=["keep"])
    issue = repo.get_issue(7)
    issue.edit(state="closed", state_reason="not_planned", body="new body", labels=["keep", "New"])
    assert (issue.state, issue.state_reason, issue.body) == ("closed", "not_planned", "new body")
    assert issue.closed_by is not None and issue.closed_by.login == "tracker-bot"
    assert sorted(lb.name for lb in issue.labels) == ["New", "keep"]
    issue.edit(state="open")
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    assert issue.closed_at is None
    issue.edit(state="closed")
    assert issue.state_reason == "completed"
    with pytest.raises(GithubException) as exc:
        issue.edit(state="bogus")
    assert exc.value.status == 422


def test_deleted_users_and_locked_issue(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="orphan", user=None, locked=True)
    server.add_comment(1, None, "from a deleted account")
    server.add_comment(1, "ghost", "from ghost")
    issue = repo.get_issue(1)
    assert issue.user is None and issue.locked
    authors = [c.user.login if c.user else None for c in issue.get_comments()]
    assert authors == [None, "ghost"]


# --------------------------------------------------------------------------- reactions


def test_reactions_paginate(server: FakeGitHub) -> None:
    server.add_issue(number=1, title="popular")
    for i in range(150):
        server.add_reaction(1, f"fan{i}", "+1")
    server.add_reaction(1, "fan0", "heart")
    server.add_reaction(1, None, "+1")  # deleted account
    gh = pygithub_client(server, per_page=100)
    issue = gh.get_repo("acme/app").get_issue(1)
    assert issue.reactions["+1"] == 151 and issue.reactions["total_count"] == 152
    server.reset_log()
    reactions = list(issue.get_reactions())
    assert len(reactions) == 152
    assert server.reads("/reactions$") == 2
    plus_one = {r.user.login for r in reactions if r.content == "+1" and r.user}
    assert len(plus_one) == 150
    assert any(r.user is None for r in reactions)

    # content filter (GitHub's own; PyGithub has no argument for it)
    status, headers, body = raw_get(server, "/repos/acme/app/issues/1/reactions?content=%2B1&per_page=100&page=2")
    assert status == 200 and len(body) == 51
    assert 'rel="prev"' in headers["Link"] and 'rel="next"' not in headers["Link"]
    status, _, _ = raw_get(server, "/repos/acme/app/issues/1/reactions?content=+1")  # "+" decodes to " "
    assert status == 422


# --------------------------------------------------------------------------- comments


def test_comment_create_edit_delete(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=3, title="t")
    issue = repo.get_issue(3)
    comment = issue.create_comment("hello")
    assert comment.user.login == "tracker-bot"
    assert comment.url == f"{server.url}/repos/acme/app/issues/comments/{comment.id}"
    assert comment.html_url.endswith(f"/issues/3#issuecomment-{comment.id}")
    comment.edit("edited")
    assert comment.body == "edited"
    assert [c.body for c in issue.get_comments()] == ["edited"]
    assert issue.get_comment(comment.id).body == "edited"
    assert repo.get_issue(3).comments == 1
    comment.delete()
    assert list(issue.get_comments()) == []
    with pytest.raises(github.UnknownObjectException):
        issue.get_comment(comment.id)
    assert server.snapshot()["issues"]["3"]["comments"] == []


# --------------------------------------------------------------------------- labels


def test_labels_create_add_remove(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="t")
    with pytest.raises(github.UnknownObjectException):
        repo.get_label("shipped")
    created = repo.create_label("shipped", "0e8a16", "released in a build")
    assert (created.name, created.color, created.description) == ("shipped", "0e8a16", "released in a build")
    assert repo.get_label("SHIPPED").name == "shipped"  # case-insensitive lookup
    with pytest.raises(GithubException) as exc:
        repo.create_label("Shipped", "000000")
    assert exc.value.status == 422 and exc.value.data["errors"][0]["code"] == "already_exists"

    issue = repo.get_issue(1)
    # add_to_labels POSTs a bare JSON array; unknown labels are auto-created.
    issue.add_to_labels("shipped", "area/ui", "needs triage")
    assert [lb.name for lb in issue.get_labels()] == ["shipped", "area/ui", "needs triage"]
    assert repo.get_label("area/ui").color == "ededed"
    # remove_from_labels quotes with safe="/": "area/ui" arrives as two segments
    issue.remove_from_labels("area/ui")
    issue.remove_from_labels(repo.get_label("needs triage"))
    assert [lb.name for lb in repo.get_issue(1).labels] == ["shipped"]
    # GitHub says "Label does not exist": a 404 that PyGithub maps to a plain
    # GithubException, NOT UnknownObjectException (its message lacks "not found").
    with pytest.raises(GithubException) as exc:
        issue.remove_from_labels("area/ui")
    assert exc.value.status == 404 and not isinstance(exc.value, github.UnknownObjectException)
    issue.set_labels("a", "b")
    assert sorted(lb.name for lb in repo.get_issue(1).labels) == ["a", "b"]
    assert {lb.name for lb in repo.get_labels()} >= {"shipped", "area/ui", "needs triage", "a", "b"}


def test_add_labels_accepts_object_body(server: FakeGitHub) -> None:
    server.add_issue(number=1, title="t")
    request = urllib.request.Request(
        f"{server.url}/repos/acme/app/issues/1/labels",
        data=json.dumps({"labels": ["x", {"name": "y"}]}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert [lb["name"] for lb in json.loads(response.read())] == ["x", "y"]


# --------------------------------------------------------------------------- releases


def test_release_get_create_update_by_tag(server: FakeGitHub, repo: Repository) -> None:
    with pytest.raises(github.UnknownObjectException):
        repo.get_release("v1.0")
    created = repo.create_git_release("v1.0", name="Build 1", message="notes")
    assert created.url == f"{server.url}/repos/acme/app/releases/{created.id}"
    fetched = repo.get_release("v1.0")
    assert (fetched.id, fetched.body, fetched.name) == (created.id, "notes", "Build 1")
    updated = fetched.update_release(name="Build 1", message="notes + fans")
    assert updated.body == "notes + fans"
    assert repo.get_release(created.id).body == "notes + fans"
    with pytest.raises(GithubException) as exc:
        repo.create_git_release("v1.0", name="again", message="dup")
    assert exc.value.status == 422

    # Drafts exist (listing, by id) but are invisible by tag, as on GitHub.
    server.add_release("v2.0", body="draft notes", draft=True)
    assert [r.tag_name for r in repo.get_releases()] == ["v2.0", "v1.0"]
    with pytest.raises(github.UnknownObjectException):
        repo.get_release("v2.0")
    assert server.snapshot()["releases"]["v1.0"]["body"] == "notes + fans"


# --------------------------------------------------------------------------- pulls / commits


def test_get_pull_and_commit_pulls(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="feature request")
    server.add_pull(number=2, title="implement it", body="Fixes #1", user="dev", merge_commit_sha="a" * 40)
    server.add_pull(number=3, title="open one", merged=False, state="open", head="wip")
    server.link_commit_pull("b" * 40, 2)

    pull = repo.get_pull(2)
    assert pull.merged and pull.merge_commit_sha == "a" * 40 and pull.state == "closed"
    assert pull.merged_at is not None and pull.base.ref == "main" and pull.user.login == "dev"
    assert pull.as_issue().pull_request is not None
    assert repo.get_issue(2).as_pull_request().number == 2

    for sha in ("a" * 40, "b" * 40, "b" * 7):  # abbreviated SHAs work too
        assert [p.number for p in repo.get_commit(sha).get_pulls()] == [2]
    with pytest.raises(GithubException) as exc:
        repo.get_commit("c" * 40)
    assert exc.value.status == 422

    assert [p.number for p in repo.get_pulls()] == [3]
    assert [p.number for p in repo.get_pulls(state="closed", base="main")] == [2]
    assert [p.number for p in repo.get_pulls(state="all", head="acme:wip")] == [3]
    # List shapes lack `merged`, so reading it costs a GET; `merged_at` is free.
    listed = next(iter(repo.get_commit("a" * 40).get_pulls()))
    server.reset_log()
    assert listed.merged_at is not None
    assert server.reads() == 0
    assert listed.merged is True
    assert server.reads() == 1


# --------------------------------------------------------------------------- timeline


def test_timeline_and_events(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="request")
    pr = server.add_pull(number=2, title="fix", merge_commit_sha="d" * 40)
    server.add_timeline_event(1, {"event": "connected", "actor": "dev"})
    server.add_timeline_event(1, {"event": "cross-referenced", "actor": "dev", "source": {"issue": pr}})
    server.add_timeline_event(1, {"event": "cross-referenced", "source": {"issue": 2}})
    server.add_comment(1, "carol", "+1 from me")
    server.add_timeline_event(1, {"event": "closed", "actor": "dev", "commit_id": "d" * 40})

    timeline = list(repo.get_issue(1).get_timeline())
    assert [e.event for e in timeline] == ["connected", "cross-referenced", "cross-referenced", "commented", "closed"]
    assert timeline[0].actor.login == "dev"
    source = timeline[1].source
    assert source is not None and source.type == "issue"
    assert source.issue.number == 2 and source.issue.pull_request is not None
    second = timeline[2].source
    assert second is not None and second.issue.title == "fix"
    assert timeline[3].body == "+1 from me"
    assert timeline[4].commit_id == "d" * 40
    assert timeline[4].commit_url.endswith("/commits/" + "d" * 40)

    # /events omits timeline-only kinds (cross-referenced, commented)
    events = list(repo.get_issue(1).get_events())
    assert [e.event for e in events] == ["connected", "closed"]
    assert events[1].commit_id == "d" * 40

    # writes through the API leave the events GitHub would record
    issue = repo.get_issue(1)
    issue.edit(state="closed")  # (seeded events do not change the issue's state)
    issue.add_to_labels("shipped")
    assert [e.event for e in issue.get_events()][-2:] == ["closed", "labeled"]
    issue.edit(state="open")
    assert [e.event for e in issue.get_events()][-1] == "reopened"


# --------------------------------------------------------------------------- auth


def test_bad_token_is_401_and_never_echoed(server: FakeGitHub) -> None:
    secret = "s3cr3t-wrong-token"
    bad = pygithub_client(server, auth=github.Auth.Token(secret))
    with pytest.raises(github.BadCredentialsException) as exc:
        bad.get_repo("acme/app")
    assert exc.value.status == 401
    assert secret not in str(exc.value) and secret not in repr(exc.value)
    assert TOKEN not in str(exc.value)
    assert secret not in repr(server.log) and TOKEN not in repr(server.log)
    status, _, body = raw_get(server, "/repos/acme/app", token=None)
    assert (status, body["message"]) == (401, "Bad credentials")
    # Bearer works as well as "token"
    request = urllib.request.Request(f"{server.url}/user", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


# --------------------------------------------------------------------------- faults


def test_502s_are_retried_by_githubretry(server: FakeGitHub) -> None:
    for i in range(40):
        server.add_issue(title=f"i{i}")
    server.fail_rate = 0.3
    gh = pygithub_client(server, retry=GithubRetry(total=10, backoff_factor=0), per_page=5)
    issues = list(gh.get_repo("acme/app").get_issues(state="all"))
    assert len(issues) == 40
    assert server.fault_count > 0
    assert server.reads() == server.fault_count + 9  # repo + 8 pages succeeded

    # deterministic: same seed, same fault pattern
    pattern = [r.status for r in server.log]
    server.reseed(0)
    server.reset_log()
    list(gh.get_repo("acme/app").get_issues(state="all"))
    assert [r.status for r in server.log] == pattern


def test_retries_exhausted_surface_as_requests_retryerror(server: FakeGitHub) -> None:
    server.fail_rate = 1.0
    gh = pygithub_client(server, retry=GithubRetry(total=2, backoff_factor=0))
    with pytest.raises(requests.exceptions.RetryError):
        gh.get_repo("acme/app")
    # raise_on_status=False hands the last 502 to PyGithub instead
    gh = pygithub_client(server, retry=GithubRetry(total=2, backoff_factor=0, raise_on_status=False))
    with pytest.raises(GithubException) as exc:
        gh.get_repo("acme/app")
    assert exc.value.status == 502
    assert server.fault_count == 6


def test_faults_on_writes_only(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="t")
    server.faults_on_writes_only = True
    server.fail_rate = 1.0
    issue = repo.get_issue(1)  # reads unaffected
    with pytest.raises(GithubException):
        issue.edit(title="x")  # PATCH: not retried by GithubRetry -> 502 straight away
    assert server.issue(1)["title"] == "t"


def test_secondary_rate_limit_honours_retry_after(server: FakeGitHub, gh: github.Github) -> None:
    server.add_issue(number=1, title="t")
    repo = gh.get_repo("acme/app")
    server.reset_log()
    server.secondary_rate_limit_every = 2
    server.retry_after = "1"
    started = time.monotonic()
    repo.get_issue(1)  # request 1: ok
    repo.get_issue(1)  # request 2: 403 + Retry-After: 1, retried
    elapsed = time.monotonic() - started
    assert [r.status for r in server.log] == [200, 403, 200]
    assert elapsed >= 1.0, "GithubRetry/urllib3 must sleep Retry-After seconds"

    # Without Retry-After GithubRetry waits `secondary_rate_wait` (default 60 s!)
    server.retry_after = None
    server.secondary_rate_limit_every = 2
    started = time.monotonic()
    repo.get_issue(1)
    repo.get_issue(1)
    assert time.monotonic() - started < 1.0  # pygithub_client sets secondary_rate_wait=0.05

    # PATCH is not in GithubRetry's allowed_methods: the 403 surfaces
    server.secondary_rate_limit_every = 0
    issue = repo.get_issue(1)
    server.secondary_rate_limit_every = 1
    with pytest.raises(github.RateLimitExceededException):
        issue.edit(title="x")


def test_refuse_writes_after(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="t")
    issue = repo.get_issue(1)
    server.refuse_writes_after = 2
    issue.create_comment("one")
    issue.create_comment("two")
    with pytest.raises(GithubException) as exc:
        issue.edit(title="never")  # PATCH is not retried: plain GithubException
    assert exc.value.status == 500
    # POST is retried by GithubRetry until exhausted -> requests' RetryError
    with pytest.raises(requests.exceptions.RetryError):
        issue.create_comment("three")
    assert [c["body"] for c in server.comments(1)] == ["one", "two"]
    assert server.issue(1)["title"] == "t"
    server.refuse_writes_after = None
    issue.create_comment("three")
    assert len(server.comments(1)) == 3


def test_drop_after_write_applies_then_502s(server: FakeGitHub, repo: Repository) -> None:
    server.add_issue(number=1, title="t")
    issue = repo.get_issue(1)
    server.reset_log()
    server.drop_after_write = 1
    issue.create_comment("hello")
    # GithubRetry retries POST on 502: the write lands twice.  Plugins must
    # make writes idempotent (e.g. look for a marker before commenting).
    assert [(r.method, r.status) for r in server.log] == [("POST", 502), ("POST", 201)]
    assert [c["body"] for c in server.comments(1)] == ["hello", "hello"]

    server.drop_after_write = True
    with pytest.raises(GithubException) as exc:
        issue.edit(state="closed")  # applied, but the client only sees 502
    assert exc.value.status == 502
    assert server.issue(1)["state"] == "closed"
    assert server.drop_after_write is True
    server.drop_after_write = False


# --------------------------------------------------------------------------- enterprise prefix


def test_enterprise_base_path() -> None:
    with serve(prefix="/api/v3", owner="corp", name="tool") as server:
        assert server.url.endswith("/api/v3")
        for i in range(5):
            server.add_issue(title=f"i{i}", labels=["bug"])
        gh = pygithub_client(server, per_page=2)
        repo = gh.get_repo("corp/tool")
        assert repo.url == f"{server.url}/repos/corp/tool"
        assert len(list(repo.get_issues(labels=["bug"]))) == 5  # Link URLs carry the prefix
        repo.get_issue(1).create_comment("hi")
        assert server.comments(1)[0]["body"] == "hi"
        assert all(r.path.startswith("/repos/corp/tool") for r in server.log)
        # the un-prefixed path is not GitHub Enterprise's API
        request = urllib.request.Request(
            f"{server.root_url}/repos/corp/tool", headers={"Authorization": f"token {TOKEN}"}
        )
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(request, timeout=5)
        assert exc.value.code == 404


# --------------------------------------------------------------------------- pagination details


def test_link_header_format(server: FakeGitHub) -> None:
    for i in range(5):
        server.add_issue(title=f"i{i}")
    status, headers, body = raw_get(server, "/repos/acme/app/issues?per_page=2&page=2")
    assert status == 200 and len(body) == 2
    # parse exactly the way PyGithub's PaginatedList does: split ", " then "; "
    links: dict[str, str] = {}
    for part in headers["Link"].split(", "):
        url, rel = part.split("; ")
        links[rel[5:-1]] = url[1:-1]
    assert links["next"] == f"{server.url}/repos/acme/app/issues?per_page=2&page=3"
    assert links["prev"].endswith("page=1") and links["first"].endswith("page=1")
    assert links["last"].endswith("page=3")
    _, headers, body = raw_get(server, "/repos/acme/app/issues?per_page=500")
    assert len(body) == 5 and "Link" not in headers  # single page: no Link at all
    _, _, body = raw_get(server, "/repos/acme/app/issues?per_page=2&page=9")
    assert body == []


# --------------------------------------------------------------------------- snapshot / resume


def _idempotent_sync(repo: Repository) -> None:
    """A miniature of what the plugin does: label, comment once, release."""
    for issue in repo.get_issues(state="all", labels=["fan-request"]):
        if not any(lb.name == "shipped" for lb in issue.labels):
            issue.add_to_labels("shipped")
        if not any("shipped in v1" in c.body for c in issue.get_comments()):
            issue.create_comment("shipped in v1, thanks!")
        if issue.state == "open":
            issue.edit(state="closed", state_reason="completed")
    try:
        release = repo.get_release("v1")
    except github.UnknownObjectException:
        release = repo.create_git_release("v1", name="v1", message="draft")
    release.update_release(name="v1", message="thanks to the fans")


def _seed(server: FakeGitHub) -> None:
    for i in range(4):
        server.add_issue(title=f"req {i}", labels=["fan-request"], user=f"fan{i}")
    server.add_issue(title="unrelated")


def test_snapshot_interrupted_run_matches_uninterrupted() -> None:
    with serve() as clean, serve() as flaky:
        _seed(clean)
        _seed(flaky)
        _idempotent_sync(pygithub_client(clean).get_repo("acme/app"))

        flaky.refuse_writes_after = 5  # the run "dies" part-way through
        client = pygithub_client(flaky, retry=GithubRetry(total=1, backoff_factor=0))
        with pytest.raises((GithubException, requests.exceptions.RetryError)):
            _idempotent_sync(client.get_repo("acme/app"))
        assert flaky.snapshot() != clean.snapshot()
        flaky.refuse_writes_after = None
        _idempotent_sync(client.get_repo("acme/app"))

        assert flaky.snapshot() == clean.snapshot()
        json.dumps(clean.snapshot())  # JSON-able
        assert clean.snapshot()["issues"]["1"]["labels"] == ["fan-request", "shipped"]


def test_thread_safety(server: FakeGitHub) -> None:
    server.add_issue(number=1, title="t")

    def worker(n: int) -> None:
        issue = pygithub_client(server, lazy=True).get_repo("acme/app").get_issue(1)
        for i in range(10):
            issue.create_comment(f"{n}-{i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.comments(1)) == 40
    assert len({c["id"] for c in server.comments(1)}) == 40
    assert server.writes() == 40 and server.writes_applied == 40


def test_start_time_is_deterministic() -> None:
    with serve(start_time=datetime(2030, 5, 1, tzinfo=timezone.utc)) as server:
        issue = server.add_issue(title="t")
        assert issue["created_at"] == "2030-05-01T00:00:01Z"


def test_an_app_installation_token_is_a_bot_that_github_will_not_name() -> None:
    with serve(app="tracker-app") as fake:
        client = pygithub_client(fake)
        with pytest.raises(GithubException) as refused:
            _ = client.get_user().login
        assert refused.value.status == 403 and "integration" in refused.value.data["message"]
        fake.add_issue(1, "Dark mode", user="alice")
        fake.add_user("maint", association="MEMBER")
        fake.add_comment(1, "maint", "Duplicate of #2")
        issue = client.get_repo("acme/app").get_issue(1)
        posted = issue.create_comment("thanks")
        assert (posted.user.login, posted.user.type) == ("tracker-app[bot]", "Bot")
        assert posted.performed_via_github_app.slug == "tracker-app"
        theirs, ours = issue.get_comments()
        assert (theirs.author_association, theirs.performed_via_github_app) == ("MEMBER", None)
        assert ours.performed_via_github_app.owner.login == "acme"
    assert not fake.errors


def test_gitlab_current_user_answers_a_personal_token_only() -> None:
    import gitlab
    from gitlab_server import FakeGitLab

    with FakeGitLab() as fake:
        client = gitlab.Gitlab(fake.url, private_token=fake.token)
        client.auth()
        assert client.user is not None and client.user.username == "tracker-bot"
        with pytest.raises(gitlab.GitlabAuthenticationError):
            gitlab.Gitlab(fake.url, job_token=fake.job_token).auth()
    assert not fake.errors
