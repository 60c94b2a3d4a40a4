"""`.github/tracker.yml`: defaults, loading and validation.

Validation answers with the file, the line and the dotted key, and suggests the
closest known key for a typo, because a config error is usually a typo. A key
given twice and an empty string are errors too: YAML would silently keep the
last value, and `site.dir: ""` would put the site in the repository's root.
"""

from __future__ import annotations

import os
import re
import reprlib
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

_TYPE_NAMES = {str: "a string", bool: "true or false", list: "a list", dict: "a mapping"}


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


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _check(section: dict[str, Any], node: Any, data: Any, prefix: str, where: str) -> dict[str, Any]:
    """Validate one mapping against its schema section; return {key: value} with defaults."""
    import yaml

    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else 1
        raise ConfigError(f"{where}:{line}: {prefix.rstrip('.') or 'the file'} must be a mapping")
    lines: dict[str, int] = {}
    nodes: dict[str, Any] = {}
    if isinstance(node, yaml.MappingNode):
        for knode, vnode in node.value:
            name, line = str(knode.value), knode.start_mark.line + 1
            if name in lines and name != "<<":
                raise ConfigError(f"{where}:{line}: duplicate key '{prefix}{name}' (first given on line {lines[name]})")
            lines[name] = line
            nodes[name] = vnode
    out: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(str(key), 1)
        if key not in section:
            import difflib  # only for a mistyped key

            hint = difflib.get_close_matches(str(key), list(section), n=1)
            tip = f" (did you mean '{prefix}{hint[0]}'?)" if hint else f" (known keys: {', '.join(section)})"
            raise ConfigError(f"{where}:{line}: unknown key '{prefix}{_short(str(key))}'{tip}")
        spec = section[key]
        if isinstance(spec, dict):
            out[key] = _check(spec, nodes.get(key), value if value is not None else {}, f"{prefix}{key}.", where)
            continue
        expected, _default, allowed = spec
        if value is None and _default is None:
            out[key] = None
            continue
        ok = isinstance(value, expected) and not (expected is not bool and isinstance(value, bool))
        if ok and expected is list and (prefix + key) == "components":
            out[key] = _check_components(value, nodes.get(key), where, line)
            continue
        if ok and (prefix + key) == "builds.channels":
            out[key] = _check_channels(value, nodes.get(key), where, line, data.get("tags") or "v*")
            continue
        if ok and (prefix + key) == "builds.tags" and len(value) > MAX_GLOB:
            raise ConfigError(f"{where}:{line}: 'builds.tags' is longer than a tag glob can be"
                              f" ({MAX_GLOB} characters)")
        if ok and (prefix + key) == "requests.repository" and not _SLUG.fullmatch(value):
            raise ConfigError(f"{where}:{line}: 'requests.repository' must be owner/name (a hub such as"
                              f" org/feedback), not {_REPR.repr(value)}")
        if ok and expected is list:
            ok = all(isinstance(item, str) for item in value)
            if not ok:
                raise ConfigError(f"{where}:{line}: '{prefix}{key}' must be a list of strings")
            if any(not item.strip() for item in value):
                raise ConfigError(f"{where}:{line}: '{prefix}{key}' must not hold an empty string")
        if ok and expected is dict:
            _check_logins(value, f"{prefix}{key}", f"{where}:{line}")
        if ok and expected is str and not value.strip():
            raise ConfigError(f"{where}:{line}: '{prefix}{key}' must not be empty")
        if not ok:
            shown = "" if value is None else f" ({_REPR.repr(value)})"  # "not null (None)" says nothing twice
            raise ConfigError(
                f"{where}:{line}: '{prefix}{key}' must be {_TYPE_NAMES[expected]}, not {_type_name(value)}{shown}"
            )
        if allowed is not None and value not in allowed:
            raise ConfigError(
                f"{where}:{line}: '{prefix}{key}' must be one of {', '.join(allowed)}, not {_REPR.repr(value)}"
            )
        out[key] = value
    return out


