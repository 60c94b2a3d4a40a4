"""Build a synthetic history with `git fast-import`: N commits, a build tag every K, fan requests.

    python benchmarks/synth.py DIR [--commits 100000] [--tag-every 500] [--requests 3000]

Deterministic (seeded), so two runs give the same repository and the same shas.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
from pathlib import Path

AUTHORS = [f"dev{i:02d}" for i in range(40)] + ["renovate[bot]"]
VERBS = ["feat", "fix", "perf", "docs", "refactor", "test", "chore"]


def message(rng: random.Random, n: int, requests: int) -> str:
    kind = rng.random()
    verb = rng.choice(VERBS)
    subject = f"{verb}: change number {n} in module {rng.randrange(200)}"
    body = "Some explanation of the change, wrapped like people do.\nAnother line of detail."
    if kind < 0.20:
        ids = rng.sample(range(1, requests + 1), rng.choice([1, 1, 1, 2]))
        return f"{subject}\n\n{body}\n\nFixes {', '.join(f'#{i}' for i in ids)}"
    if kind < 0.28:
        return f"{subject}\n\n{body}\nSee #{rng.randrange(1, requests + 1)}."
    if kind < 0.30:
        return f"Merge pull request #{rng.randrange(requests + 1, requests * 3)} from dev/branch-{n}\n\n{subject}"
    return f"{subject}\n\n{body}"


def build(path: Path, commits: int, tag_every: int, requests: int, seed: int = 7) -> None:
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
        text = message(rng, n, requests).encode()
        stamp = start + n * 600
        out.write(f"commit refs/heads/main\nmark :{n}\n".encode())
        out.write(f"author {author} <{author}@example.org> {stamp} +0000\n".encode())
        out.write(f"committer {author} <{author}@example.org> {stamp} +0000\n".encode())
        out.write(f"data {len(text)}\n".encode() + text + b"\n")
        if n == 1:
            out.write(b"M 644 inline README.md\ndata 9\n# synth\n\n")
        out.write(b"\n")
        if n % tag_every == 0:
            out.write(f"reset refs/tags/v{n // tag_every:05d}\nfrom :{n}\n\n".encode())
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True, env=env)
    rows = [{"id": str(i), "title": f"Request {i}", "author": f"fan{i % 900}",
             "voters": [f"fan{(i * 7 + k) % 900}" for k in range(i % 12)]} for i in range(1, requests + 1)]
    (path.parent / f"{path.name}-requests.json").write_text(json.dumps(rows))


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
