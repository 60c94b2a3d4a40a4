"""Evaluate tracker on real projects: does `shipped` match what maintainers list per release?

    python benchmarks/real_histories.py [--mirrors DIR] [--repo OWNER/NAME=PATH ...]
        [--project OWNER/NAME ...] [--tracker CMD] [--max-releases N]
        [--all-tags] [--details FILE] [--work DIR]

For each project found (a git directory at DIR/owner+name/repo, DIR/owner+name,
DIR/name or DIR/name.git, or given with --repo), the script:

  1. clones it into a temporary folder (the source is never written to); by
     default only final-release tags (`1.2.3`, `v1.2.3`) are copied, so the
     builds are the releases (`--all-tags` keeps pre-release, dev and `8.0.x`
     tags too);
  2. reads the truth: the project's changelog at its newest release tag, split
     into version -> issue numbers (`#N`, `GH-N`, `:issue:`, `{issue}`, issue
     URLs of the repository; sphinx's doc/changes/ files follow its CHANGES.rst);
  3. drops pull-request numbers from the truth and from the requests: numbers the
     history shows are pull requests (`Merge pull request #N from`, a squash
     subject's trailing `(#N)`, a backport bot's `[PR #N/...]`), and the
     changelog's own `:pr:` / `{pr}` / pull URLs;
  4. imports every other referenced number (changelog or any commit message) as
     a request into tracker's local store, with `repository: owner/name` and a
     `builds.tags` glob matching the release tags;
  5. runs `tracker changelog TAG --previous PREV --format json` for each release
     that has a non-empty truth and a tagged previous version (the previous
     version in the changelog's own order), newest first, at most
     --max-releases per project;
  6. compares `shipped` plus `fixed` with the truth, beside two baselines over
     `git log PREV..TAG` messages: "closing keyword" (a number right after
     close/fix/resolve and their forms) and "ceiling" (every number named anywhere
     in the range); an issue the truth lists under TAG that tracker puts under
     `already_shipped` is a miss, told apart as "closed again" (a commit of the
     build tracker names closed it first: the ships-once rule) or "other"; every
     other `already_shipped` entry is checked against the release the changelog
     lists it under (its `in`).

Prints a Markdown table (micro-averaged precision and recall per project) and
writes per-release details, with a classification of every miss and false
positive, to --details. A project whose repository is absent is skipped with a
message; with none present the script exits 0 having done nothing. Nothing
here uses the network.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Project:
    """Where a project keeps its changelog and how its release tags are named."""

    repo: str
    changelogs: tuple[str, ...]
    glob: str
    fragments: tuple[str, ...] = ()  # towncrier fragment folders
    archive: str | None = None  # a folder of older releases' changelogs (one file per line)


PROJECTS = [
    Project("pytest-dev/pytest", ("doc/en/changelog.rst", "CHANGELOG.rst", "CHANGELOG"), "[0-9v]*", ("changelog",)),
    Project("pallets/click", ("CHANGES.md", "CHANGES.rst", "CHANGES"), "[0-9]*"),
    Project("pallets/flask", ("CHANGES.rst", "CHANGES"), "[0-9]*"),
    Project("pallets/werkzeug", ("CHANGES.rst", "CHANGES"), "[0-9]*"),
    Project("pypa/pip", ("NEWS.rst", "NEWS.txt"), "[0-9]*", ("news",)),
    Project("aio-libs/aiohttp", ("CHANGES.rst", "CHANGES.txt"), "v*", ("CHANGES",)),
    Project("sphinx-doc/sphinx", ("CHANGES.rst", "CHANGES"), "v*", archive="doc/changes"),
    Project("python-attrs/attrs", ("CHANGELOG.md", "CHANGELOG.rst"), "[0-9]*", ("changelog.d",)),
    Project("psf/requests", ("HISTORY.md", "HISTORY.rst"), "v*"),
]

RELEASE_TAG = re.compile(r"v?(\d+(?:\.\d+)+)")
UNDERLINE = re.compile(r"[=\-~^*+#]{3,}\s*")
HEADING = re.compile(
    r"(?P<md>#{1,4}\s+)?(?:version\s+|release\s+|pytest\s+|requests\s+|attrs\s+)?\[?v?"
    r"(?P<v>\d+(?:\.\d+)+)(?P<pre>(?:\.?(?:a|b|c|rc|alpha|beta|dev|post)\d*)+)?\]?"
    r"(?P<rest>(?:\s*\(.*?\))?.*)$",
    re.I,
)
NOT_FINAL = re.compile(r"\b(unreleased|in development|beta|alpha|release candidate|rc\d)\b", re.I)
KEYWORD = r"(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"
PR_SUBJECT = re.compile(r"^Merge pull request #(\d+) from|\[PR #(\d+)/")
SQUASH_TAIL = re.compile(r"((?:\s*\(#\d+\))+)\s*$")
CHERRY = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,40})\)")
REVERT = re.compile(r"This reverts commit ([0-9a-f]{7,40})")


def _version_key(version: str) -> tuple[int, ...]:
    """`1.0` and `1.0.0` name one version."""
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


class Refs:
    """Issue and pull-request numbers of one repository named in a text."""

    def __init__(self, repo: str) -> None:
        owner_name = re.escape(repo)
        self.repo = repo.lower()
        self.url = re.compile(r"https?://github\.com/([\w.-]+/[\w.-]+)/(issues|pull|pulls|discussions)/(\d+)", re.I)
        self.qualified = re.compile(r"(?<![\w/.-])([\w.-]+/[\w.-]+)#(\d+)\b")
        self.role = re.compile(r"[:{](issue|pr|pull|issues)[:}]`([^`]*)`")
        self.bare = re.compile(r"(?<![\w/&#;-])(?:(PR|pull request|discussion)\s+)?(?:#|\bGH-)(\d+)\b", re.I)
        one = rf"(?:#|GH-|{owner_name}#|https?://github\.com/{owner_name}/issues/)(\d+)\b"
        self.closing = re.compile(rf"(?i)\b{KEYWORD}\b:?\s+{one}")
        self.closing_list = re.compile(rf"(?i)\b{KEYWORD}\b:?\s+{one}(?:(?:\s*,\s*|\s+and\s+|\s+){one})*")
        self.one = re.compile(one, re.I)

    def find(self, text: str) -> tuple[set[int], set[int]]:
        """(issue-like numbers, pull-request numbers) this repository's references name."""
        issues: set[int] = set()
        pulls: set[int] = set()

        def url(match: re.Match[str]) -> str:
            if match.group(1).lower() == self.repo:
                target = pulls if match.group(2).startswith("pull") else issues
                if match.group(2) != "discussions":
                    target.add(int(match.group(3)))
            return " "

        def qualified(match: re.Match[str]) -> str:
            if match.group(1).lower() == self.repo:
                issues.add(int(match.group(2)))
            return " "

        def role(match: re.Match[str]) -> str:
            target = issues if match.group(1).startswith("issue") else pulls
            target.update(int(n) for n in re.findall(r"\d+", match.group(2)))
            return " "

        text = self.url.sub(url, text)
        text = self.qualified.sub(qualified, text)
        text = self.role.sub(role, text)
        for match in self.bare.finditer(text):
            kind = (match.group(1) or "").lower()
            if kind == "discussion":
                continue
            (pulls if kind else issues).add(int(match.group(2)))
        return issues, pulls

    def closed(self, text: str) -> set[int]:
        """Numbers right after a GitHub closing keyword."""
        return {int(n) for n in self.closing.findall(text)}

    def closed_lists(self, text: str) -> set[int]:
        """Numbers a closing keyword names, lists after one keyword included (DESIGN's link rules)."""
        return {int(n) for match in self.closing_list.finditer(text) for n in self.one.findall(match.group(0))}


