"""API-call budget of `tracker release` on the tests' local GitHub server.

    python benchmarks/api_budget.py [--requests 2000] [--discussions 200] [--pulls 300] [--shipped 50]
                                    [--publish LIST]

Builds a history whose last build squash-merges P pull requests, S of them
closing a fan request (the rest close nothing), seeds R labelled requests with
votes on tests/github_server.py (half the shipping pulls linked to their
request only in GitHub's sidebar, seen through GraphQL; every fourth closes an Ideas
discussion by its URL instead, `requests.discussions: Ideas`), runs `tracker release` twice and prints reads
and writes against the budget (R counts issues and discussions): reads <= ceil(R/100) + ceil(P/100) + 2S + 10,
writes <= 3S + 2, and 0 writes on the rerun. `--publish "site, changelog-file,
github-release"` shows that the other publishers add no read.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from github_server import serve  # noqa: E402

from tracker import _sample as sample  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--discussions", type=int, default=200)
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--shipped", type=int, default=50)
    parser.add_argument("--publish", default="github-release", help="the publishers, comma-separated")
    args = parser.parse_args()
    r, d, p, s = args.requests, args.discussions, args.pulls, args.shipped
    with tempfile.TemporaryDirectory() as tmp, serve() as server:
        steps: list[dict[str, object]] = [{"commit": "Initial"}, {"tag": "v1"}]
        first_pull = r + 1
        for k in range(p):
            steps.append({"commit": f"Change {k} (#{first_pull + k})", "author": f"dev{k % 20}", "as": f"c{k}"})
        steps.append({"tag": "v2"})
        repo = Path(tmp) / "repo"
        labels = sample.build(repo, steps)
        (repo / ".github").mkdir()
        ideas = "requests:\n  discussions: Ideas\n" if d else ""
        (repo / ".github" / "tracker.yml").write_text(f"{ideas}publish: [{args.publish}]\n")
        first_idea = first_pull + p
        for n in range(d):
            server.add_discussion(first_idea + n, f"Idea {n}", user=f"fan{n % 300}", upvotes=n % 13)
            for voter in range(n % 3):
                server.add_discussion_reaction(first_idea + n, f"voter{voter}", "+1")
        for number in range(1, r + 1):
            server.add_issue(number, f"Request {number}", user=f"fan{number % 300}", labels=["feature-request"])
        for number in range(1, s + 1):
            for voter in range(number % 7):
                server.add_reaction(number, f"voter{voter}", "+1")
        for k in range(p):
            # Half the shipping pulls say `Closes #N`; the other half are linked in the sidebar only.
            body = f"Closes #{k + 1}" if k < s and k % 2 == 0 else "Refactoring."
            if k < s and k % 4 == 0 and k < d:
                body = f"Closes {server.root_url}/acme/app/discussions/{first_idea + k}"
            server.add_pull(first_pull + k, f"Change {k}", body=body, user=f"dev{k % 20}",
                            merge_commit_sha=labels[f"c{k}"])
            if k < s and k % 2:
                server.link_closing(first_pull + k, k + 1)
        server.add_release("v2", body="Notes.\n")
        server.reset_log()
        env = {**os.environ, "GITHUB_TOKEN": "t0k3n", "GITHUB_REPOSITORY": "acme/app",
               "GITHUB_API_URL": server.url, "TRACKER_GITHUB_FAST_RETRY": "1"}
        command = [sys.executable, "-m", "tracker", "--repo", str(repo), "release", "v2"]
        first = subprocess.run(command, env=env, capture_output=True, text=True)
        if first.returncode != 0:
            raise SystemExit(first.stderr)
        reads, writes = server.reads(), server.writes()
        server.reset_log()
        subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        rerun_reads, rerun_writes = server.reads(), server.writes()
    read_budget = math.ceil((r + d) / 100) + math.ceil(p / 100) + 2 * s + 10
    write_budget = 3 * s + 2
    print(f"R={r + d} requests ({d} of them discussions), P={p} pull requests, S={s} shipped;"
          f" publish: [{args.publish}]")
    print(f"first run: {reads} reads (budget {read_budget}), {writes} writes (budget {write_budget})")
    print(f"rerun:     {rerun_reads} reads, {rerun_writes} writes (budget 0)")
    ok = reads <= read_budget and writes <= write_budget and rerun_writes == 0
    print("within budget" if ok else "OVER BUDGET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
