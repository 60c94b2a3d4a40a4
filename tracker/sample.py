"""Build small git histories from a list of steps: the demo's project and the tests' fixtures.

Steps are plain dicts, so a scenario is data (a fixture folder), not code:

    {"commit": "Add dark mode\\n\\nCloses #12", "as": "dark", "author": "alice", "date": "2026-11-02T10:00:00Z"}
    {"tag": "v2026.45"}                       # lightweight; add "message" for an annotated tag
    {"branch": "release-45"}                  # create a branch at the current commit
    {"checkout": "main"}
    {"merge": "feature", "commit": "Merge pull request #40 from alice/feature"}

`{label}` in a message is replaced by the full sha of the commit saved `as` label,
so reverts and cherry-picks can name real commits. Dates are pinned and no
global git config is read, so every run gives the same shas.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_ISOLATED = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "HOME": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


def _git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> str:
    full_env = {**os.environ, **_ISOLATED, **(env or {})}
    done = subprocess.run(["git", *args], cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def _identity(who: str, date: str, committer: bool = True) -> dict[str, str]:
    name, _, email = who.partition("<")
    name = name.strip()
    email = email.rstrip(">").strip() or f"{name.lower().replace(' ', '.')}@example.org"
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date}
    if committer:
        env.update(GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email, GIT_COMMITTER_DATE=date)
    return env


def build(path: Path, steps: Iterable[Mapping[str, Any]], files: Mapping[str, str] | None = None) -> dict[str, str]:
    """Create a repository at `path` from `steps`; return label → sha. Branch `main`."""
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "user.name", "tracker")
    _git(path, "config", "user.email", "tracker@example.org")
    entries = []
    for name, content in sorted((files or {"README.md": "# sample\n"}).items()):
        blob = _git(path, "hash-object", "-w", "--stdin", stdin=content)
        entries.append(f"100644 blob {blob}\t{name}")
    tree = _git(path, "mktree", stdin="\n".join(entries) + "\n")
    labels: dict[str, str] = {}
    heads: dict[str, str | None] = {"main": None}
    current = "main"
    clock = 0
    for step in steps:
        clock += 1
        date = str(step.get("date") or f"2026-11-01T{clock // 60:02d}:{clock % 60:02d}:00Z")
        if "branch" in step and "commit" not in step:
            heads[str(step["branch"])] = heads[current]
            current = str(step["branch"])
            continue
        if "checkout" in step:
            current = str(step["checkout"])
            continue
        if "tag" in step:
            target = labels[str(step["at"])] if "at" in step else heads[current]
            assert target, "tag before any commit"
            if "message" in step:
                _git(path, "tag", "-a", str(step["tag"]), "-m", str(step["message"]), target,
                     env=_identity(str(step.get("author", "maintainer")), date))
            else:
                _git(path, "tag", str(step["tag"]), target)
            continue
        message = str(step.get("commit", "change")).format(**labels)
        parents = [heads[current]] if heads.get(current) else []
        if "merge" in step:
            parents.append(heads[str(step["merge"])])
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", str(parent)]
        env = _identity(str(step.get("author", "alice")), date)
        sha = _git(path, *args, env=env, stdin=message + "\n")
        heads[current] = sha
        if "as" in step:
            labels[str(step["as"])] = sha
    for branch, head in heads.items():
        if head:
            _git(path, "update-ref", f"refs/heads/{branch}", head)
    _git(path, "symbolic-ref", "HEAD", f"refs/heads/{current if heads.get(current) else 'main'}")
    _git(path, "checkout", "-q", "-f", "main")
    _git(path, "checkout", "-q", "-f", current)
    return labels
