"""Issue 20 on the site: share pages, cards per build, a fan's page and feed, awards, the site's
own copy of each build's report, and the pages laid out in a real browser at 390 and 1280 px."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PIL import Image
from site_helpers import CHROMIUM, HEIGHT, WIDTHS, Browser, demo_project, publish, tree_digest

from tracker._store import Store
from tracker_files import cards

ATOM = "{http://www.w3.org/2005/Atom}"
URL = "https://fans.lumen.example/site/"


class Head(HTMLParser):
    """The meta tags (property or name → content), links and text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str | None]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("property") or found.get("name")):
            self.meta[str(found.get("property") or found.get("name"))] = str(found.get("content"))
        if tag == "a":
            self.links.append(found)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def _with_url(root: Path, locale: str = "en") -> Path:
    config = root / ".github" / "tracker.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("site:\n", f"site:\n  url: {URL}\n", 1),
                      encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo published build by build, with `site.url` set."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("GITHUB_")]:
            patch.delenv(name)
        root = _with_url(demo_project(tmp_path_factory.mktemp("fans") / "lumen"))
        publish(root)
        yield root / "site"


def test_share_page_carries_open_graph_tags_with_an_absolute_card(site: Path) -> None:
    page = Head((site / "cards" / "v2026.47" / "alice.html").read_text(encoding="utf-8"))
    text = "My idea “Dark mode” shipped in lumen v2026.47 — 7 fans voted for it!"
    assert page.meta["og:description"] == page.meta["twitter:description"] == text
    assert page.meta["twitter:card"] == "summary_large_image"
    image = page.meta["og:image"]
    assert image == page.meta["twitter:image"] == URL + "cards/v2026.47/alice.png"
    with Image.open(site / unquote(image[len(URL):])) as png:  # the absolute address names a real card
        assert png.format == "PNG" and png.size == (1200, 630)
    assert page.meta["og:url"] == URL + "cards/v2026.47/alice.html"
    assert "set site.url" not in page.words


def test_share_buttons_are_plain_links_with_the_text_and_the_page(site: Path) -> None:
    page = Head((site / "cards" / "v2026.47" / "alice.html").read_text(encoding="utf-8"))
    buttons = [a for a in page.links if a.get("class") == "share-button" and "://" in (a.get("href") or "")]
    hosts = [urlsplit(str(a["href"])).netloc for a in buttons]
    assert hosts == ["x.com", "service.weibo.com", "www.linkedin.com", "toot.kytta.dev"]
    x = parse_qs(urlsplit(str(buttons[0]["href"])).query)
    assert x["text"] == ["My idea “Dark mode” shipped in lumen v2026.47 — 7 fans voted for it!"]
    assert x["url"] == [URL + "cards/v2026.47/alice.html"]
    mastodon = parse_qs(urlsplit(str(buttons[3]["href"])).query)["text"][0]
    assert mastodon.endswith(" " + URL + "cards/v2026.47/alice.html")  # Mastodon: the link inside the text
    assert "Copy link" in page.words


def test_without_site_url_the_share_page_says_previews_need_it_and_zh_cn_puts_weibo_first(tmp_path: Path) -> None:
    root = demo_project(tmp_path / "lumen", locale="zh-CN")
    publish(root, ["v2026.47"])
    page = Head((root / "site" / "cards" / "v2026.47" / "alice.html").read_text(encoding="utf-8"))
    assert "site.url" in page.words and "og:url" not in page.meta
    hosts = [urlsplit(str(a["href"])).netloc for a in page.links
             if a.get("class") == "share-button" and "://" in (a.get("href") or "")]
    assert hosts[0] == "service.weibo.com"
    assert "分享到 Weibo" in page.words


def test_build_and_fan_pages_link_each_card_to_its_share_page(site: Path) -> None:
    build = (site / "builds" / "v2026.46.html").read_text(encoding="utf-8")
    fan = (site / "fans" / "olga.html").read_text(encoding="utf-8")
    assert 'href="../cards/v2026.46/olga.html"' in build and 'href="../cards/v2026.46/olga.html"' in fan
    # The reporter's card says what their report did.
    assert "My report made v2026.46 better!" in (site / "cards" / "v2026.46" / "olga.svg").read_text(encoding="utf-8")


