"""Benchmark tracker against raw `git log` and git-cliff on a synthetic 100k-commit history.

    python benchmarks/run.py [--commits 100000] [--runs 3] [--work DIR] [--no-cliff]

Builds the history once (benchmarks/synth.py, cached in --work), installs git-cliff
from PyPI into the benchmark's own virtualenv (not the project's), then times,
alternating the commands run by run so the page cache is equally warm for all:

  * raw `git log --format=%H%x00%an%x00%s%x00%b%x1e A..B` over the full range;
  * `tracker changelog B --previous A --format json` over the full range;
  * `tracker changelog B --format json` for one weekly build (500 commits);
  * git-cliff over the same two ranges, with a config that parses `#N` links.

Prints wall (median), CPU (user+sys) and peak RSS for each, and the ratios the
targets are stated in. Memory flatness is measured at 10k, 30k and 100k commits.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

CLIFF_CONFIG = """\
[changelog]
header = ""
body = \"\"\"
{% for group, commits in commits | group_by(attribute="group") %}
### {{ group }}
{% for commit in commits %}- {{ commit.message | split(pat="\\n") | first }}\
{% for link in commit.links %} [{{ link.text }}]({{ link.href }}){% endfor %}
{% endfor %}{% endfor %}
\"\"\"
trim = true

[git]
conventional_commits = true
filter_unconventional = false
split_commits = false
link_parsers = [{ pattern = "#(\\\\d+)", href = "https://github.com/acme/app/issues/$1" }]
commit_parsers = [
  { message = "^feat", group = "Features" },
  { message = "^fix", group = "Fixes" },
  { message = ".*", group = "Other" },
]
filter_commits = false
tag_pattern = "v[0-9]*"
"""


def measure(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS KiB) of one run, output discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env or os.environ.copy())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {err.strip()[:400]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def cliff_binary(work: Path) -> Path | None:
    """git-cliff from PyPI in the benchmark's own virtualenv."""
    env_dir = work / "cliff-venv"
    binary = env_dir / "bin" / "git-cliff"
    if not binary.exists():
        venv.create(env_dir, with_pip=True)
        done = subprocess.run([str(env_dir / "bin" / "pip"), "install", "--quiet", "git-cliff"], capture_output=True)
        if done.returncode != 0:
            print(f"git-cliff could not be installed: {done.stderr.decode()[-300:]}", file=sys.stderr)
            return None
    return binary


def prepare(work: Path, commits: int) -> Path:
    repo = work / f"repo-{commits}"
    if not (repo / ".git").exists():
        print(f"building a {commits}-commit history in {repo} …", file=sys.stderr)
        synth.build(repo, commits, 500, 3000)
        requests = repo.parent / f"{repo.name}-requests.json"
        subprocess.run([sys.executable, "-m", "tracker", "--repo", str(repo), "requests", "import", str(requests)],
                       check=True, capture_output=True)
        (repo / "cliff.toml").write_text(CLIFF_CONFIG)
    return repo


def tags(repo: Path) -> list[str]:
    out = subprocess.run(["git", "tag", "--sort=version:refname"], cwd=repo, capture_output=True, text=True).stdout
    return out.split()


def table(rows: list[tuple[str, list[tuple[float, float, int]]]]) -> list[tuple[str, float, float, int]]:
    summary = []
    for name, samples in rows:
        summary.append((name, statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
                        max(s[2] for s in samples)))
    width = max(len(r[0]) for r in summary)
    print(f"{'command'.ljust(width)}  wall s   cpu s   peak RSS MiB")
    for name, wall, cpu, rss in summary:
        print(f"{name.ljust(width)}  {wall:6.3f}  {cpu:6.3f}  {rss / 1024:8.1f}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "tracker-bench")
    parser.add_argument("--no-cliff", action="store_true", help="skip git-cliff")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    repo = prepare(args.work, args.commits)
    names = tags(repo)
    first, last, week_start = names[0], names[-1], names[-2]
    tracker = [sys.executable, "-m", "tracker"]
    commands: list[tuple[str, list[str]]] = [
        ("git log (full range)", ["git", "log", "--format=%H%x00%an%x00%s%x00%b%x1e", f"{first}..{last}"]),
        ("tracker (full range)", [*tracker, "changelog", last, "--previous", first, "--format", "json"]),
        ("git log (weekly build)", ["git", "log", "--format=%H%x00%an%x00%s%x00%b%x1e", f"{week_start}..{last}"]),
        ("tracker (weekly build)", [*tracker, "changelog", last, "--format", "json"]),
    ]
    cliff = None if args.no_cliff or shutil.which("git") is None else cliff_binary(args.work)
    if cliff is not None:
        commands += [
            ("git-cliff (full range)", [str(cliff), "--config", "cliff.toml", f"{first}..{last}", "-o", "/dev/null"]),
            ("git-cliff (weekly build)", [str(cliff), "--config", "cliff.toml", f"{week_start}..{last}",
                                          "-o", "/dev/null"]),
        ]
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name, _ in commands}
    # git-cliff over the full range takes minutes: measured once, after the others' warm-up.
    slow = {"git-cliff (full range)"}
    for name, command in commands:  # warm-up: page cache, .pyc files, tracker's link index
        if name not in slow:
            measure(command, repo)
    for round_ in range(args.runs):
        for name, command in commands:
            if name not in slow or round_ == 0:
                samples[name].append(measure(command, repo))
    print(f"# {args.commits} commits, {len(names)} build tags; medians of {args.runs} alternating runs"
          " (git-cliff over the full range: one run)")
    print(f"# machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    summary = {row[0]: row for row in table(list(samples.items()))}
    wall = {k: v[1] for k, v in summary.items()}
    print()
    print(f"tracker / git log, full range:   {wall['tracker (full range)'] / wall['git log (full range)']:.2f}x"
          "  (target <= 1.5x)")
    if cliff is not None:
        weekly = wall["tracker (weekly build)"] / wall["git-cliff (weekly build)"]
        print(f"tracker / git-cliff, weekly:     {weekly:.2f}x  (target <= 2x)")
        print(f"tracker / git-cliff, full range: {wall['tracker (full range)'] / wall['git-cliff (full range)']:.2f}x"
              "  (target < 1x)")
    helps = []
    for _ in range(max(3, args.runs)):
        start = time.perf_counter()
        subprocess.run([*tracker, "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - start)
    print(f"tracker --help: {statistics.median(helps):.3f} s  (target < 0.2 s)")
    print()
    print("peak RSS by range length (tracker changelog --previous --format json):")
    per_tag = 500
    rss = {}
    for length in (10_000, 30_000, 100_000):
        steps = min(len(names) - 1, length // per_tag)
        start_tag = names[-1 - steps]
        runs = [measure([*tracker, "changelog", last, "--previous", start_tag, "--format", "json"], repo)
                for _ in range(args.runs)]
        rss[length] = max(r[2] for r in runs) / 1024
        print(f"  {steps * per_tag:>7} commits: {rss[length]:6.1f} MiB")
    print(f"  100k / 10k: {rss[100_000] / rss[10_000]:.2f}x  (target <= 1.2x)")


if __name__ == "__main__":
    main()
