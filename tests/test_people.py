"""Who people are: logins compared without case, bug reports and GitHub App logins at import,
credits.logins in the config, naming helpers, and which issue system a command uses."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import invoke, schema, tree_state
from conftest import report_of as raw_report_of

from tracker import _builders as builders
from tracker import _config as config
from tracker import _logins as logins
from tracker import publish
from tracker._errors import ConfigError
from tracker._plugins import default_issue_system


def report_of(repo: Path, build: str) -> dict[str, Any]:
    """The build's JSON report, checked against the report schema."""
    report = raw_report_of(repo, build)
    jsonschema.Draft202012Validator(schema("report-1.schema.json")).validate(report)
    return report


@pytest.fixture
def repo(make_repo: Any) -> Path:
    path, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1\n\nCloses #2"}, {"tag": "v2"}])
    return path


def _import(repo: Path, tmp_path: Path, entries: list[dict[str, Any]], name: str = "r.json") -> Any:
    source = tmp_path / name
    source.write_text(json.dumps(entries), encoding="utf-8")
    return invoke(["--repo", str(repo), "requests", "import", str(source)])


def _store(repo: Path) -> sqlite3.Connection:
    return sqlite3.connect(repo / ".git" / "tracker" / "store.sqlite3")


# -- one person, one vote, whatever the case ---------------------------------------


def test_votes_are_one_per_person_whatever_the_case(repo: Path, tmp_path: Path) -> None:
    result = _import(repo, tmp_path, [{"id": "1", "title": "Dark mode", "author": "ann",
                                       "voters": ["Bob", "bob", "BOB", "carol"]}])
    assert "2 new votes" in result.stdout, result.stdout
    again = invoke(["--repo", str(repo), "vote", "1", "--by", "bOb"])
    assert again.stdout == "@bOb had already voted for #1\n"
    assert json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)[0]["votes"] == 2
    shipped = report_of(repo, "v2")["shipped"][0]
    assert shipped["voters"] == ["Bob", "carol"]  # the first spelling seen


