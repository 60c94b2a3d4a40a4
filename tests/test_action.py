"""The GitHub Action: its interface (action.yml against DESIGN.md) and its steps, run as a runner would.

The composite action's `run` steps execute here in bash with what a runner sets
(GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH with a real `release`
event, GITHUB_REF_NAME, GITHUB_ACTION_PATH, GITHUB_API_URL pointing at the
local GitHub server). `uses:` steps (setup-python) and the pip install step are
the runner's and PyPI's business: the package is already installed in the test
environment, and tests run offline.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import schema
from github_fixtures import CONFIG, HISTORY, TOKEN, env_for, seed
from github_server import FakeGitHub, serve

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


def test_interface_matches_the_design() -> None:
    inputs, outputs = ACTION["inputs"], ACTION["outputs"]
    assert set(inputs) == {"token", "build", "config", "dry-run"}
    assert inputs["token"]["default"] == "${{ github.token }}"
    assert inputs["dry-run"]["default"] == "false"
    assert set(outputs) == {"shipped", "credited", "report"}
    assert all(o["value"].startswith("${{ steps.release.outputs.") for o in outputs.values())
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["branding"]["icon"] and ACTION["branding"]["color"]
    for name in ("name", "description"):
        assert ACTION[name]


def test_it_installs_from_its_own_checkout_with_pinned_dependencies() -> None:
    steps = ACTION["runs"]["steps"]
    setup = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert "GITHUB_ACTION_PATH" in install["run"] and "action-constraints.txt" in install["run"]
    pins = (ROOT / "action-constraints.txt").read_text().splitlines()
    names = {line.split("==")[0].lower() for line in pins if "==" in line}
    assert {"pygithub", "gitpython", "click", "jinja2", "pyyaml"} <= names
    assert all("==" in line for line in pins if not line.startswith("#"))


def test_the_example_workflow_is_complete() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "tracker-example.yml").read_text())
    assert workflow[True]["release"]["types"] == ["published"]  # YAML 1.1 reads `on` as True
    assert workflow["permissions"]["issues"] == "write"
    assert workflow["permissions"]["contents"] == "write"
    steps = workflow["jobs"]["credit"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout") and steps[0]["with"]["fetch-depth"] == 0


def _expand(text: str, inputs: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression == "github.token":
            return TOKEN
        if expression.startswith("inputs."):
            name = expression[len("inputs."):]
            return _expand(inputs.get(name, str(ACTION["inputs"][name].get("default", ""))), inputs)
        raise AssertionError(f"unexpected expression {expression}")

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def run_action(workspace: Path, server: FakeGitHub, runner: Path, inputs: dict[str, str],
               event: dict[str, Any]) -> tuple[dict[str, str], str, str]:
    """Run every `run:` step of the action; return (outputs, summary, all stdout)."""
    runner.mkdir(parents=True, exist_ok=True)
    outputs, summary, event_path = runner / "output", runner / "summary", runner / "event.json"
    for path in (outputs, summary):
        path.write_text("")
    event_path.write_text(json.dumps(event))
    base = {**os.environ, **env_for(server)}
    base.pop("GITHUB_TOKEN")  # the action passes it from its input
    base.update({
        "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_EVENT_NAME": "release", "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REF": f"refs/tags/{event['release']['tag_name']}", "GITHUB_REF_NAME": event["release"]["tag_name"],
        "GITHUB_REF_TYPE": "tag", "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(runner), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    })
    printed = []
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or "pip install" in step["run"]:
            continue
        env = {**base, **{k: _expand(str(v), inputs) for k, v in step.get("env", {}).items()}}
        done = subprocess.run(["bash", "-e", "-c", _expand(step["run"], inputs)], cwd=workspace, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, (step.get("name"), done.stdout, done.stderr)
        printed.append(done.stdout)
    return _parse_outputs(outputs.read_text()), summary.read_text(), "".join(printed)


def _parse_outputs(text: str) -> dict[str, str]:
    """GitHub's GITHUB_OUTPUT syntax: `name=value` or `name<<DELIMITER` … `DELIMITER`."""
    values: dict[str, str] = {}
    lines: Iterator[str] = iter(text.splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture
def server() -> Iterator[FakeGitHub]:
    with serve() as fake:
        yield fake
    assert not fake.errors, fake.errors


def test_a_release_event_marks_publishes_outputs_and_summarises(make_repo: MakeRepo, server: FakeGitHub,
                                                                 tmp_path: Path) -> None:
    workspace, labels = make_repo(HISTORY, config=CONFIG)
    seed(server, labels)
    event = {"action": "published", "release": {"tag_name": "v2", "name": "Build 2", "body": "Maintainer intro.\n"}}
    outputs, summary, printed = run_action(workspace, server, tmp_path / "runner", {}, event)

    assert f"::add-mask::{TOKEN}" in printed  # registered before anything could print it
    shipped = json.loads(outputs["shipped"])
    assert sorted(shipped) == ["1", "2", "3"] and all(isinstance(i, str) for i in shipped)
    credited = json.loads(outputs["credited"])
    assert {"alice", "bob", "carol"} <= set(credited)
    report_path = Path(outputs["report"])
    assert report_path.is_absolute()
    report = json.loads(report_path.read_text())
    jsonschema.validate(report, schema("report-1.schema.json"))
    assert [s["id"] for s in report["shipped"]] == shipped
    assert "## v2" in summary and "@alice" in summary

    issue = server.issue(1)
    assert issue["state"] == "closed"
    assert any(label["name"] == "shipped" for label in issue["labels"])
    assert [c["body"].count("<!-- tracker:shipped v2 -->") for c in server.comments(1)] == [1]
    release = server.snapshot()["releases"]
    body = next(r["body"] for r in (release.values() if isinstance(release, dict) else release)
                if "tracker:start" in r["body"])
    assert body.startswith("Maintainer intro.\n") and "<!-- tracker:end -->" in body

    server.reset_log()
    again, _, _ = run_action(workspace, server, tmp_path / "runner2", {}, event)
    assert server.writes() == 0
    assert again["shipped"] == outputs["shipped"]


def test_dry_run_input_writes_nothing(make_repo: MakeRepo, server: FakeGitHub, tmp_path: Path) -> None:
    workspace, labels = make_repo(HISTORY, config=CONFIG)
    seed(server, labels)
    server.reset_log()
    event = {"action": "published", "release": {"tag_name": "v2"}}
    outputs, _, printed = run_action(workspace, server, tmp_path / "runner", {"dry-run": "true"}, event)
    assert server.writes() == 0
    assert "would write" in printed
    assert json.loads(outputs["shipped"])


def test_build_input_overrides_the_event(make_repo: MakeRepo, server: FakeGitHub, tmp_path: Path) -> None:
    workspace, labels = make_repo(HISTORY, config=CONFIG)
    seed(server, labels)
    event = {"action": "published", "release": {"tag_name": "v2"}}
    outputs, _, _ = run_action(workspace, server, tmp_path / "runner", {"build": "v1", "dry-run": "true"}, event)
    assert json.loads(outputs["shipped"]) == []


def test_errors_become_annotations_in_actions(make_repo: MakeRepo, server: FakeGitHub) -> None:
    workspace, _ = make_repo(HISTORY, config=CONFIG)
    env = {**os.environ, **env_for(server), "GITHUB_ACTIONS": "true"}
    done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(workspace), "release", "v9"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("::error::") and len(done.stderr.splitlines()) == 1
    assert TOKEN not in done.stderr


def test_no_build_outside_a_release_is_one_clear_line(make_repo: MakeRepo) -> None:
    workspace, _ = make_repo(HISTORY, config="issues: local\npublish: []\n")
    done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(workspace), "release"],
                          capture_output=True, text=True, env={**os.environ})
    assert done.returncode == 2 and "BUILD" in done.stderr and len(done.stderr.splitlines()) == 1
