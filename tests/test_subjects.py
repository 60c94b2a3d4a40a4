"""A change's summary is the commit's subject exactly as `git log --format=%s` prints it,
whether the scan read whole messages (and made the subject itself) or git's subjects
(when the link index already knows what every message says)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import report_of

from tracker import _builds as builds
from tracker import _git as git
from tracker import _grammar as links
from tracker import _otherlines as otherlines
from tracker import _scan
from tracker._model import decode, subject

# Messages as bytes, exactly as stored: no `git commit` clean-up has touched them.
MESSAGES = [
    b"",
    b"One line",
    b"One line\n",
    b"Subject\n\nBody #1\n",
    b"\n\nAfter blank lines\n\nbody",
    b"  \t \n \nAfter white lines\n",
    b"Wrapped subject that\ngoes on here\n\nbody",
    b"Trailing spaces   \t\nand a second line  \n",
    b"CRLF subject\r\nwrapped\r\n\r\nbody\r\n",
    b"Ends at a white line\n   \nbody",
    b"Vertical\x0b tab\x0b\n\x0b\nnot blank to git",
    b"Form\x0c feed\n",
    b"  indented subject  \n",
    b"feat: wrapped\nconventional (#12)\n\nFixes #3",
    b"Caf\xe9 in Latin-1\n",
    b"\xe4\xb8\xad\xe6\x96\x87\xe3\x80\x80\n\xe7\xac\xac\xe4\xba\x8c\xe8\xa1\x8c\n",
    b"a\x1fb unit separator\nsecond\n",
    b"Trailing white then nothing \n \n \n",
]


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, check=True)
    return done.stdout.decode("ascii").strip()


# (name, email) of each commit's author, as stored: one name holds the field separator.
AUTHORS = {3: (b"x\x1fy", b"ann@example.com"), 7: (b"Zo\xc3\xab", b"zoe@example.com")}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """One commit per message, made as raw objects; `v2` tags the tip (the first build)."""
    path = tmp_path / "raw"
    path.mkdir()
    _git(path, "init", "-q")
    tree = _git(path, "hash-object", "-t", "tree", "-w", "--stdin", data=b"")
    parent = None
    for n, message in enumerate(MESSAGES):
        header = f"tree {tree}\n" + (f"parent {parent}\n" if parent else "")
        name, email = AUTHORS.get(n, (b"Ann", b"ann@example.com"))
        author = b"author " + name + b" <" + email + f"> {1700000000 + n} +0000\n".encode()
        header += f"committer Ann <ann@example.com> {1700000000 + n} +0000\n"
        parent = _git(path, "hash-object", "-t", "commit", "-w", "--stdin",
                      data=header.encode() + author + b"\n" + message)
    _git(path, "tag", "v2", parent)
    _git(path, "update-ref", "refs/heads/main", parent)
    return path


def _git_subjects(repo: Path) -> list[bytes]:
    out = subprocess.run(["git", "log", "--format=tformat:%s", "-z", "v2"], cwd=repo, capture_output=True,
                         check=True).stdout
    return out.split(b"\0")[:-1]


def test_subject_is_what_git_prints(repo: Path) -> None:
    assert [subject(m) for m in reversed(MESSAGES)] == _git_subjects(repo)


class _Unlinked:
    """A link index that knows every commit links to nothing (so git gives subjects only)."""

    def rows(self, shas: list[str]) -> list[tuple[int, _scan.Row]]:
        return []


def _changes(repo: Path, subjects: bool) -> list[dict[str, Any]]:
    """The changes a scan of `v2` lists, read as whole messages or as git's subjects."""
    log = git.commits(git.open_repo(repo), None, "v2", subjects=subjects)
    scanned = _scan.scan(log, links.Repository("acme/app"), set(), _Unlinked() if subjects else None,
                          subjects=subjects)
    return list(scanned.changes)


def test_both_ways_of_reading_give_the_same_summaries(repo: Path) -> None:
    expected = [decode(s).strip() for s in _git_subjects(repo)]
    for subjects in (False, True):
        assert [change["summary"] for change in _changes(repo, subjects)] == expected, subjects


def test_a_separator_in_an_author_name_shifts_nothing(repo: Path) -> None:
    """Git lets a name hold 0x1f (the field separator): the author is read up to its `>`."""
    expected = [decode(s).strip() for s in _git_subjects(repo)]
    for subjects in (False, True):
        changes = _changes(repo, subjects)
        assert [c["summary"] for c in changes] == expected
        authors = [c["author"] for c in reversed(changes)]
        assert authors[3] == "x\x1fy" and authors[7] == "Zoë" and authors[0] == "Ann", subjects
    commit = next(c for c in git.log(git.open_repo(repo), ["v2"]) if c.name_bytes == b"x\x1fy")
    assert commit.email_bytes == b"ann@example.com" and commit.summary == "Subject"


def test_reports_read_through_the_index_keep_wrapped_subjects(repo: Path) -> None:
    first = report_of(repo, "v2")  # no index yet: whole messages
    assert (repo / ".git" / "tracker" / "links.sqlite3").is_file()
    second = report_of(repo, "v2")  # indexed: subjects only
    assert first == second
    summaries = [c["summary"] for c in first["changes"]]
    assert "Wrapped subject that goes on here" in summaries
    assert "CRLF subject wrapped" in summaries


def test_the_copies_search_lists_every_commit_that_closes_and_few_others(tmp_path: Path) -> None:
    """The other lines' subjects searched for unmarked copies (`subjects_log` with the words
    every reference holds) include every commit the grammar reads as closing a request, in any
    form, and leave out the commits that refer to none."""
    from tracker._copies import _REFERRING

    closing = ["Fixes #12", "fix(ui)!: #3", "Closes GH-4", "resolves gh-0005",
               "Fixes https://github.com/acme/app/issues/6", "Closes https://gitlab.com/acme/app/-/issues/7",
               "Closes https://github.com/acme/app/discussions/8", "Fixes acme/app#9", "Fixes #１０",
               "Subject (#11)\n\nBody\n\nFixes #11", "RESOLVED #13", "Implements: #14"]
    silent = ["Plain work", "Speed up the sync engine", "Fix the crash on start", "issue 12 mentioned",
              "Merge branch 'release'"]
    repo_path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo_path)], check=True)
    commit = ["git", "-C", str(repo_path), "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q",
              "--allow-empty", "-m"]
    subprocess.run([*commit, "Initial"], check=True)
    subprocess.run(["git", "-C", str(repo_path), "tag", "v1"], check=True)
    for message in [*closing, *silent]:
        subprocess.run([*commit, message], check=True)
    repo = git.open_repo(str(repo_path))
    below = builds.resolve_previous(repo, "v1")
    tip = builds.resolve_previous(repo, "main")
    repo_id = links.Repository("acme/app")
    assert all(links.parse(message, repo_id).closes for message in closing)
    listed = {subject for _, subject in otherlines.subjects_of(otherlines.subjects_log(repo, [tip], below, _REFERRING))}
    assert listed == {message.partition("\n")[0] for message in closing}
    everything = {subject for _, subject in otherlines.subjects_of(otherlines.subjects_log(repo, [tip], below))}
    assert everything == listed | set(silent)
