"""Bad input: exit 2, exactly one line on stderr, nothing on stdout, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, tree_state

HISTORY = [{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}, {"tag": "nightly"}]
REQUESTS = [{"id": "1", "title": "Dark mode", "author": "alice", "voters": ["bob"]}]


@pytest.fixture
def repo(make_repo: Any) -> Path:
    path, _ = make_repo(HISTORY, requests=REQUESTS)
    return path


def _one_line_exit_2(result: Any, *words: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _config(repo: Path, text: str | bytes) -> None:
    (repo / ".github").mkdir(exist_ok=True)
    target = repo / ".github" / "tracker.yml"
    target.write_bytes(text if isinstance(text, bytes) else text.encode())


CASES: list[tuple[str, list[str], str | bytes | None, tuple[str, ...]]] = [
    ("unknown tag", ["changelog", "v9"], None, ("v9",)),
    ("tag outside the build glob", ["changelog", "nightly"], None, ("nightly", "v*")),
    ("misspelt config key", ["changelog", "v2"], "ship:\n  lable: x\n",
     ("tracker.yml:2", "ship.lable", "did you mean", "ship.label")),
    ("wrong config type", ["changelog", "v2"], "ship:\n  label: 5\n", ("ship.label", "string")),
    ("malformed YAML", ["changelog", "v2"], "ship: [unclosed\n", ("YAML",)),
    ("non-UTF-8 config", ["changelog", "v2"], b"ship:\n  label: \xff\xfe\n", ("UTF-8",)),
    ("unknown issue system", ["--issues", "jira", "top"], None, ("jira",)),
    ("malformed repository", ["changelog", "v2"], "repository: not a slug\n", ("repository", "not a slug")),
    ("unknown issue system in config", ["top"], "issues: jira\n", ("jira",)),
    ("unknown publisher", ["publish", "v2"], "issues: local\npublish: [carrier-pigeon]\n", ("carrier-pigeon",)),
    ("unknown format", ["changelog", "v2", "--format", "pdf"], None, ("pdf",)),
    ("unknown locale", ["changelog", "v2", "--locale", "fr"], None, ("fr",)),
    ("unknown option", ["changelog", "v2", "--frobnicate"], None, ("frobnicate",)),
    ("missing argument", ["changelog"], None, ("BUILD",)),
    ("bad range", ["scan", "v1..nope"], None, ("nope",)),
    ("missing config file", ["--config", "nope.yml", "top"], None, ("nope.yml",)),
    ("missing template", ["changelog", "v2", "--template", "nope.j2"], None, ("nope.j2",)),
    ("unknown --previous", ["changelog", "v2", "--previous", "v0"], None, ("v0",)),
    ("vote on unknown request", ["vote", "77", "--by", "bob"], None, ("77",)),
    ("bad login", ["vote", "1", "--by", "../evil"], None, ("login",)),
    ("empty title", ["requests", "add", "   ", "--by", "bob"], None, ("title",)),
]


@pytest.mark.parametrize("name, args, config, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(repo: Path, name: str, args: list[str], config: str | bytes | None, words: tuple[str, ...]) -> None:
    if config is not None:
        _config(repo, config)
    before = tree_state(repo)
    _one_line_exit_2(invoke(["--repo", str(repo), *args]), *words)
    assert tree_state(repo) == before


def test_a_null_value_is_named_as_yaml_names_it(repo: Path) -> None:
    _config(repo, "credits:\n  exclude: null\n")
    line = _one_line_exit_2(invoke(["--repo", str(repo), "changelog", "v2"]))
    assert line == "tracker: .github/tracker.yml:2: 'credits.exclude' must be a list, not null"


def test_not_a_git_repository(tmp_path: Path) -> None:
    _one_line_exit_2(invoke(["--repo", str(tmp_path), "changelog", "v1"]), "not a git repository")
    _one_line_exit_2(invoke(["--repo", str(tmp_path / "missing"), "top"]), "no such directory")
    assert list(tmp_path.iterdir()) == []


def test_template_syntax_error(repo: Path, tmp_path: Path) -> None:
    template = tmp_path / "broken.md.j2"
    template.write_text("{% for x in %}\n")
    _one_line_exit_2(invoke(["--repo", str(repo), "changelog", "v2", "--template", str(template)]), "template")


def test_a_broken_project_template_stops_a_release_before_any_write(repo: Path) -> None:
    """The project's own `markdown.md.j2` (it replaces the built-in one) with a syntax error: the
    release compiles its templates while git reads the notes' facts, and still stops with one line
    naming the file, exit 2, nothing written."""
    folder = repo / ".github" / "tracker" / "templates"
    folder.mkdir(parents=True)
    (folder / "markdown.md.j2").write_text("{% for x in %}\n")
    before = tree_state(repo)
    _one_line_exit_2(invoke(["--repo", str(repo), "release", "v2"]), "markdown.md.j2")
    assert tree_state(repo) == before


@pytest.mark.parametrize("content, words", [
    ("not json at all {", ("JSON",)),
    ('{"id": "1"}', ("array",)),
    ('[{"title": "x"}]', ("missing id",)),
    ('[{"id": "5", "title": "  "}]', ("empty title",)),
    ('[{"id": "5", "title": "x", "duplicate_of": "404"}]', ("unknown id", "404")),
    ('[{"id": "5", "title": "x", "duplicate_of": "6"}, {"id": "6", "title": "y", "duplicate_of": "5"}]', ("cycle",)),
    ('[{"id": "5", "title": "x", "author": "<script>"}]', ("login",)),
    ('[{"id": "5", "title": "x", "colour": "red"}]', ("colour",)),
    ('[{"id": "5", "title": "x"}, {"id": "5", "title": "y"}]', ("twice",)),
])
def test_malformed_import_changes_nothing(repo: Path, tmp_path: Path, content: str, words: tuple[str, ...]) -> None:
    source = tmp_path / "import.json"
    source.write_text(content)
    before = tree_state(repo)
    _one_line_exit_2(invoke(["--repo", str(repo), "requests", "import", str(source)]), *words)
    assert tree_state(repo) == before


def test_malformed_csv(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "import.csv"
    source.write_text("name,votes\nx,1\n")
    _one_line_exit_2(invoke(["--repo", str(repo), "requests", "import", str(source)]), "CSV")


def test_missing_import_file(repo: Path) -> None:
    _one_line_exit_2(invoke(["--repo", str(repo), "requests", "import", "/nonexistent/x.json"]), "not found")


def test_shallow_clone_says_how_to_fix_it(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone)],
                   check=True, capture_output=True)
    subprocess.run(["git", "fetch", "-q", "--depth", "1", "origin", "tag", "v2"], cwd=clone, check=True,
                   capture_output=True)
    _one_line_exit_2(invoke(["--repo", str(clone), "changelog", "v2"]), "shallow", "fetch-depth: 0")


def test_debug_shows_the_traceback(repo: Path) -> None:
    result = invoke(["--repo", str(repo), "--debug", "changelog", "v9"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_python_dash_m_is_the_same_program(repo: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", "v9"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    ok = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", "v2", "--format", "json"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["shipped"][0]["id"] == "1"


def test_every_command_has_an_example_in_its_help() -> None:
    from tracker.cli import cli

    def walk(group: Any, prefix: list[str]) -> list[list[str]]:
        out = []
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                out += walk(command, [*prefix, name])
            else:
                out.append([*prefix, name])
        return out

    for path in walk(cli, []):
        result = invoke([*path, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.stdout, path
        assert "tracker " in result.stdout, path


# -- configs that are not files, and YAML that would take the process down ------------------


def test_a_config_path_holding_a_folder_is_an_error_not_the_defaults(repo: Path) -> None:
    (repo / ".github" / "tracker.yml").mkdir(parents=True)
    before = tree_state(repo)
    _one_line_exit_2(invoke(["--repo", str(repo), "release", "v2"]), ".github/tracker.yml", "folder")
    _one_line_exit_2(invoke(["--repo", str(repo), "--config", str(repo / ".github"), "top"]), "folder")
    assert tree_state(repo) == before


def test_a_config_that_is_a_fifo_or_a_dangling_link_is_named(repo: Path) -> None:
    import os

    (repo / ".github").mkdir()
    os.mkfifo(repo / ".github" / "tracker.yml")
    # In its own process: reading a FIFO would wait for ever.
    for extra in ([], ["--previous", "v1"]):  # --previous: the console entry point starts git early too
        done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", "v2", *extra],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and "tracker.yml" in done.stderr
    (repo / ".github" / "tracker.yml").unlink()
    (repo / ".github" / "tracker.yml").symlink_to(repo / "nowhere.yml")
    _one_line_exit_2(invoke(["--repo", str(repo), "changelog", "v2"]), ".github/tracker.yml")


def test_an_unreadable_config_is_named(repo: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    _config(repo, "issues: local\n")
    (repo / ".github" / "tracker.yml").chmod(0)
    _one_line_exit_2(invoke(["--repo", str(repo), "changelog", "v2"]), ".github/tracker.yml", "cannot read")


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\npublish: *a{levels - 1}\n"


@pytest.mark.parametrize("text, words", [
    (_alias_bomb(9), ("aliases", "10,000")),
    ("credits:\n  exclude: &a [" + "excluded, " * 10 + "]\nship:\n  label: [" + "*a, " * 30 + "]\n",
     ("ship.label", "string", "not a list")),
    ("publish: " + "[" * 20_000 + "]" * 20_000 + "\n", ("nested",)),
    ("publish: &a [*a]\n", ("itself",)),
], ids=["billion laughs", "wrong type, big value", "20,000 deep", "alias loop"])
def test_hostile_yaml_is_one_short_line(repo: Path, text: str, words: tuple[str, ...]) -> None:
    _config(repo, text)
    before = tree_state(repo)
    line = _one_line_exit_2(invoke(["--repo", str(repo), "release", "v2"]), ".github/tracker.yml", *words)
    assert len(line) < 300, line
    assert tree_state(repo) == before


def test_ctrl_c_is_exit_130_in_one_line_and_leaves_nothing(repo: Path, tmp_path: Path) -> None:
    """Interrupted while GitHub does not answer (a server that accepts and then says nothing)."""
    import os
    import signal
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    env = {**os.environ, "GITHUB_TOKEN": "t0k3n-for-nobody", "GITHUB_REPOSITORY": "acme/app",
           "GITHUB_API_URL": f"http://127.0.0.1:{silent.getsockname()[1]}"}
    before = tree_state(repo)
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--repo", str(repo), "release", "v2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        silent.settimeout(60)
        connection, _ = silent.accept()  # tracker is now waiting for GitHub's answer
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        connection.close()
    finally:
        proc.kill()
        silent.close()
    assert proc.returncode == 130, err
    assert out == ""
    assert err.splitlines() == ["tracker: interrupted"]
    assert tree_state(repo) == before


def test_an_error_line_carries_no_terminal_escapes_and_stays_short(repo: Path) -> None:
    line = _one_line_exit_2(invoke(["--repo", str(repo), "changelog", "v\x1b]0;owned\x07\x9b31m9\u202e"]))
    assert not any(ch in line for ch in "\x1b\x07\x9b\u202e"), repr(line)
    long = _one_line_exit_2(invoke(["--repo", str(repo), "changelog", "v" + "9" * 100_000]))
    assert len(long) <= 1010
