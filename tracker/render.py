"""Render: jinja2 templates (sandboxed) for every output format and locale.

Templates load through a chain: the user's folder (`.github/tracker/templates`),
then the built-ins; `default:NAME` always names the built-in, so an override can
extend the original.

Escaping is decided by the output, never left to the template author: HTML and
XML templates autoescape; Markdown templates get every fan string pre-sanitised
(`textsafe.markdown`) and a `finalize` that escapes anything else printed raw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from tracker import _logins as logins
from tracker import _textsafe as textsafe
from tracker._changes import Changes
from tracker._errors import BadInput

if TYPE_CHECKING:
    import jinja2

FORMATS = {
    "markdown": "markdown.md.j2",
    "html": "html.html.j2",
    "text": "text.txt.j2",
    "atom": "atom.xml.j2",
}
USER_TEMPLATES = ".github/tracker/templates"
# Keys whose values are logins: kept as `@login`-ready text rather than escaped prose.
_LOGIN_KEYS = frozenset({"login", "author", "co_authors", "voters", "builders", "logins"})
# Keys that are identifiers, dates, or URLs we build ourselves: never fan prose.
_RAW_KEYS = frozenset({"sha", "commits", "date", "schema", "url", "card", "png", "svg", "page", "id",
                       "build", "previous", "builds", "type", "votes",
                       # lists of request and pull-request ids (checked at import, or the host's numbers)
                       "suggested", "voted", "built", "reported", "tested", "requests", "pulls"})


def flavour(name: str) -> str:
    """How a template's output is escaped: `markdown`, `markup` (HTML/XML/SVG) or `text`."""
    base = name[:-3] if name.endswith(".j2") else name
    if base.endswith((".md", ".markdown")):
        return "markdown"
    if base.endswith((".html", ".htm", ".xml", ".atom", ".svg")):
        return "markup"
    return "text"


# Longer lists are made safe item by item as a template reads them: a long range's
# `changes` has 100,000 entries, and the built-in templates show thirty.
_EAGER = 200


class _SafeView(Sequence[Any]):
    """A read-only sequence whose items pass through `view` when read."""

    def __init__(self, items: Sequence[Any], view: Callable[[Any, str | None], Any], key: str | None):
        self._items, self._view, self._key = items, view, key

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        for item in self._items:
            yield self._view(item, self._key)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self._items))
            return [self._view(v, self._key) for v in islice(self._items, start, stop, step)] if step > 0 \
                else [self[i] for i in range(start, stop, step)]
        return self._view(self._items[index], self._key)


def _is_long(value: Any) -> bool:
    return isinstance(value, Changes) or (isinstance(value, (list, tuple)) and len(value) > _EAGER)


def _markdown_view(value: Any, key: str | None = None) -> Any:
    """A copy of template data with fan text made inert Markdown."""
    kind = type(value)  # plain types first, by identity: a long report has a hundred thousand values
    if kind is str:
        return _markdown_text(value, key)
    if kind is dict:
        return {k: _markdown_view(v, k) for k, v in value.items()}
    if kind is list or kind is tuple:
        if len(value) > _EAGER:
            return _SafeView(value, _markdown_view, key)
        return [_markdown_view(v, key) for v in value]
    if isinstance(value, Markup) or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {k: _markdown_view(v, k) for k, v in value.items()}
    if _is_long(value):
        return _SafeView(value, _markdown_view, key)
    if isinstance(value, (list, tuple)):
        return [_markdown_view(v, key) for v in value]
    if isinstance(value, str):
        return _markdown_text(value, key)
    return value


def _markdown_text(value: str, key: str | None) -> Markup:
    """One string of template data as inert Markdown, by what its key says it is."""
    if key in _LOGIN_KEYS:
        # An App's `[bot]` would read as Markdown link text: escaped, like any other name.
        return Markup(textsafe.quiet_login(value)) if logins.valid(value) and not logins.is_app(value) \
            else textsafe.markdown(value)
    if key == "url":
        return textsafe.markdown_url(value)
    if key in _RAW_KEYS:
        return Markup(textsafe.plain(value))
    return textsafe.markdown(value, code=key == "summary")  # a change's words keep their code spans


def _clean_view(value: Any, key: str | None = None) -> Any:
    """A copy of template data without control or direction-override characters, and with
    logins that would ping a whole chat (`everyone`) made quiet."""
    if isinstance(value, str) and not isinstance(value, Markup):
        text = textsafe.clean(value)
        return textsafe.quiet_login(text) if key in _LOGIN_KEYS else text
    if isinstance(value, Mapping):
        return {k: _clean_view(v, k) for k, v in value.items()}
    if _is_long(value):
        return _SafeView(value, _clean_view, key)
    if isinstance(value, (list, tuple)):
        return [_clean_view(v, key) for v in value]
    return value


def _gettext_callables(locale: str, kind: str) -> tuple[Callable[..., str], Callable[..., str]]:
    from tracker import _locales as locales

    catalogue = locales.translations(locale)

    def fill(text: str, values: Mapping[str, Any]) -> str:
        if kind == "text":
            return text % values if values else text
        # Our catalogue is trusted; the values are escaped for the output (Markup % escapes).
        return Markup(text) % values if values else Markup(text)

    def gettext(message: str, **values: Any) -> str:
        return fill(catalogue.gettext(message), values)

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
        values.setdefault("num", n)
        return fill(catalogue.ngettext(singular, plural, n), values)

    return gettext, ngettext


