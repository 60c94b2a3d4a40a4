"""Prove a refactor changed no output: run two versions of tracker on the same histories
and compare every byte they print and write.

    python benchmarks/same_reports.py --against REV [--work DIR] [--commits 3000]

REV (a commit, branch or tag of this repository) is checked out into a temporary
worktree and run with `PYTHONPATH` pointing at it; the current checkout runs as
installed. Each history is built once and copied, so both versions see identical
repositories: every golden fixture in `tests/fixtures/` and a synthetic history
(`benchmarks/synth.py`, a build tag every 500 commits). On each copy, for every
build: `changelog B --format json` and `--format markdown` (cold: no link index,
then warm), the fixture's `--previous` ranges, `fans --format json`, `scan`, and
last a `release B` with every file publisher (CHANGELOG.md, the site, its cards)
into the copy's own folder. Exit 0 when every output and every written file is
identical; otherwise the first differences are printed.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

# Every file publisher writes into the copy, so the comparison covers them too.
PUBLISH = "publish: [changelog-file, site]\nsite:\n  dir: site\n"


def _tracker(version: Path | None, repo: Path, *args: str) -> tuple[int, str, str]:
    """Run one version's CLI in `repo` (None: the installed current checkout)."""
    env = dict(os.environ, TRACKER_NO_PROGRESS="1", GIT_CONFIG_NOSYSTEM="1", NO_COLOR="1")
    env.pop("GITHUB_REPOSITORY", None)
    env.pop("GITHUB_TOKEN", None)
    if version is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(version), str(version / "plugins")])
    done = subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "--issues", "local", *args],
                          capture_output=True, text=True, env=env, cwd=repo)
    # Each version runs in its own copy: the copy's path is the one difference allowed.
    return done.returncode, done.stdout.replace(str(repo), "REPO"), done.stderr.replace(str(repo), "REPO")


def _loaded_from(version: Path | None, where: Path) -> str:
    """Where each version's `tracker` and plugins load from, run as `_tracker` runs them."""
    env = dict(os.environ)
    if version is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(version), str(version / "plugins")])
    code = ("import tracker, tracker_files, tracker_local;"
            " print(tracker.__file__, tracker_files.__file__, tracker_local.__file__)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=where,
                          check=True).stdout


def _builds(repo: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "tag", "--sort=creatordate"], capture_output=True, text=True,
                         check=True).stdout
    return out.split()


def _fixture(case: Path, into: Path) -> tuple[Path, list[list[str]]]:
    """Build a golden fixture's repository; return it with its extra `--previous` runs."""
    from tracker import _sample as sample

    steps = yaml.safe_load((case / "history.yml").read_text(encoding="utf-8"))
    sample.build(into, steps)
    config = (case / "config.yml").read_text(encoding="utf-8") if (case / "config.yml").exists() else ""
    (into / ".github").mkdir(exist_ok=True)
    (into / ".github" / "tracker.yml").write_text(config + "repository: acme/app\n", encoding="utf-8")
    code, _, err = _tracker(None, into, "requests", "import", str(case / "requests.json"))
    if code:
        raise SystemExit(f"{case.name}: import failed: {err.strip()}")
    expected = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8")) or {}
    extra = [[build, "--previous", want["given_previous"]] for build, want in expected.items()
             if isinstance(want, dict) and "given_previous" in want]
    return into, extra


