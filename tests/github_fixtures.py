"""One small project seen from both sides: its git history and its GitHub repository.

`HISTORY` is a real history (tracker.sample steps) with a squash-merged pull
request, a merged one, a direct closing commit, a pull request closed without
merging and a fix for a bug report (`reports.labels`). `seed()` puts the
matching issues, votes, duplicate and pull requests on a FakeGitHub, and
`LOCAL_REQUESTS` is the same data in the import format, for comparing with the
local store.
"""

from __future__ import annotations

from typing import Any

from github_server import FakeGitHub

TOKEN = "t0k3n"
LABEL = "feature-request"
CONFIG = "publish: [github-release]\n"  # keep the work tree clean: the repo is reused across servers

HISTORY: list[dict[str, Any]] = [
    {"commit": "Initial", "author": "maint"},
    {"tag": "v1"},
    {"commit": "Dark mode\n\nFixes #1", "author": "frank", "as": "direct"},
    {"commit": "Offline mode (#41)", "author": "dev", "as": "squash"},
    {"branch": "export"},
    {"commit": "Export rows as CSV", "author": "dev"},
    {"checkout": "main"},
    {"merge": "export", "commit": "Merge pull request #40 from dev/export\n\nExport", "author": "maint",
     "as": "merge"},
    {"commit": "Try sync (#43)", "author": "dev", "as": "unmerged"},
    {"commit": "Fix crash\n\nFixes #4", "author": "frank"},
    {"tag": "v2"},
]

# The same requests and votes as `seed()` puts on GitHub, in the import format.
LOCAL_REQUESTS: list[dict[str, Any]] = [
    {"id": "1", "title": "Dark mode", "author": "alice", "voters": ["bob", "carol"]},
    {"id": "2", "title": "Export to CSV", "author": "bob", "voters": ["alice"]},
    {"id": "3", "title": "Offline mode", "author": "carol", "voters": []},
    {"id": "5", "title": "Sync", "author": "erin", "voters": []},
    {"id": "6", "title": "Night mode", "author": "dave", "voters": ["erin"], "duplicate_of": "1",
     "state": "closed"},
]


def seed(server: FakeGitHub, labels: dict[str, str]) -> None:
    """Issues, votes, a duplicate and pull requests matching HISTORY (`labels`: step label → sha)."""
    server.add_user("dependabot[bot]", type="Bot")
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    for who, content in [("bob", "+1"), ("carol", "+1"), ("dependabot[bot]", "+1"), (None, "+1"),
                         ("dave", "heart"), ("bob", "heart")]:
        server.add_reaction(1, who, content)
    server.add_issue(2, "Export to CSV", user="bob", labels=[LABEL])
    server.add_reaction(2, "alice", "+1")
    server.add_issue(3, "Offline mode", user="carol", labels=[LABEL])
    server.add_issue(4, "Crash on start", user="zed", labels=["bug"])  # a bug report (reports.labels), fixed in v2
    server.add_issue(5, "Sync", user="erin", labels=[LABEL])
    server.add_issue(6, "Night mode", user="dave", labels=[LABEL], state="closed", state_reason="duplicate")
    server.add_reaction(6, "erin", "+1")
    server.add_user("maint", association="MEMBER")  # a maintainer: the one who may mark duplicates
    server.add_comment(6, "maint", "Duplicate of #1")
    server.add_pull(40, "Export", body="Adds CSV export.\n\nFixes #2", user="dev", merge_commit_sha=labels["merge"])
    server.add_pull(41, "Offline mode", body="Closes #3", user="dev", merge_commit_sha=labels["squash"])
    server.add_pull(42, "WIP: themes", user="dev", merged=False, state="open", labels=[LABEL])
    server.add_pull(43, "Try sync", body="Closes #5", user="dev", merged=False)
    server.add_release("v2", body="Maintainer intro.\n", name="Build 2")


def env_for(server: FakeGitHub, **extra: str) -> dict[str, str]:
    """What a GitHub Action would set, pointed at the fake server."""
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/app", "GITHUB_API_URL": server.url,
            "TRACKER_GITHUB_FAST_RETRY": "1", **extra}


def seed_commits(server: FakeGitHub, repo: Any, accounts: dict[str, str], tip: str = "HEAD") -> int:
    """The history up to `tip` on the fake, as GitHub lists it: each commit linked to the
    account `accounts` gives its author's email (unlinked when none); return how many."""
    import subprocess
    from datetime import datetime

    out = subprocess.run(["git", "log", "--format=%H%x1f%P%x1f%ae%x1f%aI", tip], cwd=repo, capture_output=True,
                         text=True, check=True).stdout
    lines = out.splitlines()
    for line in reversed(lines):
        sha, parents, email, date = line.split("\x1f")
        server.add_commit(sha, author=accounts.get(email), parents=parents.split(),
                          date=datetime.fromisoformat(date.replace("Z", "+00:00")))
    return len(lines)
