"""GitHub's test scenario (tests/github_fixtures.py) told the GitLab way, and helpers.

`HISTORY` has merge commits `See merge request acme/app!N` (one of them merging
a squashed branch), a direct closing commit, a commit claiming a merge request
closed without merging, and a fix for a bug report. `seed()` puts the matching
issues, thumbs-up votes (a bot's and a deleted account's among them), duplicate
and merge requests on a FakeGitLab. The credited people are GitHub's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from conftest import invoke
from gitlab_server import FakeGitLab

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]
TOKEN = "t0k3n"
LABEL = "feature-request"
CONFIG = "issues: gitlab\npublish: [gitlab-release]\n"
HISTORY: list[dict[str, Any]] = [
    {"commit": "Initial", "author": "maint"},
    {"tag": "v1"},
    {"commit": "Dark mode\n\nFixes #1", "author": "frank", "as": "direct"},
    {"branch": "offline"},
    {"commit": "Offline mode", "author": "dev", "as": "squash"},  # GitLab squashed the MR's commits
    {"checkout": "main"},
    {"merge": "offline", "commit": "Merge branch 'offline' into 'main'\n\nOffline mode\n\n"
     "See merge request acme/app!41", "author": "maint", "as": "merge41"},
    {"branch": "export"},
    {"commit": "Export rows as CSV", "author": "dev"},
    {"checkout": "main"},
    {"merge": "export", "commit": "Merge branch 'export' into 'main'\n\nExport\n\nSee merge request acme/app!40",
     "author": "maint", "as": "merge"},
    {"commit": "Try sync\n\nSee merge request acme/app!43", "author": "dev"},  # claims an MR closed unmerged
    {"commit": "Fix crash\n\nFixes #4", "author": "frank"},
    {"tag": "v2"},
]


def seed(server: FakeGitLab, labels: dict[str, str]) -> None:
    """The issues, votes, duplicate and merge requests behind HISTORY (GitHub's scenario)."""
    server.add_issue(1, "Dark mode", user="alice", labels=[LABEL])
    for who, name in [("bob", "thumbsup"), ("carol", "thumbsup"), ("project_7_bot_5f2a", "thumbsup"),
                      (None, "thumbsup"), ("dave", "heart"), ("bob", "heart")]:
        server.add_award(1, who, name)
    server.add_issue(2, "Export to CSV", user="bob", labels=[LABEL])
    server.add_award(2, "alice")
    server.add_issue(3, "Offline mode", user="carol", labels=[LABEL])
    server.add_issue(4, "Crash on start", user="zed", labels=["bug"])  # a bug report (reports.labels), fixed in v2
    server.add_issue(5, "Sync", user="erin", labels=[LABEL])
    server.add_issue(6, "Night mode", user="dave", labels=[LABEL], state="closed", duplicate_of=1)
    server.add_award(6, "erin")
    server.add_note(6, "maint", "marked this issue as a duplicate of #1", system=True)
    server.add_mr(40, "Export", "Adds CSV export.\n\nFixes #2", merge_commit_sha=labels["merge"])
    server.add_mr(41, "Offline mode", "Closes acme/app#3", merge_commit_sha=labels["merge41"],
                  squash_commit_sha=labels["squash"])
    server.add_mr(42, "Draft: themes", state="opened")
    server.add_mr(43, "Try sync", "Closes #5", state="closed")
    server.add_release("v2", "Maintainer intro.\n", name="Build 2")


def env_for(server: FakeGitLab, **extra: str) -> dict[str, str]:
    """What a GitLab CI job would set (plus a token), pointed at the fake server."""
    return {"GITLAB_TOKEN": TOKEN, "CI_PROJECT_PATH": server.path, "CI_SERVER_URL": server.url,
            "TRACKER_GITLAB_FAST_RETRY": "1", **extra}


def run(repo: Path, server: FakeGitLab, *args: str, **env: str) -> Result:
    return invoke(["--repo", str(repo), *args], env=env_for(server, **env))


def state(server: FakeGitLab) -> str:
    """The server's meaningful state, with its address (a random port) taken out."""
    return json.dumps(server.snapshot(), sort_keys=True).replace(server.url, "http://gitlab.test")


def one_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "" and "Traceback" not in result.stderr, (result.stdout,
                                                                                         result.stderr)
    return lines[0]