def git(repo: Path, *args: str) -> str:
    """One git command's output (text, errors replaced)."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace")


def find_mirror(mirrors: Path, repo: str) -> Path | None:
    """The first git directory for `owner/name` under the mirrors folder."""
    owner, name = repo.split("/")
    for candidate in (mirrors / f"{owner}+{name}" / "repo", mirrors / f"{owner}+{name}", mirrors / name,
                      mirrors / f"{name}.git"):
        if candidate.is_dir() and subprocess.run(["git", "-C", str(candidate), "rev-parse", "--git-dir"],
                                                 capture_output=True).returncode == 0:
            return candidate
    return None


def clone(source: Path, target: Path, all_tags: bool) -> dict[str, str]:
    """A private clone (no hard links into the source); returns release tag -> version."""
    subprocess.run(["git", "clone", "-q", "--no-checkout", "--no-tags", "--no-hardlinks", str(source), str(target)],
                   check=True)
    refs = git(source, "for-each-ref", "refs/tags", "--format=%(objectname) %(refname:strip=2)").split("\n")
    releases: dict[str, str] = {}
    updates = []
    for line in filter(None, refs):
        sha, name = line.split(" ", 1)
        match = RELEASE_TAG.fullmatch(name)
        if match:
            releases[name] = match.group(1)
        if match or all_tags:
            updates.append(f"create refs/tags/{name} {sha}\n")
    subprocess.run(["git", "-C", str(target), "update-ref", "--stdin"], input="".join(updates).encode(), check=True)
    return releases


def newest_tag(repo: Path, tags: Iterable[str]) -> str:
    """The release tag with the latest date."""
    wanted = set(tags)
    for name in git(repo, "for-each-ref", "--sort=-creatordate", "--format=%(refname:strip=2)", "refs/tags").split():
        if name in wanted:
            return name
    raise ValueError("no release tag")


def _show(repo: Path, tag: str, path: str) -> str | None:
    shown = subprocess.run(["git", "-C", str(repo), "show", f"{tag}:{path}"], capture_output=True)
    return shown.stdout.decode("utf-8", "replace") if shown.returncode == 0 else None


def changelog_text(repo: Path, project: Project, tag: str) -> str | None:
    """The project's changelog at a tag: the first candidate file with version sections,
    followed by the archive folder's files, newest line first."""
    found = None
    for path in project.changelogs:
        text = _show(repo, tag, path)
        if text is not None and ((sections(text) and project.archive) or len(sections(text)) > 1):
            found = text
            break
    if found is not None and project.archive:
        listed = subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", f"{tag}:{project.archive}"],
                                capture_output=True)
        names = listed.stdout.decode("utf-8", "replace").split() if listed.returncode == 0 else []
        numbered = [n for n in names if re.match(r"\d+(\.\d+)*\.\w+$", n)]
        numbered.sort(key=lambda n: _version_key(n.rsplit(".", 1)[0]), reverse=True)
        found += "".join("\n" + (_show(repo, tag, f"{project.archive}/{n}") or "") for n in numbered)
    return found