def test_an_older_store_is_upgraded_once_keeping_the_first_vote(repo: Path, tmp_path: Path) -> None:
    # A store as tracker made it before votes ignored case: the same fan voted as Bob and bob.
    path = repo / ".git" / "tracker" / "store.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE requests (id TEXT PRIMARY KEY, title TEXT NOT NULL, author TEXT,
            state TEXT NOT NULL DEFAULT 'open', created_at TEXT, duplicate_of TEXT, url TEXT);
        CREATE TABLE votes (request_id TEXT NOT NULL, login TEXT NOT NULL, PRIMARY KEY (request_id, login));
        CREATE TABLE marks (request_id TEXT NOT NULL, build TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL,
            PRIMARY KEY (request_id, build, kind));
        INSERT INTO requests (id, title, author) VALUES ('1', 'Dark mode', 'ann');
        INSERT INTO votes VALUES ('1', 'Bob'), ('1', 'carol'), ('1', 'bob'), ('1', 'CAROL');
    """)
    old.commit()
    old.close()
    top = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)  # a read upgrades it
    assert top[0]["votes"] == 2
    db = _store(repo)
    try:
        assert db.execute("SELECT login FROM votes ORDER BY rowid").fetchall() == [("Bob",), ("carol",)]
        with pytest.raises(sqlite3.IntegrityError):  # and from now on the store itself refuses a second one
            db.execute("INSERT INTO votes (request_id, login, key) VALUES ('1', 'BOB', 'bob')")
    finally:
        db.close()
    assert report_of(repo, "v2")["shipped"][0]["voters"] == ["Bob", "carol"]


# -- the import: labels (bug reports) and GitHub App logins --------------------------


def test_an_import_label_makes_a_bug_report_and_a_reimport_without_labels_keeps_it(repo: Path,
                                                                                     tmp_path: Path) -> None:
    entries = [{"id": "1", "title": "Dark mode", "author": "ann"},
               {"id": "2", "title": "Crash", "author": "olga", "labels": ["bug", "ui"], "voters": ["pat"]}]
    assert _import(repo, tmp_path, entries).exit_code == 0
    report = report_of(repo, "v2")
    assert [s["id"] for s in report["shipped"]] == ["1"] and [f["id"] for f in report["fixed"]] == ["2"]
    roadmap = json.loads(invoke(["--repo", str(repo), "top", "--format", "json"]).stdout)
    assert [t["id"] for t in roadmap] == ["1"]  # a bug report is not on the roadmap
    # An older file (no labels field) updates the rest and leaves the labels as they were.
    again = _import(repo, tmp_path, [{"id": "2", "title": "Crash on start", "author": "olga"}])
    assert "0 new, 1 updated" in again.stdout
    report = report_of(repo, "v2")
    assert [(f["id"], f["title"]) for f in report["fixed"]] == [("2", "Crash on start")]
    # An explicit empty list takes them away: #2 is a request again.
    _import(repo, tmp_path, [{"id": "2", "title": "Crash on start", "author": "olga", "labels": []}])
    assert sorted(s["id"] for s in report_of(repo, "v2")["shipped"]) == ["1", "2"]


def test_csv_labels_are_separated_by_semicolons(repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "r.csv"
    source.write_text("id,title,author,labels\n2,Crash,olga,needs-info;Bug\n", encoding="utf-8")
    assert invoke(["--repo", str(repo), "requests", "import", str(source)]).exit_code == 0
    assert [f["id"] for f in report_of(repo, "v2")["fixed"]] == ["2"]  # label names compare without case


@pytest.mark.parametrize("labels", ['5', '[5]', '[""]', '["a\\u0007b"]', '{"bug": 1}'])
def test_bad_labels_are_refused_and_change_nothing(repo: Path, tmp_path: Path, labels: str) -> None:
    source = tmp_path / "r.json"
    source.write_text(f'[{{"id": "2", "title": "Crash", "labels": {labels}}}]', encoding="utf-8")
    before = tree_state(repo)
    result = invoke(["--repo", str(repo), "requests", "import", str(source)])
    assert result.exit_code == 2 and "labels" in result.stderr and len(result.stderr.splitlines()) == 1
    assert tree_state(repo) == before


def test_github_app_logins_are_taken_and_never_credited(repo: Path, tmp_path: Path) -> None:
    result = _import(repo, tmp_path, [
        {"id": "1", "title": "Bump deps", "author": "dependabot[bot]", "voters": ["renovate[bot]", "bob"]},
        {"id": "2", "title": "Dark mode", "author": "ann", "voters": ["dependabot[bot]"]}])
    assert result.exit_code == 0, result.stderr
    assert invoke(["--repo", str(repo), "vote", "2", "--by", "github-actions[bot]"]).exit_code == 0
    report = report_of(repo, "v2")
    by_id = {s["id"]: s for s in report["shipped"]}
    assert by_id["1"]["author"] is None and by_id["1"]["voters"] == ["bob"]
    assert by_id["2"]["voters"] == []
    assert [c["login"] for c in report["credits"]] == ["ann", "bob"]
    markdown = invoke(["--repo", str(repo), "changelog", "v2"]).stdout
    assert "[bot]" not in markdown


@pytest.mark.parametrize("login", ["dependabot[bot]x", "[bot]", "a[b]", "bot]"])
def test_only_a_trailing_bot_suffix_makes_an_app_login(repo: Path, login: str) -> None:
    result = invoke(["--repo", str(repo), "requests", "add", "Idea", "--by", login])
    assert result.exit_code == 2 and "login" in result.stderr


# -- credits.logins and reports.labels in the config ----------------------------------------


def test_credits_logins_are_emails_to_logins() -> None:
    parsed = config.parse('credits:\n  logins:\n    "Ann@Example.org": ann\nreports:\n  labels: [bug, crash]\n',
                          "t.yml")
    assert parsed.credits_logins == {"ann@example.org": "ann"} and parsed.report_labels == ("bug", "crash")
    assert config.parse("", "t.yml").report_labels == ("bug",) and config.parse("", "t.yml").credits_logins == {}


@pytest.mark.parametrize("text, words", [
    ("credits:\n  logins: [ann]\n", ("t.yml:2", "credits.logins", "mapping")),
    ("credits:\n  logins:\n    ann: ann\n", ("t.yml:2", "credits.logins", "'ann' is not an email")),
    ('credits:\n  logins:\n    "a@b.org": "@ann"\n', ("credits.logins", "'@ann'", "not a login")),
    ('credits:\n  logins:\n    "a@b.org": 5\n', ("credits.logins", "not a login")),
    ("reports:\n  labels: bug\n", ("reports.labels", "list")),
])
def test_bad_credits_logins_name_the_key(text: str, words: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse(text, "t.yml")
    for word in words:
        assert word in str(caught.value), str(caught.value)


# -- naming helpers -------------------------------------------------------------------------


@pytest.mark.parametrize("email, login", [
    ("12345+alice@users.noreply.github.com", "alice"),
    ("alice@users.noreply.github.com", "alice"),
    ("Alice-B@Users.NoReply.GitHub.com", "Alice-B"),
    ("49699333+dependabot[bot]@users.noreply.github.com", "dependabot[bot]"),
    ("7+ann@users.noreply.ghe.example.com", "ann"),  # GitHub Enterprise Server's own host
    ("alice@example.org", None),
    ("alice@users.noreply.github.com.evil.example@x", None),
    ("../x@users.noreply.github.com", None),
])
def test_noreply_addresses_name_their_login(email: str, login: str | None) -> None:
    assert logins.noreply_login(email) == login


@pytest.mark.parametrize("value, parsed", [
    ("Jane Doe <jane@example.org>", ("Jane Doe", "jane@example.org", None)),
    ("<jane@example.org>", ("jane@example.org", "jane@example.org", None)),
    ("@jane", ("jane", None, "jane")),
    ("Jane", ("Jane", None, None)),
    ("@jane doe", ("@jane doe", None, None)),
    ("@.jane", ("@.jane", None, None)),
    ("@dependabot[bot]", ("dependabot[bot]", None, "dependabot[bot]")),
])
def test_trailer_contacts(value: str, parsed: tuple[str, str | None, str | None]) -> None:
    assert builders.contact(value) == parsed


def test_a_builder_named_like_a_login_is_plain_text_everywhere(make_repo: Any, tmp_path: Path) -> None:
    """The old guess: an author called `alice` became @alice. She may be anyone."""
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"},
                         {"commit": "Dark mode\n\nFixes #1", "author": "alice <alice@example.org>"}, {"tag": "v2"}],
                        config="publish: [site]\n",
                        requests=[{"id": "1", "title": "Dark mode", "author": "zoe"}])
    report = report_of(repo, "v2")
    assert report["shipped"][0]["builders"] == [] and report["shipped"][0]["builder_names"] == ["alice"]
    assert [c["login"] for c in report["credits"]] == ["zoe"]
    assert (report["changes"][0]["author"], report["changes"][0]["login"]) == ("alice", None)
    for fmt in ("markdown", "html", "text"):
        assert "@alice" not in invoke(["--repo", str(repo), "changelog", "v2", "--format", fmt]).stdout
    assert invoke(["--repo", str(repo), "publish", "v2"]).exit_code == 0
    page = (repo / "site" / "builds" / "v2.html").read_text(encoding="utf-8")
    assert "built by alice" in page and "@alice" not in page


# -- which issue system, and an empty one said out loud ----------------------------------


def _origin(root: Path, url: str) -> None:
    subprocess.run(["git", "remote", "add", "origin", url], cwd=root, check=True)


@pytest.mark.parametrize("env, remote, configured, expected", [
    ({}, "git@github.com:acme/app.git", None, "local"),  # no token: nothing to read GitHub with
    ({"GITHUB_REPOSITORY": "acme/app"}, None, None, "github"),  # in Actions
    ({"GITHUB_TOKEN": "t"}, "git@github.com:acme/app.git", None, "github"),
    ({"GH_TOKEN": "t"}, "https://github.com/acme/app.git", None, "github"),
    ({"GITHUB_TOKEN": "t", "GITHUB_SERVER_URL": "https://ghe.example.com"}, "https://ghe.example.com/a/b.git", None,
     "github"),
    ({"GITHUB_TOKEN": "t"}, "git@gitlab.com:acme/app.git", None, "local"),  # the remote says: not GitHub
    ({"GITHUB_TOKEN": "t"}, "git@gitlab.com:acme/app.git", "acme/app", "local"),
    ({"GITHUB_TOKEN": "t"}, None, "acme/app", "github"),  # no remote to say otherwise: the config's repository
    ({"GITHUB_TOKEN": "t"}, None, None, "local"),
])
def test_the_default_issue_system(make_repo: Any, env: dict[str, str], remote: str | None, configured: str | None,
                                  expected: str) -> None:
    root, _ = make_repo([{"commit": "init"}])
    if remote:
        _origin(root, remote)
    cfg = config.Config(repository=configured)
    assert default_issue_system(None, cfg, env, root) == expected
    assert default_issue_system("local", cfg, env, root) == "local"  # --issues wins
    assert default_issue_system(None, config.Config(issues="gitlab"), env, root) == "gitlab"  # then the config


def test_an_empty_issue_system_says_so_once(make_repo: Any) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}])
    for args in (["changelog", "v2"], ["top"], ["fans"]):
        result = invoke(["--repo", str(repo), *args])
        assert result.exit_code == 0, result.stderr
        assert result.stderr.count("note: the local store holds no requests") == 1, result.stderr
        assert len(result.stderr.splitlines()) == 1


# -- fixed bug reports are marked like shipped requests ------------------------------------


def test_a_fixed_report_is_marked_once_and_its_reporter_thanked(repo: Path, tmp_path: Path) -> None:
    from tracker import render
    from tracker.session import Session

    _import(repo, tmp_path, [{"id": "1", "title": "Dark mode", "author": "ann"},
                             {"id": "2", "title": "Crash", "author": "olga", "labels": ["bug"], "voters": ["pat"]}])
    (repo / ".github").mkdir()
    (repo / ".github" / "tracker.yml").write_text("publish: []\n", encoding="utf-8")
    first = invoke(["--repo", str(repo), "release", "v2"])
    assert first.exit_code == 0, first.stderr
    assert "local: mark #2 shipped in v2" in first.stdout
    assert invoke(["--repo", str(repo), "release", "v2"]).stdout == "v2: nothing to write (already up to date)\n"
    session = Session(repo_path=str(repo))
    data = session.report("v2")
    comments = {m.request: m.comment for m in publish.marks(data, "shipped", True, True, "en", "app", repo)}
    assert comments["2"] == "Fixed in **v2** — thank you @olga for reporting, and the 1 fan who confirmed it!"
    zh = render.render("comment_fixed.md.j2", {"build": "v2", "request": data["fixed"][0], "votes": 0,
                                               "project": "app"}, "zh-CN").strip()
    assert zh == "已在 **v2** 中修复——感谢 @olga 的反馈！"
