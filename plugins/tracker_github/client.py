"""The PyGithub client: construction, retry policy, call counting, error translation.

Retries are PyGithub's own `GithubRetry` (urllib3 underneath), configured so
that a request is repeated blindly only when repeating it cannot do harm:

* GET/HEAD (reads) and PUT/DELETE/PATCH are retried on 5xx. Every PATCH this
  plugin sends sets absolute values (`state=closed`, a release body), and every
  DELETE removes one named thing, so sending them twice ends in the same state.
* POST is *not* retried on 5xx: a 502 may arrive after the comment was posted,
  and a second POST would post it twice. `write` re-reads and checks instead.
* Rate-limit answers (403/429) are retried for every method, honouring
  Retry-After: GitHub refuses those requests before acting on them.

This module imports PyGithub, so it is only imported once the plugin is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import github
import requests
from github import GithubException, GithubRetry

from tracker.hooks import BadInput, Calls, __version__, install_log_filter, remember, settle

if TYPE_CHECKING:
    from tracker_github.settings import Settings

T = TypeVar("T")
RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
RATE_LIMITED = frozenset({403, 429})


class CountingRetry(GithubRetry):
    """GithubRetry that counts every response and retries rate limits for any method."""

    def __init__(self, counter: Calls | None = None, posts_read: bool = False, **kwargs: Any) -> None:
        self.counter = counter if counter is not None else Calls()
        self.posts_read = posts_read  # this client's POSTs are GraphQL queries: reads
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> CountingRetry:
        """The Retry for the next attempt, sharing this one's counter."""
        # urllib3 makes a new Retry per attempt; the counter must survive that.
        kw["counter"] = self.counter
        kw["posts_read"] = self.posts_read
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Count the response; say whether to retry it (see the module docstring)."""
        # urllib3 asks this about every response it receives, retried attempts
        # included, so it is the one place that sees each request exactly once.
        self.counter.saw("GET" if self.posts_read and method == "POST" else method)
        if status_code in RATE_LIMITED and self.total:
            # GithubRetry.increment then retries only genuine rate limits and
            # raises the GitHub error for any other 403.
            return True
        return bool(super().is_retry(method, status_code, has_retry_after))


def make_retry(fast: bool, counter: Calls, retry_posts: bool = False) -> CountingRetry:
    """The retry policy: ~6 attempts with exponential backoff (none under tests). `retry_posts`:
    POSTs change nothing (GraphQL queries), so a 5xx is retried for them too."""
    return CountingRetry(
        counter=counter,
        posts_read=retry_posts,
        total=6,
        backoff_factor=0 if fast else 0.5,  # 0.5, 1, 2, 4, 8 s: about 15 s before giving up
        backoff_max=30,
        status_forcelist=list(range(500, 600)),
        allowed_methods=RETRIED_METHODS | {"POST"} if retry_posts else RETRIED_METHODS,
        # GitHub asks for at least a minute after a secondary limit without Retry-After.
        secondary_rate_wait=0.05 if fast else 60,
    )


def quiet_logs(verbose: bool) -> None:
    """PyGithub prints its retries on stderr (its own handler, INFO): only with --verbose,
    and never with a token in them. With --debug (the root logger at DEBUG) its whole
    debug log is shown, once, through its own handler, masked like everything else."""
    logger = logging.getLogger("github")
    if logging.getLogger().getEffectiveLevel() <= logging.DEBUG:
        logger.setLevel(logging.DEBUG)
        logger.propagate = not logger.handlers  # its own console handler prints it; not twice
    else:
        logger.setLevel(logging.INFO if verbose else logging.WARNING)
    install_log_filter()


def connect(settings: Settings, counter: Calls, verbose: bool = False, base_url: str | None = None,
            retry_posts: bool = False) -> github.Github:
    """A PyGithub client for `settings` (at `base_url`, default the REST API's); no request is sent yet."""
    if not settings.token:  # bad input (exit 2), said before any request
        raise BadInput("GITHUB_TOKEN is not set: the github issue system needs a token"
                       " (issues: write, pull-requests: read, contents: write for releases)")
    remember(settings.token)
    install_log_filter()
    quiet_logs(verbose)
    pace: dict[str, Any] = {}
    if settings.fast:
        pace = {"seconds_between_requests": 0, "seconds_between_writes": 0}
    # Otherwise PyGithub's defaults (0.25 s between requests, 1 s between writes)
    # follow GitHub's advice for avoiding secondary rate limits.
    return github.Github(
        auth=github.Auth.Token(settings.token),
        base_url=base_url or settings.api_url,
        per_page=100,
        timeout=30,
        user_agent=f"tracker-fans/{__version__}",
        retry=make_retry(settings.fast, counter, retry_posts),
        **pace,
    )


def ambiguous(exc: BaseException) -> bool:
    """True for a failure that may hide a write that landed (5xx, lost answer)."""
    if isinstance(exc, GithubException):
        return exc.status >= 500
    return isinstance(exc, (requests.exceptions.RetryError, requests.exceptions.ConnectionError,
                            requests.exceptions.Timeout))


def write(write: Callable[[], T], landed: Callable[[], bool]) -> T | None:
    """Do one write that must happen exactly once; never repeat it without looking first.

    After an ambiguous failure (a 5xx may come after the write was applied),
    `landed()` re-reads GitHub: if the write is there we are done, otherwise it
    is sent again (see `tracker.hooks.settle`). Returns the write's result, or
    None when it was found already applied.
    """
    # GithubRetry already repeated an idempotent write until it gave up
    # (RetryError): GitHub is failing, so stop rather than hammer it.
    return settle(write, landed, ambiguous, give_up=gave_up)


def gave_up(exc: BaseException) -> bool:
    """GithubRetry repeated a request until it gave up: GitHub kept failing."""
    return isinstance(exc, requests.exceptions.RetryError)
