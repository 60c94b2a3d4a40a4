"""Concurrent runs and crashes: nothing duplicated, nothing lost, and a rerun finishes the job.

* Two `tracker release` processes on the same build, racing on every comment and on
  creating the release (the fake GitHub holds those writes until both runs send them),
  end with exactly what one run makes: one comment, one label, one release section.
* The file publishers killed at every file write (and once for real, mid-file) are
  finished by a rerun that gives the same bytes as a run never interrupted.
* Imports and votes from many processes at once on a new local store lose nothing, and
  two imports cannot together make a `duplicate_of` cycle that neither makes alone.

(Crashes at every GitHub write are tests/test_github.py's
test_crash_after_any_write_resumes_to_the_same_state.)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke
from github_fixtures import HISTORY, LABEL, env_for, seed
from github_server import FakeGitHub, serve
from site_helpers import tree_digest

from tracker.hooks import SHIPPED, marker

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


def state(server: FakeGitHub) -> str:
    return json.dumps(server.snapshot(), sort_keys=True).replace(server.root_url, "http://github.test")


def tracker_process(repo: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tracker", "--repo", str(repo), *args],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# -- two releases at the same moment ------------------------------------------------------


@pytest.fixture
def project(make_repo: MakeRepo) -> tuple[Path, dict[str, str]]:
    return make_repo(HISTORY, config="publish: [github-release, changelog-file]\n")


def _seed_without_release(server: FakeGitHub, labels: dict[str, str]) -> None:
    seed(server, labels)
    server.delete_release("v2")  # both runs will have to create it


def test_two_releases_at_once_converge_to_one_of_everything(project: tuple[Path, dict[str, str]],
                                                            tmp_path: Path) -> None:
    repo, labels = project
    with serve() as alone:
        _seed_without_release(alone, labels)
        assert invoke(["--repo", str(repo), "release", "v2"], env=env_for(alone)).exit_code == 0
        expected = state(alone)
        changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8").replace(alone.root_url, "http://github.test")
    (repo / "CHANGELOG.md").unlink()

    with serve() as server:
        _seed_without_release(server, labels)
        # Hold each new comment and the release's creation until the other run sends its own:
        # both runs have read "not there yet", so both write, and must clean up after each other.
        server.gate_writes(r"^POST .*/(?:issues/\d+/comments|releases)$", parties=2)
        runs = [tracker_process(repo, env_for(server), "release", "v2") for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        for run, (out, err) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, (out, err)
        assert not server.errors, server.errors
        assert server.gate_releases == 5  # four comments (three shipped, one fixed) and the release: all real races
        assert server.writes(r"/comments$") == 8 and server.writes(r"/releases$") == 2
        assert state(server) == expected
        snapshot = server.snapshot()
        for number in ("1", "2", "3"):
            issue = snapshot["issues"][number]
            assert sum(marker(SHIPPED, "v2") in c["body"] for c in issue["comments"]) == 1
            assert issue["labels"] == sorted([LABEL, "shipped"]) and issue["state"] == "closed"
        assert snapshot["releases"]["v2"]["body"].count("<!-- tracker:start -->") == 1
        written = (repo / "CHANGELOG.md").read_text(encoding="utf-8").replace(server.root_url, "http://github.test")
    assert written == changelog


# -- file publishers killed mid-publish -----------------------------------------------------


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs (but `finally` blocks do)."""


SITE_CONFIG = "issues: local\nrepository: acme/app\npublish: [changelog-file, site]\n"  # a name, not the folder's
SITE_HISTORY = [{"commit": "init"}, {"tag": "v1"}, {"commit": "Dark mode\n\nFixes #1"}, {"tag": "v2"}]
SITE_REQUESTS = [{"id": "1", "title": "Dark mode 🌙 暗色", "author": "alice", "voters": ["bob"]},
                 {"id": "2", "title": "Offline", "author": "carol", "voters": []}]
PREAMBLE = b"# Changes\n\nKept byte for byte.\n\n## 0.9 (by hand)\n\n- old\n"


@pytest.fixture
def site_project(make_repo: MakeRepo) -> Path:
    repo, _ = make_repo(SITE_HISTORY, config=SITE_CONFIG, requests=SITE_REQUESTS)
    (repo / "CHANGELOG.md").write_bytes(PREAMBLE)
    return repo