_SLUG = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")
# A tag glob's length at most: comparing two globs (`globs_meet`) recurses once per character.
MAX_GLOB = 200
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _line_of(node: Any, index: int | str, default: int) -> int:
    """The line of item `index` (a list position or a mapping key) of a YAML node."""
    import yaml

    if isinstance(node, yaml.SequenceNode) and isinstance(index, int) and index < len(node.value):
        return int(node.value[index].start_mark.line) + 1
    if isinstance(node, yaml.MappingNode):
        for knode, _ in node.value:
            if knode.value == index:
                return int(knode.start_mark.line) + 1
    return default


def _check_channels(value: dict[Any, Any], node: Any, where: str, line: int,
                    builds: Any) -> tuple[tuple[str, str], ...]:
    """`builds.channels`: channel names → tag globs, most specific first; two globs a tag can
    match both must be ordered so the first is the narrower (else that tag's channel is a guess)."""
    out: list[tuple[str, str]] = []
    for name, glob in value.items():
        at = _line_of(node, name, line)
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"{where}:{at}: 'builds.channels': {_REPR.repr(name)} is not a channel name"
                              " (letters, digits, '-', '_', '.')")
        if not isinstance(glob, str) or not glob.strip():
            raise ConfigError(f"{where}:{at}: 'builds.channels.{name}' must be a tag glob (a string),"
                              f" not {_type_name(glob)}")
        if len(glob) > MAX_GLOB:
            raise ConfigError(f"{where}:{at}: 'builds.channels.{name}' is longer than a tag glob can be"
                              f" ({MAX_GLOB} characters)")
        for other, wider in out:
            if globs_meet(wider, glob) and not glob_within(wider, glob):
                raise ConfigError(f"{where}:{at}: 'builds.channels.{name}' ({glob}) overlaps"
                                  f" 'builds.channels.{other}' ({wider}): a tag matching both has no one"
                                  " channel; list the more specific glob first")
        if isinstance(builds, str) and not globs_meet(glob, builds):
            raise ConfigError(f"{where}:{at}: 'builds.channels.{name}' ({glob}) matches no build tag"
                              f" ('builds.tags' is {builds})")
        out.append((name, glob))
    if not out:
        raise ConfigError(f"{where}:{line}: 'builds.channels' must name at least one channel (or be null)")
    return tuple(out)


def _check_components(value: list[Any], node: Any, where: str, line: int) -> tuple[Component, ...]:
    """`components`: each a mapping of `name`, `tags` (a glob) and `paths` (a non-empty list)."""
    out: list[Component] = []
    for index, item in enumerate(value):
        at = _line_of(node, index, line)
        key = f"components[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}:{at}: '{key}' must be a mapping of name, tags and paths,"
                              f" not {_type_name(item)}")
        unknown = [k for k in item if k not in ("name", "tags", "paths", "changelog")]
        if unknown:
            raise ConfigError(f"{where}:{at}: unknown key '{key}.{_short(str(unknown[0]))}'"
                              " (known keys: name, tags, paths, changelog)")
        name, tags, paths = item.get("name"), item.get("tags"), item.get("paths")
        changelog = item.get("changelog")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigError(f"{where}:{at}: '{key}.name' must be a name (letters, digits, '-', '_', '.')")
        if not isinstance(tags, str) or not tags.strip():
            raise ConfigError(f"{where}:{at}: 'components.{name}.tags' must be a tag glob (a string)")
        if len(tags) > MAX_GLOB:
            raise ConfigError(f"{where}:{at}: 'components.{name}.tags' is longer than a tag glob can be"
                              f" ({MAX_GLOB} characters)")
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p.strip() for p in paths):
            raise ConfigError(f"{where}:{at}: 'components.{name}.paths' must be a non-empty list of paths"
                              " (a component without paths would range over every commit)")
        if changelog is not None and not isinstance(changelog, str):
            raise ConfigError(f"{where}:{at}: 'components.{name}.changelog' must be a file path (a string),"
                              f" not {_type_name(changelog)}")
        if isinstance(changelog, str) and not changelog.strip():
            raise ConfigError(f"{where}:{at}: 'components.{name}.changelog' must not be empty")
        for other in out:
            if other.name == name:
                raise ConfigError(f"{where}:{at}: 'components.{name}' is given twice")
            if globs_meet(other.tags, tags):
                raise ConfigError(f"{where}:{at}: 'components.{name}.tags' ({tags}) overlaps"
                                  f" 'components.{other.name}.tags' ({other.tags}): a tag must name one component")
        out.append(Component(name, tags, tuple(paths), changelog))
    return tuple(out)