def test_a_later_build_never_overwrites_an_earlier_card_and_a_withdrawal_removes_its_cards(tmp_path: Path) -> None:
    root = demo_project(tmp_path / "lumen")
    publish(root, ["v2026.46"])
    cards46 = root / "site" / "cards" / "v2026.46"
    assert sorted(p.name for p in cards46.iterdir() if p.suffix == ".png") == [
        "bob.png", "carol.png", "erin.png", "olga.png"]
    before = (cards46 / "bob.png").read_bytes()
    (cards46 / "notes.txt").write_text("the maintainer's own file", encoding="utf-8")
    lines = publish(root, ["v2026.47"])  # v2026.47 reverts erin's #21, shipped in v2026.46
    assert sorted(p.name for p in cards46.iterdir() if p.stem != "carol" and p.stem != "olga") == [
        "bob.html", "bob.png", "bob.svg", "notes.txt"]
    assert f"site: {cards46 / 'erin.png'}" in lines and f"site: {cards46 / 'erin.html'}" in lines
    assert (cards46 / "bob.png").read_bytes() == before  # a later build leaves an earlier card as it was
    assert (root / "site" / "cards" / "v2026.45" / "dave.png").is_file()  # and makes the older builds' cards
    digest = tree_digest(root / "site")
    assert publish(root, ["v2026.47"]) == [] and tree_digest(root / "site") == digest


def test_a_fans_page_lists_every_credit_its_cards_rank_and_first_idea(site: Path) -> None:
    page = Head((site / "fans" / "alice.html").read_text(encoding="utf-8"))
    words = page.words
    for text in ("@alice", "in the hall of fame", "Suggested", "Dark mode", "shipped in v2026.47",
                 "First idea shipped in v2026.47 🎉", "Voted for", "Cards"):
        assert text in words, text
    hrefs = [str(a.get("href")) for a in page.links]
    assert "../cards/v2026.47/alice.html" in hrefs and "../fans/alice.atom" in hrefs
    fame = (site / "fans.html").read_text(encoding="utf-8")
    for login in ("alice", "gina", "olga"):  # every fan in the hall of fame links to their page
        assert f'href="fans/{login}.html"' in fame, login


def test_a_fans_feed_has_an_entry_each_time_something_they_voted_for_ships(site: Path) -> None:
    feed = ET.fromstring((site / "fans" / "gina.atom").read_bytes())
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert "“Dark mode” shipped in v2026.47" in titles
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert len(ids) == len(set(ids))
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]  # type: ignore[union-attr]
    assert all(str(link).startswith(URL + "builds/") for link in links)
    olga = ET.fromstring((site / "fans" / "olga.atom").read_bytes())
    assert any("fixed in" in (e.findtext(f"{ATOM}title") or "") for e in olga.findall(f"{ATOM}entry"))


def test_the_site_feed_names_the_bug_reports_a_build_fixed_and_who_reported_them(site: Path) -> None:
    feed = ET.fromstring((site / "feed.atom").read_bytes())
    entry = next(e for e in feed.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "lumen v2026.46")
    text = " ".join("".join(entry.find(f"{ATOM}content").itertext()).split())  # type: ignore[union-attr]
    assert "Fixed" in text and "Crash when an album is empty (#31) — reported by @olga · confirmed by 2" in text


def test_awards_name_the_years_top_fans_and_the_index_links_them(site: Path) -> None:
    page = Head((site / "awards" / "2026.html").read_text(encoding="utf-8"))
    for text in ("Top suggesters", "Top reporters", "Top voters", "Top builders", "@olga", "@alice"):
        assert text in page.words, text
    assert 'href="awards/2026.html"' in (site / "index.html").read_text(encoding="utf-8")


