"""`changelog-file`: sections between markers, newest first by topology, people's text kept byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import invoke

HISTORY = [
    {"commit": "init"}, {"tag": "v1"},
    {"commit": "Fixes #1"}, {"tag": "v2"},
    {"commit": "Fixes #2"}, {"tag": "v3"},
]
REQUESTS = [{"id": "1", "title": "Dark mode", "author": "alice", "voters": ["bob"]},
            {"id": "2", "title": "Export", "author": "carol"}]
CONFIG = "issues: local\npublish: [changelog-file]\n"
PREAMBLE = "# Changelog\r\n\r\nHand-written intro, kept *exactly*.  \r\n\r\n"
OLD = "## 0.9 (hand-written)\r\n\r\n- things from before tracker\r\n"


@pytest.fixture
def repo(make_repo: Any) -> Path:
    path, _ = make_repo(HISTORY, config=CONFIG, requests=REQUESTS)
    (path / "CHANGELOG.md").write_bytes((PREAMBLE + OLD).encode())
    return path


def publish(repo: Path, build: str) -> str:
    result = invoke(["--repo", str(repo), "publish", build])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_sections_keep_preamble_and_old_text_and_rerun_changes_nothing(repo: Path) -> None:
    publish(repo, "v2")
    publish(repo, "v3")
    text = (repo / "CHANGELOG.md").read_bytes().decode()
    assert text.startswith(PREAMBLE)
    assert text.endswith(OLD)
    assert text.index("tracker:build v3") < text.index("tracker:build v2") < text.index("## 0.9")
    assert "Dark mode" in text and "@alice" in text
    before = (repo / "CHANGELOG.md").read_bytes()
    again = publish(repo, "v3") + publish(repo, "v2")
    assert "nothing to write" in again
    assert (repo / "CHANGELOG.md").read_bytes() == before


def test_an_older_build_released_late_goes_where_it_belongs(repo: Path) -> None:
    publish(repo, "v3")
    publish(repo, "v1")
    publish(repo, "v2")
    text = (repo / "CHANGELOG.md").read_text()
    assert text.index("build v3") < text.index("build v2") < text.index("build v1") < text.index("## 0.9")


def test_people_edits_around_sections_survive_a_republish(repo: Path) -> None:
    publish(repo, "v2")
    path = repo / "CHANGELOG.md"
    note = b"<!-- tracker:end v2 -->\r\n\r\nA human note about v2, after its section.\r\n"
    edited = path.read_bytes().replace(b"<!-- tracker:end v2 -->\r\n", note)
    assert edited != path.read_bytes()
    path.write_bytes(edited)
    publish(repo, "v3")
    text = path.read_bytes()
    assert note in text
    assert text.startswith(PREAMBLE.encode()) and text.endswith(OLD.encode())


def test_dry_run_writes_nothing(repo: Path) -> None:
    before = (repo / "CHANGELOG.md").read_bytes()
    result = invoke(["--repo", str(repo), "publish", "v2", "--dry-run"])
    assert result.exit_code == 0
    assert "would write: changelog-file" in result.stdout
    assert (repo / "CHANGELOG.md").read_bytes() == before


def test_a_new_file_is_created(make_repo: Any) -> None:
    repo, _ = make_repo(HISTORY, config=CONFIG, requests=REQUESTS)
    publish(repo, "v2")
    text = (repo / "CHANGELOG.md").read_text()
    assert text.startswith("<!-- tracker:build v2 -->\n## v2")


def test_a_markdown_template_in_the_config_shapes_the_changelog_file(make_repo: Any) -> None:
    repo, _ = make_repo(HISTORY, requests=REQUESTS,
                        config=CONFIG + "changelog:\n  template: .github/notes.md.j2\n")
    (repo / ".github" / "notes.md.j2").write_text(
        "## {{ report.build }}\n{% for s in report.shipped %}* {{ s.title }} (thanks @{{ s.author }})\n{% endfor %}")
    publish(repo, "v2")
    text = (repo / "CHANGELOG.md").read_text()
    assert "* Dark mode (thanks @alice)" in text
    shown = invoke(["--repo", str(repo), "changelog", "v2"]).stdout
    assert shown.startswith("## v2\n* Dark mode (thanks @alice)")
