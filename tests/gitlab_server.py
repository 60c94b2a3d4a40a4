"""A small in-process fake of GitLab's REST v4 API for tests (standard library only).

It speaks enough of GitLab's JSON shapes that *unmodified* python-gitlab works
against it for what tracker uses: one project (its id may be the URL-encoded
path or the number), issues with labels, notes and award emoji, labels, merge
requests (by iid, and by commit), and releases by tag. Lists are paginated the
GitLab way (`X-Page`, `X-Next-Page`, `X-Total`, `X-Total-Pages` and a `Link`
header, which python-gitlab follows). Auth is the `PRIVATE-TOKEN` header; a
`JOB-TOKEN` counts only on the releases API (elsewhere GitLab treats the
request as anonymous, which may read a public project and write nothing).

Every request is logged; faults can be injected: a seeded fraction of 502s,
429 with Retry-After every N requests, writes refused (500, not applied) after
K more, and writes applied whose answer is a 502.

Issues can change under a client the way GitLab's do: `gone` (iid → 404) answers
every request about an issue, while the listing still shows it (deleted since a
client listed it); `lock(iid)` locks its discussion, and a note on a locked
issue is refused with GitLab's bare 403 while `locked_refuses_notes` (a token
that is not a project member); `move_issue(iid)` closes it with `moved_to_id`
set, as GitLab keeps a moved issue's original.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

WRITES = frozenset({"POST", "PUT", "DELETE"})
API = "/api/v4"
Json = dict[str, Any]


class Record(NamedTuple):
    """One served request; `path` is decoded and relative to /api/v4."""

    method: str
    path: str
    query: list[tuple[str, str]]
    status: int


class _Error(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitLab and requests' pool expect
    disable_nagle_algorithm = True  # headers and body in two writes: no 40 ms delayed-ACK stall

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""  # always drain, for the next request
        fake: FakeGitLab = self.server.fake  # type: ignore[attr-defined]
        status, headers, body = fake.handle(self.command, self.path, self.headers, raw)
        self.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return  # the structured log is FakeGitLab.log; headers (tokens) are never logged


class FakeGitLab:
    """In-memory GitLab for one project, served over HTTP on 127.0.0.1 (port 0: any free port)."""

    def __init__(self, path: str = "acme/app", *, token: str = "t0k3n", job_token: str = "j0b-t0k3n",
                 viewer: str = "tracker-bot", project_id: int = 7, public: bool = False,
                 legacy_duplicates: bool = False) -> None:
        self.path, self.project_id, self.viewer = path, project_id, viewer
        self.token, self.job_token, self.public = token, job_token, public
        self.legacy_duplicates = legacy_duplicates  # before GitLab 15.1: no _links.closed_as_duplicate_of
        self._lock = threading.RLock()
        self._ids = itertools.count(1001)
        self._now = datetime(2024, 1, 1, tzinfo=timezone.utc)
        self.issues: dict[int, Json] = {}
        self.notes: dict[int, list[Json]] = {}
        self.awards: dict[int, list[Json]] = {}
        self.labels: dict[str, Json] = {}  # lower-cased name → label
        self.mrs: dict[int, Json] = {}
        self.commit_mrs: dict[str, list[int]] = {}
        self.mr_closes: dict[int, list[int]] = {}  # MR iid → issues GitLab says it closes (description, links)
        self.releases: dict[str, Json] = {}
        self.log: list[Record] = []
        self.errors: list[str] = []  # bugs in the fake itself
        self.fault_count = self.writes_applied = 0
        self.fail_rate = 0.0
        self.faults_on_writes_only = False
        self.rate_limit_every = 0
        self.retry_after = "1"
        self.refuse_writes_after: int | None = None  # counted from writes_applied at that moment
        self.refuse_base = 0
        self.drop_after_write = False  # apply every write, then answer 502
        # (method, path) → None, or a status to answer without applying the write: a concurrent run's move
        self.before_write: Callable[[str, str], int | None] | None = None
        self.gone: dict[int, int] = {}  # iid → status (404) for every request about that issue
        self.locked_refuses_notes = True
        self._rng = random.Random(0)
        self._counter = 0
        self._current_path = ""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- lifecycle, knobs, log -------------------------------------------------------

    @property
    def url(self) -> str:
        """The server root: what CI_SERVER_URL holds (the API is below it, at /api/v4)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeGitLab:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def reseed(self, seed: int) -> None:
        """Restart the fault RNG so a run's 502 pattern is reproducible."""
        self._rng = random.Random(seed)

    def refuse_after(self, k: int | None) -> None:
        """From now on, apply K more writes, then answer every write 500 without applying it."""
        self.refuse_writes_after, self.refuse_base = k, self.writes_applied

    def reads(self, pattern: str | None = None) -> int:
        """GET requests served (faulted ones included) whose path matches `pattern`."""
        return self._count(lambda m: m == "GET", pattern)

    def writes(self, pattern: str | None = None) -> int:
        """POST/PUT/DELETE requests served (faulted ones included) whose path matches `pattern`."""
        return self._count(lambda m: m in WRITES, pattern)

    def _count(self, method_ok: Callable[[str], bool], pattern: str | None) -> int:
        with self._lock:
            return sum(1 for r in self.log if method_ok(r.method) and (pattern is None or re.search(pattern, r.path)))

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()
            self.fault_count = 0

    # -- seeding ---------------------------------------------------------------------

    def _tick(self) -> str:
        self._now += timedelta(seconds=1)  # every change one second later: orders are deterministic
        return self._now.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def user(self, login: str | None) -> Json:
        """GitLab's basic user object; None is a deleted account (GitLab's ghost user)."""
        login = login or "ghost"
        return {"id": sum(map(ord, login)), "username": login, "name": login.title(), "state": "active",
                "avatar_url": None, "web_url": f"{self.url}/{login}"}

    def add_issue(self, iid: int, title: str, user: str | None = "alice", labels: list[str] | None = None,
                  state: str = "opened", duplicate_of: int | None = None, confidential: bool = False,
                  locked: bool = False) -> Json:
        with self._lock:
            stamp = self._tick()
            self.issues[iid] = {
                "id": next(self._ids), "iid": iid, "project_id": self.project_id, "title": title,
                "description": "", "state": state, "created_at": stamp, "updated_at": stamp,
                "closed_at": stamp if state == "closed" else None, "labels": list(labels or []),
                "author": self.user(user), "confidential": confidential,
                "discussion_locked": True if locked else None, "moved_to_id": None,
                "web_url": f"{self.url}/{self.path}/-/issues/{iid}", "duplicate_of": duplicate_of}
            self.notes[iid], self.awards[iid] = [], []
            return self.issues[iid]

    def lock(self, iid: int) -> None:
        """Lock the issue's discussion (GitLab's `discussion_locked`)."""
        with self._lock:
            self.issues[iid]["discussion_locked"] = True

    def move_issue(self, iid: int) -> None:
        """What moving an issue to another project leaves here: the original, closed, naming its copy."""
        with self._lock:
            self.issues[iid].update(state="closed", closed_at=self._tick(), moved_to_id=next(self._ids))

    def add_award(self, iid: int, user: str | None, name: str = "thumbsup") -> None:
        with self._lock:
            self.awards[iid].append({"id": next(self._ids), "name": name, "user": self.user(user),
                                     "created_at": self._tick(), "awardable_type": "Issue"})

    def add_note(self, iid: int, user: str | None, body: str, system: bool = False) -> Json:
        with self._lock:
            stamp = self._tick()
            note = {"id": next(self._ids), "body": body, "author": self.user(user), "created_at": stamp,
                    "updated_at": stamp, "system": system, "noteable_type": "Issue", "noteable_iid": iid}
            self.notes[iid].append(note)
            return note

    def add_label(self, name: str, color: str = "#6699cc", description: str | None = None) -> Json:
        with self._lock:
            label = {"id": next(self._ids), "name": name, "color": color, "description": description}
            return self.labels.setdefault(name.lower(), label)

    def add_mr(self, iid: int, title: str, description: str = "", user: str = "dev", state: str = "merged",
               merge_commit_sha: str | None = None, squash_commit_sha: str | None = None,
               target_branch: str = "main") -> None:
        with self._lock:
            self.mrs[iid] = {
                "id": next(self._ids), "iid": iid, "project_id": self.project_id, "title": title,
                "description": description, "state": state, "author": self.user(user),
                "merged_at": self._tick() if state == "merged" else None, "merge_commit_sha": merge_commit_sha,
                "squash_commit_sha": squash_commit_sha, "target_branch": target_branch,
                "source_branch": f"branch-{iid}", "web_url": f"{self.url}/{self.path}/-/merge_requests/{iid}"}

    def link_mr_closes(self, iid: int, *issues: int) -> None:
        """GitLab lists `issues` under the MR's "closes issues" (`GET .../merge_requests/:iid/closes_issues`)."""
        with self._lock:
            self.mr_closes.setdefault(iid, []).extend(issues)

    def link_commit_mr(self, sha: str, iid: int) -> None:
        """GitLab knows commit `sha` and lists MR `iid` as having brought it in."""
        self.commit_mrs.setdefault(sha, []).append(iid)

    def add_release(self, tag: str, description: str = "", name: str | None = None) -> None:
        with self._lock:
            self.releases[tag] = {"tag_name": tag, "name": name or tag, "description": description,
                                  "created_at": self._tick(), "author": self.user(self.viewer)}

    def snapshot(self) -> Json:
        """The meaningful state (no ids, no times): what two runs must agree on."""
        with self._lock:
            issues = {str(i): {"state": it["state"], "labels": it["labels"],
                               "notes": [[n["author"]["username"], n["body"]] for n in self.notes[i]]}
                      for i, it in sorted(self.issues.items())}
            labels = {k: [v["name"], v["color"], v["description"]] for k, v in sorted(self.labels.items())}
            releases = {t: [r["name"], r["description"]] for t, r in sorted(self.releases.items())}
            return {"issues": issues, "labels": labels, "releases": releases}

    # -- JSON shapes -----------------------------------------------------------------

    def _issue_json(self, it: Json) -> Json:
        api = f"{self.url}{API}/projects/{self.project_id}"
        out = {k: v for k, v in it.items() if k != "duplicate_of"}
        names = [a["name"] for a in self.awards[it["iid"]]]
        out.update(upvotes=names.count("thumbsup"), downvotes=names.count("thumbsdown"),
                   user_notes_count=sum(1 for n in self.notes[it["iid"]] if not n["system"]))
        links = {"self": f"{api}/issues/{it['iid']}", "notes": f"{api}/issues/{it['iid']}/notes",
                 "award_emoji": f"{api}/issues/{it['iid']}/award_emoji", "project": api}
        if not self.legacy_duplicates:
            target = it["duplicate_of"]
            links["closed_as_duplicate_of"] = f"{api}/issues/{target}" if target else None
        out["_links"] = links
        return out

    # -- HTTP ------------------------------------------------------------------------

    def handle(self, method: str, raw: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Serve one request: faults, auth, route; log it. Returns (status, headers, body)."""
        parts = urlsplit(raw)
        query = parse_qsl(parts.query, keep_blank_values=True)
        with self._lock:
            status, extra, payload, fault = self._respond(method, parts.path, query, headers, body)
            self.fault_count += fault
            self.log.append(Record(method, unquote(parts.path.removeprefix(API)), query, status))
        data = b"" if payload is None else json.dumps(payload).encode()
        return status, {"Content-Type": "application/json", **extra}, data

    def _respond(self, method: str, path: str, query: list[tuple[str, str]], headers: Any,
                 body: bytes) -> tuple[int, dict[str, str], Any, int]:
        write = method in WRITES
        self._current_path = path  # for the Link headers of a listing
        eligible = write or not self.faults_on_writes_only
        if eligible and self.rate_limit_every:
            self._counter += 1
            if self._counter % self.rate_limit_every == 0:  # refused before acting, like GitLab's
                return 429, {"Retry-After": self.retry_after}, {"message": "429 Too Many Requests"}, 1
        if eligible and self.fail_rate and self._rng.random() < self.fail_rate:
            return 502, {}, {"message": "502 Bad Gateway"}, 1
        if not self._allowed(method, path, headers):
            return 401, {}, {"message": "401 Unauthorized"}, 0
        if write and self.refuse_writes_after is not None \
                and self.writes_applied - self.refuse_base >= self.refuse_writes_after:
            return 500, {}, {"message": "500 Internal Server Error"}, 1
        if write and self.before_write is not None:
            refused = self.before_write(method, unquote(path.removeprefix(API)))
            if refused is not None:
                return refused, {}, {"message": f"{refused} refused by the test"}, 1
        status, extra, payload = self._route(method, path, query, body)
        if write and status < 300:
            self.writes_applied += 1
            if self.drop_after_write:
                return 502, {}, {"message": "502 Bad Gateway"}, 1
        return status, extra, payload, 0

    def _current_user(self) -> Json:
        """`GET /user`: the token's own account (GitLab's fuller user object)."""
        return {**self.user(self.viewer), "bot": self.viewer.startswith("project_"), "locked": False,
                "created_at": "2024-01-01T00:00:00.000Z", "is_admin": False}

    def _allowed(self, method: str, path: str, headers: Any) -> bool:
        private, job = headers.get("PRIVATE-TOKEN"), headers.get("JOB-TOKEN")
        if path == f"{API}/user":
            return private is not None and private == self.token  # a job token is no user
        if private is not None:
            return bool(private == self.token)
        if job is not None and job == self.job_token and "/releases" in path:
            return True  # the one API of these that accepts a job token
        return self.public and method == "GET"  # anonymous: reads of a public project only

    def _route(self, method: str, path: str, query: list[tuple[str, str]],
               body: bytes) -> tuple[int, dict[str, str], Any]:
        if method == "GET" and path == f"{API}/user":
            return 200, {}, self._current_user()
        match = re.fullmatch(rf"{API}/projects/([^/]+)(/.*)?", path)
        if not match or unquote(match.group(1)).lower() not in (self.path.lower(), str(self.project_id)):
            return 404, {}, {"message": "404 Project Not Found"}
        rest = match.group(2) or ""
        vanished = re.match(r"/issues/(\d+)(?:/|\Z)", rest)
        if vanished and int(vanished.group(1)) in self.gone:
            status = self.gone[int(vanished.group(1))]
            return status, {}, {"message": f"{status} Issue Not Found" if status == 404 else f"{status} Gone"}
        for verb, pattern, handler in self._routes():
            found = re.fullmatch(pattern, rest)
            if verb == method and found:
                try:
                    data = json.loads(body) if body.strip() else {}
                    result = handler(query, data, *(unquote(g) for g in found.groups()))
                except _Error as exc:
                    return exc.status, {}, {"message": exc.message}
                except Exception:  # a bug in the fake: record it, let the test fail on it
                    import traceback
                    self.errors.append(traceback.format_exc())
                    return 500, {}, {"message": "fake server error"}
                if isinstance(result, tuple):
                    return result
                return (201 if method == "POST" else 204 if result is None else 200), {}, result
        return 404, {}, {"message": "404 Not Found"}

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            ("GET", r"", lambda q, d: {"id": self.project_id, "path_with_namespace": self.path,
                                        "web_url": f"{self.url}/{self.path}"}),
            ("GET", r"/issues", self._list_issues),
            ("GET", r"/issues/(\d+)", lambda q, d, i: self._issue_json(self._issue(i))),
            ("PUT", r"/issues/(\d+)", self._put_issue),
            ("GET", r"/issues/(\d+)/notes", self._list_notes),
            ("POST", r"/issues/(\d+)/notes", self._post_note),
            ("DELETE", r"/issues/(\d+)/notes/(\d+)", self._delete_note),
            ("GET", r"/issues/(\d+)/award_emoji", lambda q, d, i: self._page(q, self.awards[self._issue(i)["iid"]])),
            ("GET", r"/labels", lambda q, d: self._page(q, list(self.labels.values()))),
            ("GET", r"/labels/([^/]+)", lambda q, d, name: self._found(self.labels.get(name.lower()), "Label")),
            ("POST", r"/labels", self._post_label),
            ("GET", r"/merge_requests", self._list_mrs),
            ("GET", r"/merge_requests/(\d+)", lambda q, d, i: self._found(self.mrs.get(int(i)), "Merge Request")),
            ("GET", r"/merge_requests/(\d+)/closes_issues", self._mr_closes),
            ("GET", r"/repository/commits/([0-9a-f]+)/merge_requests", self._commit_mrs),
            ("GET", r"/releases", lambda q, d: self._page(q, list(self.releases.values()))),
            ("GET", r"/releases/([^/]+)", lambda q, d, tag: self._found(self.releases.get(tag), "Release")),
            ("POST", r"/releases", self._post_release),
            ("PUT", r"/releases/([^/]+)", self._put_release),
        ]

    # -- handlers --------------------------------------------------------------------

    @staticmethod
    def _found(item: Json | None, what: str) -> Json:
        if item is None:
            raise _Error(404, f"404 {what} Not Found")
        return item

    def _issue(self, iid: str) -> Json:
        return self._found(self.issues.get(int(iid)), "Issue")

    def _page(self, query: list[tuple[str, str]], items: list[Any]) -> tuple[int, dict[str, str], Any]:
        """GitLab pagination: page/per_page (default 20, at most 100), X-* headers and Link."""
        q = dict(query)
        per_page = min(max(int(q.get("per_page", 20)), 1), 100)
        page = max(int(q.get("page", 1)), 1)
        pages = max(math.ceil(len(items) / per_page), 1)
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
                   "X-Total-Pages": str(pages), "X-Next-Page": str(page + 1) if page < pages else "",
                   "X-Prev-Page": str(page - 1) if page > 1 else ""}
        path = self._current_path

        def link(n: int, rel: str) -> str:
            params = [(k, v) for k, v in query if k != "page"] + [("page", str(n))]
            return f'<{self.url}{quote(path, safe="/%")}?{urlencode(params)}>; rel="{rel}"'

        rels = ([link(page - 1, "prev")] if page > 1 else []) + ([link(page + 1, "next")] if page < pages else [])
        headers["Link"] = ", ".join([*rels, link(1, "first"), link(pages, "last")])
        return 200, headers, items[(page - 1) * per_page: page * per_page]

    def _list_issues(self, query: list[tuple[str, str]], data: Json) -> Any:
        q = dict(query)
        wanted = {x.lower() for x in q.get("labels", "").split(",") if x}
        iids = {int(v) for k, v in query if k == "iids[]"}
        state = q.get("state", "all")
        found = [self._issue_json(it) for it in sorted(self.issues.values(), key=lambda x: -x["iid"])
                 if wanted <= {x.lower() for x in it["labels"]} and (not iids or it["iid"] in iids)
                 and state in ("all", it["state"])]
        return self._page(query, found)

    def _put_issue(self, query: list[tuple[str, str]], data: Json, iid: str) -> Json:
        it = self._issue(iid)
        names = {x.lower() for x in it["labels"]}
        for name in [x for x in str(data.get("add_labels", "")).split(",") if x]:
            self.add_label(name)  # GitLab creates a label it does not know yet
            if name.lower() not in names:
                it["labels"].append(self.labels[name.lower()]["name"])
        removed = {x.lower() for x in str(data.get("remove_labels", "")).split(",") if x}
        it["labels"] = [x for x in it["labels"] if x.lower() not in removed]
        event = data.get("state_event")
        if event in ("close", "reopen"):
            it["state"] = "closed" if event == "close" else "opened"
        it["updated_at"] = self._tick()
        return self._issue_json(it)

    def _list_notes(self, query: list[tuple[str, str]], data: Json, iid: str) -> Any:
        notes = sorted(self.notes[self._issue(iid)["iid"]], key=lambda n: (n["created_at"], n["id"]))
        return self._page(query, notes if dict(query).get("sort", "desc") == "asc" else notes[::-1])

    def _post_note(self, query: list[tuple[str, str]], data: Json, iid: str) -> Json:
        issue = self._issue(iid)
        if issue["discussion_locked"] and self.locked_refuses_notes:
            raise _Error(403, "403 Forbidden")  # GitLab does not say why
        return self.add_note(issue["iid"], self.viewer, data["body"])

    def _delete_note(self, query: list[tuple[str, str]], data: Json, iid: str, nid: str) -> None:
        notes = self.notes[self._issue(iid)["iid"]]
        self._found(next((n for n in notes if n["id"] == int(nid)), None), "Note")
        notes[:] = [n for n in notes if n["id"] != int(nid)]

    def _post_label(self, query: list[tuple[str, str]], data: Json) -> Json:
        if data.get("name", "").lower() in self.labels:
            raise _Error(409, "Label already exists")
        return self.add_label(data["name"], data.get("color", "#6699cc"), data.get("description"))

    def _list_mrs(self, query: list[tuple[str, str]], data: Json) -> Any:
        iids = {int(v) for k, v in query if k == "iids[]"}
        state = dict(query).get("state", "all")
        return self._page(query, [mr for i, mr in sorted(self.mrs.items(), reverse=True)
                                  if (not iids or i in iids) and state in ("all", mr["state"])])

    def _mr_closes(self, query: list[tuple[str, str]], data: Json, iid: str) -> Any:
        self._found(self.mrs.get(int(iid)), "Merge Request")
        return self._page(query, [self._issue_json(self.issues[n]) for n in self.mr_closes.get(int(iid), [])
                                  if n in self.issues])

    def _commit_mrs(self, query: list[tuple[str, str]], data: Json, sha: str) -> Any:
        if sha not in self.commit_mrs:
            raise _Error(404, "404 Commit Not Found")
        return self._page(query, [self.mrs[i] for i in self.commit_mrs[sha] if i in self.mrs])

    def _post_release(self, query: list[tuple[str, str]], data: Json) -> Json:
        if data["tag_name"] in self.releases:
            raise _Error(409, "Release already exists")
        self.add_release(data["tag_name"], data.get("description") or "", data.get("name"))
        return self.releases[data["tag_name"]]

    def _put_release(self, query: list[tuple[str, str]], data: Json, tag: str) -> Json:
        release = self._found(self.releases.get(tag), "Release")
        release.update({k: data[k] for k in ("name", "description") if k in data})
        return release
