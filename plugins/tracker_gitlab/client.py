"""The python-gitlab client: construction, retry policy, call counting, error translation.

Retries are python-gitlab's own (`retry_transient_errors=True`, `max_retries`,
429 with Retry-After obeyed), configured so that a request is repeated blindly
only when repeating it cannot do harm:

* GET, PUT and DELETE are retried on 5xx and timeouts: every PUT this plugin
  sends sets absolute values (add a label, `state_event=close`, a release
  description) and every DELETE removes one named note.
* POST is not retried on 5xx: a 502 may come after the note was created, and a
  second POST would post it twice. `write` re-reads and checks instead.
* 429 is retried for every method, honouring Retry-After: GitLab refuses those
  requests before acting on them.

This module imports python-gitlab, so it is only imported once the plugin is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import gitlab
import requests

from tracker.hooks import WRITE_ATTEMPTS, BadInput, Calls, __version__, install_log_filter, remember, settle
from tracker_gitlab.settings import PRIVATE, Settings

T = TypeVar("T")
MAX_RETRIES = 7  # python-gitlab waits 0.1·2ⁿ s between tries: about 13 s before giving up
FAST_RETRIES = 2  # tests: a refused write fails in 0.3 s


class Client(gitlab.Gitlab):
    """python-gitlab with this plugin's retry policy as the default of every request."""

    max_retries = MAX_RETRIES

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any) -> requests.Response:
        """Every request goes through here: set the retry budget, and no blind POST retries."""
        kwargs.setdefault("max_retries", self.max_retries)
        if verb.lower() == "post":
            kwargs.setdefault("retry_transient_errors", False)
        return super().http_request(verb, path, *args, **kwargs)


def connect(settings: Settings, counter: Calls) -> Client:
    """A python-gitlab client for `settings`; no request is sent yet."""
    if not settings.token:  # bad input (exit 2), said before any request
        raise BadInput("GITLAB_TOKEN is not set: the gitlab issue system needs a token"
                       " (a project access token with the api scope and the Reporter role)")
    remember(settings.token)
    install_log_filter()
    private = settings.token_kind == PRIVATE  # PRIVATE-TOKEN header, else JOB-TOKEN
    client = Client(url=settings.server_url, private_token=settings.token if private else None,
                    job_token=None if private else settings.token, timeout=30, per_page=100,
                    retry_transient_errors=True, user_agent=f"tracker-fans/{__version__}")
    client.max_retries = FAST_RETRIES if settings.fast else MAX_RETRIES
    # A response hook sees every attempt, retries included, exactly once.
    client.session.hooks["response"].append(lambda response, *_, **__: counter.saw(response.request.method))
    return client


def message(exc: gitlab.GitlabError) -> str:
    """The error's message, once, without the status GitLab repeats in it."""
    raw: Any = exc.error_message
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    # GitLab's messages repeat the status ("401 Unauthorized"); say it once.
    return text.removeprefix(f"{exc.response_code} ").strip() or "no message"


def ambiguous(exc: BaseException) -> bool:
    """True for a failure that may hide a write that landed (5xx, lost answer)."""
    if isinstance(exc, gitlab.GitlabError):
        return (exc.response_code or 0) >= 500
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError))


def write(write: Callable[[], T], landed: Callable[[], bool], repeatable: bool = False) -> T | None:
    """Do one write that must happen exactly once; never repeat it without looking first.

    A POST is never retried blindly: after an ambiguous failure, look, then maybe send
    it again. A PUT or DELETE (`repeatable`), which python-gitlab already retried: after
    it gave up, only look.
    """
    return settle(write, landed, ambiguous, attempts=1 if repeatable else WRITE_ATTEMPTS)


def not_found(exc: BaseException) -> bool:
    """GitLab's 404: the thing is not there (a release, a label, a note another run deleted)."""
    return isinstance(exc, gitlab.GitlabError) and exc.response_code == 404
