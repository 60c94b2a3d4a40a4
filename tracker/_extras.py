"""The package's optional parts: which extra a plugin needs, and saying so when it is missing.

`pip install tracker-fans` installs every extra (setup.cfg lists them in
`install_requires` too), so on a laptop nothing is ever missing. The GitHub Action
installs only the extras its config needs (action/install.py asks `needed`), so
there a plugin may find its library absent: it says which extra to install, in
one line, before anything is written (`require`, called by the plugin's factory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any

from tracker._errors import BadInput

# extra → (import name, distribution) of each library it brings that its plugin cannot run
# without. (The cards' CJK font is in the `cards` extra too, but cards fall back to a system
# font without it.) tests/test_extras.py keeps these names equal to setup.cfg's extras.
EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "github": (("github", "PyGithub"),),
    "gitlab": (("gitlab", "python-gitlab"),),
    "cards": (("PIL", "Pillow"),),
}
# The built-in plugins by config name, and the extra each needs (None: only the core).
ISSUE_SYSTEMS: dict[str, str | None] = {"github": "github", "gitlab": "gitlab", "local": None}
PUBLISHERS: dict[str, str | None] = {"github-release": None, "gitlab-release": None, "changelog-file": None,
                                     "site": "cards"}


def require(extra: str, what: str) -> None:
    """BadInput naming the extra to install when a library `what` needs is not installed."""
    from importlib.util import find_spec

    for module, distribution in EXTRAS[extra]:
        if find_spec(module) is None:
            raise BadInput(f"{what} needs {distribution}, which is not installed:"
                           f" pip install 'tracker-fans[{extra}]' (or pip install {distribution})")


def deferred(target: str, extra: str | None = None, what: str = "") -> Callable[[Any], Any]:
    """A plugin factory that imports `target` (`module:Class`) only when its plugin is chosen,
    after checking that `extra` is installed (`require`), and makes it with the context: a
    plugin's heavy imports (an HTTP client, Pillow) cost nothing to commands that do not use it."""

    def factory(context: Any) -> Any:
        if extra is not None:
            require(extra, what)
        module, _, name = target.partition(":")
        return getattr(import_module(module), name)(context)

    return factory


def needed(issues: str, publish: Iterable[str]) -> set[str] | None:
    """The extras a run with issue system `issues` and publishers `publish` needs;
    None when a name is not a built-in plugin's (then only everything is sure to do)."""
    if issues not in ISSUE_SYSTEMS or any(name not in PUBLISHERS for name in publish):
        return None
    wanted = {ISSUE_SYSTEMS[issues], *(PUBLISHERS[name] for name in publish)}
    return {extra for extra in wanted if extra is not None}


def needed_for(config_path: str | None, env: Mapping[str, str], repo: str | None = None) -> set[str] | None:
    """`needed` for what `tracker [--repo REPO] [--config PATH] release` would load: the same
    repository, config and issue system the command would find. Raises what finding them raises."""
    from tracker import _config, _git
    from tracker._plugins import default_issue_system

    root = _git.work_tree(_git.open_repo(repo))
    cfg = _config.load(root, config_path)
    return needed(default_issue_system(None, cfg, env, root), cfg.publish)
