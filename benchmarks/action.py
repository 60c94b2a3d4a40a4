"""The GitHub Action from start to done: its install step and its release step, run as a runner runs them.

    python benchmarks/action.py [--runs 5] [--work DIR] [--commits 100000] [--tag-every 1000]

Each step is action.yml's own `run:` script, executed with bash and the environment a
runner gives it (GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_REPOSITORY, …;
`${{ … }}` expressions filled in as the runner would). Set up once, not timed: the
synthetic history (benchmarks/synth.py DIR --commits 100000 --tag-every 1000), a warm
tools folder (what actions/cache restores: uv, uv's package cache, tracker's wheel; one
untimed install per configuration fills it), and the link index a previous build's run
left: `tracker release` of the build before the latest, not a dry run, in its own clone.

Then, alternating run by run (medians of --runs):

  * install, uv: the install step into a fresh virtual environment, tools folder warm,
    for three configs: `issues: local` (the core only), the defaults on GitHub (core +
    PyGithub), and every extra;
  * install, uv, new action version: the same with tracker's wheel not cached yet (built);
  * install, pip: what the step did before, `pip install -c action-constraints.txt .`
    into a fresh virtual environment, pip's cache warm (the environment is made untimed,
    as setup-python hands the step a ready interpreter);
  * release: the release step, `tracker release <latest tag> --dry-run` with the local
    issue system (no token), in a fresh `git clone --no-local` of the history (a pack as
    a fetch leaves it, no commit-graph, no link index) with the requests imported
    (`tracker requests import`, untimed), in the environment the install step just made
    (no bytecode yet, as on a runner): once with the link index restored from the
    previous run's cache (copied into .git/tracker/, as actions/cache does), once cold.

Prints wall-clock medians (min–max) per row. The targets: install ≤ 5 s, release of a
weekly build ≤ 1 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
REPOSITORY = "acme/synth"
LOCAL = "issues: local\n"  # the release's config: the local store, the default publishers
# What setup-python would hand the step: a plain interpreter, not this run's virtual environment.
PYTHON = getattr(sys, "_base_executable", sys.executable)


def step(name: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def expand(text: str, values: Mapping[str, str]) -> str:
    """`${{ expression }}` filled in from `values`, as the runner fills them."""
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: values[m.group(1).strip()], text)


class Runner:
    """One runner: its temp folder, the action's path, what each step's environment holds."""

    def __init__(self, work: Path):
        self.temp = work / "runner"
        self.temp.mkdir(parents=True, exist_ok=True)
        self.tools = work / "tools"
        self.base = {k: v for k, v in os.environ.items()
                     if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_", "TRACKER_", "VIRTUAL_ENV"))}
        self.base.update({"GITHUB_ACTIONS": "true", "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_REPOSITORY": REPOSITORY,
                          "RUNNER_TEMP": str(self.temp)})

    def run_step(self, name: str, cwd: Path, values: dict[str, str], extra: Mapping[str, str] = {}) -> dict[str, str]:
        """Run action.yml's step `name` with bash; return the outputs it wrote."""
        spec = step(name)
        output = self.temp / "output"
        output.write_text("")
        values = {"runner.temp": str(self.temp), "steps.python.outputs.python-path": PYTHON, **values}
        env = {**self.base, **{k: expand(str(v), values) for k, v in spec.get("env", {}).items()},
               "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(self.temp / "summary"), **extra}
        done = subprocess.run(["bash", "-e", "-c", expand(spec["run"], values)], cwd=cwd, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"step {name!r} failed: {done.stdout[-600:]}{done.stderr[-600:]}")
        return dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)

    def install(self, workspace: Path, config: str, venv_dir: Path, tools: Path | None = None,
                extras: str | None = None) -> Path:
        """The install step; returns the Python it installed tracker for."""
        extra = {"TRACKER_ACTION_VENV": str(venv_dir), "TRACKER_ACTION_TOOLS": str(tools or self.tools)}
        if extras:
            extra["TRACKER_EXTRAS"] = extras
        outputs = self.run_step("Install tracker", workspace, {"inputs.config": config}, extra)
        return Path(outputs["python"])

    def release(self, clone: Path, python: Path, config: str, build: str) -> None:
        """The release step, dry run, no token."""
        values = {"inputs.token": "", "inputs.build": build, "inputs.config": config, "inputs.dry-run": "true",
                  "steps.install.outputs.python": str(python)}
        self.run_step("Release", clone, values)


