"""Where the GitHub plugin points: repository, API URL, token and retry pace.

Everything here is read from the config and the environment only, so a bad
value is reported (exit 2) before any request is made and without importing
PyGithub.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tracker.errors import BadInput

DEFAULT_API = "https://api.github.com"
# GitHub's own rules: an owner is letters, digits and single hyphens (underscores
# for managed users), at most 39 characters; a repository name is letters,
# digits, `.`, `-` and `_`, at most 100 characters, and never `.` or `..`.
_SLUG = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})/(?!\.{1,2}\Z)[A-Za-z0-9._-]{1,100}\Z")
# `https://github.com/o/n(.git)`, `git@github.com:o/n(.git)`, `ssh://git@github.com/o/n(.git)`.
_REMOTE = re.compile(
    r"\A(?:[a-z+]+://(?:[^@/]+@)?(?P<host1>[^/:]+)(?::\d+)?/|(?:[^@/]+@)?(?P<host2>[^/:]+):)"
    r"(?P<path>[^?#]+?)(?:\.git)?/?\Z"
)


def valid_slug(slug: str) -> bool:
    """True when `slug` is a well-formed `owner/name`."""
    return bool(_SLUG.match(slug))


def _checked(slug: str, source: str) -> str:
    if not valid_slug(slug):
        raise BadInput(f"{source}: '{slug}' is not a GitHub repository; expected owner/name (like acme/app)")
    return slug


def web_host(api_url: str) -> str:
    """The web host that goes with an API URL (api.github.com → github.com)."""
    host = (urlsplit(api_url).hostname or "").lower()
    return host.removeprefix("api.")


def slug_from_remote(url: str, hosts: set[str]) -> str | None:
    """`owner/name` from a git remote URL on one of `hosts`, or None when it is not one."""
    match = _REMOTE.match(url.strip())
    if not match:
        return None
    host = (match.group("host1") or match.group("host2") or "").lower()
    if host not in hosts:
        return None
    return match.group("path").strip("/")


def origin_url(root: Path) -> str | None:
    """The `origin` remote's URL as configured, or None when there is no origin."""
    try:
        done = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=root,
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


@dataclass(frozen=True)
class Settings:
    """What the plugin needs to reach one repository."""

    slug: str
    api_url: str
    web_url: str
    token: str | None
    fast: bool  # tests: no throttling, no backoff, short secondary-rate-limit waits


def repository_slug(configured: str | None, env: Mapping[str, str], root: Path, api_url: str) -> str:
    """`repository:` from the config, else GITHUB_REPOSITORY, else the origin remote.

    The first source that is set decides: a malformed value is an error, never a
    reason to try the next source (a typo must not write to another repository).
    """
    if configured is not None:
        return _checked(configured.strip(), "repository in the config")
    from_env = env.get("GITHUB_REPOSITORY")
    if from_env is not None and from_env != "":
        return _checked(from_env.strip(), "GITHUB_REPOSITORY")
    remote = origin_url(root)
    if remote is None:
        raise BadInput("no GitHub repository: set GITHUB_REPOSITORY=owner/name or 'repository:' in the config")
    hosts = {"github.com", "www.github.com", web_host(api_url)}
    found = slug_from_remote(remote, hosts)
    if found is None:
        raise BadInput("the origin remote is not a GitHub repository: set GITHUB_REPOSITORY=owner/name"
                       " or 'repository:' in the config")
    return _checked(found, "the origin remote")


def api_url(env: Mapping[str, str]) -> str:
    """GITHUB_API_URL (GitHub Enterprise, or a test server), else api.github.com."""
    url = (env.get("GITHUB_API_URL") or DEFAULT_API).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"GITHUB_API_URL: '{url}' is not an http(s) URL")
    return url


def web_url(env: Mapping[str, str], api: str) -> str:
    """Where issues are shown: GITHUB_SERVER_URL, else derived from the API URL."""
    server = (env.get("GITHUB_SERVER_URL") or "").strip().rstrip("/")
    if server:
        return server
    parts = urlsplit(api)
    if parts.hostname == "api.github.com":
        return "https://github.com"
    path = parts.path.rstrip("/").removesuffix("/api/v3")
    return f"{parts.scheme}://{parts.netloc}{path}"


def load_settings(configured: str | None, env: Mapping[str, str], root: Path) -> Settings:
    """Resolve every setting; raises BadInput (exit 2) for anything malformed."""
    api = api_url(env)
    slug = repository_slug(configured, env, root, api)
    token = env.get("GITHUB_TOKEN") or None
    fast = bool(env.get("TRACKER_GITHUB_FAST_RETRY"))
    return Settings(slug=slug, api_url=api, web_url=web_url(env, api), token=token, fast=fast)
