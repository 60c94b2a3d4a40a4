"""GitHub's GraphQL API (`POST /graphql`) for the tests' local GitHub server.

Queries are executed by graphql-core against a small SDL schema holding only the
types tracker reads and writes (Discussion, DiscussionCategory, DiscussionComment,
PullRequest.closingIssuesReferences, Commit.author/associatedPullRequests, reactions
and upvotes, and the mutations used), with GitHub's names, nullability and limits:
a misspelt field or a wrong argument fails here as it would at GitHub, and a page
of more than 100 nodes is refused. State lives in `FakeGitHub` (tests/github_server.py);
this module only shapes it.

Fault knobs on `FakeGitHub` (besides the REST ones, which apply to `/graphql` too):

* ``graphql_page``: the most nodes any connection answers per page (GitHub: 100),
  so a client that does not follow `pageInfo` misses the rest.
* ``graphql_errors``: a list of messages; each GraphQL request takes the first
  one and is answered 200 with that message in `errors` (and no data).
* ``discussions_writable`` (default True): False answers every discussion mutation
  as GitHub answers a token without `discussions: write` (`FORBIDDEN`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, build_schema, graphql_sync, parse
from graphql.language import OperationDefinitionNode

if TYPE_CHECKING:  # pragma: no cover - typing only
    from github_server import FakeGitHub, _Issue

MAX_FIRST = 100
# REST reaction content → GraphQL ReactionContent.
REACTIONS = {"+1": "THUMBS_UP", "-1": "THUMBS_DOWN", "laugh": "LAUGH", "confused": "CONFUSED",
             "heart": "HEART", "hooray": "HOORAY", "rocket": "ROCKET", "eyes": "EYES"}

SDL = """
scalar DateTime
scalar URI
scalar GitObjectID

interface Node { id: ID! }
interface Actor { login: String! url: URI! }
type User implements Node & Actor { id: ID! login: String! url: URI! }
type Bot implements Node & Actor { id: ID! login: String! url: URI! }
type Organization implements Node & Actor { id: ID! login: String! url: URI! }

type PageInfo { hasNextPage: Boolean! endCursor: String hasPreviousPage: Boolean! startCursor: String }

enum ReactionContent { THUMBS_UP THUMBS_DOWN LAUGH HOORAY CONFUSED HEART ROCKET EYES }
enum CommentAuthorAssociation {
  MEMBER OWNER MANNEQUIN COLLABORATOR CONTRIBUTOR FIRST_TIME_CONTRIBUTOR FIRST_TIMER NONE
}
enum DiscussionStateReason { DUPLICATE OUTDATED REOPENED RESOLVED }
enum DiscussionCloseReason { DUPLICATE OUTDATED RESOLVED }

type Reaction implements Node { id: ID! content: ReactionContent! user: User createdAt: DateTime! }
type ReactionConnection { totalCount: Int! nodes: [Reaction] pageInfo: PageInfo! }

type Label implements Node { id: ID! name: String! }
type LabelConnection { totalCount: Int! nodes: [Label] pageInfo: PageInfo! }

type Repository implements Node {
  id: ID!
  nameWithOwner: String!
  url: URI!
  pullRequest(number: Int!): PullRequest
  discussion(number: Int!): Discussion
  discussions(first: Int, after: String, categoryId: ID): DiscussionConnection!
  discussionCategories(first: Int, after: String): DiscussionCategoryConnection!
  label(name: String!): Label
  object(oid: GitObjectID, expression: String): GitObject
}

type Issue implements Node { id: ID! number: Int! repository: Repository! url: URI! }
type IssueConnection { totalCount: Int! nodes: [Issue] pageInfo: PageInfo! }

type PullRequest implements Node {
  id: ID!
  number: Int!
  title: String!
  body: String!
  url: URI!
  merged: Boolean!
  mergedAt: DateTime
  mergeCommit: Commit
  baseRefName: String!
  author: Actor
  labels(first: Int, after: String): LabelConnection
  closingIssuesReferences(first: Int, after: String): IssueConnection
}
type PullRequestConnection { totalCount: Int! nodes: [PullRequest] pageInfo: PageInfo! }

