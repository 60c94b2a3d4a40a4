"""Render: a build's release notes, one line per merged pull request (or per commit
without one), grouped, with the build's new contributors — what a maintainer publishes,
under the fans' credits (`changelog.changes: all`).

Pure functions over plain data: the report's `changes` and `pulls`, and what the
pipeline read of the range's topology (`Topology`). Lines that shipped or fixed a fan
request are left out here: the fans' sections above already list them, with their
pull requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker._schema import ChangeEntry, Pull, Shipped
    from tracker.collect import Shape

# Groups in the order the notes show them; each line goes to the first that claims it.
GROUPS = ("breaking", "feat", "fix", "perf", "docs", "deps", "maintenance", "other")
# Conventional-commit types → group (`feat!:` and `BREAKING CHANGE` are "breaking").
_TYPES = {"feat": "feat", "feature": "feat", "fix": "fix", "bugfix": "fix", "perf": "perf", "docs": "docs",
          "doc": "docs", "deps": "deps", "refactor": "maintenance", "test": "maintenance",
          "tests": "maintenance", "build": "maintenance", "ci": "maintenance", "chore": "maintenance",
          "style": "maintenance", "revert": "maintenance"}
# Common pull-request labels → group, for titles without a conventional type.
_LABELS = {"breaking": "breaking", "breaking change": "breaking", "breaking-change": "breaking",
           "feature": "feat", "enhancement": "feat", "new feature": "feat", "type: feature": "feat",
           "kind/feature": "feat", "bug": "fix", "bugfix": "fix", "fix": "fix", "type: bug": "fix",
           "kind/bug": "fix", "performance": "perf", "perf": "perf", "documentation": "docs", "docs": "docs",
           "dependencies": "deps", "deps": "deps", "maintenance": "maintenance", "chore": "maintenance",
           "ci": "maintenance", "tests": "maintenance", "refactor": "maintenance", "internal": "maintenance"}
_TYPE = re.compile(r"\A([A-Za-z]{2,12})(\([^()\n]{0,64}\))?(!)?:\s")
_MERGE_SUBJECT = re.compile(r"\AMerge (?:pull request #\d|branch |remote-tracking branch |tag )")
_SQUASH = re.compile(r"\s*\(#\d{1,9}\)\s*\Z")
# Lines shown per group in the notes; the rest are counted ("… and 12 more"): a
# 300-commit build stays readable, and the JSON report keeps every change.
CAP = 25


@dataclass(frozen=True)
class Topology:
    """What git says of the range beyond its changes: each commit's author email, the
    commits that merged pull requests brought in (shown as their pull request's line, not
    one by one), and the merge commits on the range's first-parent line that claim one."""

    emails: Mapping[str, str] = field(default_factory=dict)  # sha → author email (after .mailmap)
    hidden: Mapping[str, str] = field(default_factory=dict)  # sha → the pull request whose merge brought it
    # The first-parent line's merges of pull requests: {"sha", "pull", "summary" (the merge's
    # own words), "author" and "login" (who merged), "head" (the newest commit it brought in)}.
    merges: Sequence[Mapping[str, Any]] = ()


def topology(shape: Shape, pull_of: Callable[[str], str | None]) -> Topology:
    """The `Topology` of a range's `shape`: `pull_of` reads the pull request a merge's message
    names. What a pull request's merge brought in is its line, not the range's."""
    parents, mainline = shape.parents, set(shape.line)
    claimed: list[dict[str, Any]] = []
    hidden: dict[str, str] = {}
    for sha, (message, author) in shape.merges.items():
        pull = pull_of(message)
        claimed.append({"sha": sha, "pull": pull, "summary": merge_title(message), "author": author, "login": None,
                        "head": parents[sha][1] if pull and parents[sha][1] in parents else None})
        stack = list(parents[sha][1:]) if pull else []
        while stack:
            at = stack.pop()
            if at in parents and at not in mainline and at not in hidden:
                hidden[at] = pull or ""
                stack.extend(parents[at])
    claimed.sort(key=lambda m: shape.line.index(m["sha"]))
    return Topology(emails=shape.emails, hidden=hidden, merges=claimed)


def merge_title(message: str) -> str:
    """What a merge commit says its change is: the first line of its body (GitHub writes the
    pull request's title there, GitLab the merge request's), else its subject."""
    subject, _, body = message.strip().partition("\n")
    if not _MERGE_SUBJECT.match(subject):
        return subject.strip()  # a merge with a subject of its own says it there
    for line in body.splitlines():
        if line.strip() and not line.startswith("See merge request"):
            return line.strip()
    return subject.strip()


