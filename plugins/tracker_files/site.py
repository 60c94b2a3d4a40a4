"""`site`: a static site of what fans asked for and got, in `site.dir`.

Writes `index.html` (the latest build, earlier builds, the hall of fame, the
roadmap, the awards), `builds/B.html` for every build up to this one,
`fans.html`, a page and a feed per fan (`fans/LOGIN.html`, `fans/LOGIN.atom`),
`awards/YEAR.html` per year with builds, `feed.atom` (newest 50 builds), and per
build a card (`cards/B/LOGIN.png` and `.svg`) with its share page
(`cards/B/LOGIN.html`) for every suggester, co-suggester and reporter
(`site.cards: all` adds voters). `reports/B.json` keeps each build's report as
the site published it. With `builds.channels` the index shows the channels side
by side; with `components`, `components/NAME.html` lists each component's builds.
With `site.reports`, other repositories' reports (read and checked when the
publisher is made) join the hall of fame, fans' pages, awards and roadmap.

The whole site is a function of the builds up to B and the open requests, so
publishing B gives the same pages whatever was published before, and a rerun
writes nothing: no "now" anywhere, only build dates. An earlier build is shown
from the report the site kept when it published that build (`reports/B.json`),
which a release made with every issue-system read; the session's report of it
(made without new reads) is used only when the site kept none. Publishing a
build older than the one the site shows changes nothing (the newer site
already has its page). Pages are self-contained (inline CSS, no web fonts; the
share page's copy button is a few lines of inline script, its other buttons
plain links) so they work from disk. Files are only ever written, except the
cards and share pages of a request a later build withdrew: those are removed
(only tracker's own files in a build's card folder are ever deleted). A
`site.dir` that is not a folder is bad input, found before anything is written;
a write that fails is one line (exit 1), and since every file is replaced
atomically and the site is a function of the builds, a rerun finishes what a
failed or killed run left half done.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from tracker.hooks import (
    BadInput,
    BuildToPublish,
    Context,
    Publisher,
    Report,
    WorkFailed,
    check_targets,
    merged_reports,
    read_reports,
    render_template,
    valid_login,
    write_if_changed,
)
from tracker_files import cards, sitedata

PAGES = {
    "index.html": "site/index.html.j2",
    "fans.html": "site/fans.html.j2",
    "feed.atom": "site/feed.atom.j2",
}
# Tracker's own files in a build's card folder (`cards/B/`): the only files it ever deletes.
_CARD_FILES = (".png", ".svg", ".html")

_SHOWN = re.compile(r'<meta name="tracker:build" content="([^"]*)">')


class Site(Publisher):
    """Keeps the static site in `site.dir` up to date with every build up to this one."""

    name = "site"
    earlier_builds = True  # every build's page, the hall of fame, the feed; the roadmap's requests

    def __init__(self, context: Context):
        super().__init__(context)
        where = f"site.dir {context.config.site_dir}"
        folder = context.path(context.config.site_dir)
        subs = ("builds", "cards", "fans", "awards", "reports", "components")
        for path in (folder, *(folder / sub for sub in subs)):
            if path.exists() and not path.is_dir():
                what = "a file" if path.is_file() else "something else"
                raise BadInput(f"{where}: {path} is {what}, not a folder")
        url = getattr(context.config, "site_url", None)
        if url is not None and (urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).netloc):
            raise BadInput(f"site.url {url!r}: not a web address (https://…)")
        self.url = (url.rstrip("/") + "/") if url else None
        # Anything but a regular file (or a link to one) where a page or a card goes is bad
        # input, found before the first write.
        check_targets([folder / name for name in PAGES], lambda p: f"{where}: {p}")
        for sub, kinds in (("builds", (".html",)), ("fans", (".html", ".atom")), ("awards", (".html",)),
                           ("reports", (".json",)), ("components", (".html",))):
            if (folder / sub).is_dir():
                check_targets((p for p in (folder / sub).iterdir() if p.name.endswith(kinds)),
                              lambda p: f"{where}: {p}")
        if (folder / "cards").is_dir():
            for build in (folder / "cards").iterdir():
                if build.is_dir() and not build.is_symlink():
                    check_targets((p for p in build.iterdir() if p.name.endswith(_CARD_FILES)),
                                  lambda p: f"{where}: {p}")

        # Other repositories' reports (`site.reports`): read and checked now, before anything is written.
        merged = getattr(context.config, "site_reports", None)
        self.others: list[Report] = []
        if merged is not None:
            self.others = merged_reports(read_reports(context.path(merged), "site.reports", merged))

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
        earlier = [kept_report(folder, data["build"]) or data for data in build.earlier]
        data = sitedata.model([build.report, *earlier], build.requests, config.site_cards, self.context.root.name,
                              channels=[channel for channel, _ in getattr(config, "channels", ())],
                              components=[c.name for c in getattr(config, "components", ())], others=self.others)
        honours: list[sitedata.Honour] = data.pop("honours")
        common = {**data, "locale": locale, "site_url": self.url}
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

        # The build's own report first: the one source of its later pages (see the docstring);
        # without its roadmap, which says what is open now, not what the build did.
        kept = {key: value for key, value in build.report.items() if key != "roadmap"}
        put("reports/" + sitedata.report_name(name),
            json.dumps(kept, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        if honours and not cards.font_choice().has_cjk:
            self.context.say("site: no CJK font found (pip install noto-cjk-sans-otc): cards show Latin text only")
        for honour in honours:
            self._card(honour, data["name"], locale, folder, put, changed)
            self._share_page(honour, common, locale, put)
        for view in data["builds"]:
            put("builds/" + sitedata.page_name(view["build"]),
                self._render("site/build.html.j2", {**common, "build": view, "root": "../"}, locale))
        for fan in data["fan_pages"]:
            put(f"fans/{fan['login']}.html", self._render("site/fan.html.j2", {**common, "fan": fan, "root": "../"},
                                                          locale))
            put(f"fans/{fan['login']}.atom", self._render("site/fan.atom.j2", {**common, "fan": fan, "root": "../"},
                                                          locale))
        for component in data["components"]:
            put(f"components/{component['name']}.html", self._render(
                "site/component.html.j2", {**common, "component": component, "root": "../"}, locale))
        for year in data["awards"]:
            put(f"awards/{year['year']}.html", self._render("site/awards.html.j2",
                                                            {**common, "year": year, "root": "../"}, locale))
        for relative, template in PAGES.items():
            put(relative, self._render(template, {**common, "root": ""}, locale))
        changed += self._remove_stale(folder, honours, [data["build"] for data in [build.report, *earlier]],
                                      {fan["login"].lower() for fan in data["fan_pages"]},
                                      {component["name"] for component in data["components"]})
        return [f"site: {path}" for path in changed]

    def _render(self, template: str, context: Mapping[str, Any], locale: str) -> str:
        return render_template(template, context, locale, self.context.root)

    def _card(self, honour: sitedata.Honour, name: str, locale: str, folder: Path,
              put: Callable[[str, str | bytes], None], changed: list[Path]) -> None:
        """One fan's card of one build: the SVG always rendered (cheap); the PNG only when its digest differs."""
        request = honour.request
        words = cards.parse_words(self._render("cards/card.txt.j2", {
            "login": honour.login, "role": honour.role, "title": request["title"], "votes": request["votes"],
            "name": name, "build": honour.build, "date": honour.date, "first": honour.first,
        }, locale))
        card = cards.layout(words)
        put(honour.stem + ".svg", self._render("cards/card.svg.j2", {"card": card.svg_context()}, locale))
        target = folder / (honour.stem + ".png")
        if cards.png_digest(target) == card.digest:
            return
        if self.context.dry_run:
            changed.append(target)
            return
        put(honour.stem + ".png", cards.png(card))

    def _share_page(self, honour: sitedata.Honour, common: Mapping[str, Any], locale: str,
                    put: Callable[[str, str | bytes], None]) -> None:
        """The card's share page: Open Graph tags for previews, and buttons that are plain links."""
        view = sitedata.card_view(honour)
        absolute = {key: self.url + view[key] if self.url else None for key in ("png", "share")}
        put(honour.stem + ".html", self._render("site/share.html.j2", {
            **common, "card": view, "absolute": absolute, "root": "../../", "share_links": share_links,
            "fan_page": sitedata.People(common["fame"]).page(honour.login),
            "build_page": sitedata.href("builds/" + sitedata.page_name(honour.build)),
        }, locale))

    def _remove_stale(self, folder: Path, honours: Sequence[sitedata.Honour], builds: Sequence[str],
                      fans: set[str], components: set[str]) -> list[Path]:
        """Delete the cards, share pages and fan pages no build holds any more (a request a later
        build withdrew), and the pages of components no longer configured; only tracker's own
        file kinds, named for a login or a component, in tracker's folders."""
        wanted = {honour.stem.lower() for honour in honours}
        gone = [path for path in _own_files(folder / "fans", (".html", ".atom"))
                if valid_login(path.stem) and path.stem.lower() not in fans]
        gone += [path for path in _own_files(folder / "components", (".html",))
                 if _COMPONENT.fullmatch(path.stem) and path.stem not in components]
        for build in builds:
            place = sitedata.build_folder(build)
            gone += [path for path in _own_files(folder / "cards" / place, _CARD_FILES)
                     if valid_login(path.stem) and f"cards/{place}/{path.stem}".lower() not in wanted]
        if not self.context.dry_run:
            for path in gone:
                path.unlink()
        return gone


