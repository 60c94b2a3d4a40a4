"""What code-host plugins (GitHub, GitLab, …) share, as rules on plain values: no HTTP,
no click, no client library (the issue-system skeleton built on them is `_codehost.py`).

* the release-notes section between tracker's markers, maintainer text kept (`splice`),
  and the release-notes publisher (it only hands the changelog to the issue system);
* whose comments are ours (`Identity`), our hidden marker among them, and which copies
  of our own comment to delete after two runs raced;
* "duplicate of #N" read with the reference grammar (`duplicate_target`);
* repository slugs: validation (`owner/name`, GitLab's `group/sub/project`), the
  config → variable → origin-remote order, and parsing a git remote URL;
* the check-then-write protocol (`settle`): a write whose answer was lost is looked for
  before it is sent again;
* issues that changed under a run (`vanished`, the gone and locked notes), counting API
  calls, grouping a build's pull-request claims.

Plugins reach all of this through `tracker.hooks`; this module is private.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tracker import _grammar as links
from tracker._contract import BuildToPublish, Publisher
from tracker._errors import BadInput

T = TypeVar("T")
START = "<!-- tracker:start -->"
END = "<!-- tracker:end -->"
WRITE_ATTEMPTS = 3  # a write that keeps failing after re-checks: the host is down, stop

# -- release notes -------------------------------------------------------------------


class ReleaseNotes(Publisher):
    """Hands the build's Markdown changelog to the issue system's `release_notes`.

    Nothing here is host-specific; each code-host plugin offers it under its own
    name (`github-release`, `gitlab-release`).
    """

    formats = ("markdown",)

    def publish(self, build: BuildToPublish) -> list[str]:
        """Write (or on dry run, describe) the release-notes section of this build."""
        return build.issues.release_notes(build.report["build"], build.texts["markdown"])


def splice(body: str, section: str) -> str:
    """`body` with `section` between the markers: replaced there, else appended.

    Everything outside the markers is kept byte for byte (line endings included);
    the first time, the section goes after a blank line below what people wrote.
    """
    inner = "\n" + section.strip("\n") + "\n"
    end = body.find(END)
    start = body.rfind(START, 0, end) if end >= 0 else -1
    if start >= 0:  # the last start before the first end: a stray start above is left alone
        return body[: start + len(START)] + inner + body[end:]
    block = START + inner + END + "\n"
    if not body:
        return block
    gap = "" if body.endswith("\n\n") else "\n" if body.endswith("\n") else "\n\n"
    return body + gap + block


# -- our own comments ----------------------------------------------------------------


class Identity:
    """Whose comments are tracker's own on a host: those the token's own account wrote.

    The host is asked once, and only when a comment carrying our marker needs judging
    (`lookup` gives the token's login, or None when the host will not say, as for a
    GitHub App's installation token). A comment this run posted teaches the login
    without asking. Without a login, only a bot account counts as ours: a bot comments
    only where the repository's admins installed its app; a fan never comments as one.
    """

    def __init__(self, lookup: Callable[[], str | None]):
        self._lookup = lookup
        self._login: str | None = None
        self._known = False

    def learn(self, login: str | None) -> None:
        """The author of a comment this run has just posted: certainly the token's account."""
        if login:
            self._login, self._known = login, True

    def owns(self, login: str | None, bot: bool) -> bool:
        """Did the token's account write a comment by `login` (`bot`: a bot account's)?"""
        if not login:
            return False  # a deleted account (GitHub's ghost) is nobody's
        if not self._known:
            self._login, self._known = self._lookup(), True
        return login.lower() == self._login.lower() if self._login is not None else bot


def has_marker(comments: Iterable[T], tag: str, body: Callable[[T], str | None],
               ours: Callable[[T], bool]) -> bool:
    """Does one of our own comments carry the hidden marker `tag`? A fan who pastes the
    marker into a comment of their own marks nothing (and stops no thank-you)."""
    return any(tag in (body(c) or "") and ours(c) for c in comments)


def extra_copies(comments: Sequence[T], tag: str, body: Callable[[T], str | None],
                 author: Callable[[T], str | None], age: Callable[[T], Any], ours: Callable[[T], bool]) -> list[T]:
    """Our comments carrying `tag` beyond the oldest one: what to delete after two runs both posted.

    Only our own comments count, and only by the oldest one's author: someone else quoting
    our marker wrote their own comment, which is not ours to delete.
    """
    mine = sorted((c for c in comments if tag in (body(c) or "") and ours(c)), key=age)
    return [c for c in mine[1:] if author(c) == author(mine[0])]


# -- duplicates ----------------------------------------------------------------------


def duplicate_target(bodies: Iterable[str | None], own: str, repo: links.Repository,
                     pattern: re.Pattern[str]) -> str | None:
    """The request that issue `own` duplicates, from its comments (the latest statement wins).

    `pattern` finds the host's own words for it (its group 1: the reference), such
    as GitHub's "Duplicate of #N" comment line or GitLab's system note.

    The target is read with the reference grammar, so `#12`, `owner/name#12` of
    this repository and the issue's URL count; another repository's issue does not.
    """
    target = None
    for body in bodies:
        for match in pattern.finditer(body or ""):
            closes, mentions = links.references(match.group(1), repo)
            named = [i for i in closes + mentions if i != own]
            target = named[0] if named else target
    return target


# -- repository slugs ----------------------------------------------------------------

# GitHub: an owner is letters, digits and single hyphens (underscores for managed
# users), at most 39 characters; a name is letters, digits, `.`, `-` and `_`, at
# most 100 characters, and never `.` or `..`.
_GITHUB_SLUG = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})/(?!\.{1,2}\Z)[A-Za-z0-9._-]{1,100}\Z")
# GitLab: a path segment is letters, digits, `_`, `-` and `.`, starts with a letter,
# digit or `_`, and does not end in `.git` or `.atom`; groups nest 20 deep at most.
_GITLAB_SEGMENT = r"(?!\S*\.(?:git|atom)(?:/|\Z))[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}"
_GITLAB_SLUG = re.compile(rf"\A{_GITLAB_SEGMENT}(?:/{_GITLAB_SEGMENT}){{1,20}}\Z")
# `https://host/o/n(.git)`, `git@host:o/n(.git)`, `ssh://git@host:22/o/n(.git)`, any depth.
_REMOTE = re.compile(
    r"\A(?:[a-z+]+://(?:[^@/]+@)?(?P<host1>[^/:]+)(?::\d+)?/|(?:[^@/]+@)?(?P<host2>[^/:]+):)"
    r"(?P<path>[^?#]+?)(?:\.git)?/?\Z"
)


