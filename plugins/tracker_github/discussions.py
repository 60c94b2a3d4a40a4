"""A Discussions category as fan requests (`requests.discussions: Ideas`), through GraphQL.

REST v3 does not see Discussions, and PyGithub's Discussion classes lack `upvoteCount`,
`closed` and `url`, so this module reads with its own queries and paging: the category's
discussions 100 a query (with their upvotes, labels and comments, so a duplicate costs
no extra read), the named voters (people who reacted with `requests.votes`; GitHub does
not say who upvoted) 50 discussions a query, and marks with GitHub's own mutations:
`addDiscussionComment`, `deleteDiscussionComment`, `addLabelsToLabelable`,
`removeLabelsFromLabelable`, `closeDiscussion` (reason RESOLVED).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.hooks import BadInput, Comment, Repository, duplicate_target
from tracker_github.graphql import aliases
from tracker_github.pulls import actor

if TYPE_CHECKING:
    from tracker_github.graphql import GraphQL

# REST reaction names (`requests.votes`) → GraphQL's ReactionContent.
REACTIONS = {"+1": "THUMBS_UP", "-1": "THUMBS_DOWN", "laugh": "LAUGH", "confused": "CONFUSED",
             "heart": "HEART", "hooray": "HOORAY", "rocket": "ROCKET", "eyes": "EYES"}
MAINTAINERS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
DUPLICATE = re.compile(r"^\s*Duplicate of\s+(\S+)", re.IGNORECASE | re.MULTILINE)
PAGE_INFO = "pageInfo { hasNextPage endCursor }"
COMMENT = "id databaseId body createdAt authorAssociation author { __typename login }"
DISCUSSION = f"""id number title url createdAt closed stateReason locked upvoteCount
  author {{ __typename login }} labels(first: 100) {{ nodes {{ name }} }}
  comments(first: 100) {{ totalCount {PAGE_INFO} nodes {{ {COMMENT} }} }}"""


@dataclass
class Discussion:
    """One discussion as listed (`node` is GitHub's answer)."""

    node: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.node["id"])

    @property
    def number(self) -> int:
        return int(self.node["number"])


def comment(node: dict[str, Any]) -> Comment:
    """A discussion comment as a mark judges it."""
    author = node.get("author") or {}
    return Comment(id=int(node.get("databaseId") or 0), body=node.get("body"), author=actor(author),
                   bot=author.get("__typename") == "Bot", created=str(node.get("createdAt") or ""),
                   handle=node.get("id"))


