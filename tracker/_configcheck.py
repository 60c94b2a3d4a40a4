"""The config's validation: every key against the schema (`_config._SCHEMA`), with the
file, the line and the dotted key in each message; channels and components, whose tag
globs must not overlap; `credits.logins`; and the guards that keep hostile YAML from
costing anything (nesting depth before parsing, alias expansion before building).
"""

from __future__ import annotations

import re
import reprlib
from typing import Any

from tracker._config import Component
from tracker._errors import ConfigError

_TYPE_NAMES = {str: "a string", bool: "true or false", list: "a list", dict: "a mapping"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def check(section: dict[str, Any], node: Any, data: Any, prefix: str, where: str) -> dict[str, Any]:
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
            raise ConfigError(f"{where}:{line}: unknown key '{prefix}{short(str(key))}'{tip}")
        spec = section[key]
        if isinstance(spec, dict):
            out[key] = check(spec, nodes.get(key), value if value is not None else {}, f"{prefix}{key}.", where)
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
            raise ConfigError(f"{where}:{at}: unknown key '{key}.{short(str(unknown[0]))}'"
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


MAX_VALUES = 10_000
MAX_DEPTH = 64
_BRACKETS = re.compile(r"[\[\]{}]")
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 3, 3, 40, 40


def short(value: Any) -> str:
    """A value as messages show it: bounded, however big or deep it is."""
    return value if isinstance(value, str) and len(value) <= 80 else _REPR.repr(value)


def check_depth(text: str, where: str) -> None:
    """Refuse flow nesting deeper than MAX_DEPTH before YAML reads it: PyYAML's scanner takes
    time quadratic in the depth of `[[[…` (seconds at 20,000) before its parser gives up.
    Brackets inside quotes or comments count too: no real config nests anywhere near this."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            raise ConfigError(f"{where}:{line}: not a config: nested more than {MAX_DEPTH} levels deep")


def check_size(root: Any, where: str) -> None:
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
