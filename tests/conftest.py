"""Shared test fixtures: isolated environment, real git repositories, the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from github_server import FakeGitHub, serve

from tracker import _sample as sample

# Copies of DESIGN.md's schemas (../shared/schemas), kept with the tests so they run
# from any checkout; test_schemas_match_the_design checks the copies against the originals.
SCHEMAS = Path(__file__).resolve().parent / "schemas"
DESIGN_SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CI variables, no token, no user git config leaking into a test."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITLAB_", "CI_", "INPUT_", "RUNNER_")) or name in ("GH_TOKEN", "CI"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., tuple[Path, dict[str, str]]]:
    """Build a real git repository from steps (see tracker.sample); returns (path, labels)."""
    counter = iter(range(1000))

    def make(steps: Sequence[dict[str, Any]], config: str | None = None,
             requests: list[dict[str, Any]] | None = None) -> tuple[Path, dict[str, str]]:
        path = tmp_path / f"repo{next(counter)}"
        labels = sample.build(path, steps)
        if config is not None:
            (path / ".github").mkdir(exist_ok=True)
            (path / ".github" / "tracker.yml").write_text(config, encoding="utf-8")
        if requests is not None:
            source = path.parent / f"{path.name}-requests.json"
            source.write_text(json.dumps(requests), encoding="utf-8")
            result = invoke(["--repo", str(path), "requests", "import", str(source)])
            assert result.exit_code == 0, result.stderr
        return path, labels

    return make


def invoke(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    """Run the CLI in-process with separate stdout and stderr."""
    from tracker.cli import cli

    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def server() -> Iterator[FakeGitHub]:
    """The tests' local GitHub (REST and GraphQL), checked for its own crashes at the end.
    (GitLab's tests define their own `server`.)"""
    with serve() as fake:
        yield fake
    assert not fake.errors, "the fake itself crashed:\n" + "\n".join(fake.errors)


@pytest.fixture
def cli() -> Callable[..., Result]:
    return invoke


def report_of(repo: Path, build: str, *extra: str) -> dict[str, Any]:
    """`tracker changelog BUILD --format json`, parsed; fails the test on a non-zero exit."""
    result = invoke(["--repo", str(repo), "changelog", build, "--format", "json", *extra])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def tree_state(path: Path) -> dict[str, bytes]:
    """Every file under `path` (git dir included) with its bytes: to prove nothing was written."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
