"""Decide: which requests a build shipped, which it withdrew, and what else changed.

`scan` reads the build's commits once, as they stream, keeping only those that
link to something; `decide` is pure: plain data in, a Decision out.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from tracker import links, logins
from tracker.changes import Changes, entry, string
from tracker.model import Commit, PullRequest, Request, decode

_NOREPLY = re.compile(r"\A(?:\d+\+)?([^@]+)@users\.noreply\.github\.com\Z", re.IGNORECASE)


def commit_login(commit: Commit) -> str | None:
    """The login behind a commit: the GitHub no-reply address, else a login-shaped author name."""
    return _login(commit.name_bytes, commit.email_bytes)


@lru_cache(maxsize=4096)
def _login(name_bytes: bytes, email_bytes: bytes) -> str | None:
    match = _NOREPLY.match(decode(email_bytes))
    if match and logins.valid(match.group(1)):
        return match.group(1)
    name = decode(name_bytes).strip()
    return name if logins.valid(name) else None


@dataclass(slots=True)
class Linked:
    """A commit that says something about requests, reduced to what it says."""

    sha: str
    author: str | None
    parsed: links.Parsed


@dataclass
class Scanned:
    """What one pass over `previous..build` found."""

    count: int = 0
    changes: Changes = field(default_factory=Changes)
    linked: dict[str, Linked] = field(default_factory=dict)

    def wanted_outside(self) -> set[str]:
        """Shas named by reverts and cherry-picks that are not in the range: look them up."""
        wanted: set[str] = set()
        for item in self.linked.values():
            for sha in (*item.parsed.reverts, *item.parsed.cherry_of):
                if self.find(sha) is None:
                    wanted.add(sha)
        return wanted

    def find(self, sha: str) -> str | None:
        """The full sha of a linked in-range commit that `sha` (maybe short) names."""
        if sha in self.linked:
            return sha
        for full in self.linked:
            if full.startswith(sha):
                return full
        return None

    def pull_claims(self) -> dict[str, str]:
        """Commit sha → pull request number its subject claims (merge or squash)."""
        return {s: c.parsed.pull for s, c in self.linked.items() if c.parsed.pull}


def scan(commits: Iterable[Commit], repo: links.Repository, known: Container[str]) -> Scanned:
    """One streaming pass: count commits, list changes, keep the commits a decision needs.

    This loop runs once per commit of the range (100,000 for a long history), so it
    does the least it can: messages without anything reference-like are never
    decoded beyond their first line, authors are resolved once each, and each
    change is encoded to its JSON line at once (`tracker.changes`). `known` are the
    request ids a change may list. Commits that only mention requests are listed,
    not kept: nothing in a decision depends on a mention.
    """
    out = Scanned()
    # (name, email) → (login or None, the name to show as JSON): once per author, not per commit.
    authors: dict[tuple[bytes, bytes], tuple[str | None, str]] = {}
    types: dict[str | None, str] = {None: "null"}
    ids: dict[str, str] = {}  # one string object per request id, however many commits name it
    maybe = links.maybe_bytes
    conventional = links.conventional_type
    add = out.changes.add
    linked = out.linked
    count = 0
    for commit in commits:
        count += 1
        key = (commit.name_bytes, commit.email_bytes)
        known_author = authors.get(key)
        if known_author is None:
            login = commit_login(commit)
            known_author = authors[key] = (login, string(login or commit.author_name))
        login, shown = known_author
        requests: list[str] = []
        if maybe(commit.raw):
            parsed = links.parse(commit.message, repo)
            requests = [r for r in (*parsed.closes, *parsed.refs) if r in known]
            if parsed.closes or parsed.pull or parsed.reverts or parsed.cherry_of:
                parsed.closes = tuple(ids.setdefault(i, i) for i in parsed.closes)
                parsed.refs = ()
                linked[commit.sha] = Linked(commit.sha, login, parsed)
        if b" " not in commit.parents_bytes:
            summary = commit.summary
            kind = conventional(summary)
            kind_json = types.get(kind) or types.setdefault(kind, string(kind))
            add(entry(commit.sha, summary, shown, kind_json, requests))
    out.count = count
    return out


@dataclass
class Decision:
    """What the build did to requests: id → shipping commits, pulls and builders."""

    shipped: dict[str, list[str]] = field(default_factory=dict)
    pulls: dict[str, list[str]] = field(default_factory=dict)
    builders: dict[str, list[str]] = field(default_factory=dict)
    withdrawn: dict[str, list[str]] = field(default_factory=dict)
    already: dict[str, list[str]] = field(default_factory=dict)


def root(request_id: str, requests: Mapping[str, Request]) -> str:
    """The original a duplicate was merged into (following chains)."""
    seen = {request_id}
    current = requests[request_id]
    while current.duplicate_of and current.duplicate_of in requests and current.duplicate_of not in seen:
        seen.add(current.duplicate_of)
        current = requests[current.duplicate_of]
    return current.id


def _closing(item: Linked, pulls: Mapping[str, PullRequest], originals: Mapping[str, Linked],
             repo: links.Repository) -> tuple[list[str], str | None, list[str]]:
    """(ids a commit closes, pull number it stands for, extra builders) — its own text,
    its merged pull request's body and recorded closings, and cherry-pick originals."""
    ids = list(item.parsed.closes)
    builders: list[str] = []
    pull_number = None
    sources = [item] + [originals[s] for s in item.parsed.cherry_of if s in originals]
    for source in sources:
        if source is not item:
            ids += [i for i in source.parsed.closes if i not in ids]
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

    `originals` are commits outside the range named by reverts and cherry-picks;
    `earlier` are commits reachable from the previous build that mention the
    candidate requests or revert something.
    """
    # Who reverts whom, inside the range and before it.
    earlier = list(earlier)
    everything: dict[str, Linked] = {e.sha: e for e in earlier}
    everything.update(scanned.linked)
    reverters: dict[str, list[str]] = {}
    for item in everything.values():
        for target in item.parsed.reverts:
            full = next((s for s in everything if s.startswith(target)), None) or next(
                (s for s in originals if s.startswith(target)), target)
            reverters.setdefault(full, []).append(item.sha)
    in_range = set(scanned.linked)
    before_reverters = {t: [r for r in rs if r not in in_range] for t, rs in reverters.items()}
    alive_now = _active(reverters)
    alive_before = _active(before_reverters)

    def known(ids: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(root(i, requests) for i in ids if i in requests))

    decision = Decision()
    for item in scanned.linked.values():
        if item.parsed.reverts or not alive_now.get(item.sha, True):
            continue
        ids, pull_number, pull_builders = _closing(item, pulls, originals, repo)
        for request_id in known(ids):
            decision.shipped.setdefault(request_id, []).append(item.sha)
            if pull_number:
                pulls_of = decision.pulls.setdefault(request_id, [])
                if pull_number not in pulls_of:
                    pulls_of.append(pull_number)
            people = decision.builders.setdefault(request_id, [])
            for login in [item.author, *pull_builders]:
                if login and login not in people:
                    people.append(login)

    # Earlier closers: commits reachable from the previous build that closed a request.
    closed_before: dict[str, list[str]] = {}
    for item in earlier:
        if item.parsed.reverts:
            continue
        ids, _, _ = _closing(item, pulls, originals, repo)
        for request_id in known(ids):
            closed_before.setdefault(request_id, []).append(item.sha)
    # Revert targets outside the range are earlier closers too (git grep may miss a
    # rewritten message, but the revert names the commit itself).
    for sha, original in originals.items():
        if sha in reverters and sha not in in_range and not original.parsed.reverts:
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
                decision.pulls.pop(request_id, None)
                decision.builders.pop(request_id, None)
        elif was and not still:
            decision.withdrawn[request_id] = [
                r for s in was for r in reverters.get(s, []) if r in in_range
            ]
    return decision
