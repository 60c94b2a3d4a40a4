"""The link index is only a cache: every report is the same with it, without it, or with a broken one.

Random histories (seeded, so a failure reproduces) with branches, release lines, merges
back, reverts across builds, reverts of reverts, `-x` cherry-picks and patch-identical
copies; every build's report is computed with no index, then again after the index was
built along different chains (random orders, `--previous` one-offs, `fans`, tags moved).
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, report_of

from tracker import _grammar as links
from tracker import _scan
from tracker._linkindex import LinkIndex

REQUESTS = [{"id": str(n), "title": f"Request {n}", "author": "fan"} for n in range(1, 7)]
CONFIG = "repository: acme/app\n"


def _index(repo: Path) -> Path:
    return repo / ".git" / "tracker" / "links.sqlite3"


def _drop_index(repo: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_index(repo)}{suffix}").unlink(missing_ok=True)


def _random_history(rng: random.Random) -> list[dict[str, Any]]:
    """Steps for tracker.sample: main, release branches from build tags, feature branches."""
    steps: list[dict[str, Any]] = [{"commit": "Initial", "as": "c0", "author": "maint"}]
    labels = ["c0"]
    closers: list[str] = []  # labels of commits with a closing reference
    reverts: list[str] = []
    heads = {"main"}
    merged: set[str] = set()
    current = "main"
    builds_made = 0
    tags = 0
    for _ in range(rng.randint(14, 22)):
        roll = rng.random()
        label = f"c{len(labels)}"
        if roll < 0.30:
            n = rng.randint(1, 6)
            message = rng.choice([f"Fixes #{n}", f"Work on it\n\nsee #{n}", f"Closes #{n} and #{rng.randint(1, 6)}",
                                  f"fix: thing (#{40 + len(labels)})\n\nResolves #{n}", "Refactor", f"Fixes #0{n}",
                                  f"Fixes GH-{chr(0xFF10 + n)}"])
            steps.append({"commit": message, "as": label, "author": rng.choice(["ann", "bob"])})
            labels.append(label)
            if "ix" in message.lower() or "los" in message or "eso" in message:
                closers.append(label)
        elif roll < 0.40 and (closers or reverts):
            target = rng.choice(closers + reverts * 2)
            verb = rng.choice(["reverts", "reverts", "ReVeRtS"])
            steps.append({"commit": f"Revert \"{target}\"\n\nThis {verb} commit {{{target}}}.", "as": label,
                          "author": "maint"})
            labels.append(label)
            reverts.append(label)
        elif roll < 0.47 and closers:
            target = rng.choice(closers)
            if rng.random() < 0.5:
                message = f"Backport\n\n(cherry picked from commit {{{target}}})"
            else:
                message = next(s["commit"] for s in steps if s.get("as") == target)  # a copy, no -x
            steps.append({"commit": message, "as": label, "author": "bob"})
            labels.append(label)
            closers.append(label)
        elif roll < 0.60:
            builds_made += 1
            step: dict[str, Any] = {"tag": f"v{builds_made}"}
            if rng.random() < 0.3:  # annotated, dated later than commits made after it
                step.update(message=f"Build {builds_made}", date=f"2026-12-{rng.randint(1, 28):02d}T00:00:00Z")
            steps.append(step)
        elif roll < 0.65:
            tags += 1
            steps.append({"tag": f"note-{tags}"})
        elif roll < 0.75:
            name = f"b{len(heads)}"
            heads.add(name)
            steps.append({"branch": name})
            current = name
        elif roll < 0.85 and len(heads) > 1:
            current = rng.choice(sorted(heads))
            steps.append({"checkout": current})
        elif roll < 0.97 and current != "main" and current not in merged:
            source = current
            steps.append({"checkout": "main"})
            steps.append({"commit": f"Merge branch '{source}'", "merge": source, "as": label, "author": "maint"})
            labels.append(label)
            current = "main"
            if rng.random() < 0.5:
                merged.add(source)
        else:
            steps.append({"commit": "Tidy", "as": label})
            labels.append(label)
    steps.append({"checkout": "main"})
    steps.append({"commit": "Last", "as": "last"})
    builds_made += 1
    steps.append({"tag": f"v{builds_made}"})
    return steps


def _build_names(repo: Path) -> list[str]:
    out = subprocess.run(["git", "tag", "--list", "v*"], cwd=repo, capture_output=True, text=True, check=True)
    return out.stdout.split()


def _clean_reports(repo: Path, names: list[str], extra: tuple[str, ...] = ()) -> dict[str, Any]:
    reports = {}
    for name in names:
        _drop_index(repo)
        reports[name] = report_of(repo, name, *extra)
    _drop_index(repo)
    return reports


def _check_orders(repo: Path, rng: random.Random, seed: int) -> None:
    names = _build_names(repo)
    clean = _clean_reports(repo, names)
    for attempt in range(3):
        _drop_index(repo) if attempt == 0 else None
        order = names[:]
        rng.shuffle(order)
        for name in order:
            if rng.random() < 0.25:
                other = rng.choice(names)
                if other != name:
                    _drop_index(repo) if rng.random() < 0.2 else None
                    got = report_of(repo, name, "--previous", other)
                    index = _index(repo)
                    saved = index.read_bytes() if index.exists() else None
                    _drop_index(repo)
                    assert got == report_of(repo, name, "--previous", other), (seed, name, other, order)
                    if saved is not None:
                        index.parent.mkdir(parents=True, exist_ok=True)
                        index.write_bytes(saved)
            assert report_of(repo, name) == clean[name], (seed, name, order)
    result = invoke(["--repo", str(repo), "fans", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    fans_with_index = json.loads(result.stdout)
    _drop_index(repo)
    result = invoke(["--repo", str(repo), "fans", "--format", "json"])
    assert json.loads(result.stdout) == fans_with_index, seed


SEEDS = list(range(14))


@pytest.mark.parametrize("seed", SEEDS)
def test_reports_do_not_depend_on_the_index(seed: int, make_repo: Any) -> None:
    rng = random.Random(seed)
    repo, _ = make_repo(_random_history(rng), config=CONFIG, requests=REQUESTS)
    _check_orders(repo, rng, seed)
    # Move a build tag to another commit, and delete one: the index keeps shas, not names.
    names = _build_names(repo)
    moved = rng.choice(names)
    commits = subprocess.run(["git", "rev-list", "--all"], cwd=repo, capture_output=True, text=True,
                             check=True).stdout.split()
    subprocess.run(["git", "tag", "-f", moved, rng.choice(commits)], cwd=repo, check=True, capture_output=True)
    if len(names) > 2:
        gone = rng.choice([n for n in names if n != moved])
        subprocess.run(["git", "tag", "-d", gone], cwd=repo, check=True, capture_output=True)
    names = _build_names(repo)
    clean = _clean_reports(repo, names)
    for name in rng.sample(names, len(names)):
        assert report_of(repo, name) == clean[name], (seed, name, "after moving tags")


# -- minimal cases found by the random histories and by reading the code ------------------

def _same_with_and_without_index(repo: Path, warm: list[str], build: str, *extra: str) -> None:
    _drop_index(repo)
    clean = report_of(repo, build, *extra)
    _drop_index(repo)
    for name in warm:
        report_of(repo, name)
    assert _index(repo).is_file()
    assert report_of(repo, build, *extra) == clean


def test_a_revert_before_the_previous_build_of_a_commit_merged_after_it(make_repo: Any) -> None:
    """`--previous`: the grep read every revert, the index only reverts of earlier closers."""
    repo, _ = make_repo([
        {"commit": "Initial"}, {"tag": "v1"}, {"branch": "feature"}, {"commit": "Fixes #1", "as": "x"},
        {"checkout": "main"}, {"commit": "Revert\n\nThis reverts commit {x}."}, {"tag": "v2"},
        {"merge": "feature", "commit": "Merge branch 'feature'"}, {"tag": "v3"},
    ], config=CONFIG, requests=REQUESTS)
    _same_with_and_without_index(repo, ["v2"], "v3", "--previous", "v2")


def test_a_zero_padded_reference_before_a_previous_override(make_repo: Any) -> None:
    """`Fixes #012` closes 12: a grep for `#12` missed it."""
    repo, _ = make_repo([
        {"commit": "Initial"}, {"commit": "Fixes #012"}, {"tag": "v1"}, {"commit": "Fixes #12"}, {"tag": "v2"},
    ], config=CONFIG, requests=[{"id": "12", "title": "Twelve", "author": "fan"}])
    _same_with_and_without_index(repo, ["v1"], "v2", "--previous", "v1")
    assert report_of(repo, "v2", "--previous", "v1")["shipped"] == []


@pytest.mark.parametrize("message", ["Fixes #\uff11", "Fixes GH-\u0661"])
def test_a_reference_with_non_ascii_digits(message: str, make_repo: Any) -> None:
    """The grammar reads any decimal digit; a grep for `#[0-9]` did not."""
    repo, _ = make_repo([
        {"commit": "Initial"}, {"commit": message}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"},
    ], config=CONFIG, requests=REQUESTS)
    _same_with_and_without_index(repo, ["v1"], "v2")
    _same_with_and_without_index(repo, ["v1"], "v2", "--previous", "v1")


def test_a_revert_in_mixed_case(make_repo: Any) -> None:
    """The range scan skips what `links.maybe_bytes` rules out; the grep must skip it too."""
    repo, _ = make_repo([
        {"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1", "as": "x"},
        {"commit": "Undo\n\nThis ReVeRtS commit {x}."}, {"tag": "v2"}, {"commit": "Fixes #1"}, {"tag": "v3"},
    ], config=CONFIG, requests=REQUESTS)
    _same_with_and_without_index(repo, ["v2"], "v3")


# -- a damaged index is no index; concurrent writers lose nothing -------------------------

CROSS = [
    {"commit": "Initial"}, {"tag": "v1"}, {"commit": "Fixes #1", "as": "one"}, {"commit": "Fixes #2", "as": "two"},
    {"tag": "v2"}, {"commit": "Revert\n\nThis reverts commit {one}."}, {"commit": "Fixes #2 again"},
    {"tag": "v3"}, {"commit": "Fixes #1 properly"}, {"tag": "v4"},
]


def _damage(index: Path, how: str) -> None:
    if how == "garbage":
        index.write_bytes(b"\x00garbage, not a database" * 200)
        return
    conn = sqlite3.connect(index)
    if how == "identity":
        conn.execute("UPDATE meta SET value = 'other:acme/elsewhere'")
    else:
        conn.execute(f"DROP TABLE {how}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("how", ["garbage", "identity", "seen", "tips", "closes", "reverts", "linked", "meta"])
def test_a_damaged_index_changes_no_report(how: str, make_repo: Any) -> None:
    repo, _ = make_repo(CROSS, config=CONFIG, requests=REQUESTS)
    names = ["v1", "v2", "v3", "v4"]
    clean = _clean_reports(repo, names)
    for name in names:
        report_of(repo, name)
    _damage(_index(repo), how)
    for _ in range(2):  # reading the damaged file, then what the first run wrote over it
        for name in reversed(names):
            assert report_of(repo, name) == clean[name], (how, name)


def test_a_tip_read_from_an_index_deleted_before_saving_is_not_recorded(tmp_path: Path) -> None:
    """Complete only if the tip below is: a run that read P as complete from a file deleted
    (or reset) since must not record B as complete on top of nothing."""
    path = tmp_path / "links.sqlite3"
    first = LinkIndex(path, "acme/app")
    first.add("p" * 40, None, [])
    first.save()
    run = LinkIndex(path, "acme/app")
    assert run.complete("p" * 40)
    run.add("b" * 40, "p" * 40, [_scan.Linked("c" * 40, None, links.Parsed(closes=("1",)))])
    path.unlink()
    run.save()
    after = LinkIndex(path, "acme/app")
    assert not after.complete("b" * 40)
    assert not after.complete("p" * 40)


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "links.sqlite3"
    errors: list[BaseException] = []

    def write(who: str) -> None:
        try:
            for n in range(25):
                index = LinkIndex(path, "acme/app")
                sha = f"{who}{n:039d}"
                item = _scan.Linked(sha, who, links.Parsed(closes=(str(n),)))
                index.add(sha, None, [item])
                index.save()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(who,)) for who in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    check = LinkIndex(path, "acme/app")
    for who in "ab":
        for n in range(25):
            sha = f"{who}{n:039d}"
            assert check.complete(sha)
            assert [i.sha for i in check.closers([str(n)], within=sha) or []] == [sha]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_a_lookup_answers_the_same_with_and_without_sqlite_json(tmp_path: Path) -> None:
    """A block's shas go to SQLite as one JSON array; an SQLite without JSON functions is
    asked in batches of parameters instead (here: a block longer than one batch)."""
    path = tmp_path / "links.sqlite3"
    index = LinkIndex(path, "acme/app")
    said = {
        f"{n:040x}": links.Parsed(closes=(str(n % 7),), refs=("99",) if n % 3 == 0 else (),
                                  pull=str(n) if n % 4 == 0 else None,
                                  reverts=(f"{n + 1:040x}",) if n % 10 == 0 else ())
        for n in range(0, 2400, 2)
    }
    index.add("t" * 40, None, [_scan.Linked(sha, "ann", parsed) for sha, parsed in said.items()])
    index.save()
    asked = [f"{n:040x}" for n in range(2400)]  # half of them link to nothing
    expected = {sha: _scan.as_row(parsed) for sha, parsed in said.items()}
    for use_json in (True, False):
        lookup = LinkIndex(path, "acme/app").lookup("t" * 40)
        assert lookup is not None
        lookup.json = use_json
        found: dict[str, _scan.Row] = {}
        for start in range(0, len(asked), 1000):
            block = asked[start:start + 1000]
            rows = lookup.rows(block)
            assert rows is not None
            assert [n for n, _ in rows] == sorted({n for n, _ in rows})  # in order, each once
            found.update((block[n], row) for n, row in rows)
        lookup.close()
        assert found == expected


def test_a_lookup_that_failed_once_answers_none_from_then_on(tmp_path: Path) -> None:
    """A scan parses every block after a failed index read: "no rows" from a failed index
    would read as "these commits link to nothing"."""
    path = tmp_path / "links.sqlite3"
    index = LinkIndex(path, "acme/app")
    index.add("t" * 40, None, [_scan.Linked("c" * 40, "ann", links.Parsed(closes=("1",)))])
    index.save()
    lookup = LinkIndex(path, "acme/app").lookup("t" * 40)
    assert lookup is not None and lookup.conn is not None
    assert lookup.rows(["b" * 40, "c" * 40]) == [(1, _scan.as_row(links.Parsed(closes=("1",))))]
    lookup.conn.execute("DROP TABLE linked")  # the file changes under a running scan
    assert lookup.rows(["c" * 40]) is None
    assert lookup.rows(["c" * 40]) is None


def test_an_index_failing_in_the_middle_of_a_subjects_only_scan(make_repo: Any, monkeypatch: Any) -> None:
    """Read through the index, git gives subjects only: when the index fails after some
    blocks, the range is read again with whole messages, and the report is unchanged."""
    from tracker import _git as git
    from tracker._linkindex import Lookup

    steps: list[dict[str, Any]] = [{"commit": "Initial"}, {"tag": "v1"}]
    steps += [{"commit": f"Fixes #{n % 6 + 1}\n\nbody {n}" if n % 3 else f"Change {n}"} for n in range(60)]
    steps.append({"tag": "v2"})
    repo, _ = make_repo(steps, config=CONFIG, requests=REQUESTS)
    clean = _clean_reports(repo, ["v2"])["v2"]
    report_of(repo, "v2")  # indexed from now on
    monkeypatch.setattr(git, "_BLOCK", 512)  # many blocks to a range
    calls = []
    real = Lookup.rows

    def failing(self: Lookup, shas: list[str]) -> dict[str, _scan.Row] | None:
        calls.append(len(shas))
        if len(calls) == 2:
            self.failed = True
        return real(self, shas)

    monkeypatch.setattr(Lookup, "rows", failing)
    scans: list[bool] = []
    real_scan = _scan.scan

    def scan(*args: Any, subjects: bool = False, **kwargs: Any) -> _scan.Scanned:
        scans.append(subjects)
        return real_scan(*args, subjects=subjects, **kwargs)

    monkeypatch.setattr(_scan, "scan", scan)
    assert report_of(repo, "v2") == clean
    assert len(calls) == 2 and scans == [True, False]  # subjects first, then whole messages