def valid_slug(slug: str, nested: bool = False) -> bool:
    """A well-formed GitHub `owner/name`; with `nested`, a GitLab `group/sub/project`."""
    return bool((_GITLAB_SLUG if nested else _GITHUB_SLUG).match(slug))


def slug_from_remote(url: str, hosts: set[str] | None) -> str | None:
    """The repository path of a git remote URL on one of `hosts` (any host for None), or None."""
    match = _REMOTE.match(url.strip())
    if not match:
        return None
    host = (match.group("host1") or match.group("host2") or "").lower()
    if hosts is not None and host not in hosts:
        return None
    return match.group("path").strip("/")


def url_from(env: Mapping[str, str], variable: str, default: str) -> str:
    """The http(s) URL in `variable` (a self-hosted server, or a test server), else `default`;
    without a trailing slash. Anything else there is BadInput."""
    url = (env.get(variable) or default).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{variable}: '{url}' is not an http(s) URL")
    return url


def origin_url(root: Path) -> str | None:
    """The `origin` remote's URL as configured, or None when there is no origin (reads git config)."""
    try:
        done = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=root,
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def resolve_slug(configured: str | None, variable: str, value: str | None, remote: Callable[[], str | None],
                 hosts: set[str], host: str, form: str, nested: bool = False) -> str:
    """`repository:` from the config, else the CI variable, else the origin remote.

    The first source that is set decides: a malformed value is BadInput, never a
    reason to try the next source (a typo must not write to another repository).
    `host` ("GitHub") and `form` ("owner/name") only shape the messages.
    """
    def checked(slug: str, source: str) -> str:
        if not valid_slug(slug, nested):
            raise BadInput(f"{source}: '{slug}' is not a {host} repository; expected {form} (like acme/app)")
        return slug

    if configured is not None:
        return checked(configured.strip(), "repository in the config")
    if value is not None and value != "":
        return checked(value.strip(), variable)
    url = remote()
    if url is None:
        raise BadInput(f"no {host} repository: set {variable}={form} or 'repository:' in the config")
    found = slug_from_remote(url, hosts)
    if found is None:
        raise BadInput(f"the origin remote is not a {host} repository: set {variable}={form}"
                       " or 'repository:' in the config")
    return checked(found, "the origin remote")


