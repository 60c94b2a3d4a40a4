"""A small in-process fake of GitHub's REST v3 API for tests.

The server speaks enough of GitHub's JSON shapes that *unmodified* PyGithub 2.x
works against it::

    server = serve()                       # started, bound to 127.0.0.1:<free port>
    gh = github.Github(auth=github.Auth.Token("t0k3n"), base_url=server.url,
                       seconds_between_requests=0, seconds_between_writes=0)
    repo = gh.get_repo("acme/app")
    ...
    server.stop()

It holds the state of exactly one repository (``owner/name``), lets tests seed
data with ``add_*`` helpers, records every request, and can inject faults
(502s, secondary rate limits, refused writes, writes whose response is lost).

Only the standard library is used by the server itself.  ``pygithub_client``
imports PyGithub lazily, purely as a convenience for tests.

Shapes were checked against PyGithub 2.10's source (which URLs it calls and
which attributes it reads, so that lazy completion never needs an endpoint we
lack) and against GitHub's REST documentation.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
import random
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

if TYPE_CHECKING:  # pragma: no cover - typing only
    import github

__all__ = ["FakeGitHub", "RequestRecord", "pygithub_client", "serve"]

DOCS_URL = "https://docs.github.com/rest"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
REACTION_CONTENTS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate", None)
GHOST_LOGIN = "ghost"  # what GitHub shows for deleted accounts
GHOST_ID = 10137  # the real id of github.com/ghost
DEFAULT_LABEL_COLOR = "ededed"  # colour GitHub gives labels auto-created by an issue
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID FAKE:0000."
)
# Timeline-only event kinds; GET .../issues/{n}/events does not return them.
TIMELINE_ONLY_EVENTS = frozenset({"cross-referenced", "commented", "committed", "reviewed", "line-commented"})


_ISSUE_PATH = re.compile(r"/repos/[^/]+/[^/]+/issues/(\d+)(?:/|\Z)")


class RequestRecord(NamedTuple):
    """One served request.  ``path`` is relative to the API root (any
    Enterprise prefix such as ``/api/v3`` is stripped) so assertions read the
    same for both server flavours."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    graphql: str | None = None  # "query" or "mutation" for POST /graphql: a query is a read


