"""The python-gitlab client: construction, retry policy, call counting, error translation.

Retries are python-gitlab's own (`retry_transient_errors=True`, `max_retries`,
429 with Retry-After obeyed), configured so that a request is repeated blindly
only when repeating it cannot do harm:

* GET, PUT and DELETE are retried on 5xx and timeouts: every PUT this plugin
  sends sets absolute values (add a label, `state_event=close`, a release
  description) and every DELETE removes one named note.
* POST is not retried on 5xx: a 502 may come after the note was created, and a
  second POST would post it twice. `hosting.settle` re-reads and checks instead.
* 429 is retried for every method, honouring Retry-After: GitLab refuses those
  requests before acting on them.

This module imports python-gitlab, so it is only imported once the plugin is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import gitlab
import requests

from tracker import __version__, hosting
from tracker import _secrets as secrets
from tracker._errors import BadInput, WorkFailed
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


def connect(settings: Settings, counter: hosting.Calls) -> Client:
    """A python-gitlab client for `settings`; no request is sent yet."""
    if not settings.token:  # bad input (exit 2), said before any request
        raise BadInput("GITLAB_TOKEN is not set: the gitlab issue system needs a token"
                       " (a project access token with the api scope and the Reporter role)")
    secrets.remember(settings.token)
    secrets.install_log_filter()
    private = settings.token_kind == PRIVATE  # PRIVATE-TOKEN header, else JOB-TOKEN
    client = Client(url=settings.server_url, private_token=settings.token if private else None,
                    job_token=None if private else settings.token, timeout=30, per_page=100,
                    retry_transient_errors=True, user_agent=f"tracker-fans/{__version__}")
    client.max_retries = FAST_RETRIES if settings.fast else MAX_RETRIES
    # A response hook sees every attempt, retries included, exactly once.
    client.session.hooks["response"].append(lambda response, *_, **__: counter.saw(response.request.method))
    return client


def _message(exc: gitlab.GitlabError) -> str:
    raw: Any = exc.error_message
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    # GitLab's messages repeat the status ("401 Unauthorized"); say it once.
    return text.removeprefix(f"{exc.response_code} ").strip() or "no message"


def describe(exc: BaseException, settings: Settings, doing: str) -> str:
    """One line for a person, without the token, for a failure while `doing`."""
    slug = settings.slug
    if isinstance(exc, gitlab.GitlabError):
        status, message = exc.response_code or 0, _message(exc)
        if status == 401:
            text = f"GitLab rejected the token (401 {message}) while {doing}: check {settings.token_kind}"
            if settings.token_kind != PRIVATE:
                text += " (a job token cannot write issues: set GITLAB_TOKEN)"
        elif status == 403:
            text = (f"GitLab refused {doing} (403 {message}): the token needs the api scope"
                    f" and the Reporter role on {slug}")
        elif status == 404:
            text = f"GitLab answered 404 while {doing}: is {slug} right, and can the token see it?"
        elif status >= 500:
            text = f"GitLab answered {status} ({message}) while {doing}; run the command again later (it resumes)"
        else:
            text = f"GitLab answered {status} ({message}) while {doing}"
    elif isinstance(exc, requests.exceptions.RequestException):
        text = f"cannot reach GitLab while {doing} ({type(exc).__name__}); check CI_SERVER_URL and the network"
    else:
        text = f"{doing} failed: {exc}"
    return secrets.redact(" ".join(text.split()))


@contextmanager
def api_errors(settings: Settings, doing: str) -> Iterator[None]:
    """Turn python-gitlab/requests failures into one-line WorkFailed (exit 1)."""
    try:
        yield
    except (gitlab.GitlabError, requests.exceptions.RequestException) as exc:
        raise WorkFailed(describe(exc, settings, doing)) from None


def ambiguous(exc: BaseException) -> bool:
    """True for a failure that may hide a write that landed (5xx, lost answer)."""
    if isinstance(exc, gitlab.GitlabError):
        return (exc.response_code or 0) >= 500
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError))


def create(write: Callable[[], T], landed: Callable[[], bool]) -> T | None:
    """A POST: never retried blindly; after an ambiguous failure, look, then maybe send again."""
    return hosting.settle(write, landed, ambiguous)


def update(write: Callable[[], T], landed: Callable[[], bool]) -> T | None:
    """A PUT or DELETE, which python-gitlab already retried: after it gave up, only look."""
    return hosting.settle(write, landed, ambiguous, attempts=1)


def not_found(exc: BaseException) -> bool:
    """GitLab's 404: the thing is not there (a release, a label, a note another run deleted)."""
    return isinstance(exc, gitlab.GitlabError) and exc.response_code == 404