interface GitObject { id: ID! oid: GitObjectID! }
type GitActor { name: String email: String user: User }
type Commit implements Node & GitObject {
  id: ID!
  oid: GitObjectID!
  author: GitActor
  associatedPullRequests(first: Int, after: String): PullRequestConnection
}

type DiscussionCategory implements Node { id: ID! name: String! slug: String! }
type DiscussionCategoryConnection { totalCount: Int! nodes: [DiscussionCategory] pageInfo: PageInfo! }

type DiscussionComment implements Node {
  id: ID!
  databaseId: Int
  body: String!
  author: Actor
  authorAssociation: CommentAuthorAssociation!
  createdAt: DateTime!
  url: URI!
}
type DiscussionCommentConnection { totalCount: Int! nodes: [DiscussionComment] pageInfo: PageInfo! }

type Discussion implements Node {
  id: ID!
  number: Int!
  title: String!
  body: String!
  url: URI!
  author: Actor
  createdAt: DateTime!
  closed: Boolean!
  stateReason: DiscussionStateReason
  locked: Boolean!
  upvoteCount: Int!
  category: DiscussionCategory!
  labels(first: Int, after: String): LabelConnection
  reactions(first: Int, after: String, content: ReactionContent): ReactionConnection!
  comments(first: Int, after: String): DiscussionCommentConnection!
}
type DiscussionConnection { totalCount: Int! nodes: [Discussion] pageInfo: PageInfo! }

type Query {
  repository(owner: String!, name: String!): Repository
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
}

input AddDiscussionCommentInput { discussionId: ID! body: String! clientMutationId: String }
type AddDiscussionCommentPayload { comment: DiscussionComment clientMutationId: String }
input DeleteDiscussionCommentInput { id: ID! clientMutationId: String }
type DeleteDiscussionCommentPayload { comment: DiscussionComment clientMutationId: String }
input CloseDiscussionInput { discussionId: ID! reason: DiscussionCloseReason clientMutationId: String }
type CloseDiscussionPayload { discussion: Discussion clientMutationId: String }
input AddLabelsToLabelableInput { labelableId: ID! labelIds: [ID!]! clientMutationId: String }
type AddLabelsToLabelablePayload { clientMutationId: String }
input RemoveLabelsFromLabelableInput { labelableId: ID! labelIds: [ID!]! clientMutationId: String }
type RemoveLabelsFromLabelablePayload { clientMutationId: String }

type Mutation {
  addDiscussionComment(input: AddDiscussionCommentInput!): AddDiscussionCommentPayload
  deleteDiscussionComment(input: DeleteDiscussionCommentInput!): DeleteDiscussionCommentPayload
  closeDiscussion(input: CloseDiscussionInput!): CloseDiscussionPayload
  addLabelsToLabelable(input: AddLabelsToLabelableInput!): AddLabelsToLabelablePayload
  removeLabelsFromLabelable(input: RemoveLabelsFromLabelableInput!): RemoveLabelsFromLabelablePayload
}
"""

SCHEMA = build_schema(SDL)


@dataclass
class Category:
    id: str
    name: str


@dataclass
class DiscussionComment:
    id: int
    user: str | None
    body: str
    created_at: datetime


@dataclass
class Discussion:
    number: int
    id: int
    title: str
    body: str
    user: str | None
    category: str  # its name
    created_at: datetime
    closed: bool = False
    state_reason: str | None = None
    locked: bool = False
    upvotes: int = 0
    labels: list[str] = field(default_factory=list)
    reactions: list[tuple[str | None, str]] = field(default_factory=list)  # (login, REST content)
    comments: list[DiscussionComment] = field(default_factory=list)


def operation(body: Any) -> tuple[str, str] | None:
    """('query' or 'mutation', its first field) for a GraphQL request body (None when it does not parse)."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    try:
        document = parse(body["query"])
    except GraphQLError:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            first = definition.selection_set.selections[0] if definition.selection_set.selections else None
            return definition.operation.value, getattr(getattr(first, "name", None), "value", "")
    return None


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        return int(base64.b64decode(after).decode().split(":", 1)[1]) + 1
    except (ValueError, IndexError) as exc:
        raise GraphQLError(f"`{after}` does not appear to be a valid cursor.") from exc


