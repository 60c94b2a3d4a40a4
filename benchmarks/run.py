"""Benchmark tracker against raw `git log` and git-cliff on a synthetic 100k-commit history.

    python benchmarks/run.py [--commits 100000] [--runs 5] [--work DIR] [--no-cliff] [--no-commit-graph] [--cold-only]

Builds the history once (benchmarks/synth.py, cached in --work) and, like any
repository `git gc` has run on, gives it a commit-graph (`--no-commit-graph`
measures the bare fast-import pack instead). Installs tracker from this checkout
into the benchmark's own virtualenv (a normal install, as users get it: compiled
bytecode, no editable-install hooks) and git-cliff from PyPI into another. Then
times, alternating the commands run by run so the page cache is equally warm
for all:

  * raw `git log --format=%H%x00%an%x00%s%x00%b%x1e A..B` over the full range;
  * `tracker changelog B --previous A --format json` over the full range, with the
    link index an earlier run left (the common case) and without it (a first run);
  * `tracker changelog B --format json` for one weekly build (500 commits);
  * git-cliff over the same two ranges, with a config that parses `#N` links.

Prints wall (median), CPU (user+sys, children included) and peak RSS of the
process tree for each, and the ratios the targets are stated in. Memory
flatness is measured at 10k, 30k and 100k commits on tracker's own process (its
`git log` child is git's memory, printed beside it: the same for any reader).

Then the cold rows, what a GitHub Action pays: a fresh `git clone` of the history (no
commit-graph, no link index: removed again before every run), with the requests imported,
and in it, alternating: git-cliff and tracker over each of the last weekly builds (previous
build by topology), `tracker release B --dry-run`, and the full range against raw `git log`.
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

TAG_EVERY = 1000  # a weekly build's commits
WEEKS = 7  # the last builds measured cold, each against git-cliff over the same range
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
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
    """(wall seconds, CPU seconds, peak RSS KiB of the process tree) of one run, output discarded."""
    wall, cpu, rss, _ = measure_self(command, cwd, env)
    return wall, cpu, rss


def measure_self(command: Sequence[str], cwd: Path,
                 env: dict[str, str] | None = None) -> tuple[float, float, int, int | None]:
    """`measure`, plus the peak RSS (KiB) a command run under benchmarks/selfrss.py reports for
    its own process (None for other commands)."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env or os.environ.copy())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {err.strip()[:400]}")
    own = [int(line.split()[-1]) for line in err.splitlines() if line.startswith("self-peak-rss-kib ")]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, own[-1] if own else None


def tracker_install(work: Path) -> Path:
    """tracker from this checkout, installed (not editable) into the benchmark's own virtualenv."""
    env_dir = work / "tracker-venv"
    python = env_dir / "bin" / "python"
    if not python.exists():
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)], check=True)
    else:  # dependencies are in place: refresh tracker itself from the working tree
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT)],
                       check=True, capture_output=True)
    return env_dir


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


def prepare(work: Path, commits: int, python: Path, commit_graph: bool) -> Path:
    repo = work / f"repo-{commits}"
    if not (repo / ".git").exists():
        print(f"building a {commits}-commit history in {repo} …", file=sys.stderr)
        synth.build(repo, commits, TAG_EVERY, 3000)
        requests = repo.parent / f"{repo.name}-requests.json"
        subprocess.run([str(python), "-m", "tracker", "--repo", str(repo), "requests", "import", str(requests)],
                       check=True, capture_output=True)
        (repo / "cliff.toml").write_text(CLIFF_CONFIG)
    info = repo / ".git" / "objects" / "info"
    if commit_graph:
        subprocess.run(["git", "commit-graph", "write", "--reachable"], cwd=repo, check=True, capture_output=True)
    else:
        (info / "commit-graph").unlink(missing_ok=True)
        shutil.rmtree(info / "commit-graphs", ignore_errors=True)
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


