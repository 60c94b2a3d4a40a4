"""Long ranges: many pipe blocks, a spooled `changes` list, the link index read instead of parsing.

The scan reads `git log` a block at a time and works column by column; these
tests build histories big enough to cross every block and spool boundary and
check the report against what git itself says about each commit.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, report_of

from tracker import _changes as changes
from tracker import _git as git
from tracker import _sample as sample
from tracker import _scan
from tracker._changes import Changes, write_json

CONVENTIONAL = re.compile(r"\A([a-z]{2,12})(?:\([^()\n]{0,64}\))?!?:\s")


def _fast_import(path: Path, messages: list[str], tag_every: int) -> None:
    """A linear history of `messages` (oldest first), a build tag every `tag_every` commits."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = bytearray()
    for n, message in enumerate(messages, 1):
        text = message.encode("utf-8")
        author = f"dev{n % 7}"
        stream += f"commit refs/heads/main\nmark :{n}\n".encode()
        stream += f"author {author} <{author}@example.org> {1_700_000_000 + n * 60} +0000\n".encode()
        stream += f"committer {author} <{author}@example.org> {1_700_000_000 + n * 60} +0000\n".encode()
        stream += f"data {len(text)}\n".encode() + text + b"\n"
        if n % tag_every == 0 or n == len(messages):
            stream += f"reset refs/tags/v{(n + tag_every - 1) // tag_every:04d}\nfrom :{n}\n\n".encode()
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=bytes(stream), check=True)


def _message(n: int) -> str:
    body = "A body line long enough to fill pipe blocks quickly. " * 4
    kinds = ["feat", "fix", "docs", "Update", "chore(ci)"]
    subject = f"{kinds[n % len(kinds)]}: change {n} \"quoted\" \\ café"
    if n % 13 == 0:
        subject += f" (#{1000 + n})"  # a squashed pull request
    if n % 5 == 0:
        return f"{subject}\n\n{body}\n\nFixes #{n % 40 + 1}, see #{(n + 7) % 40 + 1}"
    if n % 11 == 0:
        return f"{subject}\n\n{body}\nSee #{n % 40 + 1} and #999"
    return f"{subject}\n\n{body}"


@pytest.fixture(scope="module")
def long_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "repo"
    # 9,000 commits: ~4 MB of log (many 256 KiB blocks), ~1.4 MB of changes (past the 1 MiB spool).
    _fast_import(path, [_message(n) for n in range(1, 9001)], tag_every=1500)
    requests = path.parent / "requests.json"
    requests.write_text(json.dumps([{"id": str(i), "title": f"Request {i}", "author": f"fan{i}"}
                                    for i in range(1, 41)]), encoding="utf-8")
    result = invoke(["--repo", str(path), "requests", "import", str(requests)])
    assert result.exit_code == 0, result.stderr
    return path


def _expected_changes(repo: Path, spec: str) -> list[dict[str, Any]]:
    """The `changes` list as git's own output says it should be (independently of the scan)."""
    out = subprocess.run(["git", "log", "--format=%H%x00%aN%x00%B%x1e", spec], cwd=repo,
                         capture_output=True, check=True).stdout.decode()
    changes = []
    for record in out.split("\x1e")[:-1]:
        sha, author, message = record.lstrip("\n").split("\0")
        summary = message.split("\n", 1)[0].strip()
        kind = CONVENTIONAL.match(summary)
        requests = [m for m in re.findall(r"#(\d+)", message) if int(m) <= 40]
        pull = re.search(r"\(#(\d+)\)\Z", summary)
        changes.append({"sha": sha, "summary": summary, "author": author, "login": None,  # no no-reply addresses
                        "type": kind.group(1) if kind else None, "requests": requests,
                        "pull": pull.group(1) if pull else None})
    return changes


