"""The plugin contract. Every issue system and publisher, built-in or third-party,
enters through here and nowhere else: a plugin imports `tracker.hooks` and nothing
else of `tracker` (every other module is private and free to change). `__all__`
lists what it offers, each name documented: the plugin bases and the registry, the
model (`Request`, `PullRequest`, ...), the repository reference type and its
grammar (`Repository`, `references`), errors, atomic file writes, secret masking,
rendering, and the code-host base (`CodeHost`, with `Marks`, `Labels`, `Releases`)
that GitHub and GitLab share.

A plugin is a distribution with an entry point in the group `tracker.plugins`
whose value is a function `register(registry)`. It calls
`registry.issue_system(name, factory)` and/or `registry.publisher(name, factory)`.
Factories are called only when their plugin is chosen, so a plugin's heavy
imports (an HTTP client) cost nothing to commands that do not use it; for the
same reason the heavier names here (rendering, the code-host base, the store)
load on first use.

Optional methods have defaults that warn once instead of failing, so the core
never asks "is this supported?" around a call.

A misspelt hook is refused, not ignored: when a plugin's `IssueSystem` or
`Publisher` subclass defines a public method (or property) that is not a hook of
its bases but looks like one (it extends a hook's name after an underscore,
`mark_shipped`, or differs from one by a typo, difflib's ratio of at least 0.8:
`requets`, `release_note`), registering the class, or loading it through a
factory, fails with `MisspeltHook` (exit 2), one line naming the plugin, the
method and the hook it probably meant. Any other public method is a helper and
is left alone; a helper whose name looks like a hook's starts with `_`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import __version__  # the installed tracker's version (PEP 440), for a client's User-Agent
from tracker._contract import (  # the plugin bases and what the core hands them (defined in _contract)
    SHIPPED,  # Mark.kind: the request shipped in the build
    WITHDRAWN,  # Mark.kind: a later build took back what an earlier one shipped
    BuildToPublish,
    Context,
    IssueFactory,  # what `Registry.issue_system` takes: a class or a function
    IssueSystem,
    Label,
    Mark,
    MisspeltHook,
    Progress,
    Publisher,
    PublisherFactory,  # what `Registry.publisher` takes: a class or a function
    Registry,
    kind_of,
    marker,
)
from tracker._errors import BadInput, TrackerError, WorkFailed
from tracker._extras import deferred, require
from tracker._grammar import Repository, references
from tracker._logins import valid as valid_login
from tracker._model import (
    REPORT,  # Request.kind of a bug report (`reports.labels`): fixed, not shipped
    REQUEST,  # Request.kind of a fan's idea: shipped
    PullRequest,
    Request,
)
from tracker._schema import (  # the schema-1 report's parts, as publishers receive them
    AlreadyShipped,
    ChangeEntry,
    Credit,
    Pull,
    Report,
    Shipped,
    Withdrawn,
)

if TYPE_CHECKING:  # loaded on first use (see `__getattr__`)
    from tracker._codehost import CodeHost, pull_request
    from tracker._files import check_targets, write_if_changed
    from tracker._hosting import (
        GONE,  # the statuses of an issue that left: 404 (moved, transferred), 410 (deleted)
        WRITE_ATTEMPTS,  # how often `settle` sends a write that keeps failing ambiguously
        Calls,
        ReleaseNotes,
        claims_by_number,
        duplicate_target,
        origin_url,
        resolve_slug,
        settle,
        slug_from_remote,
        url_from,
        valid_slug,
    )
    from tracker._hostwriters import Change, Comment, HostIssue, Labels, Marks, Release, Releases
    from tracker._reports import merged as merged_reports
    from tracker._reports import read as read_reports
    from tracker._secrets import install_log_filter, redact, remember, remember_url, without_credentials
    from tracker._store import Store, store_path
    from tracker._views import top as top_requests
    from tracker.credit import hall_of_fame

__all__ = [  # noqa: RUF022 -- grouped by what a plugin does with them, sorted within a group
    # plugin bases and registration
    "SHIPPED", "WITHDRAWN", "Context", "IssueFactory", "IssueSystem", "Label", "Mark", "MisspeltHook",
    "Progress", "Publisher", "PublisherFactory", "Registry", "BuildToPublish", "kind_of", "marker",
    # the model and references
    "REPORT", "REQUEST", "PullRequest", "Repository", "Request", "references",
    # the report publishers receive (DESIGN "JSON report")
    "AlreadyShipped", "ChangeEntry", "Credit", "Pull", "Report", "Shipped", "Withdrawn",
    # errors, files, secrets, extras, version
    "BadInput", "TrackerError", "WorkFailed", "__version__", "check_targets", "install_log_filter",
    "redact", "remember", "remember_url", "require", "deferred", "without_credentials", "write_if_changed",
    # rendering and lists
    "hall_of_fame", "render_template", "top_requests", "valid_login",
    # other repositories' reports (`site.reports`)
    "merged_reports", "read_reports",
    # the local store
    "Store", "store_path",
    # the code-host base
    "GONE", "WRITE_ATTEMPTS", "Calls", "Change", "CodeHost", "Comment", "HostIssue", "Labels", "Marks",
    "Release", "ReleaseNotes", "Releases", "claims_by_number", "duplicate_target", "origin_url",
    "pull_request", "resolve_slug", "settle", "slug_from_remote", "url_from", "valid_slug",
]

# Names that load their module on first use: name → (module, attribute there).
_LAZY = {
    **{name: ("tracker._hosting", name) for name in (
        "GONE", "WRITE_ATTEMPTS", "Calls", "ReleaseNotes", "claims_by_number", "duplicate_target", "origin_url",
        "resolve_slug", "settle", "slug_from_remote", "url_from", "valid_slug")},
    **{name: ("tracker._codehost", name) for name in ("CodeHost", "pull_request")},
    **{name: ("tracker._hostwriters", name) for name in (
        "Change", "Comment", "HostIssue", "Labels", "Marks", "Release", "Releases")},
    **{name: ("tracker._secrets", name) for name in (
        "install_log_filter", "redact", "remember", "remember_url", "without_credentials")},
    "check_targets": ("tracker._files", "check_targets"),
    "write_if_changed": ("tracker._files", "write_if_changed"),
    "Store": ("tracker._store", "Store"),
    "store_path": ("tracker._store", "store_path"),
    "hall_of_fame": ("tracker.credit", "hall_of_fame"),
    "top_requests": ("tracker._views", "top"),
    "read_reports": ("tracker._reports", "read"),
    "merged_reports": ("tracker._reports", "merged"),
}


def __getattr__(name: str) -> Any:
    """The names in `_LAZY`, imported when a plugin first asks for them."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def render_template(template: str, context: Mapping[str, Any], locale: str = "en", root: Path | None = None) -> str:
    """Render a template by name (`site/index.html.j2`) in `locale`: the repository's own
    `.github/tracker/templates` under `root` first, then the built-ins. Text fans wrote is
    made inert as the format needs; a broken template is BadInput. (jinja2 loads here.)"""
    from tracker import render

    return render.render(template, context, locale, root, by_name=True)
