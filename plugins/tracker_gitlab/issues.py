"""The `gitlab` issue system: requests are labelled issues, votes are award emoji.

Reads are kept to what the report needs: one listing per request and report label (its
`upvotes` are the vote counts, its `_links.closed_as_duplicate_of` names
duplicates), award lists only of shipped requests that have votes, and merge
requests only for the iids commits claim (see tracker_gitlab.pulls).

Writes (marks, labels, release notes) follow `tracker.hooks.CodeHost`; this
plugin's modules supply GitLab's primitives (marks, labels, release).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

import requests as http
from gitlab import GitlabError

from tracker.hooks import (
    GONE,
    BadInput,
    CodeHost,
    Context,
    Marks,
    PullRequest,
    Request,
    duplicate_target,
    kind_of,
    without_credentials,
)
from tracker_gitlab import client, marks, pulls
from tracker_gitlab.labels import GitlabLabels
from tracker_gitlab.marks import GitlabMarks
from tracker_gitlab.release import GitlabReleases
from tracker_gitlab.settings import JOB, PRIVATE, Settings, load_settings

if TYPE_CHECKING:
    from gitlab.v4.objects import Project, ProjectIssue

# GitHub's reaction names (the config's vocabulary) → GitLab's emoji names; other
# names are taken as GitLab emoji names as they are (`votes: [thumbsup, star]`).
EMOJI = {"+1": "thumbsup", "-1": "thumbsdown", "laugh": "laughing", "hooray": "tada"}
ROLLUP = {"thumbsup": "upvotes", "thumbsdown": "downvotes"}  # counts every issue listing carries
DELETED_LOGIN = "ghost"  # who a deleted account's awards and notes are reassigned to
_ISSUE_API = re.compile(r"/projects/([^/]+)/issues/(\d+)/?\Z")
# GitLab's system note after `/duplicate #N` (or "Close as duplicate").
DUPLICATE = re.compile(r"^\s*marked this issue as a duplicate of\s+(\S+)", re.IGNORECASE | re.MULTILINE)
T = TypeVar("T")


def login_of(user: Mapping[str, Any] | None) -> str | None:
    """A user's username, or None for a deleted account (GitLab's ghost user)."""
    login = (user or {}).get("username")
    return None if not login or login == DELETED_LOGIN else str(login)



class GitlabIssues(CodeHost):
    """Requests, voters, merge requests and marks from one GitLab project."""

    name = "gitlab"
    host = "GitLab"
    api_error = GitlabError
    failures = (GitlabError, http.exceptions.RequestException)
    gone_how = "deleted or moved"
    token_variable = "GITLAB_TOKEN"
    url_variable = "CI_SERVER_URL"
    token_needs = "the api scope and the Reporter role"
    marks_type, labels_type, releases_type = GitlabMarks, GitlabLabels, GitlabReleases

    def __init__(self, context: Context):
        super().__init__(context)
        self._listed: dict[str, ProjectIssue] = {}
        self._awards: dict[str, list[dict[str, Any]]] = {}

    @cached_property
    def settings(self) -> Settings:
        """Project path, server and token; BadInput (exit 2) before any request."""
        return load_settings(self.context.config.repository, self.context.env, self.context.root)

    @cached_property
    def gl(self) -> client.Client:
        """The python-gitlab client (checks the token; sends nothing)."""
        return client.connect(self.settings, self.calls)

    @cached_property
    def project(self) -> Project:
        """The project, lazily: its path is its id, so no request (and no job-token 401) is needed."""
        return self.gl.projects.get(self.settings.slug, lazy=True)

    @cached_property
    def hub(self) -> Project:
        """The project holding requests, votes and marks: the hub (`requests.repository`), else `project`."""
        if self.requests_slug == self.settings.slug:
            return self.project
        return self.gl.projects.get(self.requests_slug, lazy=True)

    @cached_property
    def wanted(self) -> frozenset[str]:
        """The award emoji names that count as votes."""
        return frozenset(EMOJI.get(name, name) for name in self.context.config.vote_reactions)

    def _failure(self, exc: BaseException) -> tuple[int, str] | None:
        return ((exc.response_code or 0), client.message(exc)) if isinstance(exc, GitlabError) else None

    def _token_hint(self) -> str:
        kind = self.settings.token_kind
        return f"check {kind}" + ("" if kind == PRIVATE else " (a job token cannot write issues: set GITLAB_TOKEN)")

    def _write(self, write: Callable[[], T], landed: Callable[[], bool], repeatable: bool = False) -> T | None:
        return client.write(write, landed, repeatable)

    def _already_exists(self, exc: Exception) -> bool:
        """A 409: what we tried to create is there already."""
        return isinstance(exc, GitlabError) and exc.response_code == 409

    def _issue(self, request_id: str) -> ProjectIssue | None:
        """The issue behind a request id: listed, else fetched; None when there is none."""
        if request_id in self._listed:
            return self._listed[request_id]
        if not request_id.isdigit():
            return None
        try:
            return self.hub.issues.get(int(request_id))
        except GitlabError as exc:
            if client.not_found(exc):
                return None
            raise

    def _status(self, exc: Exception) -> int | None:
        return exc.response_code if isinstance(exc, GitlabError) else None

    def _left(self, request_id: str) -> bool:
        try:
            return marks.moved(self.hub.issues.get(int(request_id)))
        except GitlabError as again:
            # "404 Issue Not Found" is the issue; "404 Project Not Found" is the path or the token.
            if again.response_code in GONE and "project" not in str(again.error_message).lower():
                return True
            raise

    # -- requests and votes ----------------------------------------------------------

    def requests(self) -> list[Request]:
        """Open and closed issues carrying any of `requests.labels` (every issue when empty), and
        bug reports: those carrying any of `reports.labels` (`Request.kind`).

        Confidential issues are left out: their titles must not reach public notes.
        """
        found: dict[int, ProjectIssue] = {}
        with self._errors("listing requests"):
            for query in [{"labels": [label]} for label in self._listings()] or [{}]:
                for issue in self.context.track(self.hub.issues.list(iterator=True, **query),
                                                "reading issues", unit="requests"):
                    if not issue.confidential:
                        found.setdefault(int(issue.iid), issue)
            self._listed = {str(n): found[n] for n in sorted(found)}
            return [self._request(rid, issue) for rid, issue in self._listed.items()]

    def _request(self, rid: str, issue: ProjectIssue) -> Request:
        created = None
        if issue.created_at:
            stamp = datetime.fromisoformat(str(issue.created_at).replace("Z", "+00:00"))
            created = stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        names = tuple(str(label) for label in issue.attributes.get("labels") or ())  # names, in the listing
        return Request(id=rid, title=issue.title or "", author=login_of(issue.author),
                       state="open" if issue.state == "opened" else "closed", created_at=created,
                       url=issue.web_url, votes=self._votes(rid, issue), duplicate_of=self._duplicate_of(rid, issue),
                       kind=kind_of(names, self.context.config), labels=names)

    def _votes(self, rid: str, issue: ProjectIssue) -> int:
        counted = sum(int(getattr(issue, ROLLUP[name], 0) or 0) for name in self.wanted & ROLLUP.keys())
        if self.wanted <= ROLLUP.keys():
            return counted
        # Other emoji are not counted in listings: read this issue's awards (once).
        return counted + sum(1 for a in self._award_list(rid, issue) if a["name"] in self.wanted - ROLLUP.keys())

    def _award_list(self, rid: str, issue: ProjectIssue) -> list[dict[str, Any]]:
        if rid not in self._awards:
            self._awards[rid] = []
            with self._unless_gone(rid, "its votes"):
                self._awards[rid] = [a.attributes for a in issue.awardemojis.list(iterator=True)]
        return self._awards[rid]

    def _duplicate_of(self, rid: str, issue: ProjectIssue) -> str | None:
        """The request this one was closed as a duplicate of (GitLab's `/duplicate #N`).

        GitLab 15.1+ names it in the listing (`_links.closed_as_duplicate_of`,
        an API URL); older servers only say it in a system note, read for
        closed issues alone.
        """
        refs: dict[str, Any] = issue.attributes.get("_links") or {}
        if "closed_as_duplicate_of" in refs:
            match = _ISSUE_API.search(urlsplit(refs["closed_as_duplicate_of"] or "").path)
            if match is None or match.group(2) == rid:
                return None
            project = unquote(match.group(1))
            same = project == str(issue.project_id) or self.requests_repository.same(project)
            return match.group(2) if same else None
        if issue.state != "closed":
            return None
        bodies = None
        with self._unless_gone(rid, "its duplicate note"):
            notes = issue.notes.list(iterator=True, sort="asc", order_by="created_at")
            bodies = [note.body for note in notes if note.system]
        return None if bodies is None else duplicate_target(bodies, rid, self.requests_repository, DUPLICATE)

    def voters(self, ids: Sequence[str]) -> dict[str, list[str]]:
        """Usernames that awarded a counted emoji; bots and deleted accounts left out."""
        out: dict[str, list[str]] = {}
        with self._errors("reading votes"):
            for rid in self.context.track(ids, "reading votes", unit="requests"):
                issue = self._issue(rid)
                if issue is None or not self._votes(rid, issue):
                    out[rid] = []  # the listing's counts say there is nobody to fetch
                    continue
                logins = (login_of(a.get("user")) for a in self._award_list(rid, issue)
                          if a.get("name") in self.wanted and not marks.is_bot(a.get("user") or {}))
                out[rid] = list(dict.fromkeys(login for login in logins if login))
        return out

    def pulls(self, claims: Mapping[str, str]) -> dict[str, PullRequest]:
        """Claimed merge requests that GitLab confirms (see tracker_gitlab.pulls)."""
        with self._errors("reading merge requests"):
            return pulls.fetch(self.project, claims, self.repository)

    def issue_url(self, request_id: str) -> str | None:
        """The issue's web address (from the listing when it was listed)."""
        if request_id in self._listed:
            return str(self._listed[request_id].web_url)
        return f"{without_credentials(self.settings.server_url)}/{self.requests_slug}/-/issues/{request_id}"

    # -- writes (the order is CodeHost's) ----------------------------------------------

    def _marks(self) -> Marks:
        """Notes, labels and closes shipped requests; unlabels and notes withdrawn ones."""
        if self.settings.token_kind == JOB and not self.context.dry_run:
            raise BadInput("CI_JOB_TOKEN cannot write issues: set GITLAB_TOKEN (a project access token"
                           " with the api scope and the Reporter role) to ship")
        return super()._marks()

    def _may_create_labels(self) -> bool:
        return self.settings.token is not None and self.settings.token_kind != JOB

    def _own_login(self) -> str | None:
        """The token's account (`GET /user`, one read, only when a marked note needs judging);
        None when GitLab will not say (a job token is no user)."""
        try:
            self.gl.auth()
        except GitlabError as exc:
            if exc.response_code in (401, 403, 404):
                return None
            raise
        return str(self.gl.user.username) if self.gl.user is not None else None
