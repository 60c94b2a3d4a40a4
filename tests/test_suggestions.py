"""A mistake is answered with what was probably meant: build tags, plugin names (with the config's
file and line), and a login typed as a mention."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import invoke, tree_state

STEPS = [{"commit": "Initial"}, {"tag": "v2026.46"}, {"commit": "feat: dark mode\n\nFixes #1", "author": "ann"},
         {"tag": "v2026.47"}]
REQUESTS = [{"id": "1", "title": "Dark mode", "author": "bob"}]
MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


@pytest.fixture
def repo(make_repo: MakeRepo) -> Path:
    return make_repo(STEPS, config="issues: local\n", requests=REQUESTS)[0]


def _error(args: list[str]) -> str:
    result = invoke(args)
    assert result.exit_code == 2 and result.stdout == "", result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize("args, line", [
    (["changelog", "2026.47"],
     "tracker: '2026.47' is not a build: build tags match 'v*' (builds.tags) (did you mean 'v2026.47'?)"),
    (["ship", "v2026.4", "--dry-run"],
     "tracker: no tag 'v2026.4' in this repository (builds are tags matching 'v*') (did you mean 'v2026.47'?)"),
    (["changelog", "v2026.47", "--previous", "2026.46"],
     "tracker: --previous 2026.46: no such tag or commit (did you mean 'v2026.46'?)"),
    (["fans", "--since", "2026.46"],
     "tracker: '2026.46' is not a build: build tags match 'v*' (builds.tags) (did you mean 'v2026.46'?)"),
])
def test_a_build_name_without_its_prefix_is_suggested(repo: Path, args: list[str], line: str) -> None:
    assert _error(["--repo", str(repo), *args]) == line


def test_an_unknown_issue_system_in_the_config_names_the_file_line_and_plugins(repo: Path) -> None:
    (repo / ".github" / "tracker.yml").write_text("# tracker\nbuilds:\n  tags: 'v*'\nissues: locl\n")
    before = tree_state(repo)
    assert _error(["--repo", str(repo), "top"]) == (
        "tracker: .github/tracker.yml:4: unknown issue system 'locl'"
        " (did you mean 'local'? installed: github, gitlab, local)")
    assert _error(["--repo", str(repo), "--issues", "gitlub", "top"]) == (
        "tracker: unknown issue system 'gitlub' (did you mean 'gitlab'? installed: github, gitlab, local)")
    assert tree_state(repo) == before


def test_an_unknown_publisher_names_the_file_and_line(repo: Path) -> None:
    (repo / "custom.yml").write_text("issues: local\npublish:\n  - changelog-fil\n")
    assert _error(["--repo", str(repo), "--config", "custom.yml", "publish", "v2026.47"]) == (
        "tracker: custom.yml:2: unknown publisher 'changelog-fil' in publish"
        " (did you mean 'changelog-file'? installed: changelog-file, github-release, gitlab-release, site)")


def test_a_login_may_be_given_as_a_mention(repo: Path) -> None:
    added = invoke(["--repo", str(repo), "requests", "add", "Photo map", "--by", "@ana"])
    assert added.exit_code == 0, added.stderr
    assert added.stdout.endswith("(by @ana)\n")
    voted = invoke(["--repo", str(repo), "vote", "1", "--by", "@bob2"])
    assert voted.stdout == "@bob2 voted for #1\n"
    rows = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)
    assert {(row["title"], row["author"], row["votes"]) for row in rows} == {("Dark mode", "bob", 1),
                                                                           ("Photo map", "ana", 0)}
    # One `@` is a mention; anything else is still not a login.
    assert "not a login" in _error(["--repo", str(repo), "vote", "1", "--by", "@@bob"])
