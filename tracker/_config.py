"""`.github/tracker.yml`: the schema, defaults and loading (validation: `_configcheck`).

Validation answers with the file, the line and the dotted key, and suggests the
closest known key for a typo, because a config error is usually a typo. A key
given twice and an empty string are errors too: YAML would silently keep the
last value, and `site.dir: ""` would put the site in the repository's root.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker._errors import ConfigError

DEFAULT_PATH = ".github/tracker.yml"
LOCALES = ("en", "zh-CN")

# key → (expected type, default, allowed values or None). Nested dicts are sections.
_SCHEMA: dict[str, Any] = {
    "issues": (str, None, None),
    "repository": (str, None, None),
    "requests": {
        "labels": (list, ["feature-request"], None),
        "votes": (list, ["+1"], None),
        "discussions": (str, None, None),
        "repository": (str, None, None),
    },
    "reports": {"labels": (list, ["bug"], None)},
    "builds": {"tags": (str, "v*", None), "channels": (dict, None, None)},
    "components": (list, None, None),
    "ship": {
        "label": (str, "shipped", None),
        "comment": (bool, True, None),
        "close": (bool, True, None),
        "notify": (str, "suggesters", ("suggesters", "voters")),
    },
    "changelog": {
        "template": (str, "markdown", None),
        "locale": (str, "en", LOCALES),
        "file": (str, "CHANGELOG.md", None),
        "changes": (str, "all", ("all", "fans")),
    },
    "site": {
        "dir": (str, "site", None),
        "cards": (str, "authors", ("authors", "all")),
        "url": (str, None, None),
        "reports": (str, None, None),
    },
    "store": (str, None, None),
    "publish": (list, ["github-release", "changelog-file"], None),
    "credits": {"exclude": (list, ["*[bot]"], None), "logins": (dict, {}, None)},
}


@dataclass(frozen=True)
class Config:
    """The validated configuration, every key filled with its default when absent."""

    issues: str | None = None
    repository: str | None = None
    request_labels: tuple[str, ...] = ("feature-request",)
    vote_reactions: tuple[str, ...] = ("+1",)
    request_discussions: str | None = None  # a Discussions category whose discussions are requests too
    report_labels: tuple[str, ...] = ("bug",)
    build_tags: str = "v*"
    # channel name → tag glob, most specific first (a tag is in the first channel it matches).
    channels: tuple[tuple[str, str], ...] = ()
    # Monorepo components: each a name, a tag glob and the paths its builds range over.
    components: tuple[Component, ...] = ()
    # The hub repository holding the requests (`owner/name`), when not this one.
    requests_repository: str | None = None
    ship_label: str = "shipped"
    ship_comment: bool = True
    ship_close: bool = True
    ship_notify: str = "suggesters"  # suggesters | voters: whom the thank-you comment @-mentions
    template: str = "markdown"
    locale: str = "en"
    changelog_file: str = "CHANGELOG.md"
    changelog_changes: str = "all"  # all: every change of the build in the notes; fans: only the fans' part
    site_dir: str = "site"
    site_cards: str = "authors"
    site_url: str | None = None  # where the site is served: absolute links and share previews
    site_reports: str | None = None  # a folder of other repositories' JSON reports the site merges in
    store: str | None = None
    publish: tuple[str, ...] = ("github-release", "changelog-file")
    credits_exclude: tuple[str, ...] = ("*[bot]",)
    # email (lower case) → login: who a git author is, when no no-reply address says so.
    credits_logins: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Component:
    """One component of a monorepo: its builds are the tags matching `tags`, over `paths`."""

    name: str
    tags: str
    paths: tuple[str, ...]
    changelog: str | None = None  # the component's own CHANGELOG (else its sections go to `changelog.file`)


def component_of(cfg: Config, tag: str) -> Component | None:
    """The component a build tag belongs to (`components`: the one whose tag glob it matches)."""
    import fnmatch

    return next((c for c in cfg.components if fnmatch.fnmatchcase(tag, c.tags)), None)


def channel_of(cfg: Config, tag: str) -> str | None:
    """The channel a build tag belongs to: the first (most specific) whose glob it matches."""
    import fnmatch

    return next((name for name, glob in cfg.channels if fnmatch.fnmatchcase(tag, glob)), None)


def defaults() -> dict[str, Any]:
    """Every key with its default, nested as in the file and in the schema's order (`tracker init`)."""

    def section(spec: dict[str, Any]) -> dict[str, Any]:
        return {key: section(value) if isinstance(value, dict) else _copy(value[1]) for key, value in spec.items()}

    return section(_SCHEMA)


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


