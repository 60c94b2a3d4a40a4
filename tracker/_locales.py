"""Locales for fan-facing text: one gettext catalogue per language, dates per locale.

English is the source language: its catalogue is the identity. Other languages
live in `changelog_templates/locale/<lang>/LC_MESSAGES/tracker.po`.
"""

from __future__ import annotations

import gettext
from datetime import datetime, timezone
from functools import cache

from tracker._errors import BadInput

LOCALES = ("en", "zh-CN")
DOMAIN = "tracker"


def check(locale: str) -> None:
    """BadInput unless `locale` is supported."""
    if locale not in LOCALES:
        raise BadInput(f"unknown locale '{locale}' (supported: {', '.join(LOCALES)})")


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalogue for `locale` (identity for English)."""
    check(locale)
    if locale == "en":
        return gettext.NullTranslations()
    from importlib.resources import files

    from babel.messages.pofile import read_po
    from babel.support import Translations

    folder = locale.replace("-", "_")
    source = files("tracker_templates") / "locale" / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=folder)
    import io

    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def format_date(iso: str | None, locale: str, style: str = "medium") -> str:
    """A date as people of `locale` write it (`Nov 20, 2026` / `2026年11月20日`)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc)
    if locale == "en":
        return moment.strftime("%b %-d, %Y") if style != "iso" else moment.strftime("%Y-%m-%d")
    from babel.dates import format_date as babel_format

    pattern = style if style != "iso" else "yyyy-MM-dd"
    return str(babel_format(moment.date(), format=pattern, locale=locale.replace("-", "_")))
