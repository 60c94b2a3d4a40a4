"""Bad input that tests/test_cli_errors.py does not cover: the GitHub settings, the writing
commands (`ship`, `publish`, `release`), `fans --since`, `-o`, publishers' targets, and
config and import files that are wrong in ways YAML and JSON accept.

Every case: exit 2, exactly one line on stderr that names the problem (the key and
the line for the config), nothing on stdout, no traceback, and nothing written
anywhere: not in the work tree, not in the git directory or the local store, and not
on the issue system (the fake GitHub's log shows no write; for most cases no request
at all, because bad input is found before the first one).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import Result
from conftest import invoke, tree_state
from github_fixtures import HISTORY, env_for, seed
from github_server import FakeGitHub

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]
GITHUB = "publish: [github-release]\n"
FILES = "publish: [github-release, changelog-file]\n"


def one_line_exit_2(result: Result, *words: str) -> str:
    """The contract of bad input, as seen from outside; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and lines[0].startswith("tracker: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# -- the GitHub settings and the writing commands ----------------------------------


def _origin(url: str) -> Callable[[Path, Path], None]:
    def setup(repo: Path, tmp: Path) -> None:
        subprocess.run(["git", "remote", "add", "origin", url], cwd=repo, check=True)
    return setup


def _write(relative: str, data: bytes) -> Callable[[Path, Path], None]:
    def setup(repo: Path, tmp: Path) -> None:
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return setup


def _broken_template(repo: Path, tmp: Path) -> None:
    (tmp / "broken.md.j2").write_text("{% for s in %}\n", encoding="utf-8")


@dataclass
class Case:
    name: str
    args: list[str]
    words: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    config: str = GITHUB
    setup: Callable[[Path, Path], None] | None = None
    reads: bool = False  # True: GitHub is read (never written) before the problem shows


CASES = [
    # Token and repository: found before the first request, whatever the command.
    *[Case(f"missing GITHUB_TOKEN: {cmd[0]}", cmd, ("GITHUB_TOKEN",), env={"GITHUB_TOKEN": ""})
      for cmd in (["ship", "v2"], ["publish", "v2"], ["release", "v2", "--dry-run"], ["changelog", "v2"], ["top"],
                  ["fans"])],
    *[Case(f"malformed GITHUB_REPOSITORY {value!r}: {cmd[0]}", cmd, ("GITHUB_REPOSITORY", value.strip()),
           env={"GITHUB_REPOSITORY": value})
      for value, cmd in (("acme", ["ship", "v2"]), ("acme/app/extra", ["publish", "v2"]),
                         ("acme app/x", ["release", "v2"]), ("https://github.com/acme/app", ["top"]),
                         ("-acme/app", ["changelog", "v2"]), ("acme/..", ["fans"]))],
    Case("repository in the config wins and is malformed", ["ship", "v2"], ("repository", "acme/"),
         config=GITHUB + "repository: 'acme/'\n"),
    Case("GITHUB_API_URL is not http(s)", ["release", "v2"], ("GITHUB_API_URL", "ftp://"),
         env={"GITHUB_API_URL": "ftp://github.example/api"}),
    Case("no repository anywhere", ["ship", "v2"], ("GITHUB_REPOSITORY", "repository:"),
         env={"GITHUB_REPOSITORY": ""}, config=GITHUB + "issues: github\n"),
    Case("origin is not on GitHub", ["release", "v2"], ("origin",), env={"GITHUB_REPOSITORY": ""},
         config=GITHUB + "issues: github\n", setup=_origin("https://gitlab.example/acme/app.git")),
    # The build: checked before GitHub is asked anything.
    Case("ship an unknown tag", ["ship", "v9"], ("v9",)),
    Case("publish a tag outside builds.tags", ["publish", "nightly"], ("nightly", "v*"),
         setup=lambda repo, tmp: subprocess.run(["git", "tag", "nightly"], cwd=repo, check=True)),
    Case("release a range", ["release", "v1..v2"], ("v1..v2",)),
    Case("ship without a build outside Actions", ["ship"], ("BUILD",)),
    Case("release from a shallow clone", ["release", "v2"], ("shallow", "fetch-depth: 0"), setup=None),
    Case("fans since an unknown build", ["fans", "--since", "v9"], ("v9",)),
    Case("fans since a tag that is not a build", ["fans", "--since", "nightly"], ("nightly", "v*"),
         setup=lambda repo, tmp: subprocess.run(["git", "tag", "nightly"], cwd=repo, check=True)),
    # Publishers and their targets: checked before `release` marks anything.
    Case("unknown publisher", ["release", "v2"], ("carrier-pigeon",),
         config="publish: [github-release, carrier-pigeon]\n"),
    Case("publish is not a list", ["publish", "v2"], ("tracker.yml:1", "publish", "list"),
         config="publish: github-release\n"),
    Case("CHANGELOG.md is not UTF-8", ["release", "v2"], ("changelog.file", "UTF-8"), config=FILES,
         setup=_write("CHANGELOG.md", b"# Changes\n\n\xff\xfe old notes\n")),
    Case("changelog.file is a folder", ["release", "v2"], ("changelog.file", "docs"),
         config="publish: [github-release, changelog-file]\nchangelog:\n  file: docs\n",
         setup=_write("docs/readme.txt", b"x\n")),
    Case("site.dir is a file", ["release", "v2"], ("site.dir", "is a file"),
         config="publish: [github-release, site]\nsite:\n  dir: notes.txt\n", setup=_write("notes.txt", b"notes\n")),
    Case("site cards folder is a file", ["publish", "v2"], ("site.dir", "cards"),
         config="publish: [site, github-release]\n", setup=_write("site/cards", b"not a folder\n")),
    # Config values YAML accepts but tracker cannot use.
    Case("empty ship.label", ["release", "v2"], ("tracker.yml:3", "ship.label", "empty"),
         config=GITHUB + "ship:\n  label: ''\n"),
    Case("empty site.dir", ["release", "v2"], ("tracker.yml:3", "site.dir", "empty"),
         config=GITHUB + "site:\n  dir: ' '\n"),
    Case("empty request label", ["changelog", "v2"], ("tracker.yml:3", "requests.labels", "empty"),
         config=GITHUB + "requests:\n  labels: [feature-request, '']\n"),
    Case("key given twice", ["release", "v2"], ("tracker.yml:4", "duplicate key", "ship.label", "line 3"),
         config=GITHUB + "ship:\n  label: shipped\n  label: done\n"),
    Case("misspelt key in ship", ["ship", "v2"], ("tracker.yml:3", "ship.clsoe", "did you mean 'ship.close'"),
         config=GITHUB + "ship:\n  clsoe: false\n"),
    Case("wrong type in ship", ["release", "v2"], ("tracker.yml:3", "ship.comment", "true or false"),
         config=GITHUB + "ship:\n  comment: 'yes please'\n"),
    Case("unknown locale in the config", ["release", "v2"], ("changelog.locale", "fr"),
         config=GITHUB + "changelog:\n  locale: fr\n"),
    # Problems found only once GitHub has been read: still nothing written there.
    Case("template with a syntax error", ["changelog", "v2", "--template", "{tmp}/broken.md.j2"],
         ("template",), setup=_broken_template, reads=True),
    Case("-o into a path under a file", ["changelog", "v2", "-o", "{repo}/README.md/report.md"],
         ("-o", "Not a directory"), setup=_write("README.md", b"# app\n"), reads=True),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_writes_nothing_anywhere(make_repo: MakeRepo, server: FakeGitHub, tmp_path: Path,
                                           case: Case) -> None:
    repo, labels = make_repo(HISTORY, config=case.config)
    seed(server, labels)
    if case.name == "release from a shallow clone":
        repo = _shallow(repo, tmp_path)
    if case.setup is not None:
        case.setup(repo, tmp_path)
    before = tree_state(repo)
    args = [a.format(tmp=tmp_path, repo=repo) for a in case.args]
    result = invoke(["--repo", str(repo), *args], env=env_for(server, **case.env))
    one_line_exit_2(result, *case.words)
    assert tree_state(repo) == before
    assert server.writes() == 0, server.log
    if not case.reads:
        assert server.log == [], server.log


def _shallow(repo: Path, tmp: Path) -> Path:
    clone = tmp / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone)],
                   check=True, capture_output=True)
    subprocess.run(["git", "fetch", "-q", "--depth", "1", "origin", "tag", "v2"], cwd=clone, check=True,
                   capture_output=True)
    (clone / ".github").mkdir(exist_ok=True)
    (clone / ".github" / "tracker.yml").write_text(GITHUB, encoding="utf-8")
    return clone