def parse(text: str, where: str) -> Config:
    """Validate YAML text and return a Config; `where` names the file in messages."""
    import yaml

    from tracker import _configcheck as check  # here: it builds on this module's types

    check.check_depth(text, where)
    # libyaml's loader when PyYAML has it (10x faster: ~8 ms a config); what it cannot read is
    # read again by PyYAML's own, whose words the error gives (libyaml words some differently).
    fast = getattr(yaml, "CSafeLoader", None)
    try:
        try:
            node, data = _document(text, fast or yaml.SafeLoader, where)
        except yaml.YAMLError:
            if fast is None:
                raise
            node, data = _document(text, yaml.SafeLoader, where)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}{line}: not valid YAML: {check.short(problem)}") from None
    except RecursionError:
        raise ConfigError(f"{where}: not a config: nested too deeply") from None
    if data is None:
        data = {}
    values = check.check(_SCHEMA, node, data, "", where)

    def get(section: str, key: str | None = None) -> Any:
        spec = _SCHEMA[section]
        if key is None:
            return values.get(section, spec[1])
        return values.get(section, {}).get(key, spec[key][1])

    return Config(
        issues=get("issues"),
        repository=get("repository"),
        request_labels=tuple(get("requests", "labels")),
        vote_reactions=tuple(get("requests", "votes")),
        request_discussions=get("requests", "discussions"),
        report_labels=tuple(get("reports", "labels")),
        build_tags=get("builds", "tags"),
        channels=get("builds", "channels") or (),
        components=get("components") or (),
        requests_repository=get("requests", "repository"),
        ship_label=get("ship", "label"),
        ship_comment=get("ship", "comment"),
        ship_close=get("ship", "close"),
        ship_notify=get("ship", "notify"),
        template=get("changelog", "template"),
        locale=get("changelog", "locale"),
        changelog_file=get("changelog", "file"),
        changelog_changes=get("changelog", "changes"),
        site_dir=get("site", "dir"),
        site_cards=get("site", "cards"),
        site_url=get("site", "url"),
        site_reports=get("site", "reports"),
        store=get("store"),
        publish=tuple(get("publish")),
        credits_exclude=tuple(get("credits", "exclude")),
        credits_logins={email.strip().lower(): login for email, login in get("credits", "logins").items()},
        source=where,
    )


# A config is a few dozen values; YAML aliases can make a few lines stand for billions
# (`a: &a [x, x]`, `b: &b [*a, *a]`, …), which no message or check may ever expand.
def _document(text: str, loader_class: Any, where: str) -> tuple[Any, Any]:
    """(the node graph, the document built from it) of YAML text, in one parse: the size is
    checked on the nodes before anything is built from them."""
    from tracker import _configcheck as check

    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        check.check_size(node, where)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def load(repo_root: Path, path: str | None) -> Config:
    """Load the config named by `--config`, else `.github/tracker.yml` when present, else defaults."""
    if path is None:
        target, shown = repo_root / DEFAULT_PATH, DEFAULT_PATH
        if not os.path.lexists(target):
            return Config()
    else:
        target = Path(path)
        if not target.is_absolute() and not os.path.lexists(target):
            target = repo_root / path
        shown = path
        if not os.path.lexists(target):
            raise ConfigError(f"config file not found: {shown}")
    # Anything else at the config's path is an error, never "no config": a folder, a FIFO
    # (reading it would wait for ever), a dangling link.
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read the config: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise ConfigError(f"{shown}: the config is {what}; it must be a YAML file")
    try:
        text = target.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text (byte {exc.start}); save the config as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror}") from None
    return parse(text, shown)
