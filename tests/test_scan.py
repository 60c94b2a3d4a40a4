"""`tracker scan`: every link in a range, with its kind; reverts and cherry-picks name their requests."""

from __future__ import annotations

import json
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
    assert f"revert      #1 of {labels['dark'][:10]}" in text


def test_scan_defaults_to_head(make_repo: Any) -> None:
    repo, _ = make_repo(HISTORY)
    result = invoke(["--repo", str(repo), "scan"])
    assert result.exit_code == 0 and "closes      #1" in result.stdout