def test_a_broken_template_override_is_found_before_ship_writes(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, labels = make_repo(HISTORY, config=GITHUB)
    seed(server, labels)
    folder = repo / ".github" / "tracker" / "templates"
    folder.mkdir(parents=True)
    (folder / "markdown.md.j2").write_text("{% for s in %}\n", encoding="utf-8")
    result = invoke(["--repo", str(repo), "release", "v2"], env=env_for(server))
    one_line_exit_2(result, "markdown.md.j2:1")
    assert server.writes() == 0, [r for r in server.log if r.method != "GET"]


def test_a_rejected_token_is_exit_1_and_writes_nothing(make_repo: MakeRepo, server: FakeGitHub) -> None:
    """Not bad input (the token may be fine tomorrow): exit 1, one line, and no write."""
    repo, labels = make_repo(HISTORY, config=GITHUB)
    seed(server, labels)
    before = tree_state(repo)
    result = invoke(["--repo", str(repo), "release", "v2"], env=env_for(server, GITHUB_TOKEN="wrong-token"))
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "401" in result.stderr
    assert server.writes() == 0 and tree_state(repo) == before


# -- the local store and files -------------------------------------------------------


@pytest.fixture
def local(make_repo: MakeRepo) -> Path:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}],
                        requests=[{"id": "1", "title": "Dark mode", "author": "alice", "voters": ["bob"]},
                                  {"id": "2", "title": "Night mode", "author": "carol", "duplicate_of": "1"}])
    return repo