class Shapes:
    """GraphQL values (dicts, callables for fields with arguments) over one FakeGitHub."""

    def __init__(self, fake: FakeGitHub):
        self.fake = fake

    # -- helpers ---------------------------------------------------------------------

    def connection(self, items: Sequence[Any], shape: Callable[[Any], Any], first: int | None,
                   after: str | None, what: str) -> dict[str, Any]:
        if first is None:
            raise GraphQLError(f"You must provide a `first` or `last` value to properly paginate the `{what}`"
                               " connection.")
        if first > MAX_FIRST or first < 0:
            raise GraphQLError(f"Requesting {first} records on the `{what}` connection exceeds the `first`"
                               f" limit of {MAX_FIRST} records.")
        start = _offset(after)
        size = min(first, self.fake.graphql_page)
        chunk = items[start:start + size]
        end = start + len(chunk)
        return {"totalCount": len(items), "nodes": [shape(item) for item in chunk],
                "pageInfo": {"hasNextPage": end < len(items), "endCursor": _cursor(end - 1) if chunk else None,
                             "hasPreviousPage": start > 0, "startCursor": _cursor(start) if chunk else None}}

    def actor(self, login: str | None) -> dict[str, Any] | None:
        if login is None or login not in self.fake._users:
            return None
        user = self.fake._users[login]
        kind = {"Bot": "Bot", "Organization": "Organization"}.get(user.type, "User")
        # GraphQL names a GitHub App's bot without REST's `[bot]` suffix.
        shown = login.removesuffix("[bot]") if kind == "Bot" else login
        return {"__typename": kind, "id": f"U_{user.id}", "login": shown, "url": f"{self.fake.root_url}/{shown}"}

    def user(self, login: str | None) -> dict[str, Any] | None:
        found = self.actor(login)
        return found if found is not None and found["__typename"] == "User" else None

    def label(self, name: str) -> dict[str, Any]:
        label = self.fake._labels[name.lower()]
        return {"__typename": "Label", "id": f"LA_{label.id}", "name": label.name}

    def labels(self, names: Sequence[str]) -> Callable[..., Any]:
        return lambda info, first=None, after=None: self.connection(list(names), self.label, first, after, "labels")

    # -- repository --------------------------------------------------------------------

    def repository(self) -> dict[str, Any]:
        fake = self.fake
        return {
            "__typename": "Repository", "id": f"R_{fake._repo_id}", "nameWithOwner": f"{fake.owner}/{fake.name}",
            "url": fake._repo_web,
            "pullRequest": lambda info, number: self._pull_by_number(number),
            "discussion": lambda info, number: self._discussion_by_number(number),
            "discussions": self._discussions,
            "discussionCategories": lambda info, first=None, after=None: self.connection(
                list(fake.categories.values()), self.category, first, after, "discussionCategories"),
            "label": lambda info, name: self.label(name) if name.lower() in fake._labels else None,
            "object": self._object,
        }

    def _discussions(self, info: Any, first: int | None = None, after: str | None = None,
                     categoryId: str | None = None) -> dict[str, Any]:
        fake = self.fake
        items = sorted(fake.discussions.values(), key=lambda d: d.number, reverse=True)
        if categoryId is not None:
            names = [c.name for c in fake.categories.values() if c.id == categoryId]
            if not names:
                raise GraphQLError(f"Could not resolve to a node with the global id of '{categoryId}'")
            items = [d for d in items if d.category == names[0]]
        return self.connection(items, self.discussion, first, after, "discussions")

    def category(self, category: Category) -> dict[str, Any]:
        return {"__typename": "DiscussionCategory", "id": category.id, "name": category.name,
                "slug": category.name.lower().replace(" ", "-")}

    def _pull_by_number(self, number: int) -> dict[str, Any] | None:
        issue = self.fake._issues.get(number)
        if issue is None or issue.pull is None:  # an issue's number, or none at all
            raise GraphQLError(f"Could not resolve to a PullRequest with the number of {number}.",
                               extensions={"type": "NOT_FOUND"})
        return self.pull(issue)

    def _discussion_by_number(self, number: int) -> dict[str, Any] | None:
        found = self.fake.discussions.get(number)
        if found is None:
            raise GraphQLError(f"Could not resolve to a Discussion with the number of {number}.",
                               extensions={"type": "NOT_FOUND"})
        return self.discussion(found)

    def _object(self, info: Any, oid: str | None = None, expression: str | None = None) -> dict[str, Any] | None:
        commit = self.fake._commits.get((oid or expression or "").lower())
        return None if commit is None else self.commit(commit.sha)

    # -- pull requests and commits ---------------------------------------------------------

    def pull(self, issue: _Issue) -> dict[str, Any]:
        fake = self.fake
        info = issue.pull
        assert info is not None
        closing = [fake._issues[n] for n in fake.closing.get(issue.number, []) if n in fake._issues]
        return {
            "__typename": "PullRequest", "id": f"PR_{info.id}", "number": issue.number, "title": issue.title,
            "body": issue.body or "", "url": f"{fake._repo_web}/pull/{issue.number}", "merged": info.merged,
            "mergedAt": fake_iso(info.merged_at),
            "mergeCommit": self.commit(info.merge_commit_sha) if info.merge_commit_sha else None,
            "baseRefName": info.base, "author": self.actor(issue.user),
            "labels": self.labels(issue.labels),
            "closingIssuesReferences": lambda i, first=None, after=None: self.connection(
                closing, self.issue, first, after, "closingIssuesReferences"),
        }

    def issue(self, issue: _Issue) -> dict[str, Any]:
        return {"__typename": "Issue", "id": f"I_{issue.id}", "number": issue.number,
                "repository": self.repository(), "url": f"{self.fake._repo_web}/issues/{issue.number}"}

    def commit(self, sha: str) -> dict[str, Any]:
        fake = self.fake
        commit = fake._commits.get(sha)
        author = commit.author if commit is not None else None
        pulls = [fake._issues[n] for n in (commit.pulls if commit is not None else [])]
        return {
            "__typename": "Commit", "id": f"C_{sha}", "oid": sha,
            "author": {"name": author, "email": None, "user": self.user(author)},
            "associatedPullRequests": lambda info, first=None, after=None: self.connection(
                pulls, self.pull, first, after, "associatedPullRequests"),
        }

    # -- discussions -------------------------------------------------------------------------

    def discussion(self, found: Discussion) -> dict[str, Any]:
        fake = self.fake
        category = fake.categories[found.category]

        def reactions(info: Any, first: int | None = None, after: str | None = None,
                      content: str | None = None) -> dict[str, Any]:
            chosen = [r for r in found.reactions if content is None or REACTIONS[r[1]] == content]
            return self.connection(chosen, lambda r: {"__typename": "Reaction", "id": f"RE_{id(r)}",
                                                      "content": REACTIONS[r[1]], "user": self.user(r[0]),
                                                      "createdAt": fake_iso(found.created_at)},
                                   first, after, "reactions")

        return {
            "__typename": "Discussion", "id": f"D_{found.id}", "number": found.number, "title": found.title,
            "body": found.body, "url": f"{fake._repo_web}/discussions/{found.number}",
            "author": self.actor(found.user), "createdAt": fake_iso(found.created_at), "closed": found.closed,
            "stateReason": found.state_reason, "locked": found.locked, "upvoteCount": found.upvotes,
            "category": self.category(category), "labels": self.labels(found.labels), "reactions": reactions,
            "comments": lambda info, first=None, after=None: self.connection(
                found.comments, lambda c: self.comment(found, c), first, after, "comments"),
        }

    def comment(self, found: Discussion, comment: DiscussionComment) -> dict[str, Any]:
        fake = self.fake
        return {"__typename": "DiscussionComment", "id": f"DC_{comment.id}", "databaseId": comment.id,
                "body": comment.body, "author": self.actor(comment.user),
                "authorAssociation": fake._association(comment.user), "createdAt": fake_iso(comment.created_at),
                "url": f"{fake._repo_web}/discussions/{found.number}#discussioncomment-{comment.id}"}

    # -- nodes and mutations ------------------------------------------------------------------

    def by_id(self, node_id: str) -> tuple[str, Any] | None:
        fake = self.fake
        prefix, _, number = node_id.partition("_")
        if prefix == "D":
            return next((("D", d) for d in fake.discussions.values() if str(d.id) == number), None)
        if prefix == "DC":
            return next((("DC", (d, c)) for d in fake.discussions.values() for c in d.comments
                         if str(c.id) == number), None)
        if prefix == "LA":
            return next((("LA", label) for label in fake._labels.values() if str(label.id) == number), None)
        return None

    def node(self, node_id: str) -> Any:
        found = self.by_id(node_id)
        if found is None:
            return None
        if found[0] == "D":
            return self.discussion(found[1])
        if found[0] == "DC":
            return self.comment(*found[1])
        return self.label(found[1].name)

    def mutations(self) -> dict[str, Any]:
        return {
            "addDiscussionComment": lambda info, input: self._add_comment(input),
            "deleteDiscussionComment": lambda info, input: self._delete_comment(input),
            "closeDiscussion": lambda info, input: self._close(input),
            "addLabelsToLabelable": lambda info, input: self._labels(input, add=True),
            "removeLabelsFromLabelable": lambda info, input: self._labels(input, add=False),
        }

    def _writable(self, node_id: str, kind: str) -> Any:
        if not self.fake.discussions_writable:
            raise GraphQLError("Resource not accessible by integration", extensions={"type": "FORBIDDEN"})
        found = self.by_id(node_id)
        if found is None or found[0] != kind:
            raise GraphQLError(f"Could not resolve to a node with the global id of '{node_id}'",
                               extensions={"type": "NOT_FOUND"})
        return found[1]

    def _add_comment(self, data: dict[str, Any]) -> dict[str, Any]:
        found: Discussion = self._writable(data["discussionId"], "D")
        if found.locked:
            raise GraphQLError("Unable to create comment because discussion is locked.",
                               extensions={"type": "FORBIDDEN"})
        fake = self.fake
        comment = DiscussionComment(next(fake._ids), fake.viewer, data["body"], fake._tick())
        found.comments.append(comment)
        return {"comment": self.comment(found, comment), "clientMutationId": data.get("clientMutationId")}

    def _delete_comment(self, data: dict[str, Any]) -> dict[str, Any]:
        found, comment = self._writable(data["id"], "DC")
        shape = self.comment(found, comment)
        found.comments.remove(comment)
        return {"comment": shape, "clientMutationId": data.get("clientMutationId")}

    def _close(self, data: dict[str, Any]) -> dict[str, Any]:
        found: Discussion = self._writable(data["discussionId"], "D")
        found.closed = True
        found.state_reason = data.get("reason") or "RESOLVED"
        return {"discussion": self.discussion(found), "clientMutationId": data.get("clientMutationId")}

    def _labels(self, data: dict[str, Any], add: bool) -> dict[str, Any]:
        found: Discussion = self._writable(data["labelableId"], "D")
        for label_id in data["labelIds"]:
            kind, label = self.by_id(label_id) or (None, None)
            if kind != "LA":
                raise GraphQLError(f"Could not resolve to a node with the global id of '{label_id}'",
                                   extensions={"type": "NOT_FOUND"})
            present = [n for n in found.labels if n.lower() == label.name.lower()]
            if add and not present:
                found.labels.append(label.name)
            if not add:
                for name in present:
                    found.labels.remove(name)
        return {"clientMutationId": data.get("clientMutationId")}