def test_a_long_range_lists_every_commit_as_git_does(long_repo: Path) -> None:
    report = report_of(long_repo, "v0006", "--previous", "v0001")
    expected = _expected_changes(long_repo, "v0001..v0006")
    assert report["commits"] == len(expected) == 7500
    assert report["changes"] == expected
    # Every request was closed before v0001 already: later closings on the same line ship nothing.
    assert report["shipped"] == []
    closed = {str(n % 40 + 1) for n in range(5, 1501, 5)}
    assert {s["id"] for s in report_of(long_repo, "v0001")["shipped"]} == closed


def test_the_link_index_gives_the_report_parsing_gives(long_repo: Path) -> None:
    index = long_repo / ".git" / "tracker" / "links.sqlite3"
    index.unlink(missing_ok=True)
    cold = [report_of(long_repo, "v0006"), report_of(long_repo, "v0006", "--previous", "v0002")]
    assert index.is_file()  # the first run indexed v0006's ancestry: later runs read it
    warm = [report_of(long_repo, "v0006"), report_of(long_repo, "v0006", "--previous", "v0002")]
    assert warm == cold
    for path in (long_repo / ".git" / "tracker").glob("links.sqlite3*"):
        path.unlink()
    assert report_of(long_repo, "v0006", "--previous", "v0002") == cold[1]



