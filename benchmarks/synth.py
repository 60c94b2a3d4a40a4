"""Build a synthetic history with `git fast-import`: N commits, a build tag every K, fan requests.

    python benchmarks/synth.py DIR [--commits 100000] [--tag-every 500] [--requests 3000]

Deterministic (seeded), so two runs give the same repository and the same shas.

Issues are opened through the history (issue k at commit k·N/I, I = 8·R), and one in eight
is a fan request (the R requests written for `tracker requests import`, each with the
`created_at` of its opening); the others are bug reports and tasks, not in the store, as
in a real project. A commit names only issues that exist: 98 in 100 of its references go to
one opened in the last 2,000 commits, the rest to any older one. So a request is closed
about once, weeks after it was opened, now and then again by a follow-up, and a few a month
are years old — what the real-project evaluation shows (benchmarks/real_histories.py). (An
earlier version had commits close any of 3,000 requests at random, each seven times across
five years: every build re-closed years-old requests, which no project does.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

AUTHORS = [f"dev{i:02d}" for i in range(40)] + ["renovate[bot]"]
VERBS = ["feat", "fix", "perf", "docs", "refactor", "test", "chore"]


RECENT = 2000  # commits: the window most references fall in, after an issue is opened
RECENT_SHARE = 0.98
KINDS = 8  # issues per fan request (the rest: bug reports and tasks)


def opened(n: int, commits: int, issues: int) -> int:
    """How many issues exist at commit `n` (issue k is opened at commit k·commits/issues)."""
    return max(1, min(issues, n * issues // commits))


def referenced(rng: random.Random, n: int, commits: int, issues: int) -> int:
    """An issue a commit at `n` names: mostly a recent one, now and then any older one."""
    newest = opened(n, commits, issues)
    if rng.random() < RECENT_SHARE:
        oldest = max(1, opened(max(1, n - RECENT), commits, issues))
        return rng.randint(oldest, newest)
    return rng.randint(1, newest)


def message(rng: random.Random, n: int, requests: int, commits: int) -> str:
    issues = requests * KINDS
    kind = rng.random()
    verb = rng.choice(VERBS)
    subject = f"{verb}: change number {n} in module {rng.randrange(200)}"
    body = "Some explanation of the change, wrapped like people do.\nAnother line of detail."
    if kind < 0.20:
        ids = sorted({referenced(rng, n, commits, issues) for _ in range(rng.choice([1, 1, 1, 2]))})
        return f"{subject}\n\n{body}\n\nFixes {', '.join(f'#{i}' for i in ids)}"
    if kind < 0.28:
        return f"{subject}\n\n{body}\nSee #{referenced(rng, n, commits, issues)}."
    if kind < 0.30:
        return f"Merge pull request #{rng.randrange(issues + 1, issues * 2)} from dev/branch-{n}\n\n{subject}"
    return f"{subject}\n\n{body}"


def _iso(epoch: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _readme(rng: random.Random, n: int) -> bytes:
    """The one file of the plain history: a README in its first commit."""
    return b"M 644 inline README.md\ndata 9\n# synth\n\n" if n == 1 else b""


def build(path: Path, commits: int, tag_every: int, requests: int, seed: int = 7,
          change: Callable[[random.Random, int], bytes] = _readme, tag: str = "v") -> list[dict[str, Any]]:
    """The history at `path` (commit n's files from `change`, drawn after its message), tags
    `{tag}NNNNN` every `tag_every` commits; its requests beside it (`<path>-requests.json`), returned."""
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    out = proc.stdin
    start = 1_700_000_000
    for n in range(1, commits + 1):
        author = rng.choice(AUTHORS)
        text = message(rng, n, requests, commits).encode()
        stamp = start + n * 600
        files = change(rng, n)
        out.write(f"commit refs/heads/main\nmark :{n}\n".encode())
        out.write(f"author {author} <{author}@example.org> {stamp} +0000\n".encode())
        out.write(f"committer {author} <{author}@example.org> {stamp} +0000\n".encode())
        out.write(f"data {len(text)}\n".encode() + text + b"\n")
        out.write(files + b"\n")
        if n % tag_every == 0:
            out.write(f"reset refs/tags/{tag}{n // tag_every:05d}\nfrom :{n}\n\n".encode())
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True, env=env)
    issues = requests * KINDS
    rows = [{"id": str(k), "title": f"Request {k}", "author": f"fan{k % 900}",
             "created_at": _iso(start + (k * commits // issues) * 600 - 300),
             "voters": [f"fan{(k * 7 + v) % 900}" for v in range(k % 12)]} for k in range(KINDS, issues + 1, KINDS)]
    (path.parent / f"{path.name}-requests.json").write_text(json.dumps(rows))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--tag-every", type=int, default=500)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    build(args.directory, args.commits, args.tag_every, args.requests)


if __name__ == "__main__":
    main()
