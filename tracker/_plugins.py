"""Loading plugins from the `tracker.plugins` entry-point group.

Built-in plugins use the same `register(registry)` contract as a third party's
and are declared as entry points too (setup.cfg). They are loaded directly, by
the module names below: scanning every installed distribution's entry points
costs ~30 ms, a tenth of a weekly build's whole run, so the scan happens only
when a command names a plugin that is not built in. (A test keeps `BUILTIN`
and setup.cfg's entry points equal.)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tracker._config import Config
from tracker._contract import Context, IssueSystem, Publisher, Registry
from tracker._errors import BadInput, closest

GROUP = "tracker.plugins"
BUILTIN = {"files": "tracker_files", "github": "tracker_github", "gitlab": "tracker_gitlab",
           "local": "tracker_local"}
_registry: Registry | None = None
_scanned = False


def registry(scan: bool = False) -> Registry:
    """The registered plugins: built-ins, plus every installed one once `scan` was asked."""
    global _registry, _scanned
    if _registry is None:
        import importlib

        reg = Registry()
        for name, module in sorted(BUILTIN.items()):
            reg.current = f"{name} ({module}:register)"
            importlib.import_module(module).register(reg)
        _registry = reg
    if scan and not _scanned:
        from importlib.metadata import entry_points

        for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
            if BUILTIN.get(point.name) == point.module and point.attr == "register":
                continue
            _registry.current = f"{point.name} ({point.value})"
            point.load()(_registry)
        _scanned = True
    return _registry


class UnknownPlugin(BadInput):
    """No installed plugin offers `name`; the message suggests the closest and lists the installed ones."""

    def __init__(self, kind: str, name: str, installed: list[str], where: str = ""):
        close = closest(name, installed)
        hint = f"did you mean '{close}'? " if close else ""
        super().__init__(f"unknown {kind} '{name}'{where} ({hint}installed: {', '.join(installed) or 'none'})")


def issue_system(name: str, context: Context) -> IssueSystem:
    """The issue system called `name`, or UnknownPlugin listing the installed ones."""
    reg = registry()
    if name not in reg.issue_systems:
        reg = registry(scan=True)
    if name not in reg.issue_systems:
        raise UnknownPlugin("issue system", name, sorted(reg.issue_systems))
    return reg.issue_systems[name](context)


def publishers(names: tuple[str, ...] | list[str], context: Context) -> list[Publisher]:
    """The publishers named in `publish:`, checked before any of them runs."""
    reg = registry()
    if any(name not in reg.publishers for name in names):
        reg = registry(scan=True)
    for name in names:
        if name not in reg.publishers:
            raise UnknownPlugin("publisher", name, sorted(reg.publishers), " in publish")
    chosen = [reg.publishers[name](context) for name in names]
    for name, publisher in zip(names, chosen, strict=True):
        publisher.name = name  # what `publish:` calls it, whoever registered it
    return chosen


def default_issue_system(option: str | None, cfg: Config, env: Mapping[str, str],
                         root: Path | None = None) -> str:
    """`--issues`, else `issues:` in the config, else github in Actions (GITHUB_REPOSITORY) or
    with a GitHub token for a repository on GitHub, else local."""
    if option:
        return option
    if cfg.issues:
        return cfg.issues
    if env.get("GITHUB_REPOSITORY"):
        return "github"
    if (env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")) and _on_github(cfg, env, root):
        return "github"
    return "local"


def _on_github(cfg: Config, env: Mapping[str, str], root: Path | None) -> bool:
    """Is the repository on GitHub? The origin remote's host says (github.com, or the host of
    GITHUB_SERVER_URL or GITHUB_API_URL); without an origin, a `repository:` in the config
    (with a GitHub token set) means GitHub."""
    from urllib.parse import urlsplit

    from tracker import _hosting as hosting

    url = hosting.origin_url(root) if root is not None else None
    if url is None:
        return cfg.repository is not None
    hosts = {"github.com", "www.github.com"}
    for variable in ("GITHUB_SERVER_URL", "GITHUB_API_URL"):
        host = (urlsplit((env.get(variable) or "").strip()).hostname or "").lower()
        if host:
            hosts.add(host.removeprefix("api."))
    return hosting.slug_from_remote(url, hosts) is not None