def test_the_scans_shared_readings_are_bounded_without_changing_a_report(long_repo: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What closing commits say is read once and shared (thousands say `Fixes #12`) up to a
    bound, then dropped and read again: a tiny bound gives the same report."""
    report_of(long_repo, "v0006")  # the index holds v0006's ancestry
    expected = report_of(long_repo, "v0006", "--previous", "v0001")
    monkeypatch.setattr(_scan, "_CACHED", 2)
    assert report_of(long_repo, "v0006", "--previous", "v0001") == expected

def test_json_to_a_file_is_the_same_text_and_rewritten_only_when_it_changes(long_repo: Path) -> None:
    target = long_repo.parent / "report.json"
    args = ["--repo", str(long_repo), "changelog", "v0003", "--format", "json"]
    assert invoke([*args, "-o", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == invoke(args).stdout
    before = target.stat().st_mtime_ns
    assert invoke([*args, "-o", str(target)]).exit_code == 0
    assert target.stat().st_mtime_ns == before


@pytest.mark.parametrize("message, summary", [
    ("feat: a\x1fb\n\nFixes #1", "feat: a\x1fb"),          # the field separator inside a message
    ("\n\nfix: after blank lines\n\nFixes #1", "fix: after blank lines"),
    ("Latin-1 caf\xe9", "Latin-1 café"),
])
def test_awkward_messages_are_listed_as_written(tmp_path: Path, message: str, summary: str) -> None:
    repo = tmp_path / "repo"
    raw = message.encode("latin-1" if "\xe9" in message else "utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    tree = subprocess.run(["git", "mktree"], cwd=repo, input=b"", capture_output=True, check=True).stdout.strip()
    env = {**os.environ, "GIT_AUTHOR_NAME": "alice", "GIT_AUTHOR_EMAIL": "alice@example.org",
           "GIT_COMMITTER_NAME": "alice", "GIT_COMMITTER_EMAIL": "alice@example.org",
           "GIT_AUTHOR_DATE": "2026-11-01T10:00:00Z", "GIT_COMMITTER_DATE": "2026-11-01T10:00:00Z"}
    sha = subprocess.run(["git", "commit-tree", tree.decode()], cwd=repo, input=raw, env=env,
                         capture_output=True, check=True).stdout.decode().strip()
    subprocess.run(["git", "tag", "v1", sha], cwd=repo, check=True)
    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps([{"id": "1", "title": "One", "author": "bob"}]), encoding="utf-8")
    assert invoke(["--repo", str(repo), "requests", "import", str(requests)]).exit_code == 0
    report = report_of(repo, "v1")
    assert [c["summary"] for c in report["changes"]] == [summary]
    assert report["commits"] == 1
    assert [s["id"] for s in report["shipped"]] == (["1"] if "#1" in message else [])


def test_a_reader_that_stops_early_stops_git(long_repo: Path) -> None:
    repo = git.open_repo(long_repo)
    log = git.commits(repo, None, "v0006")
    first = next(iter(log))
    assert first.count(b"\0") > 10
    log.close()
    assert log.proc.poll() is not None  # git was stopped, not left writing into a full pipe
    unread = git.commits(repo, None, "v0006")
    unread.close()
    assert unread.proc.poll() is not None


def test_a_failing_git_log_is_an_error_not_an_empty_range(tmp_path: Path) -> None:
    repo_path = tmp_path / "repo"
    sample.build(repo_path, [{"commit": "one"}, {"tag": "v1"}])
    repo = git.open_repo(repo_path)
    with pytest.raises(git.GitFailed, match="git log failed"):
        list(git.commits(repo, "no-such-tag", "v1"))


def test_repositories_are_found_where_git_finds_them(tmp_path: Path) -> None:
    work = tmp_path / "work"
    sample.build(work, [{"commit": "one"}])
    assert git.open_repo(work).work_tree.resolve() == work.resolve()
    assert git.open_repo(work / ".git").git_dir.resolve() == (work / ".git").resolve()
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    opened = git.open_repo(bare)
    assert opened.git_dir.resolve() == bare.resolve() == opened.work_tree.resolve()
    (work / "sub" / "deeper").mkdir(parents=True)
    inside = git.open_repo(work / "sub" / "deeper")  # as `git -C work/sub/deeper` finds it
    assert (inside.work_tree.resolve(), inside.git_dir.resolve()) == (work.resolve(), (work / ".git").resolve())
    assert git.open_repo(bare / "refs").git_dir.resolve() == bare.resolve()
    result = invoke(["--repo", str(work / ".git" / "refs"), "top"])
    assert result.exit_code == 2 and "inside a git directory" in result.stderr
    (work / "notes.txt").write_text("a file\n")
    result = invoke(["--repo", str(work / "notes.txt"), "top"])
    assert result.exit_code == 2 and result.stderr.endswith("notes.txt: not a directory\n")


@pytest.mark.parametrize("indent", [None, 2])
def test_a_streamed_report_is_the_text_json_dumps_gives(indent: int | None) -> None:
    """The report is written piece by piece (spooled changes copied, long lists encoded a few
    hundred items at a time): the text is still exactly `json.dumps`'s."""
    entries = [{"sha": f"{n:040x}", "summary": f"fix: café \"{n}\" \\ \u2028 <b>", "author": "ann",
                "type": None if n % 3 else "fix", "requests": [str(n)] if n % 2 else []} for n in range(700)]
    data = {"schema": 1, "build": "v1", "previous": None, "commits": 700,
            "shipped": [{"id": str(n), "title": f"Wunsch {n} ✓", "voters": ["a", "b"], "commits": [f"{n:040x}"],
                         "votes": n, "extra": {"nested": [1.5, True, None]}} for n in range(600)],
            "withdrawn": [], "changes": Changes(entries), "credits": [{"login": "ann", "voted": ["1"]}]}
    expected = json.dumps({**data, "changes": entries}, ensure_ascii=False, indent=indent)
    out = io.StringIO()  # a text stream without a byte buffer: written as text
    write_json(data, out, indent)
    assert out.getvalue() == expected
    for read in (7, 1 << 18):  # a UTF-8 stream: spooled bytes copied as read, lines straddling pieces
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(changes, "_READ", read)
            stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
            write_json(data, stream, indent)
            stream.flush()
            assert stream.buffer.getvalue().decode("utf-8") == expected, read
    empty = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    write_json({"changes": Changes()}, empty)
    empty.flush()
    assert empty.buffer.getvalue() == b'{"changes": []}'
