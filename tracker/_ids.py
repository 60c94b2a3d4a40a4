"""A new request's id: above every `#N` the history names (and every id in the store,
`Store.next_id`), so "#31" in release notes never links to pull request 31.

The history's highest `#N` costs a walk of every branch's messages (~1.5 s of CPU at
100,000 commits: benchmarks/new_id.py), so it is remembered in the git directory with
the ref tips it was read up to (`tracker/named.json`, a cache you may delete): the next
`requests add` reads only the commits made since.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from tracker._git import GitFailed, Repo

CACHE = "tracker/named.json"
# `#N` and `GH-N` as the reference grammar reads them (`tracker._grammar`: at most 9 digits, not
# followed by a word character): any other form is never taken for a request.
_NAMED = re.compile(rb"(?:#|[gG][hH]-)(\d{1,9})(?!\w)")
_READ = 1 << 16


def highest_named(repo: Repo) -> int:
    """The highest `#N` (or `GH-N`) a commit message on any branch or tag names; 0 for none."""
    path = repo.git_dir / CACHE
    known, highest = _cached(path)
    tips = sorted(set((repo.run("rev-parse", "--all") or "").split()))
    if known.issuperset(tips):
        return highest  # no commit since the last reading (or none at all)
    highest = max(highest, _read(repo, known))
    try:
        from tracker._files import write_if_changed

        write_if_changed(path, json.dumps({"tips": tips, "highest": highest}))
    except OSError:
        pass  # only a cache: the next call reads the history again
    return highest


def _cached(path: Path) -> tuple[set[str], int]:
    """(tips, highest) from the cache; nothing known when it is missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        tips, highest = data["tips"], data["highest"]
        if isinstance(tips, list) and all(isinstance(t, str) for t in tips) and type(highest) is int:
            return set(tips), highest
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return set(), 0


def _read(repo: Repo, known: Iterable[str]) -> int:
    """The highest number named by commits reachable from any ref but from none of `known`.

    One streamed `git log`, git keeping only messages holding a `#` or `gh-` (a C filter);
    `known` tips go on its standard input (there may be thousands), and one that no longer
    exists is skipped (`--ignore-missing`, which git takes only before `--stdin`).
    """
    command = ["git", f"--git-dir={repo.git_dir}", "log", "--all", "--ignore-missing", "--stdin", "-F", "-i",
               "--grep=#", "--grep=gh-", "--format=tformat:%B", "-z"]
    proc = subprocess.Popen(command, cwd=repo.work_tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write("".join(f"^{tip}\n" for tip in known).encode())  # git reads it all before walking
    proc.stdin.close()
    highest, pending = 0, b""
    while chunk := proc.stdout.read(_READ):
        data = pending + chunk
        cut = data.rfind(b"\0") + 1  # whole messages only: a number is never cut in two
        highest = max([highest, *(int(m.group(1)) for m in _NAMED.finditer(data, 0, cut))])
        pending = data[cut:]
    highest = max([highest, *(int(m.group(1)) for m in _NAMED.finditer(pending))])
    error = proc.stderr.read()
    if proc.wait() != 0:
        detail = error.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(f"git log failed: {detail[-1] if detail else 'exit ' + str(proc.returncode)}")
    return highest
