"""Decide: which requests a build shipped, which it withdrew, and who built them.

`decide` is pure: the scanned range, the requests, pull requests and earlier
commits in; a Decision out (DESIGN.md's "What shipped in build B").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tracker import _grammar as links
from tracker._model import PullRequest, Request, root
from tracker._scan import Linked, Scanned


@dataclass
class Decision:
    """What the build did to requests: id → shipping commits, pulls and builders."""

    shipped: dict[str, list[str]] = field(default_factory=dict)
    pulls: dict[str, list[str]] = field(default_factory=dict)
    builders: dict[str, list[str]] = field(default_factory=dict)
    withdrawn: dict[str, list[str]] = field(default_factory=dict)
    # Closed again in this range but shipped before: id → this range's closing commits,
    # and id → the earlier commits (still in effect) that shipped it.
    already: dict[str, list[str]] = field(default_factory=dict)
    earlier: dict[str, list[str]] = field(default_factory=dict)


def _closing(item: Linked, pulls: Mapping[str, PullRequest], originals: Mapping[str, Linked],
             repo: links.Repository) -> tuple[list[str], str | None, list[str]]:
    """(ids a commit closes, pull number it stands for, extra builders) — its own text,
    its merged pull request's body and recorded closings, and cherry-pick originals
    (`originals` holds every commit a cherry-pick may name, by the sha it is named with)."""
    ids = list(item.parsed.closes)
    builders: list[str] = []
    pull_number = None
    sources = [item] + [originals[s] for s in item.parsed.cherry_of if s in originals]
    for source in sources:
        if source is not item:
            ids += [i for i in source.parsed.closes if i not in ids]
            if source.author:  # who wrote what a backport copies built it too
                builders.append(source.author)
        number = source.parsed.pull
        pull = pulls.get(number) if number else None
        if pull is not None and pull.merged:
            pull_number = pull_number or pull.number
            closes, _ = links.references(pull.body or "", repo)
            ids += [i for i in (*closes, *pull.closes) if i not in ids]
            if pull.author:
                builders.append(pull.author)
    return ids, pull_number, builders


def _active(scanned_revert_targets: dict[str, list[str]]) -> dict[str, bool]:
    """Which commits survive revert chains (a revert of a revert restores the original)."""
    memo: dict[str, bool] = {}

    def alive(sha: str, depth: int = 0) -> bool:
        if sha not in memo:
            memo[sha] = True  # guards against loops in hand-made messages
            reverters = scanned_revert_targets.get(sha, [])
            memo[sha] = depth > 50 or not any(alive(r, depth + 1) for r in reverters)
        return memo[sha]

    return {sha: alive(sha) for sha in scanned_revert_targets}


def decide(
    scanned: Scanned,
    requests: Mapping[str, Request],
    pulls: Mapping[str, PullRequest],
    originals: Mapping[str, Linked],
    earlier: Iterable[Linked],
    repo: links.Repository,
) -> Decision:
    """Apply DESIGN.md's "What shipped in build B" to one scanned range.

    `originals` are the commits reverts and cherry-picks name, by the sha they are named
    with (a cherry-picked merge carries what it brought in); `earlier` are commits of
    earlier builds (the previous build's ancestry and other lines) that close the
    candidate requests, copy this range's closing commits, or revert something. A
    request they closed, and this range closes again, is `already` shipped.
    """
    # Who reverts whom, inside the range and before it.
    earlier = list(earlier)
    reverters: dict[str, list[str]] = {}
    if any(item.parsed.reverts for item in earlier) or any(parsed.reverts for parsed in scanned.said):
        everything: dict[str, Linked] = {e.sha: e for e in earlier}
        everything.update(scanned.linked)
        for item in everything.values():
            for target in item.parsed.reverts:
                full = next((s for s in everything if s.startswith(target)), None) or next(
                    (s for s in originals if s.startswith(target)), target)
                reverters.setdefault(full, []).append(item.sha)
    in_range: Mapping[str, Linked] = scanned.linked if reverters else {}  # asked only about reverters
    before_reverters = {t: [r for r in rs if r not in in_range] for t, rs in reverters.items()}
    alive_now = _active(reverters)
    alive_before = _active(before_reverters)

    def known(ids: Sequence[str]) -> list[str]:
        if len(ids) == 1:  # the common case, without building a dict
            return [root(ids[0], requests)] if ids[0] in requests else []
        return list(dict.fromkeys(root(i, requests) for i in ids if i in requests))

    decision = Decision()
    shipped, builders = decision.shipped, decision.builders
    request_of = requests.get
    for sha, author, parsed in scanned.kept():
        if alive_now and not alive_now.get(sha, True):
            continue  # reverted within the range (a revert's own closings count: see `links.parse`)
        closes = parsed.closes
        if len(closes) == 1 and not (parsed.pull or parsed.cherry_of):
            # Most commits of a long range: one request closed by its own text, most often not
            # a duplicate. The general path below, without its lists (tens of thousands of times).
            request = request_of(closes[0])
            if request is not None and not request.duplicate_of:
                commits = shipped.get(request.id)
                if commits is None:
                    shipped[request.id] = [sha]
                    builders[request.id] = [author] if author else []
                else:
                    commits.append(sha)
                    people = builders[request.id]
                    if author and author not in people:
                        people.append(author)
                continue
        ids: Sequence[str]
        if parsed.pull or parsed.cherry_of:
            ids, pull_number, pull_builders = _closing(Linked(sha, author, parsed), pulls, originals, repo)
        else:  # its own closes (several, or a duplicate or unknown request), its own author
            ids, pull_number, pull_builders = closes, None, []
        targets = known(ids)
        for request_id in targets:
            if request_id in shipped:
                shipped[request_id].append(sha)
                people = builders[request_id]
            else:
                shipped[request_id] = [sha]
                people = builders[request_id] = []
            if pull_number:
                pulls_of = decision.pulls.setdefault(request_id, [])
                if pull_number not in pulls_of:
                    pulls_of.append(pull_number)
            for login in [author, *pull_builders] if pull_builders else (author,):
                if login and login not in people:
                    people.append(login)

    # Earlier closers: commits reachable from the previous build that closed a request.
    closed_before: dict[str, list[str]] = {}
    for item in earlier:
        ids, _, _ = _closing(item, pulls, originals, repo)
        for request_id in known(ids):
            closed_before.setdefault(request_id, []).append(item.sha)
    # Revert targets outside the range are earlier closers too (git grep may miss a
    # rewritten message, but the revert names the commit itself).
    for sha, original in originals.items():
        if sha in reverters and sha not in in_range:
            ids, _, _ = _closing(original, pulls, originals, repo)
            for request_id in known(ids):
                if sha not in closed_before.setdefault(request_id, []):
                    closed_before[request_id].append(sha)

    for request_id, shas in closed_before.items():
        still = [s for s in shas if alive_now.get(s, True)]
        was = [s for s in shas if alive_before.get(s, True)]
        if request_id in decision.shipped:
            if still:
                decision.already[request_id] = decision.shipped.pop(request_id)
                decision.earlier[request_id] = still
                decision.pulls.pop(request_id, None)
                decision.builders.pop(request_id, None)
        elif was and not still:
            decision.withdrawn[request_id] = [
                r for s in was for r in reverters.get(s, []) if r in in_range
            ]
    return decision
