"""What a publisher may write over: only regular files (links kept, modes kept), or exit 2.

Every publisher writes through `tracker._files`; these run the real command line (as a
process where an old mistake would hang on a FIFO) against real FIFOs, sockets, folders,
symbolic links and, where the test runs as root, device nodes.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, tree_state

HISTORY = [{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}]
REQUESTS = [{"id": "1", "title": "Dark mode", "author": "alice", "voters": ["bob"]}]


def _config(repo: Path, text: str) -> None:
    (repo / ".github" / "tracker.yml").write_text("issues: local\n" + text, encoding="utf-8")


@pytest.fixture
def repo(make_repo: Any) -> Path:
    path, _ = make_repo(HISTORY, config="issues: local\npublish: [changelog-file]\n", requests=REQUESTS)
    return path


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console command in its own process: a write that blocks on a FIFO times out here."""
    return subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), *args],
                          capture_output=True, text=True, timeout=60)


def refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def marks(repo: Path) -> list[Any]:
    import sqlite3

    conn = sqlite3.connect(repo / ".git" / "tracker" / "store.sqlite3")
    try:
        return conn.execute("SELECT * FROM marks").fetchall()
    finally:
        conn.close()


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    yield path


def test_a_fifo_as_changelog_is_refused_before_anything_is_written(repo: Path, fifo: Path) -> None:
    _config(repo, f"publish: [changelog-file]\nchangelog:\n  file: {fifo}\n")
    before = tree_state(repo)
    refused(run(repo, "release", "v2"), "changelog.file", "FIFO", "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert tree_state(repo) == before
    assert marks(repo) == []  # ship did not run either: the target was checked first


def test_a_folder_or_a_socket_as_changelog_is_refused(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    _config(repo, f"publish: [changelog-file]\nchangelog:\n  file: {folder}\n")
    refused(run(repo, "publish", "v2"), "a folder")
    assert folder.is_dir() and list(folder.iterdir()) == []
    where = tmp_path / "s.md"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(where))
        _config(repo, f"publish: [changelog-file]\nchangelog:\n  file: {where}\n")
        refused(run(repo, "publish", "v2"), "a socket")
        assert stat.S_ISSOCK(os.lstat(where).st_mode)
    finally:
        server.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="device nodes need root")
def test_a_device_node_is_never_replaced_by_a_file(repo: Path, tmp_path: Path) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("this container may not make device nodes")
    _config(repo, f"publish: [changelog-file]\nchangelog:\n  file: {device}\n")
    refused(run(repo, "publish", "v2"), "character device")
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_a_fifo_in_the_site_is_refused_before_the_first_write(repo: Path) -> None:
    _config(repo, "publish: [site]\n")
    (repo / "site").mkdir()
    os.mkfifo(repo / "site" / "feed.atom")
    before = {p.name for p in (repo / "site").iterdir()}
    refused(run(repo, "release", "v2"), "site.dir", "feed.atom", "FIFO")
    assert {p.name for p in (repo / "site").iterdir()} == before
    assert marks(repo) == []
    (repo / "site" / "feed.atom").unlink()
    (repo / "site" / "cards" / "v2").mkdir(parents=True)
    os.mkfifo(repo / "site" / "cards" / "v2" / "alice.png")
    refused(run(repo, "publish", "v2"), "alice.png", "FIFO")


def test_dash_o_names_a_file_not_a_pipe(repo: Path, fifo: Path) -> None:
    refused(run(repo, "changelog", "v2", "-o", str(fifo)), f"-o {fifo}", "FIFO")
    refused(run(repo, "changelog", "v2", "--format", "json", "-o", str(fifo)), "FIFO")


def test_a_linked_changelog_keeps_its_link_and_its_target_is_updated(repo: Path) -> None:
    (repo / "docs").mkdir()
    real = repo / "docs" / "CHANGES.md"
    real.write_text("# Changes\n\n")
    (repo / "CHANGELOG.md").symlink_to(Path("docs") / "CHANGES.md")
    assert invoke(["--repo", str(repo), "publish", "v2"]).exit_code == 0
    assert (repo / "CHANGELOG.md").is_symlink()
    assert os.readlink(repo / "CHANGELOG.md") == str(Path("docs") / "CHANGES.md")
    assert "Dark mode" in real.read_text()
    assert sorted(p.name for p in (repo / "docs").iterdir()) == ["CHANGES.md"]  # no temporary file left
    again = invoke(["--repo", str(repo), "publish", "v2"])
    assert "nothing to write" in again.stdout


def test_a_link_to_nothing_or_to_a_fifo_is_refused(repo: Path, fifo: Path) -> None:
    (repo / "CHANGELOG.md").symlink_to(repo / "gone.md")
    refused(run(repo, "publish", "v2"), "CHANGELOG.md", "does not exist")
    assert (repo / "CHANGELOG.md").is_symlink() and not (repo / "gone.md").exists()
    (repo / "CHANGELOG.md").unlink()
    (repo / "CHANGELOG.md").symlink_to(fifo)
    refused(run(repo, "publish", "v2"), "FIFO")
    assert (repo / "CHANGELOG.md").is_symlink()


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(repo: Path) -> None:
    changelog = repo / "CHANGELOG.md"
    changelog.write_text("# Changes\n")
    changelog.chmod(0o640)
    assert invoke(["--repo", str(repo), "publish", "v2"]).exit_code == 0
    assert "Dark mode" in changelog.read_text()
    assert stat.S_IMODE(changelog.stat().st_mode) == 0o640
    changelog.unlink()
    old = os.umask(0o022)
    try:
        assert invoke(["--repo", str(repo), "publish", "v2"]).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(changelog.stat().st_mode) == 0o644


def test_site_files_are_readable_by_a_web_server(repo: Path) -> None:
    _config(repo, "publish: [site]\n")
    old = os.umask(0o022)
    try:
        assert invoke(["--repo", str(repo), "publish", "v2"]).exit_code == 0
    finally:
        os.umask(old)
    written = [p for p in (repo / "site").rglob("*") if p.is_file()]
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in written)
