"""Golden scenarios: each folder in fixtures/ is a history, its requests and what each build must report.

A new case is a folder, not code: `history.yml` (steps for tracker.sample),
`requests.json` (the import format), `expected.yml` (per build: previous,
given_previous (passed as --previous), shipped, fixed, withdrawn, already (id → the
build that shipped it), not_shipped,
commits, changes_by (a change's summary → its author and login), people (of shipped
or fixed entries), credits (with any of their keys), markdown / not_in_markdown (lines
of the Markdown changelog)), optional `config.yml`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import FIXTURES, invoke, report_of, schema

CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "history.yml").is_file())


def _load(case: str, make_repo: Any) -> tuple[Path, dict[str, Any]]:
    folder = FIXTURES / case
    steps = yaml.safe_load((folder / "history.yml").read_text(encoding="utf-8"))
    config = (folder / "config.yml").read_text(encoding="utf-8") if (folder / "config.yml").exists() else None
    requests = json.loads((folder / "requests.json").read_text(encoding="utf-8"))
    repo, _ = make_repo(steps, config=(config or "") + "repository: acme/app\n", requests=requests)
    expected = yaml.safe_load((folder / "expected.yml").read_text(encoding="utf-8"))
    return repo, expected


@pytest.mark.parametrize("case", CASES)
def test_scenario(case: str, make_repo: Any) -> None:
    repo, expected = _load(case, make_repo)
    validator = jsonschema.Draft202012Validator(schema("report-1.schema.json"))
    reports = {}
    for build, want in expected.items():
        given = ["--previous", want["given_previous"]] if "given_previous" in want else []
        report = reports[build] = report_of(repo, build, *given)
        validator.validate(report)
        shipped = [s["id"] for s in report["shipped"]]
        if "previous" in want:
            assert report["previous"] == want["previous"], build
        if "shipped" in want:
            assert sorted(shipped) == sorted(want["shipped"]), build
        for rid in want.get("not_shipped", []):
            assert rid not in shipped, (build, rid)
        if "withdrawn" in want:
            assert [w["id"] for w in report["withdrawn"]] == want["withdrawn"], build
        if "already" in want:
            assert {a["id"]: a["in"] for a in report["already_shipped"]} == (want["already"] or {}), build
        if "commits" in want:
            assert report["commits"] == want["commits"], build
        for rid in want.get("changes_mention", []):
            assert any(rid in c["requests"] for c in report["changes"]), (build, rid)
        for summary, (author, login) in want.get("changes_by", {}).items():
            change = next(c for c in report["changes"] if c["summary"] == summary)
            assert (change["author"], change["login"]) == (author, login), (build, summary)
        if "fixed" in want:
            assert sorted(f["id"] for f in report["fixed"]) == sorted(want["fixed"]), build
        for rid, people in want.get("people", {}).items():
            entry = next(s for s in [*report["shipped"], *report["fixed"]] if s["id"] == rid)
            for key, value in people.items():
                assert entry[key] == value, (build, rid, key)
        if "credits" in want:
            # The keys the expected entries name (login, suggested, voted, built at least); a
            # role an entry leaves out is expected empty, and `first` false.
            keys = list(dict.fromkeys(["login", "suggested", "voted", "built",
                                       *(k for c in want["credits"] for k in c)]))
            got = [{k: c.get(k) for k in keys} for c in report["credits"]]
            credited = [{k: c.get(k, False if k == "first" else []) for k in keys} for c in want["credits"]]
            assert got == credited, build
        if "markdown" in want or "not_in_markdown" in want:
            text = markdown_of(repo, build)
            for line in want.get("markdown", []):
                assert line in text, (build, line, text)
            for line in want.get("not_in_markdown", []):
                assert line not in text, (build, line, text)
    # The same reports from the link index (as a weekly run reads them), and after the
    # index is deleted (as a first run reads them), in the opposite order.
    index = repo / ".git" / "tracker" / "links.sqlite3"
    config = FIXTURES / case / "config.yml"
    # A component's build reads its range through a pathspec: the index neither answers nor records it.
    assert index.is_file() or (config.exists() and "components:" in config.read_text(encoding="utf-8"))
    def again(build: str) -> dict[str, Any]:
        given = expected[build].get("given_previous")
        return report_of(repo, build, *(["--previous", given] if given else []))

    for build in reversed(list(expected)):
        assert again(build) == reports[build], build
    index.unlink(missing_ok=True)
    for build in reversed(list(expected)):
        assert again(build) == reports[build], build


def markdown_of(repo: Path, build: str) -> str:
    """`tracker changelog BUILD` (Markdown)."""
    result = invoke(["--repo", str(repo), "changelog", build])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_shipped_is_ordered_by_votes(make_repo: Any) -> None:
    repo, _ = make_repo(
        [{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1, #2 and #3"}, {"tag": "v2"}],
        requests=[{"id": "1", "title": "a", "author": "x", "voters": ["p"]},
                  {"id": "2", "title": "b", "author": "x", "voters": ["p", "q", "r"]},
                  {"id": "3", "title": "c", "author": "x", "voters": ["p", "q"]}],
    )
    assert [s["id"] for s in report_of(repo, "v2")["shipped"]] == ["2", "3", "1"]


def test_previous_override_widens_the_range(make_repo: Any) -> None:
    repo, _ = make_repo(
        [{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}, {"commit": "Fixes #2"},
         {"tag": "v3"}],
        requests=[{"id": "1", "title": "a", "author": "x"}, {"id": "2", "title": "b", "author": "y"}],
    )
    assert [s["id"] for s in report_of(repo, "v3")["shipped"]] == ["2"]
    wide = report_of(repo, "v3", "--previous", "v1")
    assert wide["previous"] == "v1"
    assert sorted(s["id"] for s in wide["shipped"]) == ["1", "2"]


def test_latin1_message_without_encoding_header_keeps_its_links(make_repo: Any, tmp_path: Path) -> None:
    import subprocess

    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}],
                        requests=[{"id": "4", "title": "Café", "author": "zoé"}])
    env = {"GIT_AUTHOR_NAME": "frank", "GIT_AUTHOR_EMAIL": "f@x", "GIT_COMMITTER_NAME": "frank",
           "GIT_COMMITTER_EMAIL": "f@x", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z", "PATH": __import__("os").environ["PATH"]}
    tree = subprocess.run(["git", "rev-parse", "HEAD^{tree}"], cwd=repo, capture_output=True,
                          text=True).stdout.strip()
    latin1 = "Caf\xe9 cr\xe8me\n\nFixes #4\n".encode("latin-1")
    sha = subprocess.run(["git", "commit-tree", tree, "-p", "HEAD"], cwd=repo, env=env, input=latin1,
                         capture_output=True).stdout.decode().strip()
    subprocess.run(["git", "tag", "v2", sha], cwd=repo, check=True)
    report = report_of(repo, "v2")
    assert [s["id"] for s in report["shipped"]] == ["4"]
    assert report["changes"][0]["summary"] == "Café crème"


def test_every_build_of_the_demo_matches_the_schema(tmp_path: Path) -> None:
    result = invoke(["demo", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.stderr
    validator = jsonschema.Draft202012Validator(schema("report-1.schema.json"))
    reports = {b: report_of(tmp_path / "demo", b) for b in ("v2026.45", "v2026.46", "v2026.47")}
    for report in reports.values():
        validator.validate(report)
    assert [s["id"] for s in reports["v2026.46"]["shipped"]] == ["15", "21"]
    assert reports["v2026.46"]["shipped"][0]["co_authors"] == ["carol"]
    assert [w["id"] for w in reports["v2026.47"]["withdrawn"]] == ["21"]
    assert [s["id"] for s in reports["v2026.47"]["shipped"]] == ["12", "23"]


def test_releasing_any_demo_build_again_writes_nothing(tmp_path: Path) -> None:
    """The demo released every build; a withdrawal in v2026.47 must not make v2026.46 "unshipped"."""
    demo = tmp_path / "demo"
    assert invoke(["demo", str(demo)]).exit_code == 0
    for build in ("v2026.45", "v2026.46", "v2026.47"):
        result = invoke(["--repo", str(demo), "release", build])
        assert result.exit_code == 0, result.stderr
        assert result.stdout == f"{build}: nothing to write (already up to date)\n", result.stdout


def test_the_origin_remote_names_this_repository_when_the_config_does_not(make_repo: Any) -> None:
    import subprocess

    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Closes acme/app#5 and other/app#6"},
                         {"tag": "v2"}],
                        requests=[{"id": "5", "title": "Five", "author": "ana"},
                                  {"id": "6", "title": "Six", "author": "bo"}])
    assert report_of(repo, "v2")["shipped"] == []  # no repository known: owner/name#N names another
    subprocess.run(["git", "remote", "add", "origin", "git@github.com:acme/app.git"], cwd=repo, check=True)
    assert [s["id"] for s in report_of(repo, "v2")["shipped"]] == ["5"]



@pytest.mark.parametrize("case", ["backport-x", "backport-copy"])
def test_a_previous_on_another_line_finds_what_its_line_shipped(case: str, make_repo: Any) -> None:
    """`--previous` naming the patch release (not an ancestor, as a changelog's order
    often has it): the main build's copies of the backported fixes were shipped there."""
    repo, _ = _load(case, make_repo)
    report = report_of(repo, "v1.1", "--previous", "v1.0.1")
    assert report["previous"] == "v1.0.1"
    assert sorted(s["id"] for s in report["shipped"]) == (["6"] if case == "backport-x" else ["8", "9"])
    assert {a["id"]: a["in"] for a in report["already_shipped"]} == {("5" if case == "backport-x" else "7"): "v1.0.1"}


