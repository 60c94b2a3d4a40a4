"""Builds at scale (DESIGN "Builds at scale"): channels, components, hub repositories and
one hall of fame over many repositories, through the real CLI, git and the fake servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import FIXTURES, invoke, tree_state
from github_fixtures import LABEL, env_for
from github_server import FakeGitHub, serve

from tracker.hooks import SHIPPED, WITHDRAWN, marker

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


def _one_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and result.stdout == "", (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return lines[0]


# -- 5. the new keys are validated like the others ----------------------------------


@pytest.mark.parametrize(("config", "says"), [
    ("builds:\n  channels:\n    stable: \"v*\"\n    beta: \"v*-beta*\"\n",
     ".github/tracker.yml:4: 'builds.channels.beta' (v*-beta*) overlaps 'builds.channels.stable' (v*)"),
    ("builds:\n  channels:\n    beta: \"v*-beta*\"\n    rc: \"v2*\"\n",
     ".github/tracker.yml:4: 'builds.channels.rc' (v2*) overlaps 'builds.channels.beta' (v*-beta*)"),
    ("builds:\n  channels: {\"be ta\": \"v*-beta*\"}\n",
     ".github/tracker.yml:2: 'builds.channels': 'be ta' is not a channel name"),
    ("builds:\n  tags: \"v*\"\n  channels:\n    nightly: \"n*\"\n",
     ".github/tracker.yml:4: 'builds.channels.nightly' (n*) matches no build tag ('builds.tags' is v*)"),
    ("builds:\n  channels: [beta]\n", ".github/tracker.yml:2: 'builds.channels' must be a mapping"),
    ("components:\n  - name: app\n    tags: \"app-v*\"\n",
     ".github/tracker.yml:2: 'components.app.paths' must be a non-empty list of paths"),
    ("components:\n  - {name: app, tags: \"app-v*\", paths: []}\n",
     ".github/tracker.yml:2: 'components.app.paths' must be a non-empty list of paths"),
    ("components:\n  - {name: app, tags: \"app-v*\", paths: [a]}\n  - {name: lib, tags: \"app-*\", paths: [b]}\n",
     ".github/tracker.yml:3: 'components.lib.tags' (app-*) overlaps 'components.app.tags' (app-v*)"),
    ("components:\n  - {name: app, tags: \"app-v*\", path: [a]}\n",
     ".github/tracker.yml:2: unknown key 'components[0].path'"),
    # Globs long enough to exhaust the overlap check's recursion (a hostile config).
    ("builds:\n  channels: {beta: \"v" + "*a" * 3000 + "\", stable: \"v*\"}\n",
     ".github/tracker.yml:2: 'builds.channels.beta' is longer than a tag glob can be (200 characters)"),
    ("builds:\n  tags: \"v" + "*a" * 3000 + "\"\n",
     ".github/tracker.yml:2: 'builds.tags' is longer than a tag glob can be (200 characters)"),
    ("components:\n  - {name: a, tags: \"a" + "*a" * 3000 + "\", paths: [a]}\n"
     "  - {name: b, tags: \"b*\", paths: [b]}\n",
     ".github/tracker.yml:2: 'components.a.tags' is longer than a tag glob can be (200 characters)"),
    ("requests:\n  repository: feedback\n",
     ".github/tracker.yml:2: 'requests.repository' must be owner/name"),
    ("requests:\n  repository: \"org/\"\n",
     ".github/tracker.yml:2: 'requests.repository' must be owner/name"),
])
def test_new_keys_are_validated_with_key_and_line(make_repo: MakeRepo, config: str, says: str) -> None:
    repo, _ = make_repo([{"commit": "Fixes #1"}, {"tag": "v1"}], config=config)
    before = tree_state(repo)
    line = _one_line(invoke(["--repo", str(repo), "changelog", "v1"]))
    assert line.startswith("tracker: " + says) or line.startswith(says), line
    assert tree_state(repo) == before


def test_configs_with_the_new_keys_load(make_repo: MakeRepo) -> None:
    config = ("requests:\n  repository: org/feedback\nbuilds:\n  channels: {beta: \"v*-beta*\", stable: \"v*\"}\n"
              "components:\n  - {name: app, tags: \"app-v*\", paths: [apps/app]}\n")
    repo, _ = make_repo([{"commit": "Initial"}, {"tag": "v1"}], config=config,
                        requests=[{"id": "1", "title": "One", "author": "alice"}])
    result = invoke(["--repo", str(repo), "changelog", "v1", "--format", "json"])
    assert result.exit_code == 0, result.stderr


# -- 1. channels ---------------------------------------------------------------------


def _channels_repo(make_repo: MakeRepo, config: str) -> tuple[Path, dict[str, str]]:
    import yaml

    folder = FIXTURES / "channels"
    steps = yaml.safe_load((folder / "history.yml").read_text(encoding="utf-8"))
    return make_repo(steps, config=(folder / "config.yml").read_text(encoding="utf-8") + config)


def test_a_beta_says_try_it_and_leaves_the_request_open_stable_ships_and_closes(
        make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = _channels_repo(make_repo, "publish: []\n")
    for number, who in [(1, "alice"), (2, "bob"), (3, "carol"), (4, "dave")]:
        server.add_issue(number, f"Request {number}", user=who, labels=[LABEL])

    def release(build: str) -> Result:
        result = invoke(["--repo", str(repo), "release", build], env=env_for(server))
        assert result.exit_code == 0, result.stderr
        return result

    release("v2.0-beta.3")
    for number in (1, 2):
        issue = server.issue(number)
        assert issue["state"] == "open"  # a beta does not close
        assert {lb["name"] for lb in issue["labels"]} == {LABEL, "shipped"}
        bodies = [c["body"] for c in server.comments(number)]
        assert len(bodies) == 1 and bodies[0].startswith("Try it in **v2.0-beta.3**")
        assert marker(SHIPPED, "v2.0-beta.3") in bodies[0]

    release("v2.0-beta.4")  # #2 reverted: withdrawn from the beta channel; #3 to try
    assert any(marker(WITHDRAWN, "v2.0-beta.4") in c["body"] for c in server.comments(2))
    assert server.issue(3)["state"] == "open"

    release("v2.0")
    for number in (1, 3):
        issue = server.issue(number)
        assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
        shipped = [c["body"] for c in server.comments(number) if marker(SHIPPED, "v2.0") in c["body"]]
        assert len(shipped) == 1 and shipped[0].startswith("Shipped in **v2.0**")
    assert server.issue(2)["state"] == "open"  # reverted before stable: never shipped there
    assert not any(marker(SHIPPED, "v2.0") in c["body"] for c in server.comments(2))

    server.reset_log()
    for build in ("v2.0-beta.4", "v2.0"):  # (an older build again re-labels what a later one withdrew)
        release(build)
    assert server.writes() == 0, [(r.method, r.path) for r in server.log if r.method != "GET"]


def test_the_stable_notes_say_which_beta_had_it_first(make_repo: MakeRepo) -> None:
    repo, _ = _channels_repo(make_repo, "")
    import json

    invoke(["--repo", str(repo), "requests", "import", str(FIXTURES / "channels" / "requests.json")])
    text = invoke(["--repo", str(repo), "changelog", "v2.0"]).stdout
    assert "**One** (#1)" in text and "first in v2.0-beta.3" in text
    assert "**Three** (#3)" in text and "first in v2.0-beta.4" in text
    report = json.loads(invoke(["--repo", str(repo), "changelog", "v2.0", "--format", "json"]).stdout)
    assert report["channel"] == "stable"
    beta = json.loads(invoke(["--repo", str(repo), "changelog", "v2.0-beta.4", "--format", "json"]).stdout)
    assert beta["channel"] == "beta" and all("first_in" not in s for s in beta["shipped"])


def test_without_channels_a_beta_tag_is_an_ordinary_build(make_repo: MakeRepo) -> None:
    import json

    import yaml

    steps = yaml.safe_load((FIXTURES / "channels" / "history.yml").read_text(encoding="utf-8"))
    repo, _ = make_repo(steps, requests=[{"id": str(n), "title": f"R{n}", "author": "alice"} for n in (1, 2, 3, 4)])
    report = json.loads(invoke(["--repo", str(repo), "changelog", "v2.0", "--format", "json"]).stdout)
    assert report["previous"] == "v2.0-beta.4" and report["shipped"] == [] and "channel" not in report


# -- 3. a hub repository ----------------------------------------------------------------


def test_with_a_hub_only_references_naming_it_are_requests() -> None:
    from tracker import _grammar as links

    hub = links.Repository("acme/app", hub="org/feedback")
    message = ("Dark mode\n\nFixes org/feedback#12, fixes #3, closes acme/app#4, GH-5\n"
               "Resolves https://github.com/org/feedback/issues/14\n"
               "Resolves https://gitlab.example/org/feedback/-/issues/15\nsee org/feedback#16")
    parsed = links.parse(message, hub)
    assert parsed.closes == ("12", "14", "15") and parsed.refs == ("16",)
    plain = links.parse(message, links.Repository("acme/app"))
    assert plain.closes == ("3", "4", "5")  # without a hub: this repository's, as before
    squash = links.parse("Sync (#41)\n\nFixes org/feedback#2", hub)
    assert (squash.pull, squash.closes) == ("41", ("2",))  # pull requests stay this repository's


HUB_HISTORY = [
    {"commit": "Initial", "author": "maint"},
    {"tag": "v1"},
    {"commit": "Dark mode\n\nFixes org/feedback#1", "author": "frank"},
    {"commit": "Export\n\nFixes #2", "author": "frank"},  # this repository's #2: not a request
    {"commit": "Sync\n\nCloses {hub}/issues/3", "author": "frank"},
    {"tag": "v2"},
]


def _hub_history(url: str) -> list[dict[str, str]]:
    return [{**step, "commit": step["commit"].replace("{hub}", url)} if "commit" in step else step
            for step in HUB_HISTORY]


def test_a_hub_on_github_holds_the_requests_and_their_marks(make_repo: MakeRepo) -> None:
    from hub_proxy import proxy

    with serve() as code, serve(owner="org", name="feedback") as hub, \
            proxy([(r"^/repos/org/feedback(/|\?|$)", hub.url)], code.url) as url:
        repo, _ = make_repo(_hub_history(f"{url}/org/feedback"),
                            config="requests:\n  repository: org/feedback\npublish: [github-release]\n")
        for number, who in [(1, "alice"), (2, "bob"), (3, "carol")]:
            hub.add_issue(number, f"Request {number}", user=who, labels=[LABEL])
        hub.add_reaction(1, "bob", "+1")
        code.add_issue(2, "Export is slow", user="erin", labels=[LABEL])  # this repository's own #2
        code.add_release("v2", body="")
        result = invoke(["--repo", str(repo), "release", "v2"], env=env_for(code, GITHUB_API_URL=url))
        assert result.exit_code == 0, result.stderr
        for number in (1, 3):
            issue = hub.issue(number)
            assert issue["state"] == "closed" and {lb["name"] for lb in issue["labels"]} == {LABEL, "shipped"}
            assert [marker(SHIPPED, "v2") in c["body"] for c in hub.comments(number)] == [True]
        assert "the 1 fan who voted" in hub.comments(1)[0]["body"]
        assert hub.issue(2)["state"] == "open" and not hub.comments(2)
        assert code.issue(2)["state"] == "open" and not code.comments(2)
        body = code.snapshot()["releases"]["v2"]["body"]
        assert f"{url}/org/feedback/issues/1" in body and "Request 3" in body and "Request 2" not in body
        hub.reset_log()
        again = invoke(["--repo", str(repo), "release", "v2"], env=env_for(code, GITHUB_API_URL=url))
        assert again.exit_code == 0 and hub.writes() == 0
    assert not code.errors and not hub.errors


def test_a_hub_on_gitlab_holds_the_requests_and_their_marks(make_repo: MakeRepo) -> None:
    from gitlab_fixtures import env_for as gitlab_env
    from gitlab_server import FakeGitLab
    from hub_proxy import proxy

    with FakeGitLab() as code, FakeGitLab("org/feedback", project_id=8) as hub, \
            proxy([(r"^/api/v4/projects/(org%2Ffeedback|8)(/|\?|$)", hub.url)], code.url) as url:
        repo, _ = make_repo(_hub_history(f"{url}/org/feedback/-"),
                            config="issues: gitlab\nrequests:\n  repository: org/feedback\n"
                                   "publish: [gitlab-release]\n")
        for number, who in [(1, "alice"), (2, "bob"), (3, "carol")]:
            hub.add_issue(number, f"Request {number}", user=who, labels=[LABEL])
        hub.add_award(1, "bob")
        code.add_issue(2, "Export is slow", user="erin", labels=[LABEL])
        code.add_release("v2", "")
        result = invoke(["--repo", str(repo), "release", "v2"], env=gitlab_env(code, CI_SERVER_URL=url))
        assert result.exit_code == 0, result.stderr
        issues = hub.snapshot()["issues"]
        for number in ("1", "3"):
            assert issues[number]["state"] == "closed" and "shipped" in issues[number]["labels"]
            assert [marker(SHIPPED, "v2") in body for _, body in issues[number]["notes"]] == [True]
        assert issues["2"]["state"] == "opened" and issues["2"]["notes"] == []
        assert code.snapshot()["issues"]["2"]["notes"] == []
        assert "Request 1" in code.snapshot()["releases"]["v2"][1]
    assert not code.errors and not hub.errors


# -- 4. one hall of fame for many repositories --------------------------------------------


def _reports_of_three(make_repo: MakeRepo, folder: Path) -> None:
    """Three repositories, each releasing its own builds and writing its JSON reports
    (as each repository's own Action would, uploaded to one folder)."""
    people = {"acme/app": ("alice", ["bob"]), "acme/lib": ("alice", ["carol"]), "other/tool": ("bob", ["alice"])}
    for slug, (author, voters) in people.items():
        steps = [{"commit": "Initial", "author": "maint"}, {"tag": "v1"},
                 {"commit": "Fixes #1", "author": "frank", "as": "one"}, {"tag": "v2"}]
        if slug == "acme/lib":  # withdrawn in v3: its #1 counts nowhere, the others' #1 still do
            steps += [{"commit": 'Revert "Fixes #1"\n\nThis reverts commit {one}.', "author": "maint"},
                      {"tag": "v3"}]
        repo, _ = make_repo(steps, config=f"repository: {slug}\n",
                            requests=[{"id": "1", "title": f"Idea of {slug}", "author": author, "voters": voters}])
        for build in ("v2", "v3") if slug == "acme/lib" else ("v2",):
            target = folder / slug.replace("/", "-") / f"{build}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            result = invoke(["--repo", str(repo), "changelog", build, "--format", "json", "-o", str(target)])
            assert result.exit_code == 0, result.stderr


def test_fans_merges_the_reports_of_several_repositories(make_repo: MakeRepo, tmp_path: Path) -> None:
    import json

    import jsonschema
    from conftest import schema

    folder = tmp_path / "reports"
    _reports_of_three(make_repo, folder)
    result = invoke(["fans", "--reports", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema("fans.schema.json")).validate(rows)
    by_login = {row["login"]: row for row in rows}
    assert by_login["alice"]["suggested"] == ["acme/app#1"]  # acme/lib's #1 was withdrawn in v3
    assert by_login["alice"]["voted"] == ["other/tool#1"]
    assert by_login["bob"]["suggested"] == ["other/tool#1"] and by_login["bob"]["voted"] == ["acme/app#1"]
    assert by_login["bob"]["repositories"] == ["other/tool", "acme/app"]
    assert sorted(by_login["alice"]["builds"]) == ["acme/app@v2", "other/tool@v2"]
    assert "carol" not in by_login
    text = invoke(["fans", "--reports", str(folder)]).stdout
    assert text.splitlines()[0].split()[-1] == "repositories" and text.splitlines()[1].split()[-1] == "2"


@pytest.mark.parametrize(("content", "says"), [
    (None, "not a folder of JSON reports"),
    ("", "no JSON reports in it"),
    ("{", "bad.json: not a JSON report"),
    ('{"schema": 2}', "bad.json: not a schema-1 report"),
    ('{"schema": 1, "build": "v1", "date": "2026-01-01T00:00:00Z", "shipped": [], "withdrawn": [],'
     ' "credits": [], "project": "acme/app", "fixed": []}', None),
    ('{"schema": 1, "build": "v1", "date": "2026-01-01T00:00:00Z", "shipped": [], "withdrawn": [],'
     ' "credits": [{"login": "a b", "suggested": ["1"]}], "project": "acme/app"}', "bad.json: credits a login"),
    ('{"schema": 1, "build": "v1", "date": "2026-01-01T00:00:00Z", "shipped": [], "withdrawn": [],'
     ' "credits": [], "project": null}', "bad.json: the report names no repository"),
])
def test_fans_reports_bad_input_is_one_line(tmp_path: Path, content: str | None, says: str | None) -> None:
    folder = tmp_path / "reports"
    if content is not None:
        folder.mkdir()
        if content:
            (folder / "bad.json").write_text(content, encoding="utf-8")
    result = invoke(["fans", "--reports", str(folder)])
    if says is None:
        assert result.exit_code == 0, result.stderr
        return
    assert says in _one_line(result)


# -- 2. components of a monorepo --------------------------------------------------------


def test_a_component_build_names_its_component_and_reads_git_through_its_paths(make_repo: MakeRepo) -> None:
    import json

    import yaml

    folder = FIXTURES / "monorepo"
    repo, _ = make_repo(yaml.safe_load((folder / "history.yml").read_text(encoding="utf-8")),
                        config=(folder / "config.yml").read_text(encoding="utf-8"),
                        requests=json.loads((folder / "requests.json").read_text(encoding="utf-8")))
    app = json.loads(invoke(["--repo", str(repo), "changelog", "app-v1.1", "--format", "json"]).stdout)
    assert app["component"] == "app" and app["previous"] == "app-v1.0"
    assert [c["summary"] for c in app["changes"]] == ["Shared theme", "App: dark mode"]
    lib = json.loads(invoke(["--repo", str(repo), "changelog", "lib-v1.1", "--format", "json"]).stdout)
    assert [c["summary"] for c in lib["changes"]] == ["Shared theme", "Lib: faster parsing"]
    result = invoke(["--repo", str(repo), "release", "app-v1.1"])
    assert result.exit_code == 0, result.stderr
    assert "mark #1 shipped in app-v1.1" in result.stdout and "#2" not in result.stdout
    bad = invoke(["--repo", str(repo), "changelog", "pp-v1.1"])
    assert bad.exit_code == 2 and "is not a build" in bad.stderr


def test_fans_reports_takes_no_since(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    line = _one_line(invoke(["fans", "--reports", str(tmp_path / "reports"), "--since", "v1"]))
    assert "--since names a build of this repository; it cannot be used with --reports" in line


def test_a_beta_comment_says_try_it_in_both_locales() -> None:
    from tracker import render

    request = {"id": "1", "title": "Dark mode", "author": "alice", "co_authors": [], "votes": 2,
               "voters": ["bob", "carol"]}
    context = {"build": "v2.0-beta.3", "request": request, "votes": 2, "project": "acme/app", "preview": True}
    english = render.render("comment_shipped.md.j2", context, "en").strip()
    assert english == "Try it in **v2.0-beta.3** — thank you @alice!"
    chinese = render.render("comment_shipped.md.j2", context, "zh-CN").strip()
    assert chinese == "已可在 **v2.0-beta.3** 中试用——感谢 @alice！"
    stable = render.render("comment_shipped.md.j2", {**context, "build": "v2.0", "preview": False}, "en")
    assert stable.strip().startswith("Shipped in **v2.0**")