def published(repo: Path) -> dict[str, str]:
    """What the publishers own: CHANGELOG.md and the site, with their digests (temp files shown)."""
    files = {"CHANGELOG.md": hashlib.sha256((repo / "CHANGELOG.md").read_bytes()).hexdigest()}
    if (repo / "site").is_dir():
        files.update({f"site/{k}": v for k, v in tree_digest(repo / "site").items()})
    return files


def test_publishers_killed_at_any_write_are_finished_by_a_rerun(site_project: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    reference = tmp_path / "reference"
    subprocess.run(["cp", "-a", str(site_project), str(reference)], check=True)
    assert invoke(["--repo", str(reference), "publish", "v2"]).exit_code == 0
    final = published(reference)
    total = len(final)  # every file is new, so a full publish makes one replace per file
    assert total >= 8 and "site/cards/v2/alice.png" in final

    real_replace = os.replace
    for k in range(total):
        repo = tmp_path / f"k{k}"
        subprocess.run(["cp", "-a", str(site_project), str(repo)], check=True)
        done = [0]

        def replace(src: Any, dst: Any, *, _k: int = k, _done: list[int] = done) -> None:
            if _done[0] == _k:
                raise Killed
            real_replace(src, dst)
            _done[0] += 1

        monkeypatch.setattr(os, "replace", replace)
        with pytest.raises(Killed):
            invoke(["--repo", str(repo), "publish", "v2"])
        monkeypatch.setattr(os, "replace", real_replace)
        assert (repo / "CHANGELOG.md").read_bytes().startswith(PREAMBLE[:20])  # never a torn file
        rerun = invoke(["--repo", str(repo), "publish", "v2"])
        assert rerun.exit_code == 0, (k, rerun.stderr)
        assert published(repo) == final, k
    assert invoke(["--repo", str(repo), "publish", "v2"]).stdout == "v2: nothing to write (already up to date)\n"


KILL_AT = """
import os, sys
from tracker.cli import main
count, at = [0], int(os.environ["KILL_AT_REPLACE"])
real = os.replace
def replace(src, dst):
    if count[0] == at:
        os._exit(137)  # no cleanup at all, as after SIGKILL
    real(src, dst)
    count[0] += 1
os.replace = replace
sys.argv = ["tracker", *sys.argv[1:]]
main()
"""


def _kill_mid_publish(repo: Path, at: int) -> None:
    done = subprocess.run([sys.executable, "-c", KILL_AT, "--repo", str(repo), "publish", "v2"],
                          env={**os.environ, "KILL_AT_REPLACE": str(at)}, capture_output=True, text=True)
    assert done.returncode == 137, done.stderr


def test_a_real_kill_mid_publish_is_finished_by_a_rerun(site_project: Path, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    subprocess.run(["cp", "-a", str(site_project), str(reference)], check=True)
    assert invoke(["--repo", str(reference), "publish", "v2"]).exit_code == 0
    _kill_mid_publish(site_project, 3)
    assert invoke(["--repo", str(site_project), "publish", "v2"]).exit_code == 0
    kept = {k: v for k, v in published(site_project).items() if not Path(k).name.endswith(".tmp")}
    assert kept == published(reference)


def test_a_real_kill_leaves_no_temp_file_behind_after_the_rerun(site_project: Path) -> None:
    _kill_mid_publish(site_project, 3)
    assert invoke(["--repo", str(site_project), "publish", "v2"]).exit_code == 0
    assert [k for k in published(site_project) if Path(k).name.endswith(".tmp")] == []


def test_a_folder_where_a_page_goes_is_found_before_anything_is_written(site_project: Path) -> None:
    (site_project / "site" / "builds").mkdir(parents=True)
    (site_project / "site" / "builds" / "v2.html").mkdir()  # a folder where a page must go
    before = published(site_project)
    failed = invoke(["--repo", str(site_project), "publish", "v2"])
    assert failed.exit_code == 2 and failed.stdout == ""
    (line,) = failed.stderr.strip().splitlines()
    assert "v2.html" in line and "a folder" in line and "Traceback" not in line
    assert published(site_project) == before
    (site_project / "site" / "builds" / "v2.html").rmdir()
    assert invoke(["--repo", str(site_project), "publish", "v2"]).exit_code == 0
    assert (site_project / "site" / "builds" / "v2.html").is_file()


def test_a_write_that_fails_midway_is_one_line_and_a_rerun_finishes(site_project: Path) -> None:
    """A file-size limit makes the first big page fail to write (root ignores permissions, not this)."""
    import resource
    import signal

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), nothing dies
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))  # above SQLite's 32 KiB -shm

    failed = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(site_project), "publish", "v2"],
                            capture_output=True, text=True, timeout=120, preexec_fn=limited)
    assert failed.returncode == 1 and failed.stdout == "", failed.stderr
    (line,) = failed.stderr.strip().splitlines()
    assert line.startswith("tracker: site: cannot write") and "Traceback" not in line
    assert not [p for p in (site_project / "site").rglob("*.tmp")]  # no temporary file left
    assert invoke(["--repo", str(site_project), "publish", "v2"]).exit_code == 0
    assert (site_project / "site" / "builds" / "v2.html").is_file()