# -- check, then write -----------------------------------------------------------------


def settle(write: Callable[[], T], landed: Callable[[], bool], ambiguous: Callable[[BaseException], bool],
           attempts: int = WRITE_ATTEMPTS, give_up: Callable[[BaseException], bool] | None = None) -> T | None:
    """Do one write that must happen exactly once; never repeat it without looking first.

    The caller has already read that the write is needed. After an ambiguous
    failure (a 5xx or a lost answer may come after the write was applied),
    `landed()` re-reads the host: if the write is there we are done, otherwise it
    is sent again, `attempts` times in all, or not at all when `give_up(exc)`
    says the client already retried it. Returns the write's result, or None when
    it was found already applied. Non-ambiguous failures propagate at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except Exception as exc:
            if not ambiguous(exc):
                raise
            if landed():
                return None
            if attempt == attempts or (give_up is not None and give_up(exc)):
                raise
    return None  # unreachable: the last attempt returns or raises


# -- issues that changed under a run -----------------------------------------------------

# What a host answers about an issue that left: moved or transferred away (404), deleted (410).
GONE = frozenset({404, 410})


def vanished(status: int | None, request_id: str, confirm: Callable[[], bool]) -> bool:
    """After a 404 or 410 about a request listed earlier: has its issue left the repository?

    `confirm()` reads the issue again and says whether it is gone; a 404 for any
    other reason (the repository itself, the token's reach) stays the error it is.
    """
    return status in GONE and request_id.isdecimal() and confirm()


def gone_note(request_id: str, slug: str, skipped: str, how: str = "deleted or transferred") -> str:
    """The note for a request whose issue left `slug` after it was listed."""
    return f"note: #{request_id} is no longer an issue of {slug} ({how} since it was listed); skipped {skipped}"


def locked_note(request_id: str, host: str, what: str) -> str:
    """The note for a comment refused because the issue's conversation is locked."""
    return (f"note: #{request_id} is locked and {host} refused the {what}; skipped it"
            " (the rest of the mark is still applied)")


# -- bookkeeping -------------------------------------------------------------------------


@dataclass
class Calls:
    """API requests sent (retries included), by kind: what `-v` reports."""

    reads: int = 0
    writes: int = 0

    def saw(self, method: str | None) -> None:
        """Count one request sent with `method`."""
        if (method or "GET").upper() in ("GET", "HEAD"):
            self.reads += 1
        else:
            self.writes += 1


def claims_by_number(claims: Mapping[str, str]) -> dict[int, list[str]]:
    """Pull-request number → the (lower-cased) commits whose messages claim it."""
    by_number: dict[int, list[str]] = {}
    for sha, number in claims.items():
        if number.isdigit():
            by_number.setdefault(int(number), []).append(sha.lower())
    return by_number