def sections(text: str) -> list[tuple[str, str]]:
    """(version, section text) in the file's order; pre-release and unreleased sections dropped."""
    lines = text.splitlines()
    found: list[tuple[str | None, int]] = []
    for index, line in enumerate(lines):
        match = HEADING.match(line.strip())
        if not match or not line.strip():
            continue
        underlined = index + 1 < len(lines) and UNDERLINE.fullmatch(lines[index + 1].strip() or "x") is not None
        if not (match.group("md") or underlined) or line.startswith((" ", "\t", "-", "*")):
            continue
        final = not match.group("pre") and not NOT_FINAL.search(match.group("rest"))
        found.append((match.group("v") if final else None, index))
    result = []
    for number, (version, start) in enumerate(found):
        end = found[number + 1][1] if number + 1 < len(found) else len(lines)
        if version is not None:
            result.append((version, "\n".join(lines[start + 1:end])))
    return result


@dataclass
class Truth:
    """What the changelog says, per version, with the pull-request numbers left out."""

    order: list[str] = field(default_factory=list)  # versions, newest first (file order)
    issues: dict[str, set[int]] = field(default_factory=dict)
    pulls: dict[str, set[int]] = field(default_factory=dict)  # pull numbers listed (for the findings)
    excluded: dict[str, set[int]] = field(default_factory=dict)  # issue-like numbers that are pulls


class History:
    """What every ref's history says: pull numbers, who names and closes which number, parents."""

    def __init__(self, repo: Path, refs: Refs) -> None:
        self.pulls: set[int] = set()
        self.named: dict[int, list[str]] = {}
        self.closers: dict[int, list[str]] = {}
        self.messages: dict[str, str] = {}
        self.parents: dict[str, list[str]] = {}
        self.ancestry: dict[tuple[str, str], bool] = {}
        out = git(repo, "log", "--all", "--format=%H %P%x1f%B%x1e")
        for record in out.split("\x1e"):
            if "\x1f" not in record:
                continue
            shas, message = record.strip("\n").split("\x1f", 1)
            sha, *parents = shas.split()
            self.messages[sha], self.parents[sha] = message, parents
            subject = message.split("\n", 1)[0]
            match = PR_SUBJECT.match(subject)
            if match:
                self.pulls.add(int(match.group(1) or match.group(2)))
            tail = SQUASH_TAIL.search(subject)
            if tail:
                self.pulls.update(int(n) for n in re.findall(r"\d+", tail.group(1)))
            issues, more_pulls = refs.find(message)
            self.pulls.update(more_pulls)
            for number in issues:
                self.named.setdefault(number, []).append(sha)
            for number in refs.closed_lists(message):
                self.closers.setdefault(number, []).append(sha)
        self.dates = {name: int(date) for name, date in (
            line.split() for line in git(repo, "for-each-ref", "--format=%(refname:strip=2) %(creatordate:unix)",
                                         "refs/tags").splitlines())}
        self._by_prefix: dict[str, str] = {}
        self._merge_picks: list[tuple[str, str]] | None = None

    def full(self, short: str) -> str | None:
        """The full sha of an abbreviated one named in a message."""
        if short in self.messages:
            return short
        if not self._by_prefix:
            self._by_prefix = {sha[:7]: sha for sha in self.messages}
        sha = self._by_prefix.get(short[:7])
        return sha if sha and sha.startswith(short) else None

    def near(self, tip: str, most: int = 500) -> set[str]:
        """The first `most` commits of `tip`'s history (a pull request's branch and a little of
        what it started from: a cheap filter before asking git)."""
        seen, todo = {tip}, [tip]
        while todo and len(seen) < most:
            for parent in self.parents.get(todo.pop(0), []):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def merge_picks(self) -> list[tuple[str, str]]:
        """(pick, merge it picks) for every cherry-pick of a merge commit (computed once)."""
        if self._merge_picks is None:
            self._merge_picks = [(sha, full) for sha, message in self.messages.items()
                                 for full in map(self.full, CHERRY.findall(message))
                                 if full and len(self.parents.get(full, [])) > 1]
        return self._merge_picks