# A component's name as the config allows it (letters, digits, '-', '_', '.').
_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _own_files(place: Path, kinds: tuple[str, ...]) -> list[Path]:
    """The regular files of those kinds in one of the site's own folders (none through a link)."""
    if not place.is_dir() or place.is_symlink():
        return []
    return [path for path in sorted(place.iterdir()) if path.suffix in kinds and path.is_file()]


def kept_report(folder: Path, build: str) -> Report | None:
    """The report the site kept when it published `build` (`reports/B.json`), or None when it
    kept none or what is there is not that build's schema-1 report."""
    try:
        data = json.loads((folder / "reports" / sitedata.report_name(build)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != 1 or data.get("build") != build:
        return None
    if not all(isinstance(data.get(key), list) for key in ("shipped", "withdrawn", "credits")):
        return None
    return data  # type: ignore[return-value]  # checked where the site reads it


def shown_build(folder: Path) -> str | None:
    """The build the site in `folder` was last published for (`index.html` names it in a meta tag)."""
    try:
        head = (folder / "index.html").read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return None
    found = _SHOWN.search(head)
    return html.unescape(found.group(1)) if found else None


def share_links(text: str, page: str | None, locale: str) -> list[dict[str, str]]:
    """The share buttons: each site's share address with the text (and the page's link when the
    site's address is known); zh-CN readers see Weibo first."""
    both = f"{text} {page}" if page else text
    def q(value: str) -> str:
        return quote(value, safe="")

    links = [
        {"site": "X", "href": f"https://x.com/intent/post?text={q(text)}" + (f"&url={q(page)}" if page else "")},
        {"site": "Weibo", "href": f"https://service.weibo.com/share/share.php?title={q(text)}"
                                  + (f"&url={q(page)}" if page else "")},
        {"site": "LinkedIn", "href": "https://www.linkedin.com/feed/?shareActive=true&text=" + q(both)},
        {"site": "Mastodon", "href": "https://toot.kytta.dev/?text=" + q(both)},
    ]
    if locale == "zh-CN":
        links.sort(key=lambda link: link["site"] != "Weibo")
    return links
