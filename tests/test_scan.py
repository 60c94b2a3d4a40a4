"""`tracker scan`: every link in a range, with its kind; reverts and cherry-picks name their requests."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

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
