"""Fan-written text (titles, logins, bodies) made safe for each output format.

Markdown is the hard case: a title must not ping anyone (`@everyone`,
`@org/team`), open a link, or smuggle raw HTML, yet must still read the same.
Zero-width joins break mentions and autolinks without changing what a reader sees.
"""

from __future__ import annotations

import re

from markupsafe import Markup

_ZW = "\u200b"
# Bidi overrides and isolates can make a title display as something it is not.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# C0 and C1 controls (ESC and the 8-bit CSI \x9b start terminal escape sequences), tabs and newlines kept.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Inline specials; `(`, `.`, `-` matter only after `]` or at a line start, both handled.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"\A([#>+\-]|\d+(?=[.)]))")
_SPACES = re.compile(r"\s*[\r\n]+\s*|\t")
_MENTION = re.compile(r"@(?=[\w-])")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(://)|\b(www)\.")
# Issue and merge-request references GitHub (and GitLab) turn into links and cross-references
# in rendered Markdown: `#2`, `owner/repo#2`, `GH-2`, GitLab's `!2`. A backslash or `&#35;`
# does not stop them (the renderer links the text it produced), a zero-width space does.
_REFERENCE = re.compile(r"(?i)(?:#|!|\bgh-)(?=\d)")
# Commit shas (7 to 40 hex digits, as a word) link too: cut every run into pieces of six.
_HEX_RUN = re.compile(r"(?i)\b[0-9a-f]{7,}\b")
_HEX_PIECE = re.compile(r"(?i)[0-9a-f]{6}(?=[0-9a-f])")
# A code span as CommonMark reads one: a run of backticks, then text, then a run of as many.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# Logins that chat tools (where release notes are often relayed) take as a ping of everyone.
_EVERYONE = frozenset({"everyone", "here", "channel", "all"})


def clean(text: str) -> str:
    """`text` without control and direction-override characters (newlines kept)."""
    if text.isprintable():  # every character removed here is one Python calls unprintable
        return text
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


def plain(text: str | None) -> str:
    """One line of text with control and direction-override characters removed."""
    if not text:
        return ""
    text = str(text)
    if text.isprintable():  # no control, no format character, no line break or tab: nothing to do
        return text
    return _SPACES.sub(" ", clean(text))


def markdown(text: str | None, code: bool = False) -> Markup:
    """Fan text as inert Markdown: no HTML, no links, no mentions, no formatting. With `code`
    (a commit's subject, a pull request's title: contributors' words about the code), its
    code spans (`` `get_loop()` ``) are kept, Markdown showing what they hold as written, and
    its `#12` and shas link as the author meant; it still pings no one and opens no URL."""
    text = plain(text)
    if not code or "`" not in text:
        return _inert(text, links=code)
    pieces, at = [], 0
    for span in _CODE_SPAN.finditer(text):
        pieces += [_inert(text[at:span.start()], links=True), span.group()]
        at = span.end()
    return Markup("".join([*pieces, _inert(text[at:], links=True)]))


def _inert(text: str, links: bool = False) -> Markup:
    """One line of fan text, outside code spans, as inert Markdown; with `links`, references
    to issues and commits (`#12`, a sha) are left to link, as a commit's subject means them."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), text)
    text = _MENTION.sub("@" + _ZW, text)
    text = _AUTOLINK.sub(lambda m: (":" + _ZW + "//") if m.group(1) else ("www" + _ZW + "."), text)
    if not links:
        text = _REFERENCE.sub(lambda m: m.group() + _ZW, text)
        text = _HEX_RUN.sub(lambda m: _HEX_PIECE.sub(lambda piece: piece.group() + _ZW, m.group()), text)
    return Markup(text)


def quiet_login(name: str) -> str:
    """A login as written after `@` in any output: `everyone`, `here`, `channel` and `all`
    get a zero-width space in front, so `@everyone` reads the same and pings nobody."""
    return _ZW + name if name.lower() in _EVERYONE else name


def markdown_url(url: str | None) -> Markup:
    """An http(s) URL made safe as the target of a Markdown link `[text](URL)`: characters
    that could end the target or start markup are percent-encoded; any other scheme gives
    "" (no link). URLs come from issue systems or imports, where they are checked too."""
    text = plain(url).strip()
    if not re.match(r"(?i)https?://[^/\s]", text):
        return Markup("")
    return Markup(_URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text))


_URL_UNSAFE = re.compile(r"[\s()<>\[\]`\\\"'|]")


def mention(login: str | None) -> Markup:
    """A credited fan, named so that they are notified: `@login` (logins are validated)."""
    if not login:
        return Markup("someone")
    safe = re.fullmatch(r"[\w.-]{1,100}", login) is not None and not login.startswith(".")
    return Markup("@" + quiet_login(login)) if safe else markdown(login)
