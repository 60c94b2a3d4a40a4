"""Build small git histories from a list of steps: the demo's project and the tests' fixtures.

Steps are plain dicts, so a scenario is data (a fixture folder), not code:

    {"commit": "Add dark mode\\n\\nCloses #12", "as": "dark", "author": "alice", "date": "2026-11-02T10:00:00Z"}
    {"tag": "v2026.45"}                       # lightweight; add "message" for an annotated tag
    {"branch": "release-45"}                  # create a branch at the current commit
    {"checkout": "main"}
    {"merge": "feature", "commit": "Merge pull request #40 from alice/feature"}
    {"commit": "Fix the export", "files": {"export.py": "fixed\\n"}}   # change files (top-level; None deletes)
    {"files": {".mailmap": "Alice <alice@example.org> <al@old.example>\\n"}}  # the branch's later commits

`{label}` in a message is replaced by the full sha of the commit saved `as` label,
so reverts and cherry-picks can name real commits. Dates are pinned and no
global git config is read, so every run gives the same shas.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

_ISOLATED = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "HOME": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


def _identity(who: str, date: str) -> tuple[str, str, str]:
    """(name, email, git's raw date `<epoch> <+hhmm>`) for "Name <email>" at an ISO date."""
    name, _, email = who.partition("<")
    name = name.strip()
    email = email.rstrip(">").strip() or f"{name.lower().replace(' ', '.')}@example.org"
    moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    return name, email, f"{int(moment.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def build(path: Path, steps: Iterable[Mapping[str, Any]], files: Mapping[str, str] | None = None) -> dict[str, str]:
    """Create a repository at `path` from `steps`; return label → sha. Branch `main`.

    `files` are every commit's tree (`README.md` by default) until a `files` step adds to them.

    Objects are written through GitPython's object database, in this process: a
    test suite builds hundreds of histories, and a `git commit-tree` process per
    commit was most of their cost. Same bytes as git writes, so the same shas.
    """
    # Imported here: GitPython costs ~150 ms to import, and only building histories needs it.
    import git
    from git.objects.fun import tree_to_stream
    from gitdb import IStream

    path.mkdir(parents=True, exist_ok=True)
    old_env = {k: os.environ.get(k) for k in _ISOLATED}
    os.environ.update(_ISOLATED)  # no user or system config may change what gets written
    try:
        repo = git.Repo.init(path, initial_branch="main")
        with repo.config_writer() as config:
            config.set_value("user", "name", "tracker")
            config.set_value("user", "email", "tracker@example.org")
        def store_tree(contents: Mapping[str, str]) -> str:
            entries = []
            for name, content in sorted(contents.items()):
                data = content.encode("utf-8")
                blob = repo.odb.store(IStream("blob", len(data), BytesIO(data))).binsha
                entries.append((blob, 0o100644, name))
            listing = BytesIO()
            tree_to_stream(entries, listing.write)
            return str(repo.odb.store(IStream("tree", len(listing.getvalue()),
                                              BytesIO(listing.getvalue()))).hexsha.decode())

        labels = _write(repo, dict(files or {"README.md": "# sample\n"}), store_tree, steps)
    finally:
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return labels


def _write(repo: Any, initial: dict[str, str], store_tree: Callable[[Mapping[str, str]], str],
           steps: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    import git
    from git.objects.commit import Commit

    labels: dict[str, str] = {}
    heads: dict[str, str | None] = {"main": None}
    # Each branch's files; commits without "files" share their branch's tree.
    contents: dict[str, dict[str, str]] = {"main": initial}
    trees: dict[str, str] = {"main": store_tree(initial)}
    current = "main"
    clock = 0
    for step in steps:
        clock += 1
        date = str(step.get("date") or f"2026-11-01T{clock // 60:02d}:{clock % 60:02d}:00Z")
        if "branch" in step and "commit" not in step:
            heads[str(step["branch"])] = heads[current]
            contents[str(step["branch"])] = dict(contents[current])
            trees[str(step["branch"])] = trees[current]
            current = str(step["branch"])
            continue
        if "checkout" in step:
            current = str(step["checkout"])
            continue
        if "tag" in step:
            target = labels[str(step["at"])] if "at" in step else heads[current]
            assert target, "tag before any commit"
            if "message" in step:
                name, email, when = _identity(str(step.get("author", "maintainer")), date)
                repo.git.tag("-a", str(step["tag"]), "-m", str(step["message"]), target,
                             env={"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": when})
            else:
                git.TagReference.create(repo, str(step["tag"]), target)
            continue
        if "merge" in step and contents.get(str(step["merge"])) != contents[current]:
            # A merge brings the other branch's files in (theirs win: enough for these histories).
            contents[current] = {**contents[current], **contents[str(step["merge"])]}
            trees[current] = store_tree(contents[current])
        if "files" in step:
            for name, content in dict(step["files"]).items():
                if content is None:
                    contents[current].pop(str(name), None)
                else:
                    contents[current][str(name)] = str(content)
            trees[current] = store_tree(contents[current])
            if "commit" not in step:
                continue  # the branch's later commits carry them
        tree = trees[current]
        message = str(step.get("commit", "change")).format(**labels)
        parents = [heads[current]] if heads.get(current) else []
        if "merge" in step:
            parents.append(heads[str(step["merge"])])
        name, email, when = _identity(str(step.get("author", "alice")), date)
        who = git.Actor(name, email)
        commit = Commit.create_from_tree(
            repo, tree, message + "\n", parent_commits=[repo.commit(p) for p in parents],
            author=who, committer=who, author_date=when, commit_date=when)
        heads[current] = commit.hexsha
        if "as" in step:
            labels[str(step["as"])] = commit.hexsha
    for branch, head in heads.items():
        if head:
            git.Head.create(repo, branch, head, force=True)
    repo.head.reference = repo.heads[current if heads.get(current) else "main"]
    repo.git.checkout("-q", "-f", "main")
    repo.git.checkout("-q", "-f", current)
    repo.close()
    return labels