def read_truth(repo: Path, project: Project, refs: Refs, releases: dict[str, str],
               pulls: set[int], limit: int) -> Truth:
    """The changelog at the newest release tag, version by version in the file's order."""
    truth = Truth()
    seen: set[tuple[int, ...]] = set()
    for version, body in sections(changelog_text(repo, project, newest_tag(repo, releases)) or ""):
        if _version_key(version) in seen:
            continue  # a repeated heading: the first (newest) one counts
        seen.add(_version_key(version))
        issues, listed_pulls = refs.find(body)
        truth.order.append(version)
        truth.issues[version] = {n for n in issues if n not in pulls and n <= limit}
        truth.excluded[version] = {n for n in issues if n in pulls}
        truth.pulls[version] = listed_pulls | truth.excluded[version]
    return truth


def run_tracker(command: Sequence[str], clone_dir: Path, config: Path, *args: str) -> tuple[int, str, str]:
    """tracker with this clone and config; (exit code, stdout, stderr)."""
    done = subprocess.run([*command, "--repo", str(clone_dir), "--config", str(config), *args],
                          capture_output=True)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


@dataclass
class Score:
    """Micro-averaged counts."""

    tp: int = 0
    found: int = 0
    truth: int = 0

    def add(self, found: set[int], truth: set[int]) -> None:
        self.tp += len(found & truth)
        self.found += len(found)
        self.truth += len(truth)

    def pr(self) -> str:
        precision = f"{self.tp / self.found:.2f}" if self.found else "–"
        recall = f"{self.tp / self.truth:.2f}" if self.truth else "–"
        return f"{precision} / {recall}"


def log(repo: Path, *selection: str) -> list[tuple[str, str]]:
    """(sha, message) of the commits git log selects."""
    out = git(repo, "log", "--format=%H%x1f%B%x1e", *selection)
    pairs = (record.strip("\n").split("\x1f", 1) for record in out.split("\x1e") if "\x1f" in record)
    return [(sha, message) for sha, message in pairs]


def excerpt(message: str, number: int) -> str:
    """The first line of a message that names the number (or its subject)."""
    for line in message.splitlines():
        if re.search(rf"(?<!\d){number}(?!\d)", line):
            return line.strip()[:160]
    return message.split("\n", 1)[0][:160]


