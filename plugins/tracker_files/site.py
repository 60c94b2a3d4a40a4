"""`site`: a static site of what fans asked for and got, in `site.dir`.

Writes `index.html` (the latest build, earlier builds, the hall of fame, the
roadmap), `builds/B.html` for every build up to this one, `fans.html`,
`feed.atom` (newest 50 builds) and a share card (`cards/LOGIN.svg` and `.png`)
for every suggester and co-suggester (`site.cards: all` adds voters).

The whole site is a function of the builds up to B and the open requests, so
publishing B gives the same pages whatever was published before, and a rerun
writes nothing: no "now" anywhere, only build dates. Publishing a build older
than the one the site shows changes nothing (the newer site already has its
page). Pages are self-contained (inline CSS, no scripts, no web fonts) so they
work from disk. Files are only ever written, never deleted: the folder may hold
the maintainer's own files. A `site.dir` that is not a folder is bad input, found
before anything is written; a write that fails is one line (exit 1), and since
every file is replaced atomically and the site is a function of the builds, a
rerun finishes what a failed or killed run left half done.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tracker.hooks import (
    BadInput,
    BuildToPublish,
    Context,
    Publisher,
    WorkFailed,
    check_targets,
    render_template,
    write_if_changed,
)
from tracker_files import cards, sitedata

PAGES = {
    "index.html": "site/index.html.j2",
    "fans.html": "site/fans.html.j2",
    "feed.atom": "site/feed.atom.j2",
}

_SHOWN = re.compile(r'<meta name="tracker:build" content="([^"]*)">')


class Site(Publisher):
    """Keeps the static site in `site.dir` up to date with every build up to this one."""

    name = "site"
    earlier_builds = True  # every build's page, the hall of fame, the feed; the roadmap's requests

    def __init__(self, context: Context):
        super().__init__(context)
        folder = context.path(context.config.site_dir)
        for path in (folder, folder / "builds", folder / "cards"):
            if path.exists() and not path.is_dir():
                what = "a file" if path.is_file() else "something else"
                raise BadInput(f"site.dir {context.config.site_dir}: {path} is {what}, not a folder")
        # Anything but a regular file (or a link to one) where a page or a card goes is bad
        # input, found before the first write.
        check_targets([folder / name for name in PAGES], lambda p: f"site.dir {context.config.site_dir}: {p}")
        for sub, kinds in (("builds", (".html",)), ("cards", (".png", ".svg"))):
            if (folder / sub).is_dir():
                check_targets((p for p in (folder / sub).iterdir() if p.name.endswith(kinds)),
                              lambda p: f"site.dir {context.config.site_dir}: {p}")

    def builds_to_order(self, build: str) -> list[str]:
        """The build the site shows, when another (is `build` older than it?)."""
        shown = shown_build(self.context.path(self.context.config.site_dir))
        return [shown] if shown and shown != build else []

    def publish(self, build: BuildToPublish) -> list[str]:
        """Render every page and card; write (or, on dry run, list) the files that change."""
        config = self.context.config
        folder = self.context.path(config.site_dir)
        locale = config.locale
        shown = shown_build(folder)
        name = build.report["build"]
        if shown and shown != name and build.newest_first([shown, name])[0] == shown:
            # Republishing an older build must not turn the site back to it: the newer
            # build's site already holds this build's page, so a rerun changes nothing.
            self.context.say(f"site: {folder} shows {shown}, newer than {name}; left as it is")
            return []
        data = sitedata.model([build.report, *build.earlier], build.requests, config.site_cards,
                              self.context.root.name)
        honours = data.pop("honours")
        common = {**data, "locale": locale}
        changed: list[Path] = []

        def put(relative: str, content: str | bytes) -> None:
            target = folder / relative
            try:
                written = write_if_changed(target, content, dry_run=self.context.dry_run)
            except OSError as exc:
                raise WorkFailed(f"site: cannot write {target}: {exc.strerror or exc}"
                                 " (fix that and run again: it finishes the site)") from None
            if written:
                changed.append(target)

        if honours and not cards.font_choice().has_cjk:
            self.context.say("site: no CJK font found (pip install noto-cjk-sans-otc): cards show Latin text only")
        for honour in sorted(honours.values(), key=lambda h: h.login):
            self._card(honour, data["name"], locale, folder, put, changed)
        for view in data["builds"]:
            put("builds/" + sitedata.page_name(view["build"]),
                self._render("site/build.html.j2", {**common, "build": view, "root": "../"}, locale))
        for relative, template in PAGES.items():
            put(relative, self._render(template, {**common, "root": ""}, locale))
        return [f"site: {path}" for path in changed]

    def _render(self, template: str, context: Mapping[str, Any], locale: str) -> str:
        return render_template(template, context, locale, self.context.root)

    def _card(self, honour: sitedata.Honour, name: str, locale: str, folder: Path,
              put: Callable[[str, str | bytes], None], changed: list[Path]) -> None:
        """One fan's card: the SVG always rendered (cheap); the PNG only when its digest differs."""
        request = honour.request
        words = cards.parse_words(self._render("cards/card.txt.j2", {
            "login": honour.login, "role": honour.role, "title": request["title"], "votes": request["votes"],
            "name": name, "build": honour.build, "date": honour.date,
        }, locale))
        card = cards.layout(words)
        put(f"cards/{honour.login}.svg", self._render("cards/card.svg.j2", {"card": card.svg_context()}, locale))
        target = folder / "cards" / f"{honour.login}.png"
        if cards.png_digest(target) == card.digest:
            return
        if self.context.dry_run:
            changed.append(target)
            return
        put(f"cards/{honour.login}.png", cards.png(card))


def shown_build(folder: Path) -> str | None:
    """The build the site in `folder` was last published for (`index.html` names it in a meta tag)."""
    try:
        head = (folder / "index.html").read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    found = _SHOWN.search(head)
    return html.unescape(found.group(1)) if found else None