@pytest.mark.parametrize("case", CASES)
def test_a_first_run_on_a_long_history_reads_only_what_it_asks(case: str, make_repo: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the link index and with a previous build's history too long to index on the way
    (here: any), a build reads the earlier history it needs with `git log --grep` since its
    candidates were opened: the same reports as the index gives."""
    from tracker import _earlier as earlier

    repo, expected = _load(case, make_repo)

    def report(build: str) -> dict[str, Any]:
        given = expected[build].get("given_previous")
        return report_of(repo, build, *(["--previous", given] if given else []))

    indexed = {build: report(build) for build in expected}
    monkeypatch.setattr(earlier, "_INDEX_AT_MOST", 1)
    for build in reversed(list(expected)):
        for path in (repo / ".git" / "tracker").glob("links.sqlite3*"):
            path.unlink()
        assert report(build) == indexed[build], build


def _walks(trace: Path) -> list[list[str]]:
    """The `git log --grep` commands a GIT_TRACE2_EVENT file saw started (the walks of earlier history)."""
    started = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    return [event["argv"] for event in started if event.get("event") == "start" and "log" in event["argv"]
            and any(arg.startswith("--grep") for arg in event["argv"])]


def test_a_first_run_walks_earlier_history_once_for_the_decision_and_credit(
        make_repo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the link index, the decision (did an earlier commit close #5?) and credit (was
    ana credited before: her #4 closed earlier?) ask about the same years of history: git
    walks them once, and both answers are what two walks gave. The dates of the earlier
    closers (for the decision and for which build shipped them) are asked once too."""
    from tracker import _earlier as earlier

    monkeypatch.setattr(earlier, "_INDEX_AT_MOST", 1)
    repo, _ = make_repo(
        [{"commit": "init", "date": "2026-01-01T00:00:00Z"},
         {"commit": "Export\n\nCloses #4", "date": "2026-01-10T00:00:00Z"},
         {"tag": "v1", "message": "v1", "date": "2026-01-11T00:00:00Z"},
         {"commit": "Sync, first try\n\nCloses #6", "date": "2026-02-01T00:00:00Z"},
         {"tag": "v2", "message": "v2", "date": "2026-02-02T00:00:00Z"},
         {"commit": "Sync\n\nCloses #5, closes #6", "date": "2026-03-01T00:00:00Z"},
         {"tag": "v3", "message": "v3", "date": "2026-03-02T00:00:00Z"}],
        requests=[{"id": "4", "title": "Export", "author": "ana", "created_at": "2026-01-05T00:00:00Z"},
                  {"id": "5", "title": "Sync", "author": "ana", "created_at": "2026-01-06T00:00:00Z"},
                  {"id": "6", "title": "Sync", "author": "bo", "created_at": "2026-01-07T00:00:00Z"}])
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    report = report_of(repo, "v3")
    assert len(_walks(trace)) == 1, _walks(trace)
    started = [json.loads(line)["argv"] for line in trace.read_text(encoding="utf-8").splitlines()
               if json.loads(line).get("event") == "start"]
    assert len([argv for argv in started if "--format=%H %cI" in argv]) == 1  # the closers' dates, asked once
    assert [s["id"] for s in report["shipped"]] == ["5"]
    assert [(a["id"], a["in"]) for a in report["already_shipped"]] == [("6", "v2")]
    assert {c["login"]: c.get("first", False) for c in report["credits"]}["ana"] is False  # #4 shipped in v1


def test_earlier_history_keeps_what_git_grep_kept(tmp_path: Path) -> None:
    """The commits a first run reads for requests #12 and #007 are those `git log -E -i --grep`
    kept with the patterns it was given before (any case, leading zeros, full-width digits,
    a number followed by a digit is another number)."""
    import subprocess

    from tracker import _earlier as earlier

    messages = ["Fixes #12", "fixes #120", "see #0012.", "GH-12 done", "gh-0012", "x/issues/12/y",
                "/discussions/12", "#１２ wide", "#１２３ wide, longer", "#12a", "x#12", "Reverts commit abc",
                "This REVERTS COMMIT abc", "(cherry picked from commit abc)", "#7", "#007", "#0007", "#07",
                "issue 12", "#1 2", "line\n#12\nmore", "#", "12", "#/issues/12", "gh-#12", "#120\n#12"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shas = {}
    for message in messages:
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q",
                        "--allow-empty", "-m", message], check=True)
        shas[subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()] = message
    numbers = ["007", "12"]
    patterns = ["reverts commit", "cherry picked from commit",
                f"(#|gh-|/issues/|/discussions/)0*({'|'.join(numbers)})([^0-9]|$)",
                f"#({'|'.join(n.translate(str.maketrans('0123456789', '０１２３４５６７８９')) for n in numbers)})"]
    kept = subprocess.run(["git", "-C", str(tmp_path), "log", "--format=%H", "-E", "-i",
                           *(f"--grep={p}" for p in patterns)], capture_output=True, text=True, check=True)
    says = earlier._naming(numbers)
    assert {shas[sha] for sha in kept.stdout.split()} == {m for m in messages if says(m.encode())}
    assert says(b"Fixes #12") and not says(b"fixes #120") and says("#１２３".encode())