@pytest.mark.parametrize("name, content, words", [
    ("JSON nested beyond reason", "[" * 100_000, ("JSON", "deeply")),
    ("a URL that would break out of a Markdown link",
     '[{"id": "7", "title": "x", "url": "https://a.example/x) [click](https://evil.example"}]', ("url",)),
    ("a javascript: URL", '[{"id": "7", "title": "x", "url": "javascript:alert(1)"}]', ("url", "http")),
    ("an id with markup", '[{"id": "<b>7</b>", "title": "x"}]', ("id",)),
    ("an empty id", '[{"id": "#", "title": "x"}]', ("id",)),
    ("a title that is not text", '[{"id": "7", "title": {"en": "x"}}]', ("entry 1", "text")),
    ("voters that are not a list", '[{"id": "7", "title": "x", "voters": 5}]', ("voters",)),
    ("a state that is neither", '[{"id": "7", "title": "x", "state": "done"}]', ("state",)),
    ("a duplicate of itself", '[{"id": "7", "title": "x", "duplicate_of": "7"}]', ("cycle", "7 → 7")),
    ("a cycle through the store", '[{"id": "1", "title": "Dark mode", "duplicate_of": "2"}]',
     ("cycle", "1 → 2 → 1")),
    ("an id of 5,000 digits, as a number", '[{"id": ' + "7" * 5000 + ', "title": "x"}]', ("number too long",)),
    ("an id of 5,000 digits, as text", '[{"id": "' + "7" * 5000 + '", "title": "x"}]', ("entry 1", "5,000")),
])
def test_import_files_that_json_accepts_but_tracker_cannot_use(local: Path, tmp_path: Path, name: str, content: str,
                                                               words: tuple[str, ...]) -> None:
    source = tmp_path / "import.json"
    source.write_text(content, encoding="utf-8")
    before = tree_state(local)
    line = one_line_exit_2(invoke(["--repo", str(local), "requests", "import", str(source)]), *words)
    assert len(line) < 300, line
    assert tree_state(local) == before


