"""The `github` issue system: requests are labelled issues, votes are reactions.

Reads are kept to what the report needs (see the README's GitHub section for
the budget): one listing per request and report label, comments only of issues closed as
duplicates, reactions only of shipped requests that have any, pull requests
only for claimed numbers. Every field is read from what a listing already
returned, because touching a missing attribute makes PyGithub fetch the object.

Writes (marks, labels, release notes) follow `tracker.hooks.CodeHost`; this
plugin's modules supply GitHub's primitives (marks, labels, release).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import requests as http
from github import GithubException

from tracker.hooks import GONE, CodeHost, Context, PullRequest, Request, duplicate_target, kind_of
from tracker_github import client
from tracker_github.discussions import Discussions
from tracker_github.graphql import GraphQL
from tracker_github.labels import GithubLabels
from tracker_github.marks import GithubMarks
from tracker_github.pulls import Pulls, actor
from tracker_github.release import GithubReleases
from tracker_github.settings import Settings, load_settings

if TYPE_CHECKING:
    import github
    from github.Issue import Issue
    from github.Repository import Repository as GhRepository

T = TypeVar("T")
DELETED_LOGIN = "ghost"  # how GitHub shows a deleted account
# Who may say "Duplicate of #N" on GitHub (its `author_association`): people with write or
# triage access, the ones GitHub itself lets mark an issue a duplicate. Anyone else's
# comment would move another fan's credit and votes.
MAINTAINERS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
# What GitHub writes (and reads) when an issue is marked a duplicate: a comment line.
DUPLICATE = re.compile(r"^\s*Duplicate of\s+(\S+)", re.IGNORECASE | re.MULTILINE)


def login_of(user: github.NamedUser.NamedUser | None) -> str | None:
    """A user's login, or None for a deleted account."""
    if user is None or user.login == DELETED_LOGIN:
        return None
    return str(user.login)


def is_bot(user: github.NamedUser.NamedUser) -> bool:
    """GitHub Apps and bot accounts never vote."""
    return user.type == "Bot" or user.login.endswith("[bot]")


def is_pull(issue: Issue) -> bool:
    """Issue listings include pull requests; their web address says which they are.

    (Reading `issue.pull_request` on a plain issue would cost a request.)
    """
    return "/pull/" in (issue.html_url or "")


