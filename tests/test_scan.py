"""`tracker scan`: every link in a range, with its kind; reverts and cherry-picks name their requests."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import pytest
from conftest import invoke

HISTORY = [
    {"commit": "init"}, {"tag": "v1"},
    {"commit": "Dark mode\n\nFixes #1, see #2", "as": "dark"},
    {"commit": "Export (#40)"},
    {"commit": "Revert \"Dark mode\"\n\nThis reverts commit {dark}."},
    {"commit": "Backport\n\n(cherry picked from commit {dark})"},
    {"tag": "v2"},
]


def test_scan_reports_every_kind(make_repo: Any) -> None:
    repo, labels = make_repo(HISTORY)
    result = invoke(["--repo", str(repo), "scan", "v1..v2", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = [(r["kind"], r["request"], r["pull"], r.get("commit")) for r in json.loads(result.stdout)]
    assert ("closes", "1", None, None) in rows
    assert ("refs", "2", None, None) in rows
    assert ("revert", "1", None, labels["dark"]) in rows
    assert ("cherry-pick", "1", None, labels["dark"]) in rows
    assert all(kind != "refs" or request != "40" for kind, request, *_ in rows)  # a PR number is no mention
    text = invoke(["--repo", str(repo), "scan", "v1..v2"]).stdout
    assert f"revert       #1       {labels['dark'][:10]}" in text


def test_scan_defaults_to_head(make_repo: Any) -> None:
    repo, _ = make_repo(HISTORY)
    result = invoke(["--repo", str(repo), "scan"])
    assert result.exit_code == 0 and "closes       #1" in result.stdout


def test_the_table_keeps_history_order_and_its_columns_with_wide_text(make_repo: Any) -> None:
    repo, labels = make_repo([
        {"commit": "init"}, {"tag": "v1"},
        {"commit": "夜间模式 dark mode\n\nFixes #12345", "as": "dark"},
        {"commit": "Export (#40)\n\nCloses #7"},
        {"commit": "Revert \"夜间模式 dark mode\"\n\nThis reverts commit {dark}."},
        {"commit": "docs: see #7"},
        {"tag": "v2"},
    ])
    rows = json.loads(invoke(["--repo", str(repo), "scan", "v1..v2", "--format", "json"]).stdout)
    # Newest first, as `git log` lists the range: the revert stays where it happened.
    assert [(r["kind"], r["request"]) for r in rows] == [("refs", "7"), ("revert", "12345"), ("closes", "7"),
                                                         ("closes", "12345")]
    lines = invoke(["--repo", str(repo), "scan", "v1..v2"]).stdout.splitlines()
    assert lines[0].split() == ["commit", "kind", "request", "of", "pull", "summary"]
    assert [line.split()[1] for line in lines[1:]] == ["refs", "revert", "closes", "closes"]

    def column(text: str, word: str) -> int:  # where `word` starts on a terminal (wide characters: 2 columns)
        before = text[:text.index(word)]
        return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in before)

    for name, word in (("of", labels["dark"][:10]), ("pull", "#40"), ("summary", "Export")):
        line = next(line for line in lines[1:] if word in line)
        assert column(line, word) == column(lines[0], name), (name, lines)
    for line, row in zip(lines[1:], rows, strict=True):
        assert column(line, row["summary"]) == column(lines[0], "summary"), lines


# -- ranges that are empty, reversed, malformed, or in a repository with no history ------------


def _one_line(result: Any, code: int, *words: str) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    (line,) = result.stderr.strip().splitlines()
    assert "Traceback" not in line
    for word in words:
        assert word in line, line
    return line


def test_scan_in_a_repository_without_commits_says_so(tmp_path: Any) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path / "new")], check=True)
    result = invoke(["--repo", str(tmp_path / "new"), "scan"])
    _one_line(result, 2, "no commits yet")
    assert result.stdout == ""


def test_a_range_git_would_refuse_is_bad_input_that_says_what_to_write(make_repo: Any) -> None:
    repo, _ = make_repo(HISTORY)
    for spec in ("v1..v2..v1", "v1...v2..v1", "v1....v2", "v1.. v2"):
        result = invoke(["--repo", str(repo), "scan", spec])
        line = _one_line(result, 2, spec)
        assert "A..B" in line or "names no commit" in line, line
        assert result.stdout == ""


def test_a_reversed_or_empty_range_is_one_note_not_silence(make_repo: Any) -> None:
    repo, _ = make_repo(HISTORY)
    reversed_ = invoke(["--repo", str(repo), "scan", "v2..v1"])
    assert reversed_.exit_code == 0 and reversed_.stdout == ""
    _one_line(reversed_, 0, "note:", "v2..v1", "v1..v2")
    same = invoke(["--repo", str(repo), "scan", "v2..HEAD", "--format", "json"])
    assert json.loads(same.stdout) == []
    _one_line(same, 0, "note:", "same commit")
    quiet, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Polish"}, {"tag": "v2"}])
    _one_line(invoke(["--repo", str(quiet), "scan", "v1..v2"]), 0, "note:", "no links", "1 commits")


def test_a_previous_that_is_not_an_ancestor_is_one_note(make_repo: Any) -> None:
    repo, _ = make_repo([*HISTORY, {"commit": "More\n\nFixes #3"}, {"tag": "v3"}],
                        requests=[{"id": "3", "title": "Three", "author": "ana"}])  # (an empty store is a note too)
    result = invoke(["--repo", str(repo), "changelog", "v2", "--previous", "v3", "--format", "json"])
    assert json.loads(result.stdout)["commits"] == 0
    _one_line(result, 0, "note:", "--previous v3", "comes after v2")
    same = invoke(["--repo", str(repo), "changelog", "v2", "--previous", "v2", "--format", "json"])
    _one_line(same, 0, "note:", "same commit")
    fine = invoke(["--repo", str(repo), "changelog", "v3", "--previous", "v1", "--format", "json"])
    assert fine.exit_code == 0 and fine.stderr == ""


def test_a_repository_path_with_a_line_break_works(tmp_path: Any) -> None:
    from tracker import _sample as sample

    repo = tmp_path / "odd\nname [x] 'q'"
    sample.build(repo, HISTORY)
    result = invoke(["--repo", str(repo), "changelog", "v2", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["commits"] == 4
    assert re.search(r"closes +#1", invoke(["--repo", str(repo), "scan", "v1..v2"]).stdout)
    source = tmp_path / "r.json"
    source.write_text(json.dumps([{"id": "1", "title": "Dark mode", "author": "alice"}]))
    assert invoke(["--repo", str(repo), "requests", "import", str(source)]).exit_code == 0
    assert (repo / ".git" / "tracker" / "store.sqlite3").is_file()


def test_dry_run_writes_not_even_the_link_index(make_repo: Any) -> None:
    from conftest import tree_state

    repo, _ = make_repo([*HISTORY, {"commit": "More\n\nFixes #3"}, {"tag": "v3"}],
                        config="issues: local\npublish: [changelog-file, site]\n",
                        requests=[{"id": "1", "title": "Dark mode", "author": "alice"}])
    before = tree_state(repo)
    for command in ("release", "ship", "publish"):
        result = invoke(["--repo", str(repo), command, "v3", "--dry-run"])
        assert result.exit_code == 0, result.stderr
    assert tree_state(repo) == before
    assert not (repo / ".git" / "tracker" / "links.sqlite3").exists()


def test_shas_kept_as_hex_read_back_in_order_and_looked_up_sorted():
    from tracker._shas import Shas, ShaSet

    shas = Shas()
    for sha in ["c" * 40, "a" * 39 + "b", "b" * 40]:
        shas.append(sha)
    assert list(shas) == ["c" * 40, "a" * 39 + "b", "b" * 40]
    assert (len(shas), shas[-1], shas[0:2]) == (3, "b" * 40, ["c" * 40, "a" * 39 + "b"])
    with pytest.raises(ValueError):
        shas.append("abc")  # one width per repository
    closing = shas.sorted([True, True, False])
    assert list(closing) == ["a" * 39 + "b", "c" * 40]
    assert "c" * 40 in closing and "b" * 40 not in closing and "a" * 40 not in closing and "c" * 7 not in closing
    # An abbreviated sha names a held one; so does a longer text beginning with one.
    assert closing.has_prefix("aaaa") and closing.has_prefix("aaa") and closing.has_prefix("c" * 40 + "0")
    assert not closing.has_prefix("b") and not closing.has_prefix("AAAA") and not closing.has_prefix("a" * 39 + "c")
    assert "A" * 40 not in closing and "z" * 40 not in closing
    assert not ShaSet().has_prefix("aaaa") and "a" * 40 not in ShaSet() and len(ShaSet.of([])) == 0
    assert ShaSet.of(["f" * 64, "0" * 64]) == {"0" * 64, "f" * 64}