class Release:
    """One evaluated release's range, with what the findings need to explain a difference."""

    def __init__(self, repo: Path, tag: str, previous: str, version: str, refs: Refs, history: History,
                 truth: Truth, tag_of: dict[tuple[int, ...], str], fragments: set[int]) -> None:
        self.repo, self.tag, self.previous, self.version = repo, tag, previous, version
        self.refs, self.history, self.truth, self.tag_of, self.fragments = refs, history, truth, tag_of, fragments
        self.messages = log(repo, f"{previous}..{tag}")
        self.shas = {sha for sha, _ in self.messages}
        self._patch_ids: dict[str, str] | None = None

    def ancestor(self, sha: str, of: str) -> bool:
        """Whether sha is reachable from `of` (cached)."""
        key = (sha, of)
        if key not in self.history.ancestry:
            done = subprocess.run(["git", "-C", str(self.repo), "merge-base", "--is-ancestor", sha, of])
            self.history.ancestry[key] = done.returncode == 0
        return self.history.ancestry[key]

    def patch_ids(self) -> dict[str, str]:
        """patch-id -> commit, for the range's non-merge commits (computed once)."""
        if self._patch_ids is None:
            diff = subprocess.run(["git", "-C", str(self.repo), "log", "-p", "--no-merges", "--format=commit %H",
                                   f"{self.previous}..{self.tag}"], capture_output=True, check=True).stdout
            self._patch_ids = patch_ids(diff)
        return self._patch_ids

    def cite(self, sha: str, number: int) -> str:
        return f"{sha[:10]} {excerpt(self.history.messages[sha], number)!r}"

    def miss(self, number: int, report: dict[str, set[int]], shipped_in: dict[int, str]) -> tuple[str, str]:
        """Why tracker did not ship an issue the changelog lists for this version: (class, evidence)."""
        if number in report["already_shipped"]:
            return self.already(number, shipped_in.get(number, ""))
        in_range = [s for s in self.history.named.get(number, []) if s in self.shas]
        closing = [s for s in self.history.closers.get(number, []) if s in self.shas]
        outside = [s for s in self.history.closers.get(number, []) if s not in self.shas]
        if closing:
            if any(REVERT.search(self.history.messages[s]) for s in closing):
                return "revert that also closes: its own closing reference dropped", self.cite(closing[0], number)
            before = [s for s in outside if self.ancestor(s, self.previous)]
            if before:
                listed = [v for v in self.truth.order if number in self.truth.issues[v] and v != self.version
                          and _version_key(v) in self.tag_of]
                note = f"; changelog also lists it under {listed[0]}" if listed else ""
                return ("closed again: a commit in an earlier release closed it first (ships-once rule)",
                        f"{self.cite(closing[0], number)} after {self.cite(before[0], number)}{note}")
            return "closing reference in range, not shipped (other)", self.cite(closing[0], number)
        picked = [(s, o) for s, m in self.messages for o in CHERRY.findall(m)]
        for sha, original in picked:
            full = self.history.full(original)
            if full is None or full in self.shas:
                continue
            parents = self.history.parents.get(full, [])
            if len(parents) > 1:
                brought = [c for c in outside if c != full and self.ancestor(c, parents[1])
                           and not self.ancestor(c, parents[0])]
                if brought:
                    return ("cherry-pick of a merge commit: the closing commit came in with the merge",
                            f"{sha[:10]} picks merge {full[:10]}, which brought {self.cite(brought[0], number)}")
            if full in outside:
                return "cherry-pick of a closing commit outside the range", self.cite(full, number)
        if outside:
            ids = self.patch_ids()
            for original in outside:
                copy = ids.get(patch_id(self.repo, original))
                if copy:
                    return ("patch-identical copy of a closing commit, without a reference or -x",
                            f"{copy[:10]} {self.history.messages[copy].splitlines()[0][:90]!r} = "
                            f"{self.cite(original, number)}")
            subjects = {self.history.messages[o].split("\n", 1)[0].strip() for o in outside}
            for sha, message in self.messages:
                subject = re.sub(r"^\[[^]]*\]\s*", "", message.split("\n", 1)[0]).strip()
                if subject in subjects:
                    return ("backport with the original's subject, no reference, not patch-identical",
                            f"{sha[:10]} {message.splitlines()[0][:90]!r} ~ {self.cite(outside[0], number)}")
        if in_range:
            return "named in range without a closing keyword", self.cite(in_range[0], number)
        if number in self.fragments:
            return "towncrier fragment file name only", f"changelog fragment {number}.* added in range"
        others = [s for s in self.history.named.get(number, []) if s not in self.shas]
        if others:
            before = [s for s in others if self.ancestor(s, self.previous)]
            if before:
                return "named only by a commit already in the previous release", self.cite(before[0], number)
            return "named only by a commit outside the range (another line)", self.cite(others[0], number)
        for sha, message in self.messages:
            subject = message.split("\n", 1)[0]
            if re.search(rf"from \S*\D{number}(?:\D|$)", subject):
                return "branch name only", f"{sha[:10]} {subject[:120]!r}"
        return "named in no commit message (pull-request body, or nowhere)", ""

    def already(self, number: int, where: str) -> tuple[str, str]:
        """How an issue tracker lists under `already_shipped` (shipped in build `where`) compares
        with the changelog: listed under this release too is a disagreement, either "closed
        again" (an earlier build's own commit closed it first: the ships-once rule) or one
        whose earlier closing tracker alone sees (a copy, a pick, or a tracker error)."""
        listed = [v for v in self.truth.order if number in self.truth.issues[v]]
        named = RELEASE_TAG.fullmatch(where)
        there = named is not None and any(_version_key(v) == _version_key(named.group(1)) for v in listed)
        if self.version not in listed:
            if there:
                return "agrees: the changelog lists it under the build tracker names", ""
            if listed:
                return f"the changelog lists it under another release ({listed[0]})", ""
            return "the changelog lists it nowhere", ""
        here = [s for s in self.history.closers.get(number, []) if s in self.shas]
        earlier = [s for s in self.history.closers.get(number, [])
                   if s not in self.shas and where in self.history.dates and self.ancestor(s, where)]
        if not earlier and where in self.history.dates:
            # A bot's pick of a merge in that build closes what the merge brought in.
            closers = set(self.history.closers.get(number, []))
            earlier = [pick for pick, merge in self.history.merge_picks()
                       if pick not in self.shas
                       and any(not self.ancestor(c, self.history.parents[merge][0])
                               for c in closers & self.history.near(self.history.parents[merge][1]))
                       and self.ancestor(pick, where)]
        if not earlier:
            return ("disagrees, other: listed here; no commit of the build tracker names closes it by its text",
                    f"in {where or '(none)'}; here: {self.cite(here[0], number) if here else '(no closing text)'}")
        both = "listed under both" if there else "listed only here"
        evidence = f"{self.cite(here[0], number) if here else '(no closing text here)'} after " \
                   f"{self.cite(earlier[0], number)} in {where}"
        return f"disagrees, closed again: {both} (ships-once rule)", evidence

    def false(self, number: int, found_in: list[str]) -> tuple[str, str]:
        """Why tracker shipped an issue the changelog does not list for this version."""
        shipping = [s for s in found_in if s in self.shas] or found_in
        evidence = self.cite(shipping[0], number) if shipping and shipping[0] in self.history.messages else ""
        elsewhere = [v for v in self.truth.order if number in self.truth.issues[v] and v != self.version]
        for version in elsewhere:
            tag = self.tag_of.get(_version_key(version))
            if tag is None:
                continue
            if self.ancestor(tag, self.tag):
                return f"listed under an earlier release of this line ({version})", evidence
            if self.history.dates.get(tag, 0) < self.history.dates.get(self.tag, 0):
                return (f"backport shipped twice: listed under {version}, a release of another line",
                        evidence)
            return f"listed under a later release ({version})", evidence
        for sha in shipping:
            subject = self.history.messages.get(sha, "").split("\n", 1)[0]
            if {int(n) for n in re.findall(r"#(\d+)", subject)} & self.truth.pulls.get(self.version, set()):
                return "changelog lists the pull request, not the issue", evidence
        return "not in the changelog (tests, CI, docs, or not noted)", evidence


