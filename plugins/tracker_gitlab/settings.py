"""Where the GitLab plugin points: server, project path, token and retry pace.

Read from the config and the variables GitLab CI sets (`CI_SERVER_URL`,
`CI_PROJECT_PATH`, `CI_JOB_TOKEN`) plus `GITLAB_TOKEN`, so a bad value is
reported (exit 2) before any request and without importing python-gitlab.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from tracker.hooks import origin_url, remember_url, resolve_slug, url_from

DEFAULT_SERVER = "https://gitlab.com"
PRIVATE, JOB = "GITLAB_TOKEN", "CI_JOB_TOKEN"


@dataclass(frozen=True)
class Settings:
    """What the plugin needs to reach one project."""

    slug: str  # group/sub/project
    server_url: str  # the web root; the API is below it, at /api/v4
    token: str | None = field(repr=False)  # never in a repr, a log line or a traceback's locals
    token_kind: str  # PRIVATE or JOB: which variable the token came from
    fast: bool  # tests: few retries, so a refused write fails in a fraction of a second


def server_url(env: Mapping[str, str]) -> str:
    """CI_SERVER_URL (self-managed GitLab, or a test server), else gitlab.com."""
    return url_from(env, "CI_SERVER_URL", DEFAULT_SERVER)


def load_settings(configured: str | None, env: Mapping[str, str], root: Path) -> Settings:
    """Resolve every setting; raises BadInput (exit 2) for anything malformed.

    A missing token is only an error once the API is used (`client.connect`):
    `tracker scan` needs the project path, not a token.
    """
    remember_url(env.get("CI_SERVER_URL"))  # credentials in a URL are masked like a token
    server = server_url(env)
    hosts = {"gitlab.com", (urlsplit(server).hostname or "").lower()}
    slug = resolve_slug(configured, "CI_PROJECT_PATH", env.get("CI_PROJECT_PATH"),
                        partial(origin_url, root), hosts, "GitLab", "group/project", nested=True)
    # A personal, project or group access token can do everything; the job token
    # only what GitLab lets it (see the README), so it is the fallback.
    kind = PRIVATE if env.get(PRIVATE) else JOB
    return Settings(slug=slug, server_url=server, token=env.get(kind) or None, token_kind=kind,
                    fast=bool(env.get("TRACKER_GITLAB_FAST_RETRY")))