def timed(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    started = time.perf_counter()
    result = action(*args, **kwargs)
    return time.perf_counter() - started, result


def fresh(path: Path) -> Path:
    """`path`, with nothing there: on a runner, the step's virtual environment is new."""
    shutil.rmtree(path, ignore_errors=True)
    return path


def fresh_clone(source: Path, target: Path, requests: Path, python: Path) -> Path:
    """A clone as actions/checkout leaves one (a fetched pack, no commit-graph, no link index),
    with the fans' requests imported into its local store (untimed setup)."""
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", "--no-local", str(source), str(target)], check=True)
    subprocess.run([str(python), "-m", "tracker", "--repo", str(target), "requests", "import", str(requests)],
                   check=True, capture_output=True, env={**os.environ, "GITHUB_REPOSITORY": REPOSITORY})
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/tracker-bench-action"))
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--tag-every", type=int, default=1000)
    args = parser.parse_args()
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    history = work / f"synth-{args.commits}-{args.tag_every}"
    requests = history.parent / f"{history.name}-requests.json"
    if not (history / ".git").exists():
        print(f"building a {args.commits}-commit history in {history} …", file=sys.stderr)
        synth.build(history, args.commits, args.tag_every, 3000)
    tags = subprocess.run(["git", "tag", "--sort=version:refname"], cwd=history, capture_output=True, text=True,
                          check=True).stdout.split()
    build, before = tags[-1], tags[-2]
    config = work / "tracker.yml"
    config.write_text(LOCAL)
    workspace = work / "workspace"  # a repository for the install step's config reading
    if not (workspace / ".git").exists():
        subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    runner = Runner(work)

    print("setting up: the tools folder, the previous build's link index …", file=sys.stderr)
    setup_python = runner.install(workspace, str(config), work / "setup-venv", extras="all")  # fills the tools folder
    cached_index = work / "links-cache.sqlite3"
    if not cached_index.exists():
        previous = fresh_clone(history, work / "previous-run", requests, setup_python)
        values = {"inputs.token": "", "inputs.build": before, "inputs.config": str(config), "inputs.dry-run": "false",
                  "steps.install.outputs.python": str(setup_python)}
        runner.run_step("Release", previous, values)
        shutil.copy2(previous / ".git" / "tracker" / "links.sqlite3", cached_index)
        shutil.rmtree(previous)
    new_version = work / "tools-new-version"  # the same packages, tracker's wheel not built yet
    new_version.mkdir(exist_ok=True)
    for entry in runner.tools.iterdir():
        if entry.name != "wheels" and not (new_version / entry.name).exists():
            (new_version / entry.name).symlink_to(entry)
    pip_cache_warm = work / "pip-venv"
    if not (pip_cache_warm / "bin" / "python").exists():  # one pip install first: pip's cache holds every wheel
        venv.create(pip_cache_warm, with_pip=True)
        subprocess.run([str(pip_cache_warm / "bin" / "python"), "-m", "pip", "install", "-q", "-c",
                        str(ROOT / "action-constraints.txt"), str(ROOT)], check=True, capture_output=True)

    rows: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        rows.setdefault(name, []).append(seconds)

    pip = [str(work / "venv-pip" / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "-c", str(ROOT / "action-constraints.txt"), str(ROOT)]
    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs} …", file=sys.stderr)
        pythons: dict[str, Path] = {}
        for kind in ("warm", "cold"):
            seconds, pythons[kind] = timed(runner.install, workspace, str(config), fresh(work / f"venv-{kind}"))
            record("install, uv: issues local (core)", seconds)
        clones = {kind: fresh_clone(history, work / f"clone-{kind}", requests, setup_python) for kind in pythons}
        (clones["warm"] / ".git" / "tracker").mkdir(parents=True, exist_ok=True)
        shutil.copy2(cached_index, clones["warm"] / ".git" / "tracker" / "links.sqlite3")  # actions/cache restore
        record(f"release {build} --dry-run, link index restored",
               timed(runner.release, clones["warm"], pythons["warm"], str(config), build)[0])
        record(f"release {build} --dry-run, cold (no index)",
               timed(runner.release, clones["cold"], pythons["cold"], str(config), build)[0])
        record("install, uv: the defaults on GitHub (core + github)",  # no config: the defaults
               timed(runner.install, workspace, "", fresh(work / "venv-other"))[0])
        record("install, uv: every extra (core + github + gitlab + cards)",
               timed(runner.install, workspace, str(config), fresh(work / "venv-other"), extras="all")[0])
        shutil.rmtree(new_version / "wheels", ignore_errors=True)
        record("install, uv: new action version (wheel built), core",
               timed(runner.install, workspace, str(config), fresh(work / "venv-other"), tools=new_version)[0])
        venv.create(work / "venv-pip", with_pip=True, clear=True)
        record("install, pip (before): everything, pip cache warm",
               timed(subprocess.run, pip, check=True, capture_output=True)[0])

    width = max(len(name) for name in rows)
    print(f"\n{'the Action, start to done'.ljust(width)}  median s  (min–max, {args.runs} runs)")
    for name, samples in rows.items():
        print(f"{name.ljust(width)}  {statistics.median(samples):8.2f}  ({min(samples):.2f}–{max(samples):.2f})")


if __name__ == "__main__":
    main()
