"""Locales: every fan-facing string in the templates has a zh-CN translation, placeholders intact."""

from __future__ import annotations

import io
import re

import jinja2.ext
import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from site_helpers import TEMPLATES

from tracker import _locales as locales
from tracker import render

CATALOGUE = TEMPLATES / "locale" / "zh_CN" / "LC_MESSAGES" / "tracker.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\*\*")
MsgId = str | tuple[str, str]


def template_messages() -> dict[MsgId, list[str]]:
    """Every msgid used in a template (singular, or (singular, plural)), with where it is used."""
    found: dict[MsgId, list[str]] = {}
    for path in sorted(TEMPLATES.rglob("*.j2")):
        messages = extract(jinja2.ext.babel_extract, io.BytesIO(path.read_bytes()), keywords=KEYWORDS,
                           options={"trim_blocks": "true", "lstrip_blocks": "true"})
        for lineno, message, _comments, _context in messages:
            key = tuple(message) if isinstance(message, (tuple, list)) else message
            found.setdefault(key, []).append(f"{path.relative_to(TEMPLATES)}:{lineno}")  # type: ignore[arg-type]
    return found


@pytest.fixture(scope="module")
def catalogue() -> dict[str, object]:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    assert catalog.num_plurals == 1
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}


def test_templates_use_the_catalogue() -> None:
    used = template_messages()
    assert len(used) > 40
    # Every template family is covered by the extraction, old and new.
    places = " ".join(p for where in used.values() for p in where)
    for name in ("markdown.md.j2", "text.txt.j2", "html.html.j2", "atom.xml.j2", "comment_shipped.md.j2",
                 "comment_withdrawn.md.j2", "site/index.html.j2", "site/_macros.html.j2", "cards/card.txt.j2"):
        assert name in places, name


def test_every_template_msgid_has_a_zh_cn_translation(catalogue: dict[str, object]) -> None:
    missing = []
    for message, where in template_messages().items():
        singular = message if isinstance(message, str) else message[0]
        entry = catalogue.get(singular)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str)  # type: ignore[attr-defined]
                                             else list(entry.string))  # type: ignore[attr-defined]
        if not strings or not all(strings):
            missing.append(f"{singular!r} ({where[0]})")
            continue
        if not isinstance(message, str):
            assert not isinstance(entry.id, str) and entry.id[1] == message[1], f"plural of {singular!r}"  # type: ignore[attr-defined]
        expected = sorted(PLACEHOLDER.findall(singular))
        for text in strings:
            assert sorted(PLACEHOLDER.findall(text)) == expected, f"placeholders of {singular!r}: {text!r}"
    assert missing == [], "untranslated for zh-CN:\n" + "\n".join(missing)


def test_the_catalogue_holds_no_unused_entries(catalogue: dict[str, object]) -> None:
    used = {m if isinstance(m, str) else m[0] for m in template_messages()}
    assert sorted(set(catalogue) - used) == []


def test_dates_per_locale() -> None:
    assert locales.format_date("2026-11-20T17:00:00Z", "en") == "Nov 20, 2026"
    assert locales.format_date("2026-11-20T17:00:00Z", "zh-CN") == "2026年11月20日"


def test_zh_cn_renders_changelog_and_comments() -> None:
    shipped = {"id": "12", "title": "Dark mode", "url": None, "author": "alice", "co_authors": [], "votes": 2,
               "voters": ["bob", "carol"], "commits": [], "pulls": [], "builders": []}
    report = {"schema": 1, "build": "v2", "previous": "v1", "date": "2026-11-20T17:00:00Z", "commits": 3,
              "shipped": [shipped], "withdrawn": [], "changes": [],
              "credits": [{"login": "alice", "suggested": ["12"], "voted": [], "built": []}]}
    context = {"report": report, "project": "o/p", "reports": [], "other_changes": []}
    markdown = render.render("markdown", context, "zh-CN")
    assert "已上线的粉丝需求" in markdown and "2026年11月20日" in markdown and "2 票" in markdown
    comment = render.render("comment_shipped.md.j2", {"build": "v2", "request": shipped, "votes": 2,
                                                      "project": "o/p"}, "zh-CN")
    assert "已在 **v2** 上线" in comment and "@alice" in comment
    english = render.render("comment_shipped.md.j2", {"build": "v2", "request": shipped, "votes": 2,
                                                      "project": "o/p"}, "en")
    assert "Shipped in **v2**" in english


def test_templates_sit_where_package_data_finds_them() -> None:
    # setup.cfg ships `*.j2, */*.j2, locale/*/LC_MESSAGES/*.po` of tracker_templates: one folder deep.
    assert CATALOGUE.is_file()
    assert {p.relative_to(TEMPLATES).parent.as_posix() for p in TEMPLATES.rglob("*.j2")} <= {".", "site", "cards"}