def _glob_tokens(glob: str) -> list[str]:
    """A glob as tokens: `*`, `?` (any one character: a `[...]` class too), or `=` and one literal."""
    tokens: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "[":
            j = i + 1
            j += glob[j:j + 1] == "!"
            j += glob[j:j + 1] == "]"
            end = glob.find("]", j)
            if end != -1:
                tokens.append("?")
                i = end + 1
                continue
        tokens.append(char if char in "*?" else "=" + char)
        i += 1
    return tokens


def globs_meet(one: str, two: str) -> bool:
    """Whether some tag can match both globs (a character class counts as any character)."""
    from functools import cache

    a, b = _glob_tokens(one), _glob_tokens(two)

    @cache
    def meet(i: int, j: int) -> bool:
        if i < len(a) and a[i] == "*":
            return meet(i + 1, j) or (j < len(b) and meet(i, j + 1))
        if j < len(b) and b[j] == "*":
            return meet(i, j + 1) or (i < len(a) and meet(i + 1, j))
        if i == len(a) or j == len(b):
            return i == len(a) and j == len(b)
        if a[i] == "?" or b[j] == "?" or a[i] == b[j]:
            return meet(i + 1, j + 1)
        return False

    return meet(0, 0)


def glob_within(narrow: str, wide: str) -> bool:
    """Whether every tag matching `narrow` matches `wide` (checked by matching `narrow`'s own
    wildcards as characters only `wide`'s wildcards take: a sufficient test, exact for plain globs)."""
    pattern = "".join(".*" if t == "*" else "[^\\x00]" if t == "?" else re.escape(t[1])
                      for t in _glob_tokens(wide))
    text = "".join("\x00" if t == "*" else "\x01" if t == "?" else t[1] for t in _glob_tokens(narrow))
    return re.fullmatch(pattern, text, re.DOTALL) is not None


def _check_logins(value: dict[Any, Any], key: str, where: str) -> None:
    """`credits.logins`: every key an email address, every value a login."""
    from tracker import _logins as logins

    for email, login in value.items():
        if not isinstance(email, str) or "@" not in email or not email.strip() or any(c in email for c in " <>"):
            raise ConfigError(f"{where}: '{key}' maps emails to logins; {email!r} is not an email address")
        if not isinstance(login, str) or not logins.valid(login):
            raise ConfigError(f"{where}: '{key}': {login!r} (for {email}) is not a login"
                              " (letters, digits, '-', '_', '.')")


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

    _check_depth(text, where)
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
        raise ConfigError(f"{where}{line}: not valid YAML: {_short(problem)}") from None
    except RecursionError:
        raise ConfigError(f"{where}: not a config: nested too deeply") from None
    if data is None:
        data = {}
    values = _check(_SCHEMA, node, data, "", where)

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
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_size(node, where)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


MAX_VALUES = 10_000
MAX_DEPTH = 64
_BRACKETS = re.compile(r"[\[\]{}]")
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 3, 3, 40, 40


def _short(value: Any) -> str:
    """A value as messages show it: bounded, however big or deep it is."""
    return value if isinstance(value, str) and len(value) <= 80 else _REPR.repr(value)


def _check_depth(text: str, where: str) -> None:
    """Refuse flow nesting deeper than MAX_DEPTH before YAML reads it: PyYAML's scanner takes
    time quadratic in the depth of `[[[…` (seconds at 20,000) before its parser gives up.
    Brackets inside quotes or comments count too: no real config nests anywhere near this."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            raise ConfigError(f"{where}:{line}: not a config: nested more than {MAX_DEPTH} levels deep")


def _check_size(root: Any, where: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_VALUES values, or refer to
    themselves: counted over the node graph, each node once (linear in the text)."""
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError(f"{where}:{node.start_mark.line + 1}: a YAML alias refers to itself")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        if total > MAX_VALUES:
            raise ConfigError(f"{where}: not a config: its YAML aliases expand to more than {MAX_VALUES:,} values")
        active.discard(key)
        sizes[key] = total
        return total

    size(root)


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
