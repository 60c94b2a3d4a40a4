"""Release notes under the fans' part (`changelog.changes: all`): one line per merged pull
request or per commit without one, grouped, with the build's new contributors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, report_of
from github_server import serve

from tracker import _notes as notes

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]

# A week of a real project's shapes: a pull request merged with a merge commit (its three
# commits are its own business), squashed pull requests, direct commits, a branch merged
# without a pull request, a bot's dependency bump, and a first-time contributor.
HISTORY: list[dict[str, Any]] = [
    {"commit": "Initial", "author": "Maint <maint@example.org>"},
    {"commit": "docs: the old guide", "author": "Frank <frank@example.org>"},
    {"tag": "v1"},
    {"branch": "ana/export"},
    {"commit": "Export: first cut", "author": "Ana <ana@example.org>"},
    {"commit": "Export: tests", "author": "Ana <ana@example.org>"},
    {"commit": "Export: review fixes", "author": "Ana <ana@example.org>"},
    {"checkout": "main"},
    {"merge": "ana/export", "commit": "Merge pull request #40 from ana/export\n\nExport albums as PDF",
     "author": "Maint <maint@example.org>"},
    {"commit": "fix(sync): retry on timeouts (#41)", "author": "Frank <frank@example.org>"},
    {"commit": "Speed up thumbnails (#42)", "author": "Frank <frank@example.org>"},
    {"commit": "build(deps): bump pillow from 10 to 11 (#43)",
     "author": "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"},
    {"commit": "Dark mode\n\nFixes #7", "author": "Gina <12+gina@users.noreply.github.com>"},
    {"branch": "release-1"},
    {"commit": "Fix the 1.x installer", "author": "Maint <maint@example.org>"},
    {"checkout": "main"},
    {"merge": "release-1", "commit": "Merge branch 'release-1'", "author": "Maint <maint@example.org>"},
    {"commit": "feat!: drop Python 3.8", "author": "Frank <frank@example.org>"},
    {"tag": "v2"},
]
REQUESTS = [{"id": "7", "title": "Dark mode", "author": "alice", "voters": ["bob"]}]


def _markdown(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = invoke(["--repo", str(repo), "changelog", "v2", *args], env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_every_pull_request_once_grouped_with_its_author_and_the_new_contributors(make_repo: MakeRepo) -> None:
    repo, _ = make_repo(HISTORY, config="repository: acme/app\n", requests=REQUESTS)
    text = _markdown(repo)
    notes_part = text.split("### What's changed", 1)[1]
    # The merged pull request is one line (its merge's words, its branch's author); its three
    # commits are not listed.
    assert "- Export albums as PDF by Ana in #40" in notes_part
    assert "Export: first cut" not in notes_part and "Export: tests" not in notes_part
    # Squashed pull requests are one line each in their groups (without an issue system to
    # ask, as the commit says: its subject without ` (#N)`, then its number).
    plain = notes_part.replace("\\[bot\\]", "[bot]")
    assert "#### Bug fixes\n\n- fix(sync): retry on timeouts by Frank in #41" in plain
    assert "#### Dependencies\n\n- build(deps): bump pillow from 10 to 11 by @dependabot[bot] in #43" in plain
    assert "#### Breaking changes\n\n- feat!: drop Python 3.8 by Frank in " in plain
    assert "- Speed up thumbnails by Frank in #42" in plain.split("#### Other changes", 1)[1]
    # A branch merged without a pull request: its commit is listed as itself.
    assert "- Fix the 1.x installer by Maint in " in notes_part
    # What shipped a fan request is in the fans' part above, not again below.
    assert "Dark mode" not in notes_part and "**Dark mode** (#7)" in text
    # Git author names are never mentions; logins come from no-reply addresses.
    assert "@Frank" not in text and "@Maint" not in text
    newcomers = text.split("### New contributors", 1)[1].split("###", 1)[0]
    # Ana and Gina have no commit before v1..v2; Frank and Maint do; bots are never named.
    assert "- Ana made their first contribution in #40" in newcomers
    assert "- @gina made their first contribution in " in newcomers
    assert "Frank" not in newcomers and "dependabot" not in newcomers and "Maint" not in newcomers


def test_pull_request_titles_authors_and_labels_come_from_github(make_repo: MakeRepo) -> None:
    repo, _ = make_repo(HISTORY, config="repository: acme/app\npublish: [github-release]\n")
    with serve() as server:
        server.add_issue(7, "Dark mode", user="alice", labels=["feature-request"])
        server.add_pull(40, "Export albums as PDF", user="ana", merge_commit_sha=_sha(repo, "v2", "Merge pull request"))
        server.add_pull(41, "Retry sync on timeouts", user="frank-gh", body="Also closes #7",
                        merge_commit_sha=_sha(repo, "v2", "(#41)"))
        server.add_pull(42, "Speed up thumbnails", user="frank-gh", labels=["performance"],
                        merge_commit_sha=_sha(repo, "v2", "(#42)"))
        server.add_pull(43, "Bump pillow", user="dependabot[bot]", labels=["dependencies"],
                        merge_commit_sha=_sha(repo, "v2", "(#43)"))
        env = {"GITHUB_TOKEN": "t0k3n", "GITHUB_REPOSITORY": "acme/app", "GITHUB_API_URL": server.url,
               "TRACKER_GITHUB_FAST_RETRY": "1"}
        text = _markdown(repo, env=env)
        report = json.loads(_markdown(repo, "--format", "json", env=env))
    fans_part, notes_part = text.split("### What's changed", 1)
    # The pull requests' own titles and authors (GitHub's data), linked, each once.
    assert "- Export albums as PDF by @ana in [#40](" in notes_part
    # A pull request that shipped a fan request is linked from the fans' part, not listed again.
    assert re.search(r"\*\*Dark mode\*\* \(\[#7\]\(http://[^)\s\u200b]+\)\) · \[#41\]\(http://[^)\s\u200b]+/pull/41\)",
                     fans_part), fans_part
    assert "#41" not in notes_part
    # No conventional type in the title: the pull request's labels say the group.
    assert "#### Performance\n\n- Speed up thumbnails by @frank-gh in [#42](" in notes_part
    assert "#### Dependencies\n\n- Bump pillow by @dependabot" in notes_part
    # The report keeps the build's merged pull requests for scripts, with their labels.
    assert [(p["number"], p["author"], p["labels"]) for p in report["pulls"]] == [
        ("40", "ana", []), ("41", "frank-gh", []), ("42", "frank-gh", ["performance"]),
        ("43", "dependabot[bot]", ["dependencies"])]
    assert {c["summary"]: c["pull"] for c in report["changes"]}["Speed up thumbnails (#42)"] == "42"


def _sha(repo: Path, tip: str, subject_part: str) -> str:
    import subprocess

    out = subprocess.run(["git", "log", "--format=%H %s", tip], cwd=repo, capture_output=True, text=True,
                         check=True).stdout
    return next(line.split(" ", 1)[0] for line in out.splitlines() if subject_part in line)


def test_a_long_build_stays_readable_and_the_json_keeps_everything(make_repo: MakeRepo) -> None:
    steps: list[dict[str, Any]] = [{"commit": "Initial", "author": "Maint <maint@example.org>"}, {"tag": "v1"}]
    steps += [{"commit": f"fix: case {n}", "author": "Frank <frank@example.org>"} for n in range(300)]
    steps += [{"tag": "v2"}]
    repo, _ = make_repo(steps)
    text = _markdown(repo)
    fixes = text.split("#### Bug fixes", 1)[1]
    assert fixes.count("\n- fix: case ") == notes.CAP
    assert f"- … and {300 - notes.CAP} more" in fixes
    assert len(report_of(repo, "v2")["changes"]) == 300


def test_changes_fans_lists_only_the_fans_part(make_repo: MakeRepo) -> None:
    repo, _ = make_repo(HISTORY, config="repository: acme/app\nchangelog:\n  changes: fans\n", requests=REQUESTS)
    text = _markdown(repo)
    assert "**Dark mode** (#7)" in text
    assert "What's changed" not in text and "New contributors" not in text


def test_the_notes_are_localised(make_repo: MakeRepo) -> None:
    repo, _ = make_repo(HISTORY, config="repository: acme/app\n", requests=REQUESTS)
    text = _markdown(repo, "--locale", "zh-CN")
    assert "### 本次更新" in text and "#### 问题修复" in text and "### 新贡献者" in text


def test_fan_text_in_titles_stays_inert_in_the_notes(make_repo: MakeRepo) -> None:
    repo, _ = make_repo([{"commit": "Initial", "author": "Maint <maint@example.org>"}, {"tag": "v1"},
                         {"commit": "<img src=x onerror=alert(1)> @everyone [x](javascript:alert(1))",
                          "author": "Eve <eve@example.org>"}, {"tag": "v2"}])
    html = _markdown(repo, "--format", "html")
    assert "<img src=x" not in html and "&lt;img" in html
    markdown = _markdown(repo)
    assert "@everyone" not in markdown and "@\u200beveryone" in markdown  # no live mention
    assert re.search(r"(?<!\\)\]\(javascript:", markdown) is None  # the brackets are escaped: no link


@pytest.mark.parametrize("summary, labels, group", [
    ("feat: dark mode", (), "feat"), ("feat(ui)!: new layout", (), "breaking"), ("fix: crash", (), "fix"),
    ("chore(deps): bump x", (), "deps"), ("docs: guide", (), "docs"), ("ci: cache", (), "maintenance"),
    ("Add dark mode", ("enhancement",), "feat"), ("Crash on start", ("Bug",), "fix"),
    ("Something", ("needs-review",), "other"), ("Revert \"feat: x\"", (), "other"),
])
def test_groups(summary: str, labels: tuple[str, ...], group: str) -> None:
    assert notes.group_of(summary, labels) == group


@pytest.mark.parametrize("summary, shown", [
    ("Use `get_event_loop()` on 3.12", "Use `get_event_loop()` on 3.12"),
    ("`<img src=x>` and <b>", "`<img src=x>` and &lt;b&gt;"),  # inside a code span, Markdown shows it as written
    ("a ``y`z`` b ` lone", "a ``y`z`` b \\` lone"),  # spans as CommonMark reads them; a lone backtick escaped
    ("`@everyone` @everyone", "`@everyone` @\u200beveryone"),
    # A commit's `#12` and sha link as its author meant; its URL still opens nothing.
    ("Fix #12 (see 1a2b3c4d5e6f) https://x.test", "Fix #12 (see 1a2b3c4d5e6f) https:\u200b//x.test"),
])
def test_a_changes_code_spans_are_kept_and_nothing_else_comes_alive(summary: str, shown: str) -> None:
    from tracker import _textsafe as textsafe

    assert str(textsafe.markdown(summary, code=True)) == shown
    assert "`" not in str(textsafe.markdown(summary)).replace("\\`", "")  # fan text: no formatting at all
    assert "#12" not in str(textsafe.markdown("Fix #12"))  # and no links


def test_the_notes_keep_code_spans_of_commit_subjects(make_repo: MakeRepo) -> None:
    repo, _ = make_repo([{"commit": "Initial", "author": "Maint <maint@example.org>"}, {"tag": "v1"},
                         {"commit": "fix: call `get_event_loop()` lazily", "author": "Frank <frank@example.org>"},
                         {"tag": "v2"}])
    assert "- fix: call `get_event_loop()` lazily by Frank in " in _markdown(repo)