# -- the local store: many writers at once ----------------------------------------------------


def _votes(repo: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(repo / ".git" / "tracker" / "store.sqlite3")
    try:
        return set(db.execute("SELECT request_id, login FROM votes").fetchall())
    finally:
        db.close()


VOTER = """
import sys
from tracker.cli import cli
repo, seed, login = sys.argv[1:]
for args in (["requests", "import", seed], ["vote", "1", "--by", login]):  # a vote needs its request
    try:
        cli.main(args=["--repo", repo, *args])
    except SystemExit as done:
        if done.code:
            raise
"""


def test_imports_and_votes_at_once_on_a_new_store_lose_nothing(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}])  # no store yet: the writers race to make it
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps([{"id": "1", "title": "Dark mode", "author": "alice"}]), encoding="utf-8")
    commands = []
    for i in range(4):
        rows = [{"id": "1", "title": "Dark mode", "author": "alice", "voters": [f"importer{i}", "shared"]},
                {"id": str(10 + i), "title": f"Idea {i}", "author": f"fan{i}", "voters": ["shared", f"v{i}"]}]
        source = tmp_path / f"import{i}.json"
        source.write_text(json.dumps(rows), encoding="utf-8")
        commands.append(["-m", "tracker", "--repo", str(repo), "requests", "import", str(source)])
        commands.append(["-c", VOTER, str(repo), str(seed_file), f"voter{i}"])

    def run(args: list[str]) -> tuple[int, str]:
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
        return done.returncode, done.stderr

    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = list(pool.map(run, commands))
    assert all(code == 0 for code, _ in results), results
    expected = {("1", who) for i in range(4) for who in (f"importer{i}", f"voter{i}")} | {("1", "shared")}
    expected |= {(str(10 + i), who) for i in range(4) for who in ("shared", f"v{i}")}
    assert _votes(repo) == expected
    top = json.loads(invoke(["--repo", str(repo), "top", "-n", "20", "--format", "json"]).stdout)
    assert {t["id"]: t["votes"] for t in top} == {"1": 9, **{str(10 + i): 2 for i in range(4)}}


def test_two_imports_cannot_together_make_a_duplicate_cycle(make_repo: MakeRepo, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file is fine alone (5 → 6, or 6 → 5); both at once would loop. Both pass the early
    check together (held at a barrier just before writing), so only the check made under the
    write lock can refuse the second."""
    from tracker import _importer as importer
    from tracker._errors import BadInput
    from tracker._store import Store

    repo, _ = make_repo([{"commit": "init"}], requests=[{"id": "5", "title": "a", "author": "ann"},
                                                        {"id": "6", "title": "b", "author": "bo"}])
    store = Store(repo / ".git" / "tracker" / "store.sqlite3")
    barrier = threading.Barrier(2, timeout=20)
    real = Store.transaction

    def held(self: Store) -> AbstractContextManager[sqlite3.Connection]:
        barrier.wait()
        return real(self)

    monkeypatch.setattr(Store, "transaction", held)
    sources = []
    for child, parent in (("5", "6"), ("6", "5")):
        sources.append(tmp_path / f"dup{child}.json")
        sources[-1].write_text(json.dumps([{"id": child, "title": "x", "author": "ann", "duplicate_of": parent}]))

    def attempt(source: Path) -> str:
        try:
            importer.import_file(store, source)
            return "imported"
        except BadInput as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(attempt, sources))
    assert sorted(o == "imported" for o in outcomes) == [False, True], outcomes
    assert any("cycle" in o for o in outcomes)
    parents = {r.id: r.duplicate_of for r in store.requests()}
    assert sorted(parents.items(), key=str) in ([("5", "6"), ("6", None)], [("5", None), ("6", "5")])