def fake_iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def execute(fake: FakeGitHub, body: Any) -> dict[str, Any]:
    """The JSON GitHub answers a GraphQL request with (always HTTP 200)."""
    if fake.graphql_errors:
        return {"errors": [{"message": fake.graphql_errors.pop(0)}]}
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
    shapes = Shapes(fake)
    root = {
        "repository": lambda info, owner, name: shapes.repository()
        if (owner.lower(), name.lower()) == (fake.owner.lower(), fake.name.lower()) else _missing_repo(owner, name),
        "node": lambda info, id: shapes.node(id),
        "nodes": lambda info, ids: [shapes.node(i) for i in ids],
        **shapes.mutations(),
    }
    result = graphql_sync(SCHEMA, body["query"], root_value=root, variable_values=body.get("variables") or {})
    out: dict[str, Any] = {}
    if result.errors:
        out["errors"] = [_error(e) for e in result.errors]
    if result.data is not None:
        out["data"] = result.data
    return out


def _missing_repo(owner: str, name: str) -> None:
    raise GraphQLError(f"Could not resolve to a Repository with the name '{owner}/{name}'.",
                       extensions={"type": "NOT_FOUND"})


def _error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    kind = (error.extensions or {}).get("type")
    if kind:
        out["type"] = kind
    return out