def test_a_commit_older_than_the_request_it_names_is_not_read_for_it(make_repo: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run reads earlier history back to a week before the oldest candidate was
    opened; a request opened later than a commit that names it (a number reused after an
    import) is not taken as closed by that commit."""
    from tracker import _earlier as earlier

    monkeypatch.setattr(earlier, "_INDEX_AT_MOST", 1)
    repo, _ = make_repo(
        [{"commit": "init", "date": "2026-01-01T00:00:00Z"},
         {"commit": "Old work\n\nFixes #4", "date": "2026-01-02T00:00:00Z"}, {"tag": "v1"},
         {"commit": "Recent work\n\nFixes #5", "date": "2026-03-01T00:00:00Z"},
         {"tag": "v2", "message": "v2", "date": "2026-03-02T00:00:00Z"},
         {"commit": "Export\n\nFixes #4", "date": "2026-06-01T00:00:00Z"},
         {"commit": "Polish\n\nFixes #5", "date": "2026-06-02T00:00:00Z"},
         {"tag": "v3", "message": "v3", "date": "2026-06-03T00:00:00Z"}],
        requests=[{"id": "4", "title": "Export", "author": "ana", "created_at": "2026-05-01T00:00:00Z"},
                  {"id": "5", "title": "Sync", "author": "bo", "created_at": "2026-02-01T00:00:00Z"}])
    report = report_of(repo, "v3")
    assert [s["id"] for s in report["shipped"]] == ["4"]
    assert [(a["id"], a["in"]) for a in report["already_shipped"]] == [("5", "v2")]
