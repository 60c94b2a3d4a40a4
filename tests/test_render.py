"""Rendering: every format, fan text inert everywhere, user templates (overrides, sandbox)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke

HOSTILE = "<img src=x onerror=alert(1)> @everyone @acme/core [win](https://evil.example) **bold** \u202eevil"
REQUESTS = [
    {"id": "1", "title": HOSTILE, "author": "alice", "voters": ["bob", "carol"]},
    {"id": "2", "title": "更大的字体", "author": "李雷", "voters": ["韩梅梅"]},
]
HISTORY = [{"commit": "init"}, {"tag": "v1"}, {"commit": "feat: things\n\nFixes #1, #2"}, {"tag": "v2"}]


@pytest.fixture
def repo(make_repo: Any) -> Path:
    path, _ = make_repo(HISTORY, requests=REQUESTS)
    return path


def render(repo: Path, *args: str) -> str:
    result = invoke(["--repo", str(repo), "changelog", "v2", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_markdown_neither_pings_nor_links_nor_injects_html(repo: Path) -> None:
    text = render(repo)
    assert "<img" not in text and "&lt;img" in text
    assert "@everyone" not in text and "@acme/core" not in text
    assert "](https://evil" not in text and "\\[win\\]" in text
    assert "https://evil" not in text
    assert "\u202e" not in text
    assert "@alice" in text and "@李雷" in text  # credited fans are still named
    assert "更大的字体" in text


def test_html_and_atom_escape_fan_text(repo: Path) -> None:
    html = render(repo, "--format", "html")
    assert "<img" not in html and "&lt;img src=x" in html
    atom = render(repo, "--format", "atom")
    root = ET.fromstring(atom.encode())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    content = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content")
    assert content is not None and "<img" not in (content.text or "").replace("&lt;img", "")


def test_text_format(repo: Path) -> None:
    text = render(repo, "--format", "text")
    assert "v2" in text and "@alice" in text and "\u202e" not in text


def test_json_goes_to_a_file_with_dash_o(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    result = invoke(["--repo", str(repo), "changelog", "v2", "--format", "json", "-o", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["build"] == "v2"


def test_user_template_file_is_escaped_too(repo: Path, tmp_path: Path) -> None:
    template = tmp_path / "notes.md.j2"
    template.write_text("{% for s in report.shipped %}* {{ s.title }} by @{{ s.author }}\n{% endfor %}")
    text = render(repo, "--template", str(template))
    assert "<img" not in text and "@everyone" not in text and "@alice" in text


@pytest.mark.parametrize("commits", [1, 250])  # a short list is copied safe; a long one is made safe as read
def test_commit_text_in_changes_is_inert_in_user_templates(make_repo: Any, tmp_path: Path, commits: int) -> None:
    steps = [{"commit": "init"}, {"tag": "v1"}]
    steps += [{"commit": f"feat: {HOSTILE} {n}"} for n in range(commits)] + [{"tag": "v2"}]
    path, _ = make_repo(steps, requests=REQUESTS)
    markdown = tmp_path / "changes.md.j2"
    markdown.write_text("{% for c in report.changes %}* {{ c.summary }}\n{% endfor %}"
                        "{% for c in report.changes[:2] %}{{ c.summary }}{% endfor %}{{ report.changes|length }}")
    text = render(path, "--template", str(markdown))
    assert text.count("&lt;img") == commits + min(commits, 2) and str(commits) in text
    assert "<img" not in text and "@everyone" not in text and "](https://evil" not in text
    assert "\u202e" not in text
    html = tmp_path / "changes.html.j2"
    html.write_text("{% for c in report.changes %}<li>{{ c.summary }}</li>{% endfor %}")
    page = render(path, "--template", str(html))
    assert page.count("<li>") == commits and "<img" not in page and "\u202e" not in page


def test_repository_templates_override_and_extend_the_builtins(repo: Path) -> None:
    folder = repo / ".github" / "tracker" / "templates"
    folder.mkdir(parents=True)
    (folder / "markdown.md.j2").write_text("Our own header\n\n{% include \"default:markdown.md.j2\" %}")
    text = render(repo)
    assert text.startswith("Our own header") and "## v2" in text


def test_templates_are_sandboxed(repo: Path, tmp_path: Path) -> None:
    template = tmp_path / "evil.txt.j2"
    template.write_text("{{ report.__class__.__mro__[1].__subclasses__() }}")
    result = invoke(["--repo", str(repo), "changelog", "v2", "--template", str(template)])
    assert result.exit_code == 2
    assert "subclasses" not in result.stdout


def test_demo_prints_a_credited_changelog_and_where_files_are(tmp_path: Path) -> None:
    result = invoke(["demo", str(tmp_path / "d")])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "## v2026.47" in out
    assert "Dark mode" in out and "@alice" in out and "7 votes" in out
    assert "Withdrawn" in out and "Keyboard shortcuts" in out
    assert str(tmp_path / "d" / "CHANGELOG.md") in out
    assert (tmp_path / "d" / "CHANGELOG.md").read_text().count("tracker:build") == 3
    again = invoke(["demo", str(tmp_path / "d")])
    assert again.exit_code == 2 and "not empty" in again.stderr


def test_compiled_templates_are_kept_in_the_users_cache_folder(repo: Path, tmp_path: Path) -> None:
    """Without TRACKER_TEMPLATE_CACHE, the compiled templates are kept in the user's cache
    folder (`$XDG_CACHE_HOME/tracker/templates`) and read back by the next command, which
    renders the same text; set empty, nothing is kept; an unwritable folder is no error."""
    import os
    import subprocess
    import sys

    def changelog(**env: str) -> str:
        ours = {k: v for k, v in os.environ.items() if k not in ("TRACKER_TEMPLATE_CACHE", "XDG_CACHE_HOME")}
        done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", "v2"],
                              env={**ours, **env}, capture_output=True, text=True)
        assert done.returncode == 0 and not done.stderr, done.stderr
        return done.stdout

    cache = tmp_path / "xdg"
    first = changelog(XDG_CACHE_HOME=str(cache))
    kept = sorted((cache / "tracker" / "templates").glob("__jinja2_*.cache"))
    assert kept  # the Markdown template and the macros it imports
    stamps = [path.stat().st_mtime_ns for path in kept]
    assert changelog(XDG_CACHE_HOME=str(cache)) == first
    assert [path.stat().st_mtime_ns for path in kept] == stamps  # read, not compiled and written again
    elsewhere = tmp_path / "off"
    assert changelog(XDG_CACHE_HOME=str(elsewhere), TRACKER_TEMPLATE_CACHE="") == first
    assert not elsewhere.exists()
    locked = tmp_path / "locked"
    (locked / "tracker" / "templates").mkdir(parents=True)
    (locked / "tracker" / "templates").chmod(0o500)
    try:
        if not os.access(locked / "tracker" / "templates", os.W_OK):  # root may write anywhere
            assert changelog(XDG_CACHE_HOME=str(locked)) == first
    finally:
        (locked / "tracker" / "templates").chmod(0o700)
    # A damaged entry (cut short after jinja2's header) is compiled again, never the render's error.
    from jinja2.bccache import bc_magic

    for path in kept:
        path.write_bytes(bc_magic + b"\x80")
    assert changelog(XDG_CACHE_HOME=str(cache)) == first


def test_a_cache_that_cannot_be_written_costs_only_a_compile(tmp_path: Path) -> None:
    """A full disk (or any failed write) under the compiled-template cache is not an error."""
    import errno
    from typing import IO

    from jinja2.bccache import Bucket

    from tracker import render

    class Full(Bucket):
        def write_bytecode(self, f: IO[bytes]) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    cache = render._only_a_cache()(str(tmp_path))
    cache.dump_bytecode(Full(None, "k", "c"))  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())  # nothing half-written left behind
