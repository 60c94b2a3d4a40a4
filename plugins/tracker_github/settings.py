"""Where the GitHub plugin points: repository, API URL, token and retry pace.

Everything here is read from the config and the environment only, so a bad
value is reported (exit 2) before any request is made and without importing
PyGithub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from tracker.hooks import BadInput, origin_url, remember_url, resolve_slug, url_from, without_credentials

DEFAULT_API = "https://api.github.com"


def web_host(api_url: str) -> str:
    """The web host that goes with an API URL (api.github.com → github.com)."""
    host = (urlsplit(api_url).hostname or "").lower()
    return host.removeprefix("api.")


@dataclass(frozen=True)
class Settings:
    """What the plugin needs to reach one repository."""

    slug: str
    api_url: str
    web_url: str
    token: str | None = field(repr=False)  # never in a repr, a log line or a traceback's locals
    fast: bool  # tests: no throttling, no backoff, short secondary-rate-limit waits
    graphql_url: str = ""  # GITHUB_GRAPHQL_URL, else derived from api_url (see `graphql_url`)

    @property
    def graphql(self) -> str:
        """Where GraphQL is posted."""
        return self.graphql_url or graphql_url({}, self.api_url)


def repository_slug(configured: str | None, env: Mapping[str, str], root: Path, api_url: str) -> str:
    """`repository:` from the config, else GITHUB_REPOSITORY, else the origin remote.

    The first source that is set decides: a malformed value is an error, never a
    reason to try the next source (a typo must not write to another repository).
    The rule (and the owner/name syntax) is shared with other code hosts: `resolve_slug`.
    """
    hosts = {"github.com", "www.github.com", web_host(api_url)}
    return resolve_slug(configured, "GITHUB_REPOSITORY", env.get("GITHUB_REPOSITORY"),
                        partial(origin_url, root), hosts, "GitHub", "owner/name")


def api_url(env: Mapping[str, str]) -> str:
    """GITHUB_API_URL (GitHub Enterprise, or a test server), else api.github.com."""
    return url_from(env, "GITHUB_API_URL", DEFAULT_API)


def graphql_url(env: Mapping[str, str], api: str) -> str:
    """GITHUB_GRAPHQL_URL, else PyGithub's own rule (the REST base less `/v3`, plus `/graphql`)."""
    derived = urlsplit(api)
    path = derived.path.rstrip("/").removesuffix("/v3") + "/graphql"
    url = url_from(env, "GITHUB_GRAPHQL_URL", f"{derived.scheme}://{derived.netloc}{path}")
    if not urlsplit(url).path.rstrip("/").endswith("/graphql"):
        raise BadInput(f"GITHUB_GRAPHQL_URL must end in /graphql (as GitHub's does): {without_credentials(url)}")
    return url.rstrip("/")


def web_url(env: Mapping[str, str], api: str) -> str:
    """Where issues are shown: GITHUB_SERVER_URL, else derived from the API URL."""
    server = (env.get("GITHUB_SERVER_URL") or "").strip().rstrip("/")
    if server:
        return without_credentials(server)  # issue links reach notes and reports
    parts = urlsplit(api)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    path = parts.path.rstrip("/").removesuffix("/api/v3")
    return without_credentials(f"{parts.scheme}://{parts.netloc}{path}")


def load_settings(configured: str | None, env: Mapping[str, str], root: Path) -> Settings:
    """Resolve every setting; raises BadInput (exit 2) for anything malformed."""
    for variable in ("GITHUB_API_URL", "GITHUB_SERVER_URL", "GITHUB_GRAPHQL_URL"):
        remember_url(env.get(variable))  # credentials in a URL are masked like a token
    api = api_url(env)
    slug = repository_slug(configured, env, root, api)
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None  # GH_TOKEN: the GitHub CLI's name
    fast = bool(env.get("TRACKER_GITHUB_FAST_RETRY"))
    return Settings(slug=slug, api_url=api, web_url=web_url(env, api), graphql_url=graphql_url(env, api),
                    token=token, fast=fast)