class GithubIssues(CodeHost):
    """Requests, voters, pull requests and marks from one GitHub repository."""

    name = "github"
    host = "GitHub"
    api_error = GithubException
    failures = (GithubException, http.exceptions.RequestException)
    token_variable = "GITHUB_TOKEN"
    url_variable = "GITHUB_API_URL"
    token_needs = ("issues: write, pull-requests: read and contents: write"
                   " (discussions: write with requests.discussions)")
    marks_type, labels_type, releases_type = GithubMarks, GithubLabels, GithubReleases

    def __init__(self, context: Context):
        super().__init__(context)
        self._listed: dict[str, Issue] = {}

    # -- connection ----------------------------------------------------------------

    @cached_property
    def settings(self) -> Settings:
        """Repository, API URL and token; BadInput (exit 2) before any request."""
        return load_settings(self.context.config.repository, self.context.env, self.context.root)

    @cached_property
    def gh(self) -> github.Github:
        """The PyGithub client (checks the token; sends nothing)."""
        return client.connect(self.settings, self.calls, self.context.verbose)

    @cached_property
    def gql(self) -> GraphQL:
        """GitHub's GraphQL API (checks the token; sends nothing)."""
        return GraphQL(self.settings, self.calls, self.context.verbose)

    @cached_property
    def _pulls(self) -> Pulls:
        return Pulls(self.gql, self.settings.slug, self.repository)

    @cached_property
    def discussions(self) -> Discussions | None:
        """The Discussions category of `requests.discussions`, when configured."""
        category = self.context.config.request_discussions
        return Discussions(self.gql, self.requests_slug, category, self.repository) if category else None

    @cached_property
    def repo(self) -> GhRepository:
        """The repository (one read, which also proves the token and the name)."""
        gh = self.gh
        with self._errors(f"reading {self.settings.slug}"):
            return gh.get_repo(self.settings.slug)

    @cached_property
    def hub(self) -> GhRepository:
        """The repository holding requests, votes and marks: the hub (`requests.repository`), else `repo`."""
        if self.requests_slug == self.settings.slug:
            return self.repo
        gh = self.gh
        with self._errors(f"reading {self.requests_slug}"):
            return gh.get_repo(self.requests_slug)

    def _failure(self, exc: BaseException) -> tuple[int, str] | None:
        if not isinstance(exc, GithubException):
            return None
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        return exc.status, str(message or exc.data or "").strip() or "no message"

    def _gave_up(self, exc: BaseException) -> bool:
        return client.gave_up(exc)

    def _write(self, write: Callable[[], T], landed: Callable[[], bool], repeatable: bool = False) -> T | None:
        return client.write(write, landed)  # GithubRetry repeats only what is safe to repeat

    def _already_exists(self, exc: Exception) -> bool:
        """A 422 saying the thing we tried to create is there already."""
        data = exc.data if isinstance(exc, GithubException) else None
        errors = data.get("errors", []) if isinstance(data, dict) else []
        return isinstance(exc, GithubException) and exc.status == 422 and any(
            isinstance(e, dict) and e.get("code") == "already_exists" for e in errors)

    def _issue(self, request_id: str) -> Issue | None:
        """The issue behind a request id: from the listing, else fetched; None when there is none."""
        if request_id in self._listed:
            return self._listed[request_id]
        if not request_id.isdigit():
            return None
        try:
            issue = self.hub.get_issue(int(request_id))
            _ = issue.html_url  # a lazy client fetches here
        except GithubException as exc:
            if exc.status in GONE:  # transferred (404) or deleted (410)
                return None
            raise
        return None if is_pull(issue) or not self._ours(issue) else issue

    def _ours(self, issue: Issue) -> bool:
        """Still this repository's issue (PyGithub follows the redirect of a transferred one)."""
        return (issue.url or "").lower().startswith(f"{self.hub.url}/issues/".lower())

    def _status(self, exc: Exception) -> int | None:
        return exc.status if isinstance(exc, GithubException) else None

    def _left(self, request_id: str) -> bool:
        try:
            return not self._ours(self.hub.get_issue(int(request_id)))
        except GithubException as again:
            if again.status in GONE:
                return True
            raise

    # -- requests and votes ----------------------------------------------------------

    def requests(self) -> list[Request]:
        """Issues carrying any of `requests.labels` (every issue when the list is empty), and
        bug reports: issues carrying any of `reports.labels` (`Request.kind`)."""
        with self._errors("listing requests"):
            found: dict[int, Issue] = {}
            listings = [self.hub.get_issues(state="all", labels=[label]) for label in self._listings()] \
                or [self.hub.get_issues(state="all")]
            for listing in listings:
                for issue in self.context.track(listing, "reading issues", unit="requests"):
                    if not is_pull(issue):
                        found.setdefault(issue.number, issue)
            self._listed = {str(n): found[n] for n in sorted(found)}
            duplicates = self._duplicates()
            out = [self._request(issue, duplicates.get(rid)) for rid, issue in self._listed.items()]
            if self.discussions is not None:
                out += [self._discussion(found) for found in self.discussions.read()]
        return out

    def _discussion(self, found: Any) -> Request:
        node = found.node
        names = tuple(label["name"] for label in (node.get("labels") or {}).get("nodes") or [] if label)
        return Request(id=str(found.number), title=node.get("title") or "", author=actor(node.get("author")),
                       state="closed" if node.get("closed") else "open", created_at=node.get("createdAt"),
                       url=node.get("url"), votes=int(node.get("upvoteCount") or 0),
                       upvotes=int(node.get("upvoteCount") or 0),
                       duplicate_of=self.discussions.duplicate_of(found) if self.discussions else None,
                       kind=kind_of(names, self.context.config), labels=names)

    def _request(self, issue: Issue, duplicate_of: str | None) -> Request:
        rollup = issue.reactions or {}
        votes = sum(int(rollup.get(content) or 0) for content in self.context.config.vote_reactions)
        created = issue.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") \
            if issue.created_at else None
        names = tuple(label.name for label in issue.labels or ())  # in the listing: no request
        return Request(id=str(issue.number), title=issue.title or "", author=login_of(issue.user),
                       state=issue.state, created_at=created, url=issue.html_url, votes=votes,
                       duplicate_of=duplicate_of, kind=kind_of(names, self.context.config), labels=names)

    def _duplicates(self) -> dict[str, str]:
        """Request id → the request it duplicates, for issues closed as duplicates.

        The convention is GitHub's own: closed with reason "duplicate" and a
        comment "Duplicate of #N" (the latest such comment wins) by someone with
        write or triage access (`MAINTAINERS`), as GitHub itself requires;
        a fan's comment saying so moves nobody's credit. Only those issues'
        comments are read.
        """
        out: dict[str, str] = {}
        for rid, issue in self._listed.items():
            if issue.state_reason != "duplicate" or not issue.comments:
                continue
            target = None
            with self._unless_gone(rid, "its duplicate comment"):
                said = (c.body for c in issue.get_comments() if c.author_association in MAINTAINERS)
                target = duplicate_target(said, rid, self.requests_repository, DUPLICATE)
            if target is not None:
                out[rid] = target
        return out

    def voters(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Logins that reacted with a counted reaction; bots and deleted accounts left out."""
        wanted = set(self.context.config.vote_reactions)
        out: dict[str, list[str]] = {}
        if self.discussions is not None:
            asked = [rid for rid in ids if rid in self.discussions.listed]
            with self._errors("reading discussion votes"):
                out.update(self.discussions.voters(asked, self.context.config.vote_reactions))
            ids = [rid for rid in ids if rid not in out]
        with self._errors("reading votes"):
            for rid in self.context.track(ids, "reading votes", unit="requests"):
                issue = self._issue(rid)
                rollup = (issue.reactions or {}) if issue is not None else {}
                if issue is None or not any(int(rollup.get(c) or 0) for c in wanted):
                    out[rid] = []  # the listing's counts say there is nobody to fetch
                    continue
                logins: dict[str, None] = {}
                with self._unless_gone(rid, "its votes"):
                    for reaction in issue.get_reactions():
                        user = reaction.user
                        if reaction.content in wanted and user is not None and not is_bot(user):
                            login = login_of(user)
                            if login is not None:
                                logins[login] = None
                out[rid] = list(logins)
        return out

    def pulls(self, claims: Mapping[str, str]) -> dict[str, PullRequest]:
        """Claimed pull requests that GitHub confirms, with what GitHub records them closing
        (see tracker_github.pulls): one GraphQL read per 100 pulls."""
        with self._errors("reading pull requests"):
            return self._pulls.fetch(claims)

    def commit_logins(self, shas: Sequence[str], head: str, within: int) -> dict[str, str]:
        """The GitHub accounts of these commits' authors: those the pull look-up already read,
        the rest in one GraphQL read per 100 commits, wherever they are in history."""
        with self._errors("reading commit authors"):
            return self._pulls.logins(shas)

    def issue_url(self, request_id: str) -> str | None:
        """The issue's web address (from the listing when it was listed)."""
        if request_id in self._listed:
            return str(self._listed[request_id].html_url)
        if self.discussions is not None and request_id in self.discussions.listed:
            return str(self.discussions.listed[request_id].node.get("url"))
        return f"{self.settings.web_url}/{self.requests_slug}/issues/{request_id}"

    # -- writes (the order is CodeHost's) ----------------------------------------------

    def _may_create_labels(self) -> bool:
        return bool(self.settings.token)

    def _own_login(self) -> str | None:
        """The token's account (`GET /user`, one read, only when a marked comment needs judging);
        None for a GitHub App's installation token, which GitHub refuses to name (403)."""
        try:
            return str(self.gh.get_user().login)
        except GithubException as exc:
            if exc.status in (403, 404):
                return None
            raise