def patch_ids(diff: bytes) -> dict[str, str]:
    """patch-id -> commit for a `git log -p` output."""
    done = subprocess.run(["git", "patch-id", "--stable"], input=diff, capture_output=True, check=True)
    result: dict[str, str] = {}
    for line in done.stdout.decode().splitlines():
        pid, sha = line.split()
        result.setdefault(pid, sha)
    return result


def patch_id(repo: Path, sha: str) -> str:
    """One commit's patch-id ('' for a merge or an empty change)."""
    diff = subprocess.run(["git", "-C", str(repo), "show", "--format=commit %H", sha], capture_output=True).stdout
    return next(iter(patch_ids(diff)), "")


def evaluate(project: Project, source: Path, args: argparse.Namespace, work: Path,
             command: Sequence[str]) -> dict[str, object]:
    """Everything measured for one project."""
    started = time.monotonic()
    clone_dir = work / project.repo.replace("/", "+")
    if clone_dir.exists():
        shutil.rmtree(clone_dir)  # a clone an earlier run left in --work
    releases = clone(source, clone_dir, args.all_tags)
    refs = Refs(project.repo)
    history = History(clone_dir, refs)
    limit = max(history.pulls, default=100_000) + 2_000  # larger numbers are colours or hashes, not issues
    truth = read_truth(clone_dir, project, refs, releases, history.pulls, limit)
    listed_pulls = set().union(*truth.pulls.values()) if truth.pulls else set()
    requests = {n for n in set(history.named).union(*truth.issues.values()) - history.pulls - listed_pulls
                if 0 < n <= limit}
    truth.issues = {v: s - listed_pulls for v, s in truth.issues.items()}

    config = work / f"{clone_dir.name}.yml"
    config.write_text(f"issues: local\nrepository: {project.repo}\nbuilds:\n  tags: \"{project.glob}\"\n")
    imports = work / f"{clone_dir.name}.json"
    imports.write_text(json.dumps([{"id": str(n), "title": f"Issue {n}", "author": "fan", "state": "open"}
                                   for n in sorted(requests)]))
    code, _, err = run_tracker(command, clone_dir, config, "requests", "import", str(imports))
    if code:
        raise RuntimeError(f"import failed: {err.strip()}")

    tag_of = {_version_key(v): t for t, v in releases.items()}
    versions = [v for v in truth.order if _version_key(v) in tag_of]
    candidates = [(v, versions[i + 1]) for i, v in enumerate(versions[:-1]) if truth.issues[v]]
    evaluated = candidates[: args.max_releases]

    scores = {name: Score() for name in ("tracker", "keyword", "ceiling", "already")}
    details = []
    tracker_seconds = 0.0
    reports_already = False
    already_counts: dict[str, int] = {}  # how already_shipped compares with the changelog
    for version, previous_version in evaluated:
        tag, previous = tag_of[_version_key(version)], tag_of[_version_key(previous_version)]
        wanted = truth.issues[version]
        clock = time.monotonic()
        code, out, err = run_tracker(command, clone_dir, config, "changelog", tag, "--previous", previous,
                                     "--format", "json")
        tracker_seconds += time.monotonic() - clock
        report: dict[str, set[int]] = {"shipped": set(), "already_shipped": set(), "fixed": set(),
                                       "withdrawn": set()}
        found_in: dict[int, list[str]] = {}
        shipped_in: dict[int, str] = {}  # already_shipped: id -> the build tracker says shipped it
        if code == 0:
            data = json.loads(out)
            reports_already = reports_already or "already_shipped" in data
            for key in report:
                for item in data.get(key) or []:
                    report[key].add(int(item["id"]))
                    if key == "already_shipped":
                        shipped_in[int(item["id"])] = str(item.get("in") or "")
                    else:
                        found_in.setdefault(int(item["id"]), []).extend(item.get("commits") or [])
        fragments: set[int] = set()
        if project.fragments:
            added = git(clone_dir, "log", "--diff-filter=A", "--name-only", "--format=", f"{previous}..{tag}",
                        "--", *project.fragments)
            fragments = {int(m) for m in re.findall(r"(?:^|/)(\d+)\.[\w.]+$", added, re.M)}
        release = Release(clone_dir, tag, previous, version, refs, history, truth, tag_of, fragments)
        checked = {n: release.already(n, shipped_in.get(n, "")) for n in sorted(report["already_shipped"])}
        for kind, _ in checked.values():
            short = re.split(r"[:(]", kind)[0].strip()  # "agrees", "disagrees, closed again", ...
            already_counts[short] = already_counts.get(short, 0) + 1
        keyword: set[int] = set()
        ceiling: set[int] = set()
        for _, message in release.messages:
            keyword |= refs.closed(message)
            ceiling |= refs.find(message)[0]
        keyword &= requests
        ceiling &= requests
        shipped = report["shipped"] | report["fixed"]
        scores["tracker"].add(shipped, wanted)
        scores["keyword"].add(keyword, wanted)
        scores["ceiling"].add(ceiling, wanted)
        scores["already"].add(report["already_shipped"], wanted)
        details.append({
            "version": version, "tag": tag, "previous": previous, "commits": len(release.messages),
            "previous_is_ancestor": release.ancestor(previous, tag),
            "tracker_exit": code, "tracker_error": err.strip()[:300] if code else "",
            "truth": sorted(wanted), "excluded_pulls": sorted(truth.excluded[version]),
            "shipped": sorted(report["shipped"]), "fixed": sorted(report["fixed"]),
            "already_shipped": sorted(report["already_shipped"]), "withdrawn": sorted(report["withdrawn"]),
            "keyword": sorted(keyword), "ceiling": sorted(ceiling), "fragments": sorted(fragments & requests),
            "already_shipped_in": {str(n): shipped_in.get(n, "") for n in sorted(report["already_shipped"])},
            "already_checked": {str(n): checked[n] for n in checked},
            "misses": {str(n): release.miss(n, report, shipped_in) for n in sorted(wanted - shipped)},
            "false_positives": {str(n): release.false(n, found_in.get(n, [])) for n in sorted(shipped - wanted)},
        })
    return {
        "project": project.repo, "source": str(source), "glob": project.glob, "releases": len(details),
        "releases_available": len(candidates), "newest": details[0]["tag"] if details else None,
        "oldest": details[-1]["tag"] if details else None,
        "requests_imported": len(requests), "pull_numbers": len(history.pulls),
        "excluded_from_truth": sum(len(truth.excluded[v]) for v, _ in evaluated),
        "truth_size": scores["tracker"].truth, "reports_already_shipped": reports_already,
        "already_counts": already_counts,
        "scores": {k: {"tp": s.tp, "found": s.found, "truth": s.truth, "pr": s.pr()} for k, s in scores.items()},
        "tracker_seconds": round(tracker_seconds, 2), "seconds": round(time.monotonic() - started, 2),
        "details": details,
    }