class _HttpError(Exception):
    """Raised by route handlers to answer with a GitHub-style error body."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


@dataclass
class _Response:
    status: int
    body: Any = None  # JSON-able; None with 204 means "no body"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Request:
    method: str
    path: str  # relative to the API root, still percent-encoded
    query: dict[str, str]
    body: Any


@dataclass
class _User:
    login: str
    id: int
    type: str
    association: str
    site_admin: bool


@dataclass
class _Label:
    id: int
    name: str
    color: str
    description: str | None
    default: bool = False


@dataclass
class _Comment:
    id: int
    issue_number: int
    user: str | None
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass
class _Reaction:
    id: int
    user: str | None
    content: str
    created_at: datetime


@dataclass
class _PullInfo:
    id: int
    merged: bool
    merged_at: datetime | None
    merge_commit_sha: str | None
    base: str
    head: str
    head_sha: str
    draft: bool


@dataclass
class _Issue:
    number: int
    id: int
    title: str
    body: str | None
    user: str | None
    labels: list[str]  # canonical label names, in the order they were attached
    state: str
    state_reason: str | None
    locked: bool
    active_lock_reason: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    pull: _PullInfo | None = None
    comment_ids: list[int] = field(default_factory=list)
    reactions: list[_Reaction] = field(default_factory=list)
    # ("comment", comment_id) or ("event", raw event dict); rendered at request time
    timeline: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class _Release:
    id: int
    tag: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    target_commitish: str
    author: str | None
    created_at: datetime
    published_at: datetime | None


@dataclass
class _Commit:
    sha: str
    message: str
    author: str | None
    date: datetime
    pulls: list[int] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _HttpError(422, "Validation Failed", [{"field": "since", "code": "invalid"}]) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _fake_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # idle keep-alive connections must not block stop()
    fake: FakeGitHub


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive is what GitHub does and what requests' pool expects;
    # every response therefore carries Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits
    # for the client's delayed ACK (~40 ms per request).  TCP_NODELAY fixes it.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        # Always drain the body, even for faults/401, or the next request on
        # this keep-alive connection would be parsed from leftover bytes.
        raw = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.fake._handle_http(
            self.command, self.path, self.headers.get("Authorization"), raw
        )
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # Silence stderr access logs; the structured log lives in FakeGitHub.log.
        # (Headers, hence the token, are never logged anywhere.)
        return


Route = tuple[str, "re.Pattern[str]", Callable[..., _Response]]


class FakeGitHub:
    """In-memory GitHub for one repository, served over HTTP on 127.0.0.1.

    Fault knobs (plain attributes/properties; tests may flip them at any time):

    * ``fail_rate``: fraction of eligible requests answered 502 (seeded RNG).
    * ``secondary_rate_limit_every``: every N-th eligible request answered 403
      secondary-rate-limit with ``Retry-After: <retry_after>`` (``retry_after``
      None omits the header).  Counting restarts when the knob is set.
    * ``refuse_writes_after``: after K more applied writes (counted from when
      the knob is set), every further write gets 500 and is NOT applied.
    * ``drop_after_write``: apply the write, then answer 502.  ``True`` = every
      write, an int N = the next N writes, ``False``/0 = off.
    * ``faults_on_writes_only``: restrict ``fail_rate`` and
      ``secondary_rate_limit_every`` to POST/PATCH/PUT/DELETE.
    * ``locked_refuses_comments`` (default True): a comment on a locked issue
      gets GitHub's 403 "Unable to create comment because issue is locked."
      (what a token without maintainer rights on the repository is told).
    * ``gone``: issue number → 404 (transferred away) or 410 (deleted).  Every
      request under ``/issues/{n}`` gets that answer while the issue listing
      still shows it: the issue vanished between a client's listing and its writes.
    * ``gate_writes(pattern, parties)``: writes whose ``"METHOD /path"`` matches
      the regex wait until ``parties`` of them are waiting, then all go at once,
      so concurrent clients race on exactly those writes, deterministically.

    ``app="slug"`` makes the token a GitHub App's installation token, as GitHub
    serves one: the token's account is the bot ``slug[bot]`` (type ``Bot``),
    ``GET /user`` answers 403 "Resource not accessible by integration", and the
    comments it posts carry ``performed_via_github_app`` (the app's integration
    object; None on everyone else's comments).
    """

    def __init__(
        self,
        owner: str = "acme",
        name: str = "app",
        *,
        token: str = "t0k3n",
        prefix: str = "",
        viewer: str = "tracker-bot",
        app: str | None = None,
        seed: int = 0,
        start_time: datetime = datetime(2024, 1, 1, tzinfo=timezone.utc),
        host: str = "127.0.0.1",
    ) -> None:
        self.owner = owner
        self.name = name
        self.app = app
        self.viewer = f"{app}[bot]" if app else viewer
        self._app_id = 15368 if app else 0
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self._token = token
        self._lock = threading.RLock()
        self._now = start_time
        self._ids = itertools.count(1001)
        self._seed = seed
        self._rng = random.Random(seed)

        # --- repository state ---
        self._users: dict[str, _User] = {}
        self._issues: dict[int, _Issue] = {}
        self._comments: dict[int, _Comment] = {}
        self._labels: dict[str, _Label] = {}  # key: lower-cased name (GitHub is case-insensitive)
        self._releases: dict[int, _Release] = {}
        self._commits: dict[str, _Commit] = {}
        self._events_by_id: dict[int, tuple[int, dict[str, Any]]] = {}
        self._repo_id = next(self._ids)
        self._repo_created = start_time

        # --- request log / counters ---
        self.log: list[RequestRecord] = []
        self.errors: list[str] = []  # tracebacks of bugs inside the fake itself
        self.fault_count = 0
        self.writes_applied = 0
        self.rate_limit_remaining = 4999  # constant so clients never decide to sleep

        # --- fault knobs ---
        self.fail_rate = 0.0
        self.faults_on_writes_only = False
        self.retry_after: str | None = "1"
        self._secondary_every = 0
        self._secondary_counter = 0
        self._refuse_after: int | None = None
        self._refuse_base = 0
        self._drop: int = 0  # -1 = always, N > 0 = next N writes
        self.locked_refuses_comments = True
        self.gone: dict[int, int] = {}
        self._gate: tuple[re.Pattern[str], threading.Barrier, float] | None = None
        self.gate_releases = 0  # how many times a full set of gated writes went through together

        # --- GraphQL (tests/github_graphql.py) ---
        self.categories: dict[str, Any] = {}  # name → Category
        self.discussions: dict[int, Any] = {}  # number → Discussion
        self.closing: dict[int, list[int]] = {}  # pull number → issues linked in its sidebar (and body)
        self.graphql_page = 100
        self.graphql_errors: list[str] = []
        self.discussions_writable = True
        # Where GraphQL is served: PyGithub derives it from the REST base URL (`/api/v3` → `/api/graphql`).
        self.graphql_path = self.prefix.removesuffix("/v3") + "/graphql"

        # Bind now (port 0 = any free port) so `url` is known before start()
        # and seeding helpers can already return JSON with correct URLs.
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None
        self._routes = self._build_routes()

        self.add_user(owner, type="Organization", association="OWNER")
        self.add_user(self.viewer, type="Bot" if app else "User", association="NONE" if app else "COLLABORATOR")
        self.add_user(GHOST_LOGIN)

    # ------------------------------------------------------------------ lifecycle

    @property
    def root_url(self) -> str:
        """Scheme, host and port, without the API prefix (used for html_url)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """API base URL to give PyGithub as ``base_url`` (includes the prefix)."""
        return self.root_url + self.prefix

    @property
    def token(self) -> str:
        return self._token

    def start(self) -> FakeGitHub:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ fault knobs

    @property
    def secondary_rate_limit_every(self) -> int:
        return self._secondary_every

    @secondary_rate_limit_every.setter
    def secondary_rate_limit_every(self, every: int | None) -> None:
        with self._lock:
            self._secondary_every = every or 0
            self._secondary_counter = 0

    @property
    def refuse_writes_after(self) -> int | None:
        return self._refuse_after

    @refuse_writes_after.setter
    def refuse_writes_after(self, k: int | None) -> None:
        with self._lock:
            self._refuse_after = k
            self._refuse_base = self.writes_applied

    @property
    def drop_after_write(self) -> bool | int:
        return True if self._drop < 0 else self._drop

    @drop_after_write.setter
    def drop_after_write(self, value: bool | int) -> None:
        with self._lock:
            if value is True:
                self._drop = -1
            elif value is False or value is None:
                self._drop = 0
            else:
                self._drop = int(value)

    def gate_writes(self, pattern: str | None, parties: int = 2, timeout: float = 20.0) -> None:
        """Hold every write matching ``pattern`` (searched in ``"METHOD /path"``) until
        ``parties`` of them wait, then release them together; None removes the gate.

        If a partner never comes (``timeout`` seconds), the gate opens for good."""
        with self._lock:
            self._gate = None if pattern is None else (re.compile(pattern), threading.Barrier(parties), timeout)

    def _wait_at_gate(self, method: str, path: str) -> None:
        # Outside the server lock: the partner's request must be able to arrive.
        gate = self._gate
        if gate is None or method not in WRITE_METHODS or not gate[0].search(f"{method} {path}"):
            return
        try:
            if gate[1].wait(timeout=gate[2]) == 0:
                with self._lock:
                    self.gate_releases += 1
        except threading.BrokenBarrierError:
            pass

    def reseed(self, seed: int) -> None:
        """Restart the fault RNG so a run's 502 pattern is reproducible."""
        with self._lock:
            self._seed = seed
            self._rng = random.Random(seed)

    def clear_faults(self) -> None:
        self.fail_rate = 0.0
        self.secondary_rate_limit_every = 0
        self.refuse_writes_after = None
        self.drop_after_write = False

    # ------------------------------------------------------------------ request log

    def reads(self, path_pattern: str | None = None) -> int:
        """Number of GET/HEAD requests and GraphQL queries (faulted ones included); optionally
        only those whose path matches the regex ``path_pattern``."""
        return self._count(lambda r: r.method in ("GET", "HEAD") or r.graphql == "query", path_pattern)

    def writes(self, path_pattern: str | None = None) -> int:
        """Number of POST/PATCH/PUT/DELETE requests, GraphQL mutations included (faulted ones too)."""
        return self._count(lambda r: r.method in WRITE_METHODS and r.graphql != "query", path_pattern)

    def graphql(self, kind: str = "query") -> list[Any]:
        """The GraphQL requests of `kind` ("query" or "mutation") served so far."""
        with self._lock:
            return [r for r in self.log if r.graphql == kind]

    def _count(self, record_ok: Callable[[RequestRecord], bool], path_pattern: str | None) -> int:
        with self._lock:
            return sum(
                1 for r in self.log if record_ok(r) and (path_pattern is None or re.search(path_pattern, r.path))
            )

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.fault_count = 0

    # ------------------------------------------------------------------ seeding helpers

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the fake clock (all timestamps come from it, for determinism)."""
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def _tick(self) -> datetime:
        # Every mutation advances the clock by one second so created_at /
        # updated_at are strictly ordered and `since`/`sort` are deterministic.
        self._now += timedelta(seconds=1)
        return self._now

    def add_user(
        self, login: str, type: str = "User", *, association: str = "NONE", site_admin: bool = False
    ) -> dict[str, Any]:
        with self._lock:
            if login not in self._users:
                uid = GHOST_ID if login == GHOST_LOGIN else next(self._ids)
                self._users[login] = _User(login, uid, type, association, site_admin)
            return self._user_json(login)  # type: ignore[return-value]

    def _ensure_user(self, login: str | None) -> str | None:
        if login is not None and login not in self._users:
            self.add_user(login)
        return login

    def add_label(self, name: str, color: str = DEFAULT_LABEL_COLOR, description: str | None = None) -> dict[str, Any]:
        with self._lock:
            label = self._labels.get(name.lower())
            if label is None:
                label = _Label(next(self._ids), name, color, description)
                self._labels[name.lower()] = label
            return self._label_json(label)

    def _resolve_labels(self, names: Iterable[str]) -> list[str]:
        # Like GitHub: unknown labels are created on the fly, known ones are
        # matched case-insensitively and keep their canonical spelling.
        out: list[str] = []
        for name in names:
            canonical = self.add_label(name)["name"]
            if canonical not in out:
                out.append(canonical)
        return out

    def _next_number(self) -> int:
        return max([*self._issues, *self.discussions], default=0) + 1

    def add_issue(
        self,
        number: int | None = None,
        title: str = "issue",
        body: str | None = "",
        user: str | None = "alice",
        labels: Iterable[str] = (),
        state: str = "open",
        state_reason: str | None = None,
        locked: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            issue = self._new_issue(number, title, body, user, labels, state, state_reason, locked)
            return self._issue_json(issue)

    def _new_issue(
        self,
        number: int | None,
        title: str,
        body: str | None,
        user: str | None,
        labels: Iterable[str],
        state: str,
        state_reason: str | None,
        locked: bool,
    ) -> _Issue:
        if state not in ("open", "closed"):
            raise ValueError(f"state must be open/closed, not {state!r}")
        number = self._next_number() if number is None else number
        if number in self._issues:
            raise ValueError(f"issue/pull #{number} already exists")
        now = self._tick()
        closed = state == "closed"
        issue = _Issue(
            number=number,
            id=next(self._ids),
            title=title,
            body=body,
            user=self._ensure_user(user),
            labels=self._resolve_labels(labels),
            state=state,
            state_reason=(state_reason or "completed") if closed else state_reason,
            locked=locked,
            active_lock_reason=None,
            created_at=now,
            updated_at=now,
            closed_at=now if closed else None,
            closed_by=None,
        )
        self._issues[number] = issue
        return issue

    def add_pull(
        self,
        number: int | None = None,
        title: str = "pull",
        body: str | None = "",
        user: str | None = "alice",
        merged: bool = True,
        merge_commit_sha: str | None = None,
        base: str = "main",
        head: str = "feature",
        state: str = "closed",
        labels: Iterable[str] = (),
        draft: bool = False,
    ) -> dict[str, Any]:
        """A pull request; it shares the issue number sequence.  A merged pull
        is always closed, and its merge commit is linked to it (as GitHub does
        for GET /commits/{sha}/pulls)."""
        with self._lock:
            if merged:
                state = "closed"
            issue = self._new_issue(number, title, body, user, labels, state, None, False)
            issue.state_reason = None  # pulls never carry a state_reason
            sha = merge_commit_sha or (_fake_sha(f"merge-{issue.number}") if merged else None)
            issue.pull = _PullInfo(
                id=next(self._ids),
                merged=merged,
                merged_at=issue.closed_at if merged else None,
                merge_commit_sha=sha,
                base=base,
                head=head,
                head_sha=_fake_sha(f"head-{issue.number}"),
                draft=draft,
            )
            if merged and sha:
                self._link(sha, issue.number, message=f"Merge pull request #{issue.number}", author=user)
            return self._issue_json(issue)

    def add_commit(self, sha: str, message: str = "", author: str | None = "alice",
                   parents: list[str] | None = None, date: datetime | None = None) -> dict[str, Any]:
        """A commit (for GET /commits/{sha} and the listing GET /commits?sha=, which walks
        `parents` newest first by `date`); `author` is the account GitHub links it to."""
        with self._lock:
            self._link(sha, None, message=message, author=author)
            commit = self._commits[sha]
            if parents is not None:
                commit.parents = list(parents)
            if date is not None:
                commit.date = date
            return self._commit_json(commit)

    def _link(self, sha: str, pull_number: int | None, *, message: str = "", author: str | None = "alice") -> None:
        commit = self._commits.get(sha)
        if commit is None:
            commit = self._commits[sha] = _Commit(
                sha, message or f"commit {sha[:7]}", self._ensure_user(author), self._now
            )
        if pull_number is not None and pull_number not in commit.pulls:
            commit.pulls.append(pull_number)

    def link_commit_pull(self, sha: str, pull_number: int) -> None:
        """Make GET /repos/{o}/{r}/commits/{sha}/pulls return that pull."""
        with self._lock:
            issue = self._issues.get(pull_number)
            if issue is None or issue.pull is None:
                raise ValueError(f"#{pull_number} is not a pull request")
            self._link(sha, pull_number)

    def add_reaction(self, issue_number: int, user: str | None, content: str = "+1") -> dict[str, Any]:
        with self._lock:
            if content not in REACTION_CONTENTS:
                raise ValueError(f"bad reaction content {content!r}")
            reaction = _Reaction(next(self._ids), self._ensure_user(user), content, self._tick())
            self._issue(issue_number).reactions.append(reaction)
            return self._reaction_json(reaction)

    def add_category(self, name: str) -> str:
        """A Discussions category; returns its node id."""
        from github_graphql import Category

        with self._lock:
            if name not in self.categories:
                self.categories[name] = Category(f"DIC_{next(self._ids)}", name)
            return str(self.categories[name].id)

    def add_discussion(self, number: int | None = None, title: str = "discussion", body: str = "",
                       user: str | None = "alice", category: str = "Ideas", upvotes: int = 0,
                       closed: bool = False, state_reason: str | None = None, labels: Iterable[str] = (),
                       locked: bool = False) -> int:
        """A discussion (numbered in the issues' sequence, as on GitHub); returns its number."""
        from github_graphql import Discussion

        with self._lock:
            self.add_category(category)
            number = max([self._next_number(), *(n + 1 for n in self.discussions)]) if number is None else number
            if number in self._issues or number in self.discussions:
                raise ValueError(f"#{number} already exists")
            self.discussions[number] = Discussion(
                number, next(self._ids), title, body, self._ensure_user(user), category, self._tick(), closed,
                state_reason if closed else None, locked, upvotes, self._resolve_labels(labels))
            return number

    def add_discussion_reaction(self, number: int, user: str | None, content: str = "+1") -> None:
        with self._lock:
            self.discussions[number].reactions.append((self._ensure_user(user), content))

    def add_discussion_comment(self, number: int, user: str | None, body: str) -> int:
        from github_graphql import DiscussionComment

        with self._lock:
            comment = DiscussionComment(next(self._ids), self._ensure_user(user), body, self._tick())
            self.discussions[number].comments.append(comment)
            return comment.id

    def link_closing(self, pull_number: int, *issues: int) -> None:
        """Link issues to a pull request in its sidebar (GitHub's `closingIssuesReferences`)."""
        with self._lock:
            self.closing.setdefault(pull_number, []).extend(issues)

    def add_comment(self, issue_number: int, user: str | None, body: str) -> dict[str, Any]:
        with self._lock:
            return self._comment_json(self._create_comment(self._issue(issue_number), user, body))

    def _create_comment(self, issue: _Issue, user: str | None, body: str) -> _Comment:
        now = self._tick()
        comment = _Comment(next(self._ids), issue.number, self._ensure_user(user), body, now, now)
        self._comments[comment.id] = comment
        issue.comment_ids.append(comment.id)
        issue.timeline.append(("comment", comment.id))
        issue.updated_at = now
        return comment

    def add_timeline_event(self, issue_number: int, event: dict[str, Any]) -> dict[str, Any]:
        """Append a timeline event.  ``event`` needs at least ``{"event": ...}``.

        Conveniences: ``actor`` may be a login string; ``source`` may be
        ``{"issue": <number>}`` (rendered live as that issue's JSON) or
        ``{"issue": <issue json>}``; missing ``id``/``node_id``/``url``/
        ``created_at``/``commit_url`` are filled in (cross-referenced events
        get no id/url, as on GitHub).  Non-timeline-only kinds also appear in
        GET .../issues/{n}/events."""
        with self._lock:
            issue = self._issue(issue_number)
            raw = self._new_event(issue, dict(event))
            return self._event_json(raw)

    def _new_event(self, issue: _Issue, raw: dict[str, Any]) -> dict[str, Any]:
        if "event" not in raw:
            raise ValueError("timeline event needs an 'event' key")
        now = self._tick()
        raw.setdefault("created_at", _iso(now))
        raw.setdefault("actor", issue.user)
        if isinstance(raw.get("actor"), str):
            self._ensure_user(raw["actor"])
        if raw["event"] == "cross-referenced":
            raw.setdefault("updated_at", raw["created_at"])
        else:
            eid = raw.setdefault("id", next(self._ids))
            raw.setdefault("node_id", f"E_{eid}")
            raw.setdefault("url", f"@api/issues/events/{eid}")
            raw.setdefault("commit_id", None)
            raw.setdefault("performed_via_github_app", None)
            self._events_by_id[eid] = (issue.number, raw)
        issue.timeline.append(("event", raw))
        return raw

    def add_release(
        self,
        tag: str,
        body: str | None = "",
        name: str | None = None,
        draft: bool = False,
        prerelease: bool = False,
    ) -> dict[str, Any]:
        with self._lock:
            if any(r.tag == tag for r in self._releases.values()):
                raise ValueError(f"release {tag!r} exists")
            now = self._tick()
            rel = _Release(
                next(self._ids), tag, name, body, draft, prerelease, "main", self.viewer, now, None if draft else now
            )
            self._releases[rel.id] = rel
            return self._release_json(rel)

    def delete_release(self, tag: str) -> None:
        with self._lock:
            for rid in [rid for rid, rel in self._releases.items() if rel.tag == tag]:
                del self._releases[rid]

    # ------------------------------------------------------------------ inspection helpers

    def issue(self, number: int) -> dict[str, Any]:
        with self._lock:
            return self._issue_json(self._issue(number), full=True)

    def comments(self, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [self._comment_json(self._comments[c]) for c in self._issue(number).comment_ids]

    def snapshot(self) -> dict[str, Any]:
        """Deterministic, JSON-able view of the repository's *meaningful* state.

        Ids and timestamps are deliberately left out so that an interrupted
        and resumed run can be compared with an uninterrupted one."""
        with self._lock:
            issues: dict[str, Any] = {}
            for number in sorted(self._issues):
                it = self._issues[number]
                issues[str(number)] = {
                    "title": it.title,
                    "body": it.body,
                    "is_pull": it.pull is not None,
                    "state": it.state,
                    "state_reason": it.state_reason,
                    "locked": it.locked,
                    "labels": sorted(it.labels, key=str.lower),
                    "comments": [
                        {"user": self._comments[c].user, "body": self._comments[c].body} for c in it.comment_ids
                    ],
                    "reactions": sorted([r.user or "", r.content] for r in it.reactions),
                }
            return {
                "repo": f"{self.owner}/{self.name}",
                "issues": issues,
                "labels": {
                    lb.name: {"color": lb.color, "description": lb.description}
                    for lb in sorted(self._labels.values(), key=lambda lb: lb.name.lower())
                },
                "releases": {
                    r.tag: {"name": r.name, "body": r.body, "draft": r.draft, "prerelease": r.prerelease}
                    for r in sorted(self._releases.values(), key=lambda r: r.tag)
                },
            }

    # ------------------------------------------------------------------ PyGithub convenience

    def pygithub_client(self, **overrides: Any) -> github.Github:
        return pygithub_client(self, **overrides)

    # ------------------------------------------------------------------ URLs

    @property
    def _api(self) -> str:
        return self.url

    @property
    def _repo_api(self) -> str:
        return f"{self.url}/repos/{self.owner}/{self.name}"

    @property
    def _repo_web(self) -> str:
        return f"{self.root_url}/{self.owner}/{self.name}"

    # ------------------------------------------------------------------ JSON shapes

    def _user_json(self, login: str | None) -> dict[str, Any] | None:
        if login is None:
            return None  # deleted/unknown author, as GitHub sometimes returns
        u = self._users.get(login) or _User(login, 0, "User", "NONE", False)
        api = f"{self._api}/users/{quote(login)}"
        return {
            "login": u.login,
            "id": u.id,
            "node_id": f"U_{u.id}",
            "avatar_url": f"{self.root_url}/avatars/u/{u.id}",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{self.root_url}/{u.login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": u.type,
            "user_view_type": "public",
            "site_admin": u.site_admin,
        }

    def _association(self, login: str | None) -> str:
        return self._users[login].association if login in self._users else "NONE"

    def _label_json(self, label: _Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": f"LA_{label.id}",
            "url": f"{self._repo_api}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _issue_labels_json(self, issue: _Issue) -> list[dict[str, Any]]:
        return [self._label_json(self._labels[name.lower()]) for name in issue.labels]

    def _reactions_rollup(self, url: str, reactions: list[_Reaction]) -> dict[str, Any]:
        rollup: dict[str, Any] = {"url": url, "total_count": len(reactions)}
        for content in REACTION_CONTENTS:
            rollup[content] = sum(1 for r in reactions if r.content == content)
        return rollup

    def _issue_json(self, it: _Issue, full: bool = False) -> dict[str, Any]:
        """Issue shape.  ``full`` adds what only the single-issue endpoints
        return (``closed_by``); like GitHub, plain issues have NO
        ``pull_request`` key at all, so PyGithub's ``issue.pull_request`` on a
        listed plain issue costs one lazy-completion GET."""
        api, n = self._repo_api, it.number
        data: dict[str, Any] = {
            "url": f"{api}/issues/{n}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{n}/labels{{/name}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "events_url": f"{api}/issues/{n}/events",
            "timeline_url": f"{api}/issues/{n}/timeline",
            "html_url": f"{self._repo_web}/{'pull' if it.pull else 'issues'}/{n}",
            "id": it.id,
            "node_id": f"{'PR' if it.pull else 'I'}_{it.id}",
            "number": n,
            "title": it.title,
            "user": self._user_json(it.user),
            "labels": self._issue_labels_json(it),
            "state": it.state,
            "state_reason": it.state_reason,
            "locked": it.locked,
            "active_lock_reason": it.active_lock_reason,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": len(it.comment_ids),
            "created_at": _iso(it.created_at),
            "updated_at": _iso(it.updated_at),
            "closed_at": _iso(it.closed_at),
            "author_association": self._association(it.user),
            "type": None,
            "body": it.body,
            "reactions": self._reactions_rollup(f"{api}/issues/{n}/reactions", it.reactions),
            "performed_via_github_app": None,
        }
        if full:
            data["closed_by"] = self._user_json(it.closed_by)
        if it.pull is not None:
            # Issue listings mark pulls with this key; that is the only way to
            # tell them apart from issues there.
            data["draft"] = it.pull.draft
            data["pull_request"] = {
                "url": f"{api}/pulls/{n}",
                "html_url": f"{self._repo_web}/pull/{n}",
                "diff_url": f"{self._repo_web}/pull/{n}.diff",
                "patch_url": f"{self._repo_web}/pull/{n}.patch",
                "merged_at": _iso(it.pull.merged_at),
            }
        return data

    def _comment_json(self, c: _Comment) -> dict[str, Any]:
        api = self._repo_api
        return {
            "url": f"{api}/issues/comments/{c.id}",
            "html_url": f"{self._repo_web}/issues/{c.issue_number}#issuecomment-{c.id}",
            "issue_url": f"{api}/issues/{c.issue_number}",
            "id": c.id,
            "node_id": f"IC_{c.id}",
            "user": self._user_json(c.user),
            "created_at": _iso(c.created_at),
            "updated_at": _iso(c.updated_at),
            "author_association": self._association(c.user),
            "body": c.body,
            "reactions": self._reactions_rollup(f"{api}/issues/comments/{c.id}/reactions", []),
            "performed_via_github_app": self._app_json() if self.app and c.user == self.viewer else None,
        }

    def _app_json(self) -> dict[str, Any]:
        """The integration object GitHub puts on what an app's installation token did."""
        created = _iso(self._repo_created)
        return {
            "id": self._app_id,
            "slug": self.app,
            "node_id": f"A_{self._app_id}",
            "client_id": f"Iv1.{self._app_id:016x}",
            "owner": self._user_json(self.owner),
            "name": str(self.app).replace("-", " ").title(),
            "description": "",
            "external_url": f"{self.root_url}/apps/{self.app}",
            "html_url": f"{self.root_url}/apps/{self.app}",
            "created_at": created,
            "updated_at": created,
            "permissions": {"issues": "write", "metadata": "read", "contents": "write"},
            "events": [],
        }

    def _reaction_json(self, r: _Reaction) -> dict[str, Any]:
        return {
            "id": r.id,
            "node_id": f"REA_{r.id}",
            "user": self._user_json(r.user),
            "content": r.content,
            "created_at": _iso(r.created_at),
        }

    def _event_json(self, raw: dict[str, Any]) -> dict[str, Any]:
        data = dict(raw)
        if isinstance(data.get("actor"), str) or data.get("actor") is None:
            data["actor"] = self._user_json(data.get("actor"))
        if isinstance(data.get("url"), str) and data["url"].startswith("@api/"):
            data["url"] = f"{self._repo_api}/{data['url'][5:]}"
        if "commit_id" in data and not data.get("commit_url"):
            sha = data["commit_id"]
            data["commit_url"] = f"{self._repo_api}/commits/{sha}" if sha else None
        source = data.get("source")
        if isinstance(source, dict):
            source = dict(source)
            if isinstance(source.get("issue"), int):
                ref = self._issues.get(source["issue"])
                source["issue"] = self._issue_json(ref) if ref else None
            source.setdefault("type", "issue")
            data["source"] = source
        if isinstance(data.get("label"), str):
            label = self._labels.get(data["label"].lower())
            data["label"] = {"name": data["label"], "color": label.color if label else DEFAULT_LABEL_COLOR}
        return data

    def _timeline_json(self, issue: _Issue, events_only: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for kind, ref in issue.timeline:
            if kind == "comment":
                comment = self._comments.get(ref)
                if comment is None or events_only:
                    continue  # deleted comments vanish from the timeline
                data = self._comment_json(comment)
                data.update(event="commented", actor=data["user"])
                out.append(data)
            elif not (events_only and ref["event"] in TIMELINE_ONLY_EVENTS):
                out.append(self._event_json(ref))
        return out

    def _repo_json(self) -> dict[str, Any]:
        api = self._repo_api
        open_issues = sum(1 for i in self._issues.values() if i.state == "open")
        data: dict[str, Any] = {
            "id": self._repo_id,
            "node_id": f"R_{self._repo_id}",
            "name": self.name,
            "full_name": f"{self.owner}/{self.name}",
            "private": False,
            "owner": self._user_json(self.owner),
            "html_url": self._repo_web,
            "description": None,
            "fork": False,
            "url": api,
            "archived": False,
            "disabled": False,
            "visibility": "public",
            "default_branch": "main",
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_discussions": False,
            "open_issues_count": open_issues,
            "open_issues": open_issues,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "size": 0,
            "language": None,
            "topics": [],
            "created_at": _iso(self._repo_created),
            "updated_at": _iso(self._repo_created),
            "pushed_at": _iso(self._repo_created),
            "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
            "clone_url": f"{self._repo_web}.git",
            "git_url": f"{self._repo_web}.git",
            "ssh_url": f"git@127.0.0.1:{self.owner}/{self.name}.git",
        }
        for key, tail in {
            "issues_url": "/issues{/number}",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "labels_url": "/labels{/name}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "commits_url": "/commits{/sha}",
            "events_url": "/events",
            "hooks_url": "/hooks",
            "tags_url": "/tags",
            "branches_url": "/branches{/branch}",
            "milestones_url": "/milestones{/number}",
        }.items():
            data[key] = api + tail
        return data

    def _pull_part(self, ref: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"{self.owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self._user_json(self.owner),
            "repo": self._repo_json(),
        }

    def _pull_json(self, it: _Issue, full: bool) -> dict[str, Any]:
        assert it.pull is not None
        p, api, n = it.pull, self._repo_api, it.number
        web = f"{self._repo_web}/pull/{n}"
        data: dict[str, Any] = {
            "url": f"{api}/pulls/{n}",
            "id": p.id,
            "node_id": f"PR_{p.id}",
            "html_url": web,
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "issue_url": f"{api}/issues/{n}",
            "commits_url": f"{api}/pulls/{n}/commits",
            "review_comments_url": f"{api}/pulls/{n}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "statuses_url": f"{api}/statuses/{p.head_sha}",
            "number": n,
            "state": it.state,
            "locked": it.locked,
            "title": it.title,
            "user": self._user_json(it.user),
            "body": it.body,
            "labels": self._issue_labels_json(it),
            "milestone": None,
            "active_lock_reason": it.active_lock_reason,
            "created_at": _iso(it.created_at),
            "updated_at": _iso(it.updated_at),
            "closed_at": _iso(it.closed_at),
            "merged_at": _iso(p.merged_at),
            "merge_commit_sha": p.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._pull_part(p.head, p.head_sha),
            "base": self._pull_part(p.base, _fake_sha(f"base-{n}")),
            "_links": {
                "self": {"href": f"{api}/pulls/{n}"},
                "html": {"href": web},
                "issue": {"href": f"{api}/issues/{n}"},
                "comments": {"href": f"{api}/issues/{n}/comments"},
            },
            "author_association": self._association(it.user),
            "auto_merge": None,
            "draft": p.draft,
        }
        if full:
            # Only GET /pulls/{n} carries these (list endpoints do not, so
            # PyGithub lazily GETs the pull when e.g. `.merged` is read).
            data.update(
                merged=p.merged,
                mergeable=None if p.merged or it.state == "closed" else True,
                rebaseable=None,
                mergeable_state="unknown",
                merged_by=self._user_json(self.viewer) if p.merged else None,
                comments=len(it.comment_ids),
                review_comments=0,
                maintainer_can_modify=False,
                commits=1,
                additions=0,
                deletions=0,
                changed_files=0,
            )
        return data

    def _commit_json(self, c: _Commit) -> dict[str, Any]:
        api = self._repo_api
        who = {"name": c.author or "unknown", "email": f"{c.author or 'unknown'}@example.com", "date": _iso(c.date)}
        return {
            "sha": c.sha,
            "node_id": f"C_{c.sha}",
            "url": f"{api}/commits/{c.sha}",
            "html_url": f"{self._repo_web}/commit/{c.sha}",
            "comments_url": f"{api}/commits/{c.sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{c.sha}",
                "message": c.message,
                "author": who,
                "committer": who,
                "tree": {"sha": _fake_sha(f"tree-{c.sha}"), "url": f"{api}/git/trees/{_fake_sha(f'tree-{c.sha}')}"},
                "comment_count": 0,
                "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
            },
            "author": self._user_json(c.author),
            "committer": self._user_json(c.author),
            "parents": [{"sha": p, "url": f"{api}/commits/{p}"} for p in c.parents],
            "stats": {"total": 0, "additions": 0, "deletions": 0},
            "files": [],
        }

    def _release_json(self, r: _Release) -> dict[str, Any]:
        api = self._repo_api
        return {
            "url": f"{api}/releases/{r.id}",
            "html_url": f"{self._repo_web}/releases/tag/{quote(r.tag, safe='')}",
            "assets_url": f"{api}/releases/{r.id}/assets",
            "upload_url": (f"{self.root_url}/uploads/repos/{self.owner}/{self.name}"
                           f"/releases/{r.id}/assets{{?name,label}}"),
            "tarball_url": f"{api}/tarball/{quote(r.tag, safe='')}",
            "zipball_url": f"{api}/zipball/{quote(r.tag, safe='')}",
            "id": r.id,
            "node_id": f"RE_{r.id}",
            "tag_name": r.tag,
            "target_commitish": r.target_commitish,
            "name": r.name,
            "draft": r.draft,
            "prerelease": r.prerelease,
            "immutable": False,
            "created_at": _iso(r.created_at),
            "published_at": _iso(r.published_at),
            "author": self._user_json(r.author),
            "assets": [],
            "body": r.body,
        }

    def _rate_json(self) -> dict[str, Any]:
        reset = int(time.time()) + 3600
        core = {
            "limit": 5000,
            "used": 5000 - self.rate_limit_remaining,
            "remaining": self.rate_limit_remaining,
            "reset": reset,
            "resource": "core",
        }
        resources = {
            name: dict(core, resource=name)
            for name in ("core", "search", "graphql", "integration_manifest", "code_search")
        }
        return {"resources": resources, "rate": core}

    # ------------------------------------------------------------------ HTTP plumbing

    def _handle_http(
        self, method: str, raw_path: str, authorization: str | None, raw_body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Serve one request; returns (status, headers, body bytes)."""
        parts = urlsplit(raw_path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        kind, field_name = None, ""
        if method == "POST" and path == self.graphql_path:
            from github_graphql import operation

            try:
                kind, field_name = operation(json.loads(raw_body)) or ("query", "")
            except ValueError:
                kind = "query"
        if kind != "query":  # a mutation is gated as "POST /graphql <its field>", e.g. addDiscussionComment
            self._wait_at_gate(method, path if kind is None else f"{path} {field_name}")
        with self._lock:
            in_prefix = not self.prefix or path == self.prefix or path.startswith(self.prefix + "/")
            rel_path = (path[len(self.prefix) :] or "/") if in_prefix else path
            if kind is not None:
                rel_path = "/graphql"
            response, fault = self._respond(method, rel_path, in_prefix or kind is not None, query, authorization,
                                            raw_body, kind)
            if fault:
                self.fault_count += 1
                response.headers["X-Fake-Fault"] = fault  # debugging aid only
            self.log.append(RequestRecord(method, rel_path, query, response.status, kind))
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "X-GitHub-Media-Type": "github.v3; format=json",
                "X-GitHub-Request-Id": f"FAKE:{len(self.log):06d}",
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": str(self.rate_limit_remaining),
                "X-RateLimit-Used": str(5000 - self.rate_limit_remaining),
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
                "X-RateLimit-Resource": "core",
            }
            headers.update(response.headers)
            if response.status == 204 or response.body is None:
                return response.status, headers, b""
            return response.status, headers, json.dumps(response.body).encode()

    def _respond(
        self,
        method: str,
        rel_path: str,
        in_prefix: bool,
        query: dict[str, str],
        authorization: str | None,
        raw_body: bytes,
        graphql: str | None = None,
    ) -> tuple[_Response, str | None]:
        is_write = method in WRITE_METHODS and graphql != "query"
        eligible = is_write or not self.faults_on_writes_only

        # Gateway-level faults come first: they happen before GitHub even
        # looks at the token or the route.
        if eligible and self._secondary_every:
            self._secondary_counter += 1
            if self._secondary_counter % self._secondary_every == 0:
                headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
                return _Response(
                    403, {"message": SECONDARY_LIMIT_MESSAGE, "documentation_url": DOCS_URL}, headers
                ), "secondary-rate-limit"
        if eligible and self.fail_rate and self._rng.random() < self.fail_rate:
            return _Response(502, {"message": "Server Error"}), "502"

        if not self._authorized(authorization):
            return self._error(401, "Bad credentials"), None

        if (
            is_write
            and self._refuse_after is not None
            and self.writes_applied - self._refuse_base >= self._refuse_after
        ):
            return _Response(500, {"message": "Server Error"}), "refused-write"

        if graphql is not None:
            from github_graphql import execute

            try:
                response = _Response(200, execute(self, json.loads(raw_body)))
            except ValueError:
                response = self._error(400, "Problems parsing JSON")
            except Exception:
                self.errors.append(traceback.format_exc())
                response = self._error(500, "fake server error")
            if is_write and "errors" in (response.body or {}):
                return response, None  # a refused mutation applied nothing
        else:
            response = self._dispatch(method, rel_path if in_prefix else None, query, raw_body)

        if is_write and 200 <= response.status < 300:
            self.writes_applied += 1
            if self._drop:
                if self._drop > 0:
                    self._drop -= 1
                return _Response(502, {"message": "Server Error"}), "dropped-after-write"
        return response, None

    def _authorized(self, authorization: str | None) -> bool:
        if not authorization or " " not in authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return False
        return hmac.compare_digest(value.strip().encode(), self._token.encode())

    @staticmethod
    def _error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> _Response:
        body: dict[str, Any] = {"message": message, "documentation_url": DOCS_URL, "status": str(status)}
        if errors:
            body["errors"] = errors
        return _Response(status, body)

    def _dispatch(self, method: str, rel_path: str | None, query: dict[str, str], raw_body: bytes) -> _Response:
        if rel_path is None:  # outside the Enterprise prefix
            return self._error(404, "Not Found")
        vanished = _ISSUE_PATH.match(rel_path)
        if vanished and int(vanished.group(1)) in self.gone:
            status = self.gone[int(vanished.group(1))]
            return self._error(status, "This issue was deleted" if status == 410 else "Not Found")
        verb = "GET" if method == "HEAD" else method
        for route_method, pattern, handler in self._routes:
            if route_method != verb:
                continue
            match = pattern.fullmatch(rel_path)
            if not match:
                continue
            try:
                body = json.loads(raw_body) if raw_body.strip() else None
            except ValueError:
                return self._error(400, "Problems parsing JSON")
            request = _Request(method, rel_path, query, body)
            try:
                return handler(request, *(unquote(g) for g in match.groups()))
            except _HttpError as exc:
                return self._error(exc.status, exc.message, exc.errors)
            except Exception:
                self.errors.append(traceback.format_exc())
                return self._error(500, "fake server error")
        return self._error(404, "Not Found")

    def _build_routes(self) -> list[Route]:
        repo = rf"/repos/{re.escape(self.owner)}/{re.escape(self.name)}"
        flags = re.IGNORECASE  # owner/name are case-insensitive on GitHub
        table: list[tuple[str, str, Callable[..., _Response]]] = [
            ("GET", r"/rate_limit", self._get_rate_limit),
            ("GET", r"/user", self._get_viewer),
            ("GET", r"/users/([^/]+)", self._get_user),
            ("GET", repo, self._get_repo),
            ("GET", repo + r"/issues", self._list_issues),
            ("GET", repo + r"/issues/comments/(\d+)", self._get_comment),
            ("PATCH", repo + r"/issues/comments/(\d+)", self._patch_comment),
            ("DELETE", repo + r"/issues/comments/(\d+)", self._delete_comment),
            ("GET", repo + r"/issues/events/(\d+)", self._get_event),
            ("GET", repo + r"/issues/(\d+)", self._get_issue),
            ("PATCH", repo + r"/issues/(\d+)", self._patch_issue),
            ("PUT", repo + r"/issues/(\d+)/lock", self._lock_issue),
            ("DELETE", repo + r"/issues/(\d+)/lock", self._unlock_issue),
            ("GET", repo + r"/issues/(\d+)/comments", self._list_comments),
            ("POST", repo + r"/issues/(\d+)/comments", self._post_comment),
            ("GET", repo + r"/issues/(\d+)/labels", self._list_issue_labels),
            ("POST", repo + r"/issues/(\d+)/labels", self._add_issue_labels),
            ("PUT", repo + r"/issues/(\d+)/labels", self._set_issue_labels),
            ("DELETE", repo + r"/issues/(\d+)/labels", self._clear_issue_labels),
            # `.+`: PyGithub's remove_from_labels quotes with safe="/", so a
            # label "area/ui" arrives as a literal extra path segment.
            ("DELETE", repo + r"/issues/(\d+)/labels/(.+)", self._remove_issue_label),
            ("GET", repo + r"/issues/(\d+)/reactions", self._list_reactions),
            ("POST", repo + r"/issues/(\d+)/reactions", self._post_reaction),
            ("DELETE", repo + r"/issues/(\d+)/reactions/(\d+)", self._delete_reaction),
            ("GET", repo + r"/issues/(\d+)/timeline", self._list_timeline),
            ("GET", repo + r"/issues/(\d+)/events", self._list_events),
            ("GET", repo + r"/labels", self._list_labels),
            ("POST", repo + r"/labels", self._post_label),
            ("GET", repo + r"/labels/(.+)", self._get_label),
            ("PATCH", repo + r"/labels/(.+)", self._patch_label),
            ("DELETE", repo + r"/labels/(.+)", self._delete_label),
            ("GET", repo + r"/pulls", self._list_pulls),
            ("GET", repo + r"/pulls/(\d+)", self._get_pull),
            ("GET", repo + r"/commits", self._list_commits),
            ("GET", repo + r"/commits/([^/]+)", self._get_commit),
            ("GET", repo + r"/commits/([^/]+)/pulls", self._list_commit_pulls),
            ("GET", repo + r"/releases", self._list_releases),
            ("POST", repo + r"/releases", self._post_release),
            ("GET", repo + r"/releases/latest", self._get_latest_release),
            ("GET", repo + r"/releases/tags/(.+)", self._get_release_by_tag),
            ("GET", repo + r"/releases/(\d+)", self._get_release),
            ("PATCH", repo + r"/releases/(\d+)", self._patch_release),
            ("DELETE", repo + r"/releases/(\d+)", self._delete_release),
        ]
        return [(m, re.compile(p, flags), h) for m, p, h in table]

    # ------------------------------------------------------------------ pagination

    def _paginate(self, req: _Request, items: list[Any]) -> _Response:
        """GitHub pagination: per_page (default 30, max 100), page (1-based)
        and an RFC 5988 Link header with absolute URLs.  PyGithub splits that
        header on ", " and "; ", so the exact format matters."""
        try:
            per_page = int(req.query.get("per_page", 30))
        except ValueError:
            per_page = 30
        per_page = 30 if per_page < 1 else min(per_page, 100)
        try:
            page = max(int(req.query.get("page", 1)), 1)
        except ValueError:
            page = 1
        last = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page : page * per_page]

        def link(p: int) -> str:
            params = dict(req.query, page=str(p))
            return f"<{self.url}{req.path}?{urlencode(params)}>"

        links: list[str] = []
        if page > 1:
            links.append(f'{link(min(page - 1, last))}; rel="prev"')
        if page < last:
            links += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
        if page > 1:
            links.append(f'{link(1)}; rel="first"')
        headers = {"Link": ", ".join(links)} if links else {}
        return _Response(200, chunk, headers)

    # ------------------------------------------------------------------ lookups / validation

    def _issue(self, number: int | str) -> _Issue:
        issue = self._issues.get(int(number))
        if issue is None:
            raise _HttpError(404, "Not Found")
        return issue

    def _label(self, name: str) -> _Label:
        label = self._labels.get(name.lower())
        if label is None:
            raise _HttpError(404, "Not Found")
        return label

    @staticmethod
    def _body_dict(req: _Request) -> dict[str, Any]:
        if req.body is None:
            return {}
        if not isinstance(req.body, dict):
            raise _HttpError(400, "Problems parsing JSON")
        return req.body

    @staticmethod
    def _invalid(resource: str, field_name: str, code: str = "invalid") -> _HttpError:
        return _HttpError(422, "Validation Failed", [{"resource": resource, "field": field_name, "code": code}])

    @staticmethod
    def _sort(items: list[Any], key: Callable[[Any], Any], direction: str) -> list[Any]:
        if direction not in ("asc", "desc"):
            raise _HttpError(422, "Validation Failed", [{"field": "direction", "code": "invalid"}])
        return sorted(items, key=key, reverse=direction == "desc")

    # ------------------------------------------------------------------ routes: misc

    def _get_rate_limit(self, req: _Request) -> _Response:
        return _Response(200, self._rate_json())

    def _get_viewer(self, req: _Request) -> _Response:
        if self.app:  # an installation token is no user: GitHub refuses to say who it is
            raise _HttpError(403, "Resource not accessible by integration")
        data = self._user_json(self.viewer) or {}
        data.update(
            name=self.viewer,
            email=None,
            company=None,
            blog="",
            location=None,
            bio=None,
            public_repos=1,
            followers=0,
            following=0,
            created_at=_iso(self._repo_created),
            updated_at=_iso(self._repo_created),
        )
        return _Response(200, data)

    def _get_user(self, req: _Request, login: str) -> _Response:
        if login not in self._users:
            raise _HttpError(404, "Not Found")
        data = self._user_json(login) or {}
        data.update(
            name=None,
            company=None,
            blog="",
            location=None,
            email=None,
            bio=None,
            public_repos=0,
            followers=0,
            following=0,
            created_at=_iso(self._repo_created),
            updated_at=_iso(self._repo_created),
        )
        return _Response(200, data)

    def _get_repo(self, req: _Request) -> _Response:
        return _Response(200, self._repo_json())

    # ------------------------------------------------------------------ routes: issues

    def _list_issues(self, req: _Request) -> _Response:
        q = req.query
        state = q.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise self._invalid("Issue", "state")
        wanted = [s.strip().lower() for s in q.get("labels", "").split(",") if s.strip()]
        since = _parse_time(q["since"]) if q.get("since") else None
        creator = q.get("creator")
        items = [
            it
            for it in self._issues.values()
            if (state == "all" or it.state == state)
            and all(w in {name.lower() for name in it.labels} for w in wanted)  # AND semantics
            and (since is None or it.updated_at >= since)
            and (creator is None or it.user == creator)
        ]
        sort = q.get("sort", "created")
        keys: dict[str, Callable[[_Issue], Any]] = {
            "created": lambda it: (it.created_at, it.number),
            "updated": lambda it: (it.updated_at, it.number),
            "comments": lambda it: (len(it.comment_ids), it.number),
        }
        if sort not in keys:
            raise self._invalid("Issue", "sort")
        items = self._sort(items, keys[sort], q.get("direction", "desc"))
        return self._paginate(req, [self._issue_json(it) for it in items])

    def _get_issue(self, req: _Request, number: str) -> _Response:
        return _Response(200, self._issue_json(self._issue(number), full=True))

    def _patch_issue(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        body = self._body_dict(req)
        now = self._tick()
        if "title" in body:
            if not isinstance(body["title"], str) or not body["title"]:
                raise self._invalid("Issue", "title", "missing_field")
            issue.title = body["title"]
        if "body" in body:
            issue.body = body["body"]
        reason_given = "state_reason" in body
        reason = body.get("state_reason")
        if reason_given and reason not in STATE_REASONS:
            raise self._invalid("Issue", "state_reason")
        if "state" in body:
            state = body["state"]
            if state not in ("open", "closed"):
                raise self._invalid("Issue", "state")
            if state == "closed" and issue.state == "open":
                issue.state, issue.closed_at, issue.closed_by = "closed", now, self.viewer
                if issue.pull is None:
                    issue.state_reason = reason if reason_given and reason else "completed"
                self._new_event(issue, {"event": "closed", "actor": self.viewer, "state_reason": issue.state_reason})
            elif state == "open" and issue.state == "closed":
                if issue.pull is not None and issue.pull.merged:
                    raise _HttpError(
                        422,
                        "Validation Failed",
                        [
                            {
                                "resource": "PullRequest",
                                "code": "custom",
                                "message": "state cannot be changed. The pull request has been merged.",
                            }
                        ],
                    )
                issue.state, issue.closed_at = "open", None
                if issue.pull is None:
                    issue.state_reason = "reopened"
                self._new_event(issue, {"event": "reopened", "actor": self.viewer})
            elif reason_given and issue.pull is None and state == "closed":
                issue.state_reason = reason
        elif reason_given and issue.pull is None and issue.state == "closed":
            issue.state_reason = reason
        if "labels" in body:
            names = body["labels"] or []
            self._replace_labels(issue, [n["name"] if isinstance(n, dict) else str(n) for n in names])
        issue.updated_at = now
        return _Response(200, self._issue_json(issue, full=True))

    def _lock_issue(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        issue.locked = True
        issue.active_lock_reason = self._body_dict(req).get("lock_reason")
        self._new_event(issue, {"event": "locked", "actor": self.viewer, "lock_reason": issue.active_lock_reason})
        return _Response(204)

    def _unlock_issue(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        issue.locked, issue.active_lock_reason = False, None
        self._new_event(issue, {"event": "unlocked", "actor": self.viewer})
        return _Response(204)

    # ------------------------------------------------------------------ routes: comments

    def _list_comments(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        since = _parse_time(req.query["since"]) if req.query.get("since") else None
        comments = [self._comments[c] for c in issue.comment_ids]
        comments = [c for c in comments if since is None or c.updated_at >= since]
        return self._paginate(req, [self._comment_json(c) for c in comments])

    def _post_comment(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        text = self._body_dict(req).get("body")
        if not isinstance(text, str) or not text:
            raise self._invalid("IssueComment", "body", "missing_field")
        if issue.locked and self.locked_refuses_comments:
            # GitHub's answer to a token that may not comment on locked conversations.
            raise _HttpError(403, "Unable to create comment because issue is locked.")
        comment = self._create_comment(issue, self.viewer, text)
        data = self._comment_json(comment)
        return _Response(201, data, {"Location": data["url"]})

    def _comment(self, cid: str) -> _Comment:
        comment = self._comments.get(int(cid))
        if comment is None:
            raise _HttpError(404, "Not Found")
        return comment

    def _get_comment(self, req: _Request, cid: str) -> _Response:
        return _Response(200, self._comment_json(self._comment(cid)))

    def _patch_comment(self, req: _Request, cid: str) -> _Response:
        comment = self._comment(cid)
        text = self._body_dict(req).get("body")
        if not isinstance(text, str) or not text:
            raise self._invalid("IssueComment", "body", "missing_field")
        comment.body, comment.updated_at = text, self._tick()
        return _Response(200, self._comment_json(comment))

    def _delete_comment(self, req: _Request, cid: str) -> _Response:
        comment = self._comment(cid)
        del self._comments[comment.id]
        self._issues[comment.issue_number].comment_ids.remove(comment.id)
        return _Response(204)

    # ------------------------------------------------------------------ routes: labels

    def _list_labels(self, req: _Request) -> _Response:
        return self._paginate(req, [self._label_json(lb) for lb in self._labels.values()])

    def _post_label(self, req: _Request) -> _Response:
        body = self._body_dict(req)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self._invalid("Label", "name", "missing_field")
        if name.lower() in self._labels:
            raise self._invalid("Label", "name", "already_exists")
        color = body.get("color") or DEFAULT_LABEL_COLOR
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            raise self._invalid("Label", "color")
        label = _Label(next(self._ids), name, color.lower(), body.get("description"))
        self._labels[name.lower()] = label
        data = self._label_json(label)
        return _Response(201, data, {"Location": data["url"]})

    def _get_label(self, req: _Request, name: str) -> _Response:
        return _Response(200, self._label_json(self._label(name)))

    def _patch_label(self, req: _Request, name: str) -> _Response:
        label = self._label(name)
        body = self._body_dict(req)
        new_name = body.get("new_name") or body.get("name")
        if new_name and new_name.lower() != label.name.lower() and new_name.lower() in self._labels:
            raise self._invalid("Label", "name", "already_exists")
        if "color" in body:
            label.color = body["color"]
        if "description" in body:
            label.description = body["description"]
        if new_name and new_name != label.name:
            del self._labels[label.name.lower()]
            for issue in self._issues.values():
                issue.labels = [new_name if n == label.name else n for n in issue.labels]
            label.name = new_name
            self._labels[new_name.lower()] = label
        return _Response(200, self._label_json(label))

    def _delete_label(self, req: _Request, name: str) -> _Response:
        label = self._label(name)
        del self._labels[label.name.lower()]
        for issue in self._issues.values():
            if label.name in issue.labels:
                issue.labels.remove(label.name)
        return _Response(204)

    @staticmethod
    def _label_names_from_body(body: Any) -> list[str]:
        # GitHub accepts both a bare array (what PyGithub's add_to_labels /
        # set_labels send) and {"labels": [...]} with strings or {"name": ...}.
        if isinstance(body, dict):
            body = body.get("labels", [])
        if not isinstance(body, list):
            raise _HttpError(422, "Validation Failed", [{"field": "labels", "code": "invalid"}])
        return [item["name"] if isinstance(item, dict) else str(item) for item in body]

    def _replace_labels(self, issue: _Issue, names: list[str]) -> None:
        new = self._resolve_labels(names)
        for name in issue.labels:
            if name not in new:
                self._new_event(issue, {"event": "unlabeled", "actor": self.viewer, "label": name})
        for name in new:
            if name not in issue.labels:
                self._new_event(issue, {"event": "labeled", "actor": self.viewer, "label": name})
        issue.labels = new
        issue.updated_at = self._now

    def _list_issue_labels(self, req: _Request, number: str) -> _Response:
        return self._paginate(req, self._issue_labels_json(self._issue(number)))

    def _add_issue_labels(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        self._tick()
        self._replace_labels(issue, issue.labels + self._label_names_from_body(req.body))
        return _Response(200, self._issue_labels_json(issue))

    def _set_issue_labels(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        self._tick()
        self._replace_labels(issue, self._label_names_from_body(req.body))
        return _Response(200, self._issue_labels_json(issue))

    def _clear_issue_labels(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        self._tick()
        self._replace_labels(issue, [])
        return _Response(204)

    def _remove_issue_label(self, req: _Request, number: str, name: str) -> _Response:
        issue = self._issue(number)
        present = [n for n in issue.labels if n.lower() == name.lower()]
        if not present:
            raise _HttpError(404, "Label does not exist")
        self._tick()
        self._replace_labels(issue, [n for n in issue.labels if n not in present])
        return _Response(200, self._issue_labels_json(issue))

    # ------------------------------------------------------------------ routes: reactions

    def _list_reactions(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        content = req.query.get("content")
        if content is not None and content not in REACTION_CONTENTS:
            # Note "+1" must be sent percent-encoded (%2B1); a raw "+" decodes to a space.
            raise self._invalid("Reaction", "content")
        reactions = [r for r in issue.reactions if content is None or r.content == content]
        return self._paginate(req, [self._reaction_json(r) for r in reactions])

    def _post_reaction(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        content = self._body_dict(req).get("content")
        if content not in REACTION_CONTENTS:
            raise self._invalid("Reaction", "content")
        for reaction in issue.reactions:
            if reaction.user == self.viewer and reaction.content == content:
                return _Response(200, self._reaction_json(reaction))  # GitHub: 200 when it already exists
        reaction = _Reaction(next(self._ids), self.viewer, content, self._tick())
        issue.reactions.append(reaction)
        return _Response(201, self._reaction_json(reaction))

    def _delete_reaction(self, req: _Request, number: str, rid: str) -> _Response:
        issue = self._issue(number)
        before = len(issue.reactions)
        issue.reactions = [r for r in issue.reactions if r.id != int(rid)]
        if len(issue.reactions) == before:
            raise _HttpError(404, "Not Found")
        return _Response(204)

    # ------------------------------------------------------------------ routes: timeline / events

    def _list_timeline(self, req: _Request, number: str) -> _Response:
        return self._paginate(req, self._timeline_json(self._issue(number), events_only=False))

    def _list_events(self, req: _Request, number: str) -> _Response:
        return self._paginate(req, self._timeline_json(self._issue(number), events_only=True))

    def _get_event(self, req: _Request, eid: str) -> _Response:
        found = self._events_by_id.get(int(eid))
        if found is None:
            raise _HttpError(404, "Not Found")
        data = self._event_json(found[1])
        data["issue"] = self._issue_json(self._issues[found[0]])
        return _Response(200, data)

    # ------------------------------------------------------------------ routes: pulls / commits

    def _list_pulls(self, req: _Request) -> _Response:
        q = req.query
        state = q.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise self._invalid("PullRequest", "state")
        head = q.get("head")
        head_ref = head.split(":", 1)[-1] if head else None
        items = [
            it
            for it in self._issues.values()
            if it.pull is not None
            and (state == "all" or it.state == state)
            and (q.get("base") is None or it.pull.base == q["base"])
            and (head_ref is None or it.pull.head == head_ref)
        ]
        sort = q.get("sort", "created")
        keys: dict[str, Callable[[_Issue], Any]] = {
            "created": lambda it: (it.created_at, it.number),
            "updated": lambda it: (it.updated_at, it.number),
            "popularity": lambda it: (len(it.comment_ids), it.number),
            "long-running": lambda it: (it.created_at, it.number),
        }
        if sort not in keys:
            raise self._invalid("PullRequest", "sort")
        # GitHub: desc by default for sort=created, asc otherwise.
        direction = q.get("direction", "desc" if sort == "created" else "asc")
        items = self._sort(items, keys[sort], direction)
        return self._paginate(req, [self._pull_json(it, full=False) for it in items])

    def _get_pull(self, req: _Request, number: str) -> _Response:
        issue = self._issue(number)
        if issue.pull is None:
            raise _HttpError(404, "Not Found")
        return _Response(200, self._pull_json(issue, full=True))

    def _find_commit(self, ref: str) -> _Commit:
        # GitHub accepts abbreviated SHAs; unknown ones are a 422, not a 404.
        if ref in self._commits:
            return self._commits[ref]
        matches = [c for sha, c in self._commits.items() if len(ref) >= 4 and sha.startswith(ref.lower())]
        if len(matches) != 1:
            raise _HttpError(422, f"No commit found for SHA: {ref}")
        return matches[0]

    def _get_commit(self, req: _Request, ref: str) -> _Response:
        return _Response(200, self._commit_json(self._find_commit(ref)))

    def _list_commits(self, req: _Request) -> _Response:
        """The commits reachable from `sha` (default: every known commit), newest first."""
        start = req.query.get("sha")
        if start is None:
            found = list(self._commits.values())
        else:
            found, stack, seen = [], [self._find_commit(start)], set()
            while stack:
                commit = stack.pop()
                if commit.sha in seen:
                    continue
                seen.add(commit.sha)
                found.append(commit)
                stack += [self._commits[p] for p in commit.parents if p in self._commits]
        found.sort(key=lambda c: c.date, reverse=True)
        return self._paginate(req, [self._commit_json(c) for c in found])

    def _list_commit_pulls(self, req: _Request, ref: str) -> _Response:
        commit = self._find_commit(ref)
        pulls = [self._pull_json(self._issues[n], full=False) for n in commit.pulls]
        return self._paginate(req, pulls)

    # ------------------------------------------------------------------ routes: releases

    def _release(self, rid: str) -> _Release:
        rel = self._releases.get(int(rid))
        if rel is None:
            raise _HttpError(404, "Not Found")
        return rel

    def _list_releases(self, req: _Request) -> _Response:
        rels = sorted(self._releases.values(), key=lambda r: (r.created_at, r.id), reverse=True)
        return self._paginate(req, [self._release_json(r) for r in rels])

    def _get_release(self, req: _Request, rid: str) -> _Response:
        return _Response(200, self._release_json(self._release(rid)))

    def _get_release_by_tag(self, req: _Request, tag: str) -> _Response:
        # "Get a *published* release with the specified tag": drafts are 404 here.
        for rel in self._releases.values():
            if rel.tag == tag and not rel.draft:
                return _Response(200, self._release_json(rel))
        raise _HttpError(404, "Not Found")

    def _get_latest_release(self, req: _Request) -> _Response:
        published = [r for r in self._releases.values() if not r.draft and not r.prerelease]
        if not published:
            raise _HttpError(404, "Not Found")
        return _Response(200, self._release_json(max(published, key=lambda r: (r.created_at, r.id))))

    def _post_release(self, req: _Request) -> _Response:
        body = self._body_dict(req)
        tag = body.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise self._invalid("Release", "tag_name", "missing_field")
        if any(r.tag == tag for r in self._releases.values()):
            raise self._invalid("Release", "tag_name", "already_exists")
        now = self._tick()
        draft = bool(body.get("draft", False))
        rel = _Release(
            id=next(self._ids),
            tag=tag,
            name=body.get("name"),
            body=body.get("body"),
            draft=draft,
            prerelease=bool(body.get("prerelease", False)),
            target_commitish=body.get("target_commitish") or "main",
            author=self.viewer,
            created_at=now,
            published_at=None if draft else now,
        )
        self._releases[rel.id] = rel
        data = self._release_json(rel)
        return _Response(201, data, {"Location": data["url"]})

    def _patch_release(self, req: _Request, rid: str) -> _Response:
        rel = self._release(rid)
        body = self._body_dict(req)
        tag = body.get("tag_name")
        if tag and tag != rel.tag and any(r.tag == tag for r in self._releases.values()):
            raise self._invalid("Release", "tag_name", "already_exists")
        if tag:
            rel.tag = tag
        for key in ("name", "body", "target_commitish"):
            if key in body:
                setattr(rel, key, body[key])
        if "prerelease" in body:
            rel.prerelease = bool(body["prerelease"])
        if "draft" in body:
            rel.draft = bool(body["draft"])
            if not rel.draft and rel.published_at is None:
                rel.published_at = self._tick()
        return _Response(200, self._release_json(rel))

    def _delete_release(self, req: _Request, rid: str) -> _Response:
        del self._releases[self._release(rid).id]
        return _Response(204)


def serve(**kwargs: Any) -> FakeGitHub:
    """Create and start a FakeGitHub; fixtures become one-liners::

    @pytest.fixture
    def github_server():
        with serve() as server:
            yield server
    """
    return FakeGitHub(**kwargs).start()


def pygithub_client(server: FakeGitHub, **overrides: Any) -> github.Github:
    """A PyGithub client pointed at ``server`` and tuned for fast tests.

    PyGithub throttles by default (0.25 s between requests, 1 s between
    writes) and its default GithubRetry waits 60 s on a secondary rate limit
    without Retry-After; both are switched off/shortened here.  Any
    ``github.Github`` keyword can be overridden (e.g. ``retry=None``)."""
    import github  # local import: the server itself is stdlib-only

    kwargs: dict[str, Any] = {
        "auth": github.Auth.Token(server.token),
        "base_url": server.url,
        "retry": github.GithubRetry(total=5, backoff_factor=0, secondary_rate_wait=0.05),
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
        "timeout": 10,
    }
    kwargs.update(overrides)
    return github.Github(**kwargs)