def group_of(summary: str, labels: Iterable[str] = ()) -> str:
    """The group a line belongs to: its conventional type, else its labels, else "other"."""
    match = _TYPE.match(summary)
    if match:
        if match.group(3):
            return "breaking"
        scope = (match.group(2) or "").strip("()").lower()
        if scope == "deps":
            return "deps"
        return _TYPES.get(match.group(1).lower(), "other")
    found = {_LABELS[label.lower()] for label in labels if label.lower() in _LABELS}
    return next((g for g in GROUPS if g in found), "other")


def lines(changes: Iterable[ChangeEntry], pulls: Sequence[Pull], topology: Topology,
          credited: Sequence[Shipped]) -> list[dict[str, Any]]:
    """The notes' lines, newest first: each merged pull request once, each commit without
    one, minus what the fans' sections list (`credited`: the report's shipped and fixed)."""
    by_number = {p["number"]: p for p in pulls}
    shipping = {sha for entry in credited for sha in entry["commits"]}
    shipping_pulls = {number for entry in credited for number in entry.get("pulls", ())}
    heads = {m["head"]: m for m in topology.merges if m.get("head")}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for change in changes:
        sha = change["sha"]
        if sha in heads:  # who wrote the branch a merged pull request brought in
            heads[sha] = {**heads[sha], "author": change["author"], "login": change.get("login")}
        if sha in topology.hidden or sha in shipping:
            continue
        number = change.get("pull")
        if number and (number in by_number or not by_number):  # no issue system to ask: as the commit says
            if number not in seen and number not in shipping_pulls:
                seen.add(number)
                out.append(_pull_line(number, by_number.get(number), change, topology))
            continue
        # A commit without a pull request the issue system confirms: the commit as it is.
        out.append({"summary": change["summary"], "sha": sha, "pull": None, "url": None,
                    "author": change["author"], "login": change.get("login"),
                    "email": topology.emails.get(sha), "group": group_of(change["summary"])})
    for merge in topology.merges:
        number = merge.get("pull")
        if number and number not in seen and number not in shipping_pulls and merge["sha"] not in shipping:
            seen.add(number)
            out.append(_pull_line(number, by_number.get(number), heads.get(merge.get("head"), merge), topology,
                                  at=merge["sha"], title=merge["summary"]))
    order = {sha: n for n, sha in enumerate(topology.emails)}  # git's order: newest first
    out.sort(key=lambda line: order.get(line["sha"], -1))
    return out


def _pull_line(number: str, pull: Pull | None, commit: Mapping[str, Any], topology: Topology,
               at: str | None = None, title: str | None = None) -> dict[str, Any]:
    """One pull request's line: its title and author as the issue system knows them, else
    what its commits say (a squash's subject without ` (#N)`, a merge's body and branch)."""
    title = (pull["title"] if pull else None) or _SQUASH.sub("", title or commit["summary"])
    login = (pull["author"] if pull else None) or commit.get("login")
    sha = at or commit["sha"]
    return {"summary": title, "sha": sha, "pull": number, "url": pull["url"] if pull else None,
            "author": login or commit["author"], "login": login, "email": topology.emails.get(sha),
            "group": group_of(title, (pull["labels"] if pull else None) or ())}


def grouped(found: Sequence[Mapping[str, Any]], cap: int = CAP) -> list[dict[str, Any]]:
    """`found` lines by group, in `GROUPS` order: {"group", "lines" (at most `cap`), "more"}."""
    out = []
    for name in GROUPS:
        members = [line for line in found if line["group"] == name]
        if members:
            out.append({"group": name, "lines": members[:cap], "more": max(0, len(members) - cap)})
    return out


def newcomers(changes: Iterable[ChangeEntry], pulls: Sequence[Pull], topology: Topology,
              known_before: Iterable[str], excluded: Callable[[str], bool]) -> list[dict[str, Any]]:
    """People whose first change is in this build: each author (by email, in lower case)
    of a change or merged pull request here whom `known_before` (emails with commits before
    the build) lacks, once, with their first change here (the oldest); bots left out."""
    before = {email.lower() for email in known_before}
    by_number = {p["number"]: p for p in pulls}
    first: dict[str, dict[str, Any]] = {}
    for change in changes:  # newest first, so the last one kept is the oldest
        email = (topology.emails.get(change["sha"]) or "").lower()
        number = change.get("pull") or topology.hidden.get(change["sha"])
        pull = by_number.get(number) if number else None
        # The commit's own login only: a pull request's author need not be who wrote this commit.
        login = change.get("login")
        if email and email not in before and not excluded(login or change["author"]):
            first[email] = {"author": login or change["author"], "login": login, "pull": number,
                            "url": pull["url"] if pull else None, "sha": change["sha"]}
    return list(reversed(first.values()))