class Discussions:
    """The discussions of one category of one repository."""

    def __init__(self, gql: GraphQL, slug: str, category: str, repository: Repository):
        self.gql = gql
        self.owner, self.name = slug.split("/", 1)
        self.category = category
        self.repository = repository
        self.listed: dict[str, Discussion] = {}
        self._labels: dict[str, str | None] = {}  # label name (lower case) → its node id, read once a run

    def _query(self, fields: str, extra: str = "", **variables: Any) -> dict[str, Any]:
        text = f"query($owner: String!, $name: String!{extra})" \
               f" {{ repository(owner: $owner, name: $name) {{ {fields} }} }}"
        data = self.gql.query(text, {"owner": self.owner, "name": self.name, **variables}, missing_ok=True)
        return dict(data.get("repository") or {})

    def _category_id(self) -> str:
        """The category's node id; BadInput (exit 2) naming the categories there are."""
        names: dict[str, str] = {}
        after = None
        while True:
            fields = f"discussionCategories(first: 100, after: $after) {{ {PAGE_INFO} nodes {{ id name }} }}"
            found = self._query(fields, ", $after: String", after=after).get("discussionCategories") or {}
            names.update({n["name"]: n["id"] for n in found.get("nodes") or [] if n})
            page = found.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                break
            after = page.get("endCursor")
        for name, node_id in names.items():
            if name.casefold() == self.category.casefold():
                return node_id
        there = ", ".join(sorted(names)) or "none: are Discussions enabled?"
        raise BadInput(f"requests.discussions: {self.owner}/{self.name} has no Discussions category"
                       f" '{self.category}' (categories: {there})")

    def read(self) -> list[Discussion]:
        """Every discussion of the category, 100 a query."""
        category = self._category_id()
        after = None
        while True:
            found = self._query(f"discussions(first: 100, after: $after, categoryId: $category) {{ {PAGE_INFO}"
                                f" nodes {{ {DISCUSSION} }} }}", ", $after: String, $category: ID",
                                after=after, category=category).get("discussions") or {}
            for node in found.get("nodes") or []:
                if node:
                    self.listed[str(node["number"])] = Discussion(node)
            page = found.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return list(self.listed.values())
            after = page.get("endCursor")

    def duplicate_of(self, found: Discussion) -> str | None:
        """The request a maintainer's "Duplicate of #N" names (the latest wins); a fan's moves nothing."""
        said = (c.get("body") or "" for c in (found.node.get("comments") or {}).get("nodes") or []
                if c and c.get("authorAssociation") in MAINTAINERS)
        return duplicate_target(said, str(found.number), self.repository, DUPLICATE)

    def voters(self, ids: Sequence[str], reactions: Sequence[str]) -> dict[str, list[str]]:
        """Logins that reacted with a counted reaction (users only: GraphQL's Reaction.user is no bot)."""
        wanted = {REACTIONS.get(r, r.upper()) for r in reactions}
        out: dict[str, list[str]] = {}
        numbers = [int(i) for i in ids if i in self.listed]
        for some in aliases(numbers, 50):
            fields = " ".join(f"d{n}: discussion(number: {n}) {{ reactions(first: 100) {{ {PAGE_INFO}"
                              f" nodes {{ content user {{ login }} }} }} }}" for n in some)
            answer = self._query(fields)
            for n in some:
                found = (answer.get(f"d{n}") or {}).get("reactions") or {}
                nodes = list(found.get("nodes") or [])
                page = found.get("pageInfo") or {}
                while page.get("hasNextPage"):
                    more = (self._query(f"discussion(number: {n}) {{ reactions(first: 100, after: $after) {{"
                                        f" {PAGE_INFO} nodes {{ content user {{ login }} }} }} }}",
                                        ", $after: String", after=page.get("endCursor"))
                            .get("discussion") or {}).get("reactions") or {}
                    nodes += more.get("nodes") or []
                    page = more.get("pageInfo") or {}
                logins = {str(r["user"]["login"]): None for r in nodes
                          if r and r.get("content") in wanted and (r.get("user") or {}).get("login")}
                out[str(n)] = list(logins)
        return out

    # -- marks ---------------------------------------------------------------------------

    def fresh(self, number: int) -> dict[str, Any]:
        """One discussion read again (its state, labels and comments as they are now)."""
        found = self._query(f"discussion(number: {number}) {{ {DISCUSSION} }}").get("discussion")
        return dict(found or {})

    def comments(self, number: int) -> list[Comment]:
        """Every comment, oldest first (paged)."""
        out: list[Comment] = []
        after = None
        while True:
            found = (self._query(f"discussion(number: {number}) {{ comments(first: 100, after: $after) {{"
                                 f" {PAGE_INFO} nodes {{ {COMMENT} }} }} }}", ", $after: String", after=after)
                     .get("discussion") or {}).get("comments") or {}
            out += [comment(c) for c in found.get("nodes") or [] if c]
            page = found.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return out
            after = page.get("endCursor")

    def post(self, discussion_id: str, body: str) -> Comment:
        payload = self.gql.mutate("addDiscussionComment", {"discussionId": discussion_id, "body": body},
                                  f"comment {{ {COMMENT} }}")
        return comment(payload.get("comment") or {})

    def delete(self, comment_id: str) -> None:
        self.gql.mutate("deleteDiscussionComment", {"id": comment_id}, "clientMutationId")

    def label_id(self, name: str) -> str | None:
        """The label's node id (one read per label a run); None when the repository has no such label."""
        if self._labels.get(name.lower()) is None:
            found = self._query("label(name: $label) { id }", ", $label: String!", label=name).get("label")
            self._labels[name.lower()] = str(found["id"]) if found else None
        return self._labels[name.lower()]

    def relabel(self, discussion_id: str, label_id: str, add: bool) -> None:
        name = "addLabelsToLabelable" if add else "removeLabelsFromLabelable"
        self.gql.mutate(name, {"labelableId": discussion_id, "labelIds": [label_id]}, "clientMutationId")

    def close(self, discussion_id: str) -> None:
        self.gql.mutate("closeDiscussion", {"discussionId": discussion_id, "reason": "RESOLVED"},
                        "discussion { closed }")
