"""`tracker init`: a first config (every default, commented, loading back as the defaults) and
workflow, never overwriting; on GitHub or GitLab with a token, the labels the config names."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import invoke, tree_state
from github_fixtures import env_for as github_env
from github_server import serve
from gitlab_fixtures import env_for as gitlab_env
from gitlab_server import FakeGitLab

from tracker import _config as config
from tracker import _scaffold as scaffold

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def _init(repo: Path, *args: str, env: dict[str, str] | None = None, where: list[str] | None = None) -> list[str]:
    result = invoke([*(where or ["--repo", str(repo)]), "init", *args], env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_it_writes_the_config_and_the_workflow(repo: Path) -> None:
    lines = _init(repo)
    assert lines[:2] == ["wrote: .github/tracker.yml", "wrote: .github/workflows/tracker.yml"]
    assert lines[2].startswith("next: in .github/workflows/tracker.yml, set `uses: acme/tracker@v1`")
    text = (repo / ".github" / "tracker.yml").read_text(encoding="utf-8")
    # tracker's own loader reads it back as exactly the defaults, and the commands run on it.
    assert dataclasses.replace(config.load(repo, None), source=None) == config.Config()
    assert invoke(["--repo", str(repo), "requests", "list"]).exit_code == 0
    # Every key the loader knows is there with its default and a comment (issues and repository
    # commented out: their defaults are chosen from the environment).
    data = yaml.safe_load(text)
    assert data == {k: v for k, v in config.defaults().items() if k not in scaffold.EXAMPLES}
    for line in text.splitlines()[2:]:
        key = line.lstrip("# ").split(":")[0]
        assert " # " in line or line.endswith(":"), line
        assert key in config.defaults() or any(key in v for v in config.defaults().values() if isinstance(v, dict))
    assert "# issues: github " in text and "# repository: owner/name " in text
    workflow = (repo / ".github" / "workflows" / "tracker.yml").read_text(encoding="utf-8")
    assert workflow == (ROOT / ".github" / "workflows" / "tracker-example.yml").read_text(encoding="utf-8")
    # The permissions a release needs, and the one Discussions need, commented until configured.
    permissions = yaml.safe_load(workflow)["permissions"]
    assert permissions == {"issues": "write", "contents": "write", "pull-requests": "read"}
    assert "  # discussions: write " in workflow


def test_every_key_the_loader_knows_has_a_comment() -> None:
    def keys(values: dict[str, object], prefix: str = "") -> list[str]:
        return [k for key, v in values.items()
                for k in (keys(v, f"{prefix}{key}.") if isinstance(v, dict) and v else [f"{prefix}{key}"])]

    assert [key for key in keys(config.defaults()) if key not in scaffold.COMMENTS] == []
    assert {label.name for label in scaffold.LABELS} >= {*config.Config().request_labels, config.Config().ship_label}


def test_dry_run_writes_nothing(repo: Path) -> None:
    before = tree_state(repo)
    assert _init(repo, "--dry-run")[:2] == ["would write: .github/tracker.yml",
                                           "would write: .github/workflows/tracker.yml"]
    assert tree_state(repo) == before


@pytest.mark.parametrize("existing", [".github/tracker.yml", ".github/workflows/tracker.yml"])
def test_an_existing_file_is_never_overwritten(repo: Path, existing: str) -> None:
    (repo / existing).parent.mkdir(parents=True, exist_ok=True)
    (repo / existing).write_text("mine\n")
    before = tree_state(repo)
    result = invoke(["--repo", str(repo), "init"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"tracker: {existing} already exists: init never overwrites a file"
                             " (edit it, or move it away and run init again)\n")
    assert tree_state(repo) == before


def test_from_a_subfolder_it_writes_at_the_root(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "docs").mkdir()
    monkeypatch.chdir(repo / "docs")
    _init(repo, where=[])
    assert (repo / ".github" / "tracker.yml").is_file() and not (repo / "docs" / ".github").exists()


def test_on_github_with_a_token_it_creates_the_missing_labels(repo: Path) -> None:
    with serve() as server:
        server.add_label("BUG", "123456", "ours")  # exists (GitHub compares names without case): left alone
        env = github_env(server)
        dry = _init(repo, "--dry-run", env=env)
        assert dry[2:4] == ["would write: github: create label feature-request",
                            "would write: github: create label shipped"]
        assert server.writes() == 0 and not (repo / ".github").exists()
        lines = _init(repo, env=env)
        assert lines[2:4] == ["wrote: github: create label feature-request", "wrote: github: create label shipped"]
        labels = server.snapshot()["labels"]
        assert labels == {"BUG": {"color": "123456", "description": "ours"},
                          "feature-request": {"color": "a2eeef", "description": scaffold.LABELS[0].description},
                          "shipped": {"color": "0e8a16", "description": "Shipped in a build (set by tracker)"}}
        # Again (the files moved away): the labels are there, nothing is written to GitHub.
        writes = server.writes()
        for name in (".github/tracker.yml", ".github/workflows/tracker.yml"):
            (repo / name).unlink()
        assert not any("label" in line for line in _init(repo, env=env))
        assert server.writes() == writes


def test_on_github_without_a_token_the_files_are_written_and_a_note_says_why_no_labels(repo: Path) -> None:
    result = invoke(["--repo", str(repo), "init"], env={"GITHUB_REPOSITORY": "acme/app"})
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("note: GITHUB_TOKEN is not set, so no labels were created on GitHub")
    assert (repo / ".github" / "tracker.yml").is_file()


def test_on_gitlab_with_a_token_it_creates_the_missing_labels(repo: Path) -> None:
    with FakeGitLab() as server:
        server.add_label("shipped", "#0e8a16", "made by hand")
        lines = _init(repo, env=gitlab_env(server), where=["--repo", str(repo), "--issues", "gitlab"])
        assert lines[2:4] == ["wrote: gitlab: create label feature-request", "wrote: gitlab: create label bug"]
        labels = server.snapshot()["labels"]
        assert labels["shipped"] == ["shipped", "#0e8a16", "made by hand"]
        assert labels["bug"] == ["bug", "#d73a4a", scaffold.LABELS[2].description]


def test_a_bare_repository_is_one_line(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "bare.git")], check=True)
    before = tree_state(tmp_path)
    result = invoke(["--repo", str(tmp_path / "bare.git"), "init"])
    assert result.exit_code == 2 and result.stderr.startswith("tracker: a bare repository has no work tree")
    assert tree_state(tmp_path) == before
