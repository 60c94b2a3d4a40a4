"""What `tracker requests add` costs for finding a new id on a long history.

    python benchmarks/new_id.py [--commits 100000] [--runs 5] [--work DIR]

A new id is above every `#N` any branch names (`tracker._ids.highest_named`: one
`git log --all` that git filters for `#` and `gh-`, remembered with the ref tips
it read up to). Times, alternating, run by run, on the synthetic history of
benchmarks/synth.py (with a commit-graph, as `git gc` leaves it): the walk alone
(`git rev-list --all --count`), the raw `git log` a first reading runs,
`highest_named` without its cache (a first `requests add`) and with it, and the
whole `tracker requests add` process (cache warm), wall and CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import synth  # noqa: E402

from tracker import _git as git  # noqa: E402
from tracker import _ids as ids  # noqa: E402


def timed(action: object) -> tuple[float, float]:
    """(wall, CPU) seconds of one call; CPU counts this process and the children it waited for."""
    before, started = os.times(), time.perf_counter()
    action()  # type: ignore[operator]
    wall, after = time.perf_counter() - started, os.times()
    cpu = sum(after[:4]) - sum(before[:4])  # user, system, children's user, children's system
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/tracker-bench"))
    args = parser.parse_args()
    repo = args.work / f"ids-{args.commits}"
    if not (repo / ".git").exists():
        print(f"building a {args.commits}-commit history in {repo} …", file=sys.stderr)
        synth.build(repo, args.commits, 500, 3000)
        subprocess.run(["git", "commit-graph", "write", "--reachable"], cwd=repo, check=True)
    opened = git.open_repo(repo)
    run = ["git", "-C", str(repo)]
    cache = repo / ".git" / ids.CACHE
    runs: dict[str, list[tuple[float, float]]] = {
        "git rev-list --all --count": [], "git log --all (as read)": [], "highest_named, first": [],
        "highest_named, cached": [], "tracker requests add": []}
    highest = 0
    for _ in range(args.runs):
        runs["git rev-list --all --count"].append(timed(lambda: subprocess.run(
            [*run, "rev-list", "--all", "--count"], check=True, capture_output=True)))
        runs["git log --all (as read)"].append(timed(lambda: subprocess.run(
            [*run, "log", "--all", "-F", "-i", "--grep=#", "--grep=gh-", "--format=tformat:%B", "-z"],
            check=True, capture_output=True)))
        cache.unlink(missing_ok=True)
        runs["highest_named, first"].append(timed(lambda: ids.highest_named(opened)))
        runs["highest_named, cached"].append(timed(lambda: ids.highest_named(opened)))
        runs["tracker requests add"].append(timed(lambda: subprocess.run(
            [sys.executable, "-m", "tracker", "--repo", str(repo), "requests", "add", "Benchmark", "--by", "ann"],
            check=True, capture_output=True)))
        highest = ids.highest_named(opened)
    print(f"{args.commits} commits, highest #N named: {highest}; median of {args.runs} runs (wall, CPU):")
    for name, times in runs.items():
        wall, cpu = statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)
        print(f"  {name:<28} {wall:6.3f} s  {cpu:6.3f} s CPU")


if __name__ == "__main__":
    main()
