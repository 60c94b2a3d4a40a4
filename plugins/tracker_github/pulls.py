"""The pull requests behind a build's merge and squash commits, in batched GraphQL queries.

A commit's subject only *claims* a pull request (`Merge pull request #40`,
`Title (#41)`); the claim counts when GitHub agrees: the pull was merged and
the claiming commit is its merge commit, or GitHub lists the pull as
associated with that commit. A pull merged into a branch that is not in the
build therefore ships nothing, and a number that is an issue is skipped.

One query asks about up to 100 pulls (aliases) and the commits that claim them:
each pull's title, body, author (bots told by `__typename`), labels, merge commit
and `closingIssuesReferences` (GitHub's own record of what it closes, body keywords
and sidebar links alike; the first 100, paged beyond); each commit's associated
pulls and its author's account. So confirming a week's pulls costs one read per
100 pulls, not one per pull, and the builders' logins come with it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tracker.hooks import PullRequest, Repository, claims_by_number, pull_request, references
from tracker_github.graphql import PAGE, aliases

if TYPE_CHECKING:
    from tracker_github.graphql import GraphQL

SHA = re.compile(r"[0-9a-f]{4,40}")
CLOSING = "closingIssuesReferences(first: 100, after: $after) {" \
          " pageInfo { hasNextPage endCursor } nodes { number repository { nameWithOwner } } }"
PULL = """number title body url merged baseRefName mergeCommit { oid }
  author { __typename login } labels(first: 100) { nodes { name } }
  closingIssuesReferences(first: 100) {
    pageInfo { hasNextPage endCursor } nodes { number repository { nameWithOwner } } }"""
AUTHOR = "... on Commit { author { user { login } } }"
COMMIT = "... on Commit { oid author { user { login } } associatedPullRequests(first: 10) { nodes { number } } }"


def actor(node: Mapping[str, Any] | None) -> str | None:
    """A GraphQL actor's login; a bot's as REST names it (`name[bot]`), so `credits.exclude` leaves it out."""
    if not node or not node.get("login"):
        return None
    login = str(node["login"])
    return f"{login}[bot]" if node.get("__typename") == "Bot" and not login.endswith("[bot]") else login


def closing_ids(nodes: Iterable[Mapping[str, Any]], repository: Repository) -> list[str]:
    """Request ids among GitHub's closing references: this repository's (or the hub's) issues,
    judged by the reference grammar as a written `Fixes owner/name#N` would be."""
    text = "\n".join(f"Fixes {node['repository']['nameWithOwner']}#{node['number']}"
                     for node in nodes if node and node.get("repository"))
    return references(text, repository)[0] if text else []


class Pulls:
    """Batched look-ups of pulls and commits; commit authors' logins are kept for `logins`."""

    def __init__(self, gql: GraphQL, slug: str, repository: Repository):
        self.gql = gql
        self.owner, self.name = slug.split("/", 1)
        self.repository = repository
        self.authors: dict[str, str | None] = {}  # sha → its author's account (None: GitHub knows none)

    def _repo_query(self, fields: str, variables: str = "") -> str:
        head = f"query($owner: String!, $name: String!{variables})"
        return f"{head} {{ repository(owner: $owner, name: $name) {{ {fields} }} }}"

    def _ask(self, fields: str) -> dict[str, Any]:
        data = self.gql.query(self._repo_query(fields), {"owner": self.owner, "name": self.name}, missing_ok=True)
        return dict(data.get("repository") or {})

    def fetch(self, claims: Mapping[str, str]) -> dict[str, PullRequest]:
        """Pull number → PullRequest for every claim GitHub knows as a pull request (see the module)."""
        by_number = claims_by_number(claims)
        shas = sorted({sha for found in by_number.values() for sha in found if SHA.fullmatch(sha)})
        pulls: dict[int, dict[str, Any]] = {}
        commits: dict[str, dict[str, Any]] = {}
        numbers = sorted(by_number)
        batches = max(len(aliases(numbers)), len(aliases(shas, PAGE)))
        for index in range(batches):
            some = numbers[index * PAGE:(index + 1) * PAGE]
            some_shas = shas[index * PAGE:(index + 1) * PAGE]
            fields = " ".join([*(f"p{n}: pullRequest(number: {n}) {{ {PULL} }}" for n in some),
                               *(f'c{sha}: object(oid: "{sha}") {{ {COMMIT} }}' for sha in some_shas)])
            answer = self._ask(fields)
            pulls.update({n: answer[f"p{n}"] for n in some if answer.get(f"p{n}")})
            for sha in some_shas:
                node = answer.get(f"c{sha}")
                if node:
                    commits[sha] = node
                user = ((node or {}).get("author") or {}).get("user")
                self.authors[sha] = actor(user)
        out: dict[str, PullRequest] = {}
        for number in sorted(pulls):
            node = pulls[number]
            merged = bool(node.get("merged")) and any(
                _associated(node, commits.get(sha), sha) for sha in by_number[number])
            base = pull_request(number, node.get("title"), node.get("body"), actor(node.get("author")), merged,
                                node.get("baseRefName"), node.get("url"),
                                (label["name"] for label in (node.get("labels") or {}).get("nodes") or [] if label),
                                self.repository)
            closing = closing_ids(self._closing(number, node.get("closingIssuesReferences") or {}), self.repository)
            out[str(number)] = dataclasses.replace(base, closes=tuple(dict.fromkeys([*base.closes, *closing])))
        return out

    def _closing(self, number: int, first: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every closing reference of one pull: the batch's first page, then the rest page by page."""
        nodes = list(first.get("nodes") or [])
        page = first.get("pageInfo") or {}
        while page.get("hasNextPage"):
            data = self.gql.query(self._repo_query(f"pullRequest(number: {number}) {{ {CLOSING} }}",
                                                   ", $after: String"),
                                  {"owner": self.owner, "name": self.name, "after": page.get("endCursor")})
            more = ((data.get("repository") or {}).get("pullRequest") or {}).get("closingIssuesReferences") or {}
            nodes += more.get("nodes") or []
            page = more.get("pageInfo") or {}
        return nodes

    def logins(self, shas: Iterable[str]) -> dict[str, str]:
        """sha → the login of its author's account, for those GitHub links to one; commits already
        seen by `fetch` cost nothing, the rest one query per 100."""
        wanted = sorted({sha.lower() for sha in shas if SHA.fullmatch(sha.lower())} - set(self.authors))
        for some in aliases(wanted):
            answer = self._ask(" ".join(f'c{sha}: object(oid: "{sha}") {{ {AUTHOR} }}' for sha in some))
            for sha in some:
                self.authors[sha] = actor(((answer.get(f"c{sha}") or {}).get("author") or {}).get("user"))
        return {sha: login for sha in (s.lower() for s in shas) for login in [self.authors.get(sha)] if login}


def _associated(pull: Mapping[str, Any], commit: Mapping[str, Any] | None, sha: str) -> bool:
    """Does GitHub agree that commit `sha` brought `pull` in (its merge commit, or associated)?"""
    if ((pull.get("mergeCommit") or {}).get("oid") or "").lower() == sha:
        return True
    # Rebase merges and rewritten histories: GitHub's list of pulls that contain the commit.
    nodes = ((commit or {}).get("associatedPullRequests") or {}).get("nodes") or []
    return any(node and node.get("number") == pull.get("number") for node in nodes)
