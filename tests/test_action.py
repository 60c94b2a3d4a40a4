"""The GitHub Action: its interface (action.yml against DESIGN.md) and its steps, run as a runner would.

The composite action's `run` steps execute here in bash with what a runner sets
(GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH with a real `release`
event, GITHUB_REF_NAME, GITHUB_ACTION_PATH, GITHUB_API_URL pointing at the
local GitHub server). `uses:` steps (setup-python, the caches) are the runner's
business, and the install step is PyPI's: the package is already installed in
the test environment, and these tests run offline, except the one marked
`install`, which runs the install step itself (uv from PyPI, as a runner would).
"""

from __future__ import annotations

import importlib.util
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
from github_server import FakeGitHub

ROOT = Path(__file__).resolve().parents[1]
HOME = os.environ.get("HOME", "")  # read before the tests' own HOME is set: pip's cache is there
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


def _step(name: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def test_it_installs_with_a_pinned_uv_and_caches_it_keyed_on_the_pins() -> None:
    steps = ACTION["runs"]["steps"]
    setup = _step("Set up Python")
    assert setup["uses"].startswith("actions/setup-python@") and "cache" not in setup["with"]
    key, install = _step("Name the tools cache"), _step("Install tracker")
    assert '"${GITHUB_ACTION_PATH}/action/install.py" key' in key["run"]
    assert '"${GITHUB_ACTION_PATH}/action/install.py" install' in install["run"]
    assert "pip install" not in install["run"]  # pip only ever installs the pinned uv, once (install.py)
    assert install["env"]["INPUT_CONFIG"] == "${{ inputs.config }}"  # it reads the config to choose extras
    restore, save = _step("Restore uv and the packages"), _step("Save uv and the packages")
    assert restore["uses"].startswith("actions/cache/restore@") and save["uses"].startswith("actions/cache/save@")
    assert restore["with"] == {"path": "${{ steps.tools.outputs.dir }}", "key": "${{ steps.tools.outputs.key }}",
                               "restore-keys": "${{ steps.tools.outputs.restore }}"}
    assert save["with"] == {"path": restore["with"]["path"], "key": restore["with"]["key"]}
    assert save["if"] == "steps.tools-cache.outputs.cache-hit != 'true'" and restore["id"] == "tools-cache"
    assert steps.index(key) < steps.index(restore) < steps.index(install) < steps.index(save)
    assert key["env"]["TRACKER_ACTION_TOOLS"] == install["env"]["TRACKER_ACTION_TOOLS"]
    assert install["id"] == "install" and _step("Release")["env"]["TRACKER_PYTHON"] == (
        "${{ steps.install.outputs.python }}")

    constraints = (ROOT / "action-constraints.txt").read_text(encoding="utf-8")
    pins = {line.split("==")[0].lower(): line.split("==")[1] for line in constraints.splitlines()
            if line and not line.startswith("#")}
    assert re.fullmatch(r"\d+\.\d+\.\d+", pins["uv"])
    assert {"pygithub", "gitpython", "click", "jinja2", "pyyaml"} <= set(pins)
    assert all("==" in line for line in constraints.splitlines() if line and not line.startswith("#"))


def test_the_tools_cache_key_follows_the_pins_and_the_sources(tmp_path: Path) -> None:
    out = tmp_path / "output"
    env = {**os.environ, "GITHUB_OUTPUT": str(out), "TRACKER_ACTION_TOOLS": str(tmp_path / "tools")}
    subprocess.run([sys.executable, str(ROOT / "action" / "install.py"), "key"], env=env, check=True)
    values = _parse_outputs(out.read_text())
    assert values["dir"] == str(tmp_path / "tools")
    assert values["key"].startswith(values["restore"]) and values["key"] != values["restore"]
    spec = importlib.util.spec_from_file_location("action_install", ROOT / "action" / "install.py")
    assert spec is not None and spec.loader is not None
    install = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install)
    constraints = (ROOT / "action-constraints.txt").read_text(encoding="utf-8")
    assert install.cache_key(constraints, install.source_digest()) == (values["key"], values["restore"])
    # Other pins: another entry altogether; another version of the action: the same pins' entry restores.
    assert not install.cache_key(constraints + "extra==1\n", "0" * 64)[1].startswith(values["restore"])
    assert install.cache_key(constraints, "0" * 64)[1] == values["restore"]


