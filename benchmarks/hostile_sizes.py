"""Time the two hostile sizes of issue "Hardening, second round": a 1 MB title on the site,
and a build that ships 20,000 requests through the local store.

    python benchmarks/hostile_sizes.py [--title-bytes 1000000] [--requests 20000] [--work DIR] [--only title|ship]

Each case builds a real git repository and local store in --work (a temporary folder by
default), then times one run of tracker's console script (the installed `tracker` next to
this Python), wall and CPU (user + system: what a busy machine does not inflate):

  * title: `tracker publish v2` with `publish: [site]`, one shipped request whose title is
    --title-bytes long (no spaces: the card's wrapping works hardest on it);
  * ship: `tracker release v2` with `publish: [changelog-file]`, --requests requests, every
    one closed by a commit in v1..v2 (a hundred per commit), so every one is marked.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.org",
           "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.org",
           "GIT_AUTHOR_DATE": "2026-11-01T10:00:00Z", "GIT_COMMITTER_DATE": "2026-11-01T10:00:00Z"}
TRACKER = str(Path(sys.executable).with_name("tracker"))


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True)


def project(path: Path, messages: list[str], requests: list[dict[str, object]], config: str) -> Path:
    """A repository: tag v1, one commit per message, tag v2; the requests imported; `config`."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "commit", "-q", "--allow-empty", "-m", "init")
    git(path, "tag", "v1")
    # fast-import: one process for any number of commits.
    stream = []
    for i, message in enumerate(messages):
        data = message.encode()
        stream.append(f"commit refs/heads/main\ncommitter dev <dev@example.org> {1793000000 + i} +0000\n"
                      f"data {len(data)}\n".encode() + data + b"\n" + (b"from refs/heads/main^0\n" if i == 0 else b""))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=GIT_ENV, input=b"".join(stream), check=True)
    git(path, "tag", "v2")
    (path / ".github").mkdir()
    (path / ".github" / "tracker.yml").write_text(config, encoding="utf-8")
    source = path.parent / f"{path.name}-requests.json"
    source.write_text(json.dumps(requests), encoding="utf-8")
    subprocess.run([TRACKER, "--repo", str(path), "requests", "import", str(source)], check=True,
                   capture_output=True)
    return path


def timed(args: list[str]) -> str:
    """Wall and CPU seconds (user + system, git's included) of one tracker run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([TRACKER, *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return f"{elapsed:.2f} s wall, {cpu:.2f} s CPU"


def title_case(work: Path, size: int) -> str:
    title = ("Ö" + "x" * 9) * (size // 11)  # no spaces; a letter outside ASCII every ten
    repo = project(work / "title", ["Add it\n\nFixes #1"],
                   [{"id": "1", "title": title, "author": "alice", "voters": ["bob"]}],
                   "issues: local\npublish: [site]\n")
    return timed(["--repo", str(repo), "publish", "v2"])


def ship_case(work: Path, count: int) -> str:
    messages = [f"Batch {start}\n\nFixes " + ", ".join(f"#{i}" for i in range(start, min(start + 100, count + 1)))
                for start in range(1, count + 1, 100)]
    requests = [{"id": str(i), "title": f"Request {i}", "author": f"fan{i % 997}", "voters": [f"v{i % 13}"]}
                for i in range(1, count + 1)]
    repo = project(work / "ship", messages, requests, "issues: local\npublish: [changelog-file]\n")
    return timed(["--repo", str(repo), "release", "v2"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--title-bytes", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--only", choices=["title", "ship"], default=None)
    options = parser.parse_args()
    work = options.work or Path(tempfile.mkdtemp(prefix="tracker-sizes-"))
    for name in ("title", "ship"):
        shutil.rmtree(work / name, ignore_errors=True)
        (work / f"{name}-requests.json").unlink(missing_ok=True)
    if options.only in (None, "title"):
        print(f"site publish, one {options.title_bytes:,}-byte title: {title_case(work, options.title_bytes)}",
              flush=True)
    if options.only in (None, "ship"):
        print(f"release shipping {options.requests:,} requests (local store): "
              f"{ship_case(work, options.requests)}", flush=True)


if __name__ == "__main__":
    main()
