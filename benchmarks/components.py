"""Benchmark a component build (`components:`, a monorepo) against `git log -- PATHS`.

    python benchmarks/components.py [--commits 100000] [--runs 5] [--work DIR]

Builds (once, cached in --work) a synthetic monorepo history of --commits commits with
benchmarks/synth.py's messages, each commit changing one of three components' folders
(`apps/app`, `libs/lib`, `docs`), tags `app-vNNNNN` every 500 commits, and the requests
imported into the local store. Then times, alternating run by run so the page cache is
equally warm for both:

  * raw `git log --full-history --format=%H%x00%an%x00%s%x00%b%x1e A..B -- apps/app`
    (what reading the component's commits costs git itself);
  * `tracker changelog B --previous A --format json` with the config's component
    `app` (paths `[apps/app]`): the same range, limited by git's own pathspec.

over the full range (first to last app tag) and one weekly build, and prints wall
(median) and the ratio the target is stated in (within 1.5x of git log).
tracker runs from the Python running this script (install it first: `pip install .`).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

TAG_EVERY = 500
FOLDERS = ("apps/app", "libs/lib", "docs")
CONFIG = "components:\n  - {name: app, tags: \"app-v*\", paths: [apps/app]}\n" \
         "  - {name: lib, tags: \"lib-v*\", paths: [libs/lib]}\nchangelog:\n  changes: fans\n"
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _one_folder(rng: random.Random, n: int) -> bytes:
    """Commit n's change: one file in one of the components' folders."""
    folder = FOLDERS[rng.randrange(len(FOLDERS))]
    body = f"{n}\n".encode()
    return f"M 644 inline {folder}/file{n % 50}.txt\ndata {len(body)}\n".encode() + body


def build(path: Path, commits: int, requests: int, seed: int = 7) -> None:
    """The monorepo history: synth's messages, each commit touching one component's folder."""
    synth.build(path, commits, TAG_EVERY, requests, seed, change=_one_folder, tag="app-v")
    subprocess.run(["git", "commit-graph", "write", "--reachable"], cwd=path, check=True, env=ENV)
    (path / ".github").mkdir(exist_ok=True)
    (path / ".github" / "tracker.yml").write_text(CONFIG)
    source = path.parent / f"{path.name}-requests.json"
    subprocess.run([sys.executable, "-m", "tracker", "--repo", str(path), "requests", "import", str(source)],
                   check=True, env=ENV, stdout=subprocess.DEVNULL)


def timed(command: list[str], cwd: Path) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, env=ENV, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/tracker-bench-components"))
    args = parser.parse_args()
    repo = args.work / f"mono{args.commits}"
    if not repo.exists():
        build(repo, args.commits, args.requests)
    last = args.commits // TAG_EVERY
    ranges = {"full range": (f"app-v{1:05d}", f"app-v{last:05d}"),
              "weekly build": (f"app-v{last - 1:05d}", f"app-v{last:05d}")}
    shutil.rmtree(repo / ".git" / "tracker" / "links.sqlite3", ignore_errors=True)
    print("| range | commits touching apps/app | git log -- apps/app (s) | tracker component build (s) | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, (low, high) in ranges.items():
        count = subprocess.run(["git", "rev-list", "--count", "--full-history", f"{low}..{high}", "--", "apps/app"],
                               cwd=repo, capture_output=True, text=True, check=True, env=ENV).stdout.strip()
        git_log = ["git", "log", "--full-history", "--format=%H%x00%an%x00%s%x00%b%x1e", f"{low}..{high}",
                   "--", "apps/app"]
        tracker = [sys.executable, "-m", "tracker", "--repo", str(repo), "changelog", high, "--previous", low,
                   "--format", "json"]
        timed(tracker, repo)  # warm the page cache
        git_times, tracker_times = [], []
        for _ in range(args.runs):
            git_times.append(timed(git_log, repo))
            tracker_times.append(timed(tracker, repo))
        g, t = statistics.median(git_times), statistics.median(tracker_times)
        print(f"| {label} ({low}..{high}) | {int(count):,} | {g:.3f} | {t:.3f} | {t / g:.2f}x |")


if __name__ == "__main__":
    main()