def _without_index(repo: Path, command: Sequence[str]) -> tuple[float, float, int]:
    """`measure` with tracker's link index moved aside for the run (a first run), then put back."""
    folder = repo / ".git" / "tracker"
    aside = repo / ".git" / "tracker-aside"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    for path in folder.glob("links.sqlite3*"):
        path.rename(aside / path.name)
    try:
        return measure(command, repo)
    finally:
        for path in folder.glob("links.sqlite3*"):
            path.unlink()
        for path in aside.iterdir():
            path.rename(folder / path.name)
        aside.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "tracker-bench")
    parser.add_argument("--no-cliff", action="store_true", help="skip git-cliff")
    parser.add_argument("--no-commit-graph", action="store_true",
                        help="measure the fast-import pack alone (no commit-graph, as before any git gc)")
    parser.add_argument("--cold-only", action="store_true", help="only the cold rows (a fresh clone)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    env_dir = tracker_install(args.work)
    python = env_dir / "bin" / "python"
    repo = prepare(args.work, args.commits, python, not args.no_commit_graph)
    names = tags(repo)
    first, last, week_start = names[0], names[-1], names[-2]
    tracker = [str(env_dir / "bin" / "tracker")]
    cliff = None if args.no_cliff or shutil.which("git") is None else cliff_binary(args.work)
    if args.cold_only:
        cold_rows(args, repo, python, tracker, cliff, names)
        return
    full = ["changelog", last, "--previous", first, "--format", "json"]
    commands: list[tuple[str, list[str]]] = [
        ("git log (full range)", ["git", "log", "--format=%H%x00%an%x00%s%x00%b%x1e", f"{first}..{last}"]),
        ("tracker (full range)", [*tracker, *full]),
        ("tracker (full range, first run: no link index)", [*tracker, *full]),
        ("git log (weekly build)", ["git", "log", "--format=%H%x00%an%x00%s%x00%b%x1e", f"{week_start}..{last}"]),
        ("tracker (weekly build)", [*tracker, "changelog", last, "--format", "json"]),
    ]
    if cliff is not None:
        commands += [
            ("git-cliff (full range)", [str(cliff), "--config", "cliff.toml", f"{first}..{last}", "-o", "/dev/null"]),
            ("git-cliff (weekly build)", [str(cliff), "--config", "cliff.toml", f"{week_start}..{last}",
                                          "-o", "/dev/null"]),
        ]
    cold = {"tracker (full range, first run: no link index)"}
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name, _ in commands}
    # git-cliff over the full range takes minutes: measured once, after the others' warm-up.
    slow = {"git-cliff (full range)"}
    for name, command in commands:  # warm-up: page cache, tracker's link index (built by the weekly run)
        if name not in slow and name not in cold:
            measure(command, repo)
    for round_ in range(args.runs):
        for name, command in commands:
            if name in cold:
                samples[name].append(_without_index(repo, command))
            elif name not in slow or round_ == 0:
                samples[name].append(measure(command, repo))
    graph = "no commit-graph" if args.no_commit_graph else "with a commit-graph"
    print(f"# {args.commits} commits ({graph}), {len(names)} build tags; medians of {args.runs} alternating runs"
          " (git-cliff over the full range: one run)")
    print(f"# machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}")
    summary = {row[0]: row for row in table(list(samples.items()))}
    wall = {k: v[1] for k, v in summary.items()}
    print()
    base = wall["git log (full range)"]
    print(f"tracker / git log, full range:   {wall['tracker (full range)'] / base:.2f}x  (target <= 1.5x)")
    print(f"  first run (no link index):     {wall['tracker (full range, first run: no link index)'] / base:.2f}x")
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
    print("peak RSS by range length (tracker changelog --previous --format json), MiB:")
    print("  commits   tracker's process   process tree (with its git log)")
    per_tag = TAG_EVERY
    own: dict[int, float] = {}
    for length in (10_000, 30_000, 100_000):
        steps = min(len(names) - 1, length // per_tag)
        start_tag = names[-1 - steps]
        command = [str(python), str(HERE / "selfrss.py"), "changelog", last, "--previous", start_tag,
                   "--format", "json"]
        measure_self(command, repo)  # warm-up: the first run for a new --previous indexes its ancestry (once)
        runs = [measure_self(command, repo) for _ in range(args.runs)]
        own[length] = max(r[3] or 0 for r in runs) / 1024
        tree = max(r[2] for r in runs) / 1024
        print(f"  {steps * per_tag:>7}   {own[length]:17.1f}   {tree:12.1f}")
    print(f"  100k / 10k, tracker's process: {own[100_000] / own[10_000]:.2f}x  (target <= 1.2x)")
    print()
    cold_rows(args, repo, python, tracker, cliff, names)


def fresh_clone(repo: Path, work: Path, python: Path) -> Path:
    """A fresh clone of the history, as actions/checkout makes one (all history, no
    commit-graph), with the requests imported (a runner's store holds none: not timed)."""
    clone = work / f"{repo.name}-clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(repo), str(clone)], check=True)
    requests = repo.parent / f"{repo.name}-requests.json"
    subprocess.run([str(python), "-m", "tracker", "--repo", str(clone), "requests", "import", str(requests)],
                   check=True, capture_output=True)
    (clone / "cliff.toml").write_text(CLIFF_CONFIG)
    return clone


def _cold(clone: Path, command: Sequence[str]) -> tuple[float, float, int]:
    """`measure` with no link index (a first run on a runner), and none left behind."""
    for path in (clone / ".git" / "tracker").glob("links.sqlite3*"):
        path.unlink()
    return measure(command, clone)


def cold_rows(args: argparse.Namespace, repo: Path, python: Path, tracker: list[str], cliff: Path | None,
              names: list[str]) -> None:
    """The rows of a fresh clone: weekly builds and a release against git-cliff, the full range
    against raw git log."""
    clone = fresh_clone(repo, args.work, python)
    assert not (clone / ".git" / "objects" / "info" / "commit-graph").exists()
    first, last = names[0], names[-1]
    weeks = list(zip(names[-WEEKS - 1:-1], names[-WEEKS:], strict=True))
    commands: list[tuple[str, list[str]]] = [
        ("git log (full range)", ["git", "log", "--format=%H%x00%an%x00%s%x00%b%x1e", f"{first}..{last}"]),
        ("tracker (full range)", [*tracker, "changelog", last, "--previous", first, "--format", "json"]),
        ("tracker release --dry-run (weekly)", [*tracker, "release", last, "--dry-run"]),
    ]
    for before, build in weeks:
        commands.append((f"tracker (weekly {build})", [*tracker, "changelog", build, "--format", "json"]))
        if cliff is not None:
            commands.append((f"git-cliff (weekly {build})", [str(cliff), "--config", "cliff.toml",
                                                             f"{before}..{build}", "-o", "/dev/null"]))
    for _, command in commands:  # warm-up: the page cache (never the link index)
        _cold(clone, command)
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name, _ in commands}
    for _ in range(args.runs):
        for name, command in commands:
            samples[name].append(_cold(clone, command))
    print(f"# cold: a fresh clone ({len(names)} builds every {TAG_EVERY} commits), no commit-graph, no link index;"
          f" medians of {args.runs} alternating runs")
    summary = {row[0]: row for row in table(list(samples.items()))}
    wall = {k: v[1] for k, v in summary.items()}
    print()
    print(f"cold full range / git log:       {wall['tracker (full range)'] / wall['git log (full range)']:.2f}x"
          "  (target <= 1.5x)")
    if cliff is not None:
        ratios = [wall[f"tracker (weekly {b})"] / wall[f"git-cliff (weekly {b})"] for _, b in weeks]
        for (_, build), ratio in zip(weeks, ratios, strict=True):
            print(f"cold weekly {build} / git-cliff:   {ratio:.2f}x")
        print(f"cold weekly / git-cliff, median of {len(ratios)} builds: {statistics.median(ratios):.2f}x"
              f" (max {max(ratios):.2f}x; target <= 1.0x)")
        release = wall["tracker release --dry-run (weekly)"] / wall[f"git-cliff (weekly {last})"]
        print(f"cold release --dry-run {last} / git-cliff: {release:.2f}x  (target <= 1.0x)")


if __name__ == "__main__":
    main()