def test_the_link_index_is_cached_by_repository_and_build() -> None:
    steps = ACTION["runs"]["steps"]
    restore, release, save = _step("Restore the link index"), _step("Release"), _step("Save the link index")
    assert steps.index(restore) < steps.index(release) < steps.index(save)
    assert restore["uses"].startswith("actions/cache/restore@") and save["uses"].startswith("actions/cache/save@")
    assert restore["with"]["path"] == save["with"]["path"] == ".git/tracker/links.sqlite3"
    build = "${{ inputs.build || github.event.release.tag_name || github.ref_name }}"
    prefix = "tracker-links-${{ github.repository }}-"
    assert restore["with"]["key"] == prefix + build
    assert restore["with"]["restore-keys"] == prefix  # the next build restores the latest one
    assert save["with"]["key"] == "${{ steps.links.outputs.cache-primary-key }}" and restore["id"] == "links"
    # A dry run writes no index, and an exact hit has nothing new to save.
    assert save["if"] == "inputs.dry-run != 'true' && steps.links.outputs.cache-hit != 'true'"


def test_the_example_workflow_is_complete() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "tracker-example.yml").read_text())
    assert workflow[True]["release"]["types"] == ["published"]  # YAML 1.1 reads `on` as True
    assert workflow["permissions"]["issues"] == "write"
    assert workflow["permissions"]["contents"] == "write"
    steps = workflow["jobs"]["credit"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout") and steps[0]["with"]["fetch-depth"] == 0


def _expand(text: str, inputs: dict[str, str], runner: Path | None = None) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression == "github.token":
            return TOKEN
        if expression in ("steps.python.outputs.python-path", "steps.install.outputs.python"):
            return sys.executable  # the test environment, where tracker is installed already
        if expression == "runner.temp" and runner is not None:
            return str(runner)
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
        if "run" not in step or step.get("id") == "install":
            continue
        env = {**base, **{k: _expand(str(v), inputs, runner) for k, v in step.get("env", {}).items()}}
        done = subprocess.run(["bash", "-e", "-c", _expand(step["run"], inputs, runner)], cwd=workspace, env=env,
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
    assert (workspace / _step("Restore the link index")["with"]["path"]).is_file()  # what the cache keeps

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


def _loaded(args: list[str], env: dict[str, str], tmp_path: Path, name: str) -> set[str]:
    """The modules of tracker, its plugins and its core libraries a Python process running
    `args` (after `-c`'s code) had loaded when it exited."""
    out = tmp_path / f"{name}.json"
    code = ("import atexit, json, sys\n"
            f"atexit.register(lambda: open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules))))\n")
    subprocess.run([sys.executable, "-c", code + args[0], *args[1:]], env=env, capture_output=True, text=True)
    ours = ("tracker", "tracker_local", "tracker_files", "tracker_github", "tracker_gitlab", "tracker_templates",
            "click", "jinja2", "markupsafe", "yaml")
    return {m for m in json.loads(out.read_text()) if m.split(".")[0] in ours}


def test_the_install_step_writes_the_bytecode_a_release_imports(make_repo: MakeRepo, tmp_path: Path) -> None:
    """The install step's last act, `install.py compile` in the new environment, imports what a
    release imports, writing its bytecode even where PYTHONDONTWRITEBYTECODE is set, and compiles
    the built-in Markdown template into TRACKER_TEMPLATE_CACHE: the release step then compiles
    nothing, and renders the same text."""
    prefix, templates = tmp_path / "pycache", tmp_path / "templates"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(prefix),
           "TRACKER_TEMPLATE_CACHE": str(templates)}
    done = subprocess.run([sys.executable, str(ROOT / "action" / "install.py"), "compile"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    written = {"/".join(path.relative_to(prefix).parts[-2:]).split(".")[0] for path in prefix.rglob("*.pyc")}
    assert {"tracker/session", "tracker/collect", "tracker/render", "cli/builds", "tracker_local/__init__",
            "files/changelog", "click/core", "jinja2/sandbox"} <= {w.replace("tracker_files/", "files/")
                                                                  for w in written}
    assert len(list(templates.glob("__jinja2_*.cache"))) == 1  # the Markdown template
    repo, _ = make_repo(HISTORY, config="issues: local\n")

    # Everything a release (the default publishers) loads, the compile step loaded too.
    release = _loaded(["import sys; sys.argv[1:] = ['--repo', sys.argv[1], 'release', 'v2', '--dry-run'];"
                       " from tracker.early import main; main()", str(repo)], env, tmp_path, "release")
    compiled = _loaded([f"import runpy, sys; sys.argv[1:] = ['compile'];"
                        f" runpy.run_path({str(ROOT / 'action' / 'install.py')!r}, run_name='__main__')"],
                       env, tmp_path, "compile")
    assert "tracker.session" in release and release <= compiled, sorted(release - compiled)

    def changelog(fmt: str, cached: bool) -> str:
        ours = {k: v for k, v in env.items() if cached or k != "TRACKER_TEMPLATE_CACHE"}
        done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", "v2",
                               "--format", fmt], env=ours, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    for fmt in ("markdown", "html"):
        assert changelog(fmt, cached=True) == changelog(fmt, cached=False)


@pytest.mark.install
def test_the_install_step_installs_the_core_and_what_the_config_needs(make_repo: MakeRepo, tmp_path: Path) -> None:
    """The install step as a runner runs it, from an empty tools cache: uv at the pinned version
    from PyPI, tracker's wheel built, a fresh virtual environment with the core and only the
    extras the config needs; then again with the tools folder restored, for another config."""
    workspace, _ = make_repo(HISTORY, config="issues: local\npublish: [changelog-file]\n")
    runner = tmp_path / "runner"
    runner.mkdir()
    step = _step("Install tracker")
    ours = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update({"HOME": HOME, "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_REPOSITORY": "acme/app",
                "PATH": os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != ours)})
    env.update({k: _expand(str(v), {}, runner) for k, v in step["env"].items()})
    probe = "import importlib.util as u; print(sorted(m for m in ('PIL', 'github', 'gitlab') if u.find_spec(m)))"

    def install(config: str) -> tuple[Path, str]:
        (workspace / ".github" / "tracker.yml").write_text(config)
        output = runner / "output"
        output.write_text("")
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace,
                              env={**env, "GITHUB_OUTPUT": str(output)}, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return Path(_parse_outputs(output.read_text())["python"]), done.stdout

    python, said = install("issues: local\npublish: [changelog-file]\n")
    assert "installing uv" in said and "building tracker's wheel" in said and "with core (" in said
    assert python.is_relative_to(runner) and python != Path(sys.executable)
    assert subprocess.run([str(python), "-c", probe], capture_output=True, text=True).stdout == "[]\n"
    done = subprocess.run([str(python), "-m", "tracker", "release", "v2", "--dry-run"], cwd=workspace,
                          capture_output=True, text=True, env={**env, "GITHUB_REPOSITORY": "acme/app"})
    assert done.returncode == 0, done.stderr

    python, said = install("issues: local\npublish: [changelog-file, site]\n")  # the tools folder is warm now
    assert "installing uv" not in said and "building" not in said and "with core + cards (" in said
    assert subprocess.run([str(python), "-c", probe], capture_output=True, text=True).stdout == "['PIL']\n"
