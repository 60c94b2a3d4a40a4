"""`tracker demo DIR` where DIR cannot be made: one line, exit 2, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke


@pytest.mark.parametrize("where, reason", [
    ("/proc/x", "No such file or directory"),  # a folder no one can make
    ("{tmp}/a-file/lumen", "Not a directory"),
])
def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path, where: str, reason: str) -> None:
    if where.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    (tmp_path / "a-file").write_text("not a folder\n")
    target = where.format(tmp=tmp_path)
    result = invoke(["demo", target])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"tracker: {target}: cannot make the demo project there ({reason})\n"
    assert {p.name for p in tmp_path.iterdir()} <= {"a-file", "home"}  # nothing made


def test_the_demo_points_at_a_fans_page_and_a_share_page(tmp_path: Path) -> None:
    result = invoke(["demo", str(tmp_path / "lumen")])
    assert result.exit_code == 0, result.stderr
    site = tmp_path / "lumen" / "site"
    for line, path in (("A fan's own page: ", site / "fans" / "alice.html"),
                       ("A card's share page: ", site / "cards" / "v2026.47" / "alice.html")):
        assert f"{line}{path.as_uri()}\n" in result.stdout and path.is_file()
    assert "fans/, awards/, reports/" in result.stdout
