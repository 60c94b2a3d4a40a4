"""Builds at scale (DESIGN "Builds at scale"): channels, components, hub repositories and
one hall of fame over many repositories, through the real CLI, git and the fake servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import FIXTURES, invoke, tree_state
from github_fixtures import LABEL, env_for
from github_server import FakeGitHub, serve

from tracker.hooks import SHIPPED, WITHDRAWN, marker

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


@pytest.fixture
def server() -> Iterator[FakeGitHub]:
    with serve() as fake:
        yield fake
    assert not fake.errors, "the fake itself crashed:\n" + "\n".join(fake.errors)


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