@lru_cache(maxsize=16)
def environment(locale: str, user_dir: str | None, kind: str) -> jinja2.Environment:
    """A sandboxed environment for one locale, user template folder and escaping flavour."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    from tracker import _locales as locales

    builtin = jinja2.PackageLoader("tracker_templates", ".")
    chain: list[jinja2.BaseLoader] = [jinja2.PrefixLoader({"default": builtin}, delimiter=":")]
    if user_dir:
        chain.append(jinja2.FileSystemLoader(user_dir))
    chain.append(builtin)

    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if kind == "markdown" and not hasattr(value, "__html__") and isinstance(value, str):
            return textsafe.markdown(value)
        return value

    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(chain),
        bytecode_cache=_compiled_cache(),
        autoescape=kind == "markup",
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    gettext, ngettext = _gettext_callables(locale, kind)
    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, locale=locale)
    env.filters["md"] = textsafe.markdown
    env.filters["mention"] = textsafe.mention
    env.filters["plain"] = textsafe.plain
    env.filters["date"] = lambda iso, style="medium": locales.format_date(iso, locale, style)
    return env


def _compiled_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the folder TRACKER_TEMPLATE_CACHE names (the Action's runner
    temp: its install step compiles the built-in templates, the release step loads them), else
    in the user's cache folder (`$XDG_CACHE_HOME/tracker/templates`, `~/.cache/...`), as Python
    keeps bytecode: compiling the Markdown template costs a release ~0.1 s. Set to an empty
    value, none. jinja2 checks each against its template's source (and its own and Python's
    version), so an edited one is compiled again."""
    import os

    folder = os.environ.get("TRACKER_TEMPLATE_CACHE")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "tracker", "templates") if os.path.isabs(base) else ""
    if not folder:
        return None
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None  # only a cache: compile as without one
    if not os.access(folder, os.W_OK | os.X_OK):
        return None  # jinja2 would fail the render writing there
    return _only_a_cache()(folder)


@lru_cache(maxsize=1)
def _only_a_cache() -> type[jinja2.FileSystemBytecodeCache]:
    import jinja2

    class OnlyACache(jinja2.FileSystemBytecodeCache):
        """jinja2's folder of compiled templates, where a failed read or write (a full disk, a
        damaged entry) costs a compile, never the render."""

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # a damaged entry (cut short, unpicklable): compiled again
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            from contextlib import suppress

            with suppress(OSError):  # jinja2 removes its half-written file first
                super().dump_bytecode(bucket)

    return OnlyACache


def _user_dir(root: Path | None) -> str | None:
    if root is not None and (root / USER_TEMPLATES).is_dir():
        return str(root / USER_TEMPLATES)
    return None


def prepare(template: str, locale: str = "en", root: Path | None = None) -> None:
    """Load and compile a built-in format's template (or a named one) now, as `render` would:
    `render` then finds it compiled. A file, or anything that fails, is left to `render`."""
    import jinja2

    name = FORMATS.get(template, template)
    if template not in FORMATS and not template.startswith("default:"):
        return
    kind = flavour(name[len("default:"):] if name.startswith("default:") else name)
    try:
        environment(locale, _user_dir(root), kind).get_template(name)
    except jinja2.TemplateError:
        return  # `render` says what is wrong, as one line


def render(template: str, context: Mapping[str, Any], locale: str = "en", root: Path | None = None,
           *, by_name: bool = False) -> str:
    """Render a built-in format (`markdown`, `html`, `text`, `atom`), a template name, or a file.

    A name ending in `.j2` (or `default:NAME`) is looked up in the user's template
    folder, then the built-ins; anything else that is not a format is a file path.
    `by_name=True` always looks the name up (publishers name templates in
    subfolders, `site/index.html.j2`, which would otherwise read as paths).
    """
    import jinja2

    from tracker import _locales as locales

    locales.check(locale)
    name = FORMATS.get(template, template)
    is_file = not by_name and template not in FORMATS and not template.startswith("default:") and (
        Path(template).exists() or "/" in template or not template.endswith(".j2"))
    kind = flavour(name[len("default:"):] if name.startswith("default:") else name)
    env = environment(locale, _user_dir(root), kind)
    data = _markdown_view(dict(context)) if kind == "markdown" else _clean_view(dict(context))
    try:
        if is_file:
            path = Path(template)
            try:
                source = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise BadInput(f"template not found: {template}") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise BadInput(f"template {template}: cannot read: {exc}") from None
            compiled = env.from_string(source)
        else:
            compiled = env.get_template(name)
        return compiled.render(**data)
    except jinja2.TemplateSyntaxError as exc:
        raise BadInput(f"template {exc.filename or template}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise BadInput(f"template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        raise BadInput(f"template {template}: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise BadInput(f"template {template}: not allowed: {exc}") from None
