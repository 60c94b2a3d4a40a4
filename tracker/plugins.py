"""Loading plugins from the `tracker.plugins` entry-point group.

Built-in plugins come in exactly the way a third party's do, so the contract is
exercised by every run.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from tracker.errors import BadInput
from tracker.hooks import Context, IssueSystem, Publisher, Registry

GROUP = "tracker.plugins"
_registry: Registry | None = None


def registry() -> Registry:
    """Every installed plugin, registered once per process."""
    global _registry
    if _registry is None:
        reg = Registry()
        for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
            reg.current = f"{point.name} ({point.value})"
            register = point.load()
            register(reg)
        _registry = reg
    return _registry


def issue_system(name: str, context: Context) -> IssueSystem:
    """The issue system called `name`, or BadInput listing the installed ones."""
    reg = registry()
    if name not in reg.issue_systems:
        known = ", ".join(sorted(reg.issue_systems)) or "none"
        raise BadInput(f"unknown issue system '{name}' (installed: {known})")
    return reg.issue_systems[name](context)


def publishers(names: tuple[str, ...] | list[str], context: Context) -> list[Publisher]:
    """The publishers named in `publish:`, checked before any of them runs."""
    reg = registry()
    for name in names:
        if name not in reg.publishers:
            known = ", ".join(sorted(reg.publishers)) or "none"
            raise BadInput(f"unknown publisher '{name}' in publish (installed: {known})")
    return [reg.publishers[name](context) for name in names]