def test_the_site_keeps_each_builds_report_and_prefers_it_for_earlier_builds(tmp_path: Path) -> None:
    root = demo_project(tmp_path / "lumen")
    publish(root, ["v2026.46"])
    kept = json.loads((root / "site" / "reports" / "v2026.46.json").read_text(encoding="utf-8"))
    assert kept["build"] == "v2026.46" and "ivan" in kept["shipped"][0]["voters"]
    # What a later run knows of v2026.46 without new reads lacks a voter; the site keeps what it published.
    store = Store(root / ".git" / "tracker" / "store.sqlite3")
    with store.transaction() as conn:
        conn.execute("DELETE FROM votes WHERE login = 'ivan'")
    publish(root, ["v2026.47"])
    assert "@ivan" in Head((root / "site" / "builds" / "v2026.46.html").read_text(encoding="utf-8")).words
    assert json.loads((root / "site" / "reports" / "v2026.46.json").read_text(encoding="utf-8")) == kept
    # A kept report that is not that build's (edited, broken) is ignored, never trusted.
    (root / "site" / "reports" / "v2026.46.json").write_text("{broken", encoding="utf-8")
    publish(root, ["v2026.47"])
    assert "@ivan" not in Head((root / "site" / "builds" / "v2026.46.html").read_text(encoding="utf-8")).words


def test_card_titles_wrap_at_words_and_cjk_characters_and_long_ones_end_in_an_ellipsis() -> None:
    width = 600
    english = "Export every album to a printable PDF with captions and a table of contents"
    lines = cards.wrap(english, 46, width)
    assert len(lines) > 1 and " ".join(lines) == english  # broken only at spaces: every word whole
    chinese = "把每个相册导出为带目录和说明文字的可打印PDF文件方便分享给家人朋友"
    lines = cards.wrap(chinese, 46, width)
    assert len(lines) > 1 and "".join(lines) == chinese
    assert "PDF" in "".join(lines) and not any(line.endswith("PD") for line in lines)
    _, fitted = cards._fit("“" + " ".join(["Supercalifragilistic"] * 400) + "”", 1040, ((76, 2), (46, 4)))
    assert len(fitted) == 4 and fitted[-1].endswith("…")
    assert all(word == "Supercalifragilistic" for line in fitted for word in line.rstrip("…").strip("“").split())


def test_card_wrap_measures_a_line_per_word_not_per_character() -> None:
    face = cards.font(46)
    calls = 0
    original = type(face).getlength

    class Counting(type(face)):  # type: ignore[misc]
        def getlength(self, text: str, *args: object, **kwargs: object) -> float:
            nonlocal calls
            calls += 1
            return original(self, text, *args, **kwargs)  # type: ignore[arg-type]

    face.__class__ = Counting
    try:
        title = " ".join(["photograph"] * 40)
        cards.wrap(title, 46, 1040, most=4)
    finally:
        face.__class__ = type(face).__mro__[1]
    assert calls <= 45, calls  # one measure per word (40), not per character (439)


needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")
PAGES = ["index.html", "builds/v2026.47.html", "fans/李雷.html", "cards/v2026.47/alice.html", "awards/2026.html",
         "fans.html"]


@needs_chromium
def test_every_kind_of_page_fits_a_phone_and_a_desktop_in_chromium(site: Path, tmp_path: Path) -> None:
    browser = Browser(site, PAGES, tmp_path)
    results = browser.measure()
    assert sorted((unquote(r["page"]), r["width"]) for r in results) == sorted(
        (p, w) for p in PAGES for w in WIDTHS)
    for result in results:
        assert result["client"] == result["width"], result  # laid out at the width under test
        assert result["scroll"] <= result["width"], result  # no horizontal scroll
        assert result["wide"] == [], result  # no element wider than the screen
    # One screenshot of every page at both widths; cut into one image per page and width (out of git).
    whole = tmp_path / "all.png"
    browser.screenshot(whole)
    shots = tmp_path / "shots"
    shots.mkdir()
    with Image.open(whole) as image:
        assert image.size == (sum(WIDTHS), HEIGHT * len(PAGES))
        for row, page in enumerate(PAGES):
            left = 0
            for width in WIDTHS:
                part = image.crop((left, row * HEIGHT, left + width, (row + 1) * HEIGHT))
                assert len(part.getcolors(1 << 20) or []) > 20, (page, width)  # drawn, not blank
                part.save(shots / f"{page.replace('/', '_').replace('.html', '')}-{width}.png")
                left += width
    if os.environ.get("TRACKER_SAVE_SCREENSHOTS"):  # refresh docs/ by hand
        for shot in shots.iterdir():
            shutil.copy(shot, Path(os.environ["TRACKER_SAVE_SCREENSHOTS"]) / shot.name)