def _synthetic(into: Path, commits: int) -> tuple[Path, list[list[str]]]:
    import synth

    synth.build(into, commits, 500, max(50, commits // 30))
    (into / ".github").mkdir(exist_ok=True)
    (into / ".github" / "tracker.yml").write_text("repository: acme/app\nbuilds:\n  tags: 'v*'\n", encoding="utf-8")
    requests = next(into.glob("*.json"), None) or next(into.parent.glob(f"{into.name}*.json"), None)
    if requests is not None:
        _tracker(None, into, "requests", "import", str(requests))
    tags = _builds(into)
    return into, [[tags[-1], "--previous", tags[0]]] if len(tags) > 1 else []


def _outputs(version: Path | None, repo: Path, extra: list[list[str]]) -> dict[str, Any]:
    """Everything one version prints for one repository, and then what `release` writes."""
    out: dict[str, Any] = {}
    builds = _builds(repo)
    for rounds in ("cold", "warm"):
        for build in builds:
            for fmt in ("json", "markdown"):
                out[f"{rounds} changelog {build} {fmt}"] = _tracker(version, repo, "changelog", build, "--format", fmt)
        for args in extra:
            out[f"{rounds} changelog {' '.join(args)}"] = _tracker(version, repo, "changelog", *args,
                                                                     "--format", "json")
    out["fans"] = _tracker(version, repo, "fans", "--format", "json")
    out["scan"] = _tracker(version, repo, "scan")
    config = repo / ".github" / "tracker.yml"
    config.write_text(config.read_text(encoding="utf-8") + PUBLISH, encoding="utf-8")
    for build in builds:
        out[f"release {build}"] = _tracker(version, repo, "release", build)
    return out


def _same_tree(a: Path, b: Path, where: str, problems: list[str]) -> None:
    """Files tracker wrote (outside .git) must be byte-identical."""
    compared = filecmp.dircmp(a, b, ignore=[".git"])
    for name in compared.left_only + compared.right_only:
        problems.append(f"{where}: only on one side: {name}")
    for name in compared.diff_files:
        problems.append(f"{where}: {name} differs")
    for name in compared.common_dirs:
        _same_tree(a / name, b / name, f"{where}/{name}", problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the version to compare with (a git revision)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder [a temporary one]")
    parser.add_argument("--commits", type=int, default=3000, help="commits of the synthetic history")
    parser.add_argument("--only", default=None, help="one fixture's name (skips the synthetic history)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="same-reports-"))
    work.mkdir(parents=True, exist_ok=True)
    old = work / "old-version"
    if old.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.against], check=True)
    problems: list[str] = []
    histories = 0
    try:
        # A comparison of the new code with itself would say "identical" and prove nothing.
        loaded = _loaded_from(old, work).split()
        if not all(Path(path).resolve().is_relative_to(old.resolve()) for path in loaded):
            raise SystemExit(f"the old version does not load from its worktree ({' '.join(loaded)}):"
                             " run this script with a Python whose tracker is a normal install")
        if any(Path(path).resolve().is_relative_to(old.resolve()) for path in _loaded_from(None, work).split()):
            raise SystemExit("the current version loads from the old worktree")
        cases = [FIXTURES / args.only] if args.only else sorted(p for p in FIXTURES.iterdir()
                                                                 if (p / "history.yml").is_file())
        made = [(case.name, lambda into, case=case: _fixture(case, into)) for case in cases]
        if not args.only:
            made.append(("synthetic", lambda into: _synthetic(into, args.commits)))
        for name, make in made:
            base = work / name
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            repo, extra = make(base / "repo")
            shutil.copytree(repo, base / "old", symlinks=True)
            shutil.copytree(repo, base / "new", symlinks=True)
            before = _outputs(old, base / "old", extra)
            if before and all(code == 2 and "unknown key" in err for code, _, err in before.values()):
                # A fixture of a feature the old version lacks (its config's keys): nothing to compare.
                print(f"{name}: skipped: its config uses keys {args.against} does not know", file=sys.stderr)
                continue
            after = _outputs(None, base / "new", extra)
            # A run that fails in both versions alike (a tag that is not a build) is compared like
            # any other output; one that fails only in the new version is a difference anyway.
            failed = [key for key, (code, _, _) in after.items() if code and not before.get(key, (0,))[0]]
            problems += [f"{name}: {key}: exit {after[key][0]}: {after[key][2].strip()[:200]}" for key in failed]
            for key in before:
                if before[key] != after.get(key):
                    problems.append(f"{name}: {key}: " + json.dumps([before[key], after.get(key)])[:400])
            _same_tree(base / "old", base / "new", name, problems)
            histories += 1
            print(f"{name}: {len(before)} outputs compared", file=sys.stderr)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    if problems:
        print("\n".join(problems[:40]))
        raise SystemExit(f"{len(problems)} differences")
    print(f"identical: {histories} histories, every output and written file")


if __name__ == "__main__":
    main()