def default_tracker() -> str:
    """The tracker next to this Python (a virtualenv's), else `python -m tracker`."""
    beside = Path(sys.executable).with_name("tracker")
    return shlex.quote(str(beside)) if beside.exists() else f"{shlex.quote(sys.executable)} -m tracker"


def table(results: list[dict[str, object]]) -> str:
    """The Markdown table of the run."""
    lines = [
        "| project | releases | truth | tracker P / R | closing keyword P / R | ceiling P / R "
        "| already_shipped | of those listed here: closed again / other | `in` = changelog's release "
        "| PR numbers dropped from truth |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        scores = result["scores"]
        counts = result["already_counts"]
        assert isinstance(scores, dict) and isinstance(counts, dict)
        already = scores["already"]
        if result["reports_already_shipped"]:
            elsewhere = counts.get("agrees", 0) + counts.get("the changelog lists it under another release", 0)
            cells = (f"{already['found']} | {counts.get('disagrees, closed again', 0)} / "
                     f"{counts.get('disagrees, other', 0)} | {counts.get('agrees', 0)} of {elsewhere}")
        else:
            cells = "not reported | | "
        lines.append(
            f"| {result['project']} | {result['releases']} | {result['truth_size']} | {scores['tracker']['pr']} "
            f"| {scores['keyword']['pr']} | {scores['ceiling']['pr']} | {cells} "
            f"| {result['excluded_from_truth']} |")
    return "\n".join(lines)


def classes(results: list[dict[str, object]]) -> str:
    """Counts of each class of miss and false positive, per project (the findings' starting point)."""
    counted: dict[tuple[str, str], dict[str, int]] = {}
    for result in results:
        details = result["details"]
        assert isinstance(details, list)
        for detail in details:
            for side, key in (("miss", "misses"), ("false positive", "false_positives")):
                for kind, _ in detail[key].values():
                    kind = re.sub(r"\d+(?:\.\d+)+", "V", kind.split(" (")[0])
                    row = counted.setdefault((side, kind), {})
                    row[str(result["project"])] = row.get(str(result["project"]), 0) + 1
    names = [str(r["project"]).split("/")[1] for r in results]
    lines = [f"| | class | total | {' | '.join(names)} |", "| --- | --- | ---: |" + " ---: |" * len(names)]
    for (side, kind), row in sorted(counted.items(), key=lambda item: (item[0][0], -sum(item[1].values()))):
        cells = " | ".join(str(row.get(str(r["project"]), "")) for r in results)
        lines.append(f"| {side} | {kind} | {sum(row.values())} | {cells} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                        help="folder holding the repositories (owner+name/repo, owner+name, name, name.git)")
    parser.add_argument("--repo", action="append", default=[], metavar="OWNER/NAME=PATH",
                        help="a repository's git directory, instead of looking in --mirrors")
    parser.add_argument("--project", action="append", default=[], metavar="OWNER/NAME",
                        help="only these projects (default: all known)")
    parser.add_argument("--tracker", default=default_tracker(), help="the tracker command (default: %(default)s)")
    parser.add_argument("--max-releases", type=int, default=30, help="newest releases per project")
    parser.add_argument("--all-tags", action="store_true", help="keep pre-release, dev and branch-like tags")
    parser.add_argument("--details", type=Path, default=Path(tempfile.gettempdir()) / "tracker-real-histories.json")
    parser.add_argument("--work", type=Path, default=None, help="keep the clones here (default: a temp dir)")
    args = parser.parse_args(argv)
    known = {p.repo: p for p in PROJECTS}
    if any("=" not in item or item.split("=", 1)[0] not in known for item in args.repo):
        parser.error(f"--repo takes OWNER/NAME=PATH with OWNER/NAME one of: {', '.join(known)}")
    if any(name not in known for name in args.project):
        parser.error(f"--project takes one of: {', '.join(known)}")
    given = dict(item.split("=", 1) for item in args.repo)
    chosen = [known[name] for name in args.project] if args.project else PROJECTS
    command = shlex.split(args.tracker)
    sources = []
    for project in chosen:
        source = Path(given[project.repo]) if project.repo in given else find_mirror(args.mirrors, project.repo)
        if source is None or not source.exists():
            where = given.get(project.repo) or args.mirrors
            print(f"skip {project.repo}: no repository at {where}", file=sys.stderr)
            continue
        sources.append((project, source))
    if not sources:
        print("no repository found: nothing evaluated", file=sys.stderr)
        return 0
    started = time.monotonic()
    results = []
    work = Path(tempfile.mkdtemp(prefix="tracker-real-")) if args.work is None else args.work
    work.mkdir(parents=True, exist_ok=True)
    try:
        for project, source in sources:
            print(f"{project.repo}: {source}", file=sys.stderr)
            result = evaluate(project, source, args, work, command)
            print(f"  {result['releases']} releases, tracker {result['tracker_seconds']} s, "
                  f"all {result['seconds']} s", file=sys.stderr)
            results.append(result)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    args.details.write_text(json.dumps(results, indent=1))
    print(table(results))
    print()
    print(classes(results))
    print(f"\n{time.monotonic() - started:.0f} s; details in {args.details}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