def test_a_bad_import_into_a_new_project_does_not_even_create_the_store(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo, _ = make_repo([{"commit": "init"}])
    source = tmp_path / "import.json"
    source.write_text('[{"id": "7", "title": "x", "duplicate_of": "404"}]', encoding="utf-8")
    before = tree_state(repo)
    one_line_exit_2(invoke(["--repo", str(repo), "requests", "import", str(source)]), "404")
    assert tree_state(repo) == before and not (repo / ".git" / "tracker").exists()


@pytest.mark.parametrize("name, content, words", [
    ("CSV that is not UTF-8", b"id,title\n1,caf\xe9\n", ("UTF-8",)),
    ("CSV row with more cells than columns", b"id,title\n1,x,extra\n", ("import.csv:2", "more cells")),
    ("CSV with an invalid voter", b"id,title,voters\n1,x,bob;@everyone\n", ("import.csv:2", "login")),
    ("CSV cell over the csv module's limit", b"id,title\n1," + b"x" * 200_000 + b"\n", ("import.csv:2", "131,072")),
    ("CSV whose header repeats a column", b"id,title,author,title\n1,Dark mode,alice,Light mode\n",
     ("import.csv:1", "'title'", "twice")),
    ("CSV with an id of 5,000 digits", b"id,title\n" + b"9" * 5000 + b",x\n", ("import.csv:2", "5,000 characters")),
])
def test_malformed_csv_imports(local: Path, tmp_path: Path, name: str, content: bytes, words: tuple[str, ...]) -> None:
    source = tmp_path / "import.csv"
    source.write_bytes(content)
    before = tree_state(local)
    line = one_line_exit_2(invoke(["--repo", str(local), "requests", "import", str(source)]), *words)
    assert len(line) < 300, line
    assert tree_state(local) == before


def test_import_of_a_folder(local: Path, tmp_path: Path) -> None:
    before = tree_state(local)
    one_line_exit_2(invoke(["--repo", str(local), "requests", "import", str(tmp_path)]), str(tmp_path))
    assert tree_state(local) == before


@pytest.mark.parametrize("name, args, words", [
    ("-o into a missing folder under a file", ["changelog", "v2", "-o", "{repo}/README.md/out/x.md"],
     ("-o", "Not a directory")),
    ("-o into a place nobody can write", ["changelog", "v2", "-o", "/proc/tracker-nope/x.md"], ("-o",)),
    ("-o that is a folder", ["changelog", "v2", "--format", "json", "-o", "{repo}"], ("-o",)),
    ("top -n 0", ["top", "-n", "0"], ("-n", "0")),
    ("fans in an unknown format", ["fans", "--format", "pdf"], ("pdf",)),
    ("vote by nobody", ["vote", "1", "--by", ""], ("login",)),
    ("add a request whose id exists", ["requests", "add", "Dark mode again", "--by", "bob", "--id", "1"],
     ("#1", "exists")),
    ("publish locally with an unknown publisher", ["publish", "v2", "--dry-run"], ("nope",)),
])
def test_local_commands(local: Path, name: str, args: list[str], words: tuple[str, ...]) -> None:
    (local / "README.md").write_text("# app\n", encoding="utf-8")
    if "unknown publisher" in name:
        (local / ".github").mkdir()
        (local / ".github" / "tracker.yml").write_text("publish: [changelog-file, nope]\n", encoding="utf-8")
    before = tree_state(local)
    one_line_exit_2(invoke(["--repo", str(local), *[a.format(repo=local) for a in args]]), *words)
    assert tree_state(local) == before


def test_the_config_line_is_right_for_nested_and_flow_styles(local: Path) -> None:
    (local / ".github").mkdir()
    config = local / ".github" / "tracker.yml"
    config.write_text("# comment\nbuilds: {tags: 'v*'}\nsite: {dir: site, cards: everyone}\n", encoding="utf-8")
    one_line_exit_2(invoke(["--repo", str(local), "changelog", "v2"]), "tracker.yml:3", "site.cards", "everyone")
    config.write_text("requests:\n  votes:\n    - '+1'\n    - 7\n", encoding="utf-8")
    one_line_exit_2(invoke(["--repo", str(local), "changelog", "v2"]), "tracker.yml:2", "requests.votes", "strings")


def test_the_report_of_a_failed_command_is_not_half_written(local: Path, tmp_path: Path) -> None:
    """`-o` is written only once the whole report is rendered: a template error leaves no file."""
    template = tmp_path / "half.md.j2"
    template.write_text("{{ report.build }}\n{{ report.no_such_key }}\n", encoding="utf-8")
    target = tmp_path / "out.md"
    one_line_exit_2(invoke(["--repo", str(local), "changelog", "v2", "--template", str(template),
                            "-o", str(target)]), "template")
    assert not target.exists()


@pytest.mark.parametrize("kind", ["text file", "folder", "empty file"])  # empty: SQLite makes it a new store
@pytest.mark.parametrize("args", [["top"], ["vote", "1", "--by", "dave"], ["release", "v2"],
                                  ["requests", "add", "New", "--by", "dave"]], ids=" ".join)
def test_a_store_that_is_not_sqlite(local: Path, kind: str, args: list[str]) -> None:
    store = local / "requests.db"
    if kind == "folder":
        store.mkdir()
        (store / "keep.txt").write_text("mine\n")
    elif kind == "text file":
        store.write_text("id,title\n1,Dark mode\n")
    (local / ".github").mkdir()
    (local / ".github" / "tracker.yml").write_text("issues: local\nstore: requests.db\npublish: []\n")
    if kind == "empty file":
        store.write_bytes(b"")
        assert "internal error" not in invoke(["--repo", str(local), *args]).stderr
        return
    before = tree_state(local)
    one_line_exit_2(invoke(["--repo", str(local), *args]), "store", "requests.db")
    assert tree_state(local) == before
    assert not list(local.glob("requests.db-*"))  # no -wal, no -shm
