"""The `site` publisher: what fans see, offline, escaped, localised, the same bytes on every rerun."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from site_helpers import HOSTILE_TITLE, demo_project, publish, published_demo, tree_digest

from tracker import _importer as importer
from tracker import _views as views
from tracker import credit as credits
from tracker import demo, render
from tracker._model import Request
from tracker.session import Session
from tracker_files import sitedata

ATOM = "{http://www.w3.org/2005/Atom}"
BUILDS = ["v2026.45", "v2026.46", "v2026.47"]
# The cards of the demo, per build: suggesters, co-suggesters and reporters (erin's #21, shipped in
# v2026.45, was withdrawn by v2026.46: no card is left for it).
CARDS = {"v2026.45": ["dave"], "v2026.46": ["bob", "carol", "olga"], "v2026.47": ["alice", "李雷"]}
CHROMIUM = "/usr/bin/chromium"
SHARE_SITES = ("https://x.com/intent/post?", "https://service.weibo.com/share/share.php?",
               "https://www.linkedin.com/feed/?", "https://toot.kytta.dev/?")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo project published build by build, with issue URLs on two requests."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("GITHUB_")]:
            patch.delenv(name)
        root = tmp_path_factory.mktemp("site") / "lumen"
        demo_project(root)
        urls = {"12": "https://issues.lumen.example/12", "15": "http://issues.lumen.example/15"}
        update = [{**r, "url": urls.get(r["id"])} for r in demo.REQUESTS]
        source = root.parent / "urls.json"
        source.write_text(json.dumps(update, ensure_ascii=False), encoding="utf-8")
        session = Session(repo_path=str(root), say=lambda text: None)
        importer.import_file(session.issues.store, source)  # type: ignore[attr-defined]
        publish(root)
        yield root / "site"


def read(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


class Page(HTMLParser):
    """The parts of a page the tests look at: links, images, scripts, styles, text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.lang: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = found.get("lang")
        if tag == "img":
            self.images.append(found)
        for key in ("href", "src"):
            if found.get(key):
                self.links.append(str(found[key]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_page_feed_and_card_is_written(site: Path) -> None:
    expected = ["index.html", "fans.html", "feed.atom", *(f"builds/{b}.html" for b in BUILDS)]
    expected += [f"cards/{build}/{login}.{ext}" for build, logins in CARDS.items() for login in logins
                 for ext in ("svg", "png", "html")]
    expected += [f"reports/{b}.json" for b in BUILDS] + ["awards/2026.html"]
    assert [name for name in expected if not (site / name).is_file()] == []
    made = sorted(str(p.relative_to(site)) for p in (site / "cards").rglob("*.png"))
    assert made == sorted(f"cards/{b}/{login}.png" for b, logins in CARDS.items() for login in logins)
    # Voters get no card unless `site.cards: all`.
    assert not list((site / "cards").rglob("gina.*"))


def test_a_rerun_writes_nothing_and_changes_no_byte(site: Path) -> None:
    before = tree_digest(site)
    assert publish(site.parent) == []
    assert publish(site.parent, ["v2026.47"]) == []
    assert tree_digest(site) == before


def test_publishing_only_the_latest_build_makes_the_same_site(site: Path, tmp_path: Path) -> None:
    other = tmp_path / "lumen"
    demo_project(other)
    source = site.parent.parent / "urls.json"
    importer.import_file(Session(repo_path=str(other)).issues.store, source)  # type: ignore[attr-defined]
    lines = publish(other, ["v2026.47"])
    # The same pages and cards; the site keeps the report of each build it published, here only one.
    whole = {k: v for k, v in tree_digest(site).items() if k not in ("reports/v2026.45.json", "reports/v2026.46.json")}
    assert tree_digest(other / "site") == whole
    assert len(lines) == len(whole)  # every file reported once


def test_dry_run_writes_nothing_and_lists_what_would_change(site: Path, tmp_path: Path) -> None:
    fresh = demo_project(tmp_path / "fresh")
    lines = publish(fresh, ["v2026.47"], dry_run=True)
    assert not (fresh / "site").exists()
    assert f"site: {fresh / 'site' / 'index.html'}" in lines
    assert f"site: {fresh / 'site' / 'cards' / 'v2026.47' / 'alice.png'}" in lines

    # A new vote moves the roadmap: only the pages that show it would change.
    from tracker._store import Store

    store = Store(site.parent / ".git" / "tracker" / "store.sqlite3")
    with store.transaction() as conn:
        store.add_votes(conn, "29", ["zoe", "yann", "xia", "walt", "vera", "uma"])
    before = tree_digest(site)
    try:
        lines = publish(site.parent, ["v2026.47"], dry_run=True)
        assert lines == [f"site: {site / 'index.html'}"]
        assert tree_digest(site) == before
    finally:
        with store.transaction() as conn:
            conn.execute("DELETE FROM votes WHERE request_id = '29' AND login IN"
                         " ('zoe', 'yann', 'xia', 'walt', 'vera', 'uma')")


def test_pages_are_self_contained_accessible_and_linked(site: Path) -> None:
    for path in pages(site):
        html = path.read_text(encoding="utf-8")
        page = Page(html)
        assert page.lang == "en", path
        # Only a share page has a script: the copy-link button's few inline lines.
        assert "script" not in page.tags or (path.parent.parent.name == "cards" and "src=" not in html.split(
            "<script", 1)[1].split(">", 1)[0]), path
        assert '<meta name="viewport"' in html
        assert "<main" in html and "<nav" in html and "<h1>" in html
        for link in page.links:
            if link.startswith(("http://issues.lumen.example/", "https://issues.lumen.example/")):
                continue  # the only remote links: the requests' own issues, and share buttons
            if path.parent.parent.name == "cards" and link.startswith(SHARE_SITES):
                continue
            assert not re.match(r"[a-z]+:|//", link), f"{path.name}: external resource {link}"
            target = unquote(link.split("#")[0])
            if target:
                assert (path.parent / target).resolve().is_file(), f"{path.name}: broken link {link}"
        for image in page.images:
            assert image.get("alt"), f"{path.name}: image without alt text: {image}"
    assert "url(" not in read(site, "index.html") and "@import" not in read(site, "index.html")


def test_every_shipped_request_shows_title_people_votes_and_issue_link(site: Path) -> None:
    session = Session(repo_path=str(site.parent))
    for build in BUILDS:
        report = session.report(build)
        page = read(site, f"builds/{build}.html")
        words = Page(page).words
        for shipped in report["shipped"]:
            assert shipped["title"] in words
            for login in [shipped["author"], *shipped["co_authors"]]:
                assert f"@{login}" in words
            assert re.search(rf"{shipped['votes']} votes?", words)
    assert '<a href="https://issues.lumen.example/12">Dark mode</a>' in read(site, "builds/v2026.47.html")
    assert '<a href="http://issues.lumen.example/15">Export albums to PDF</a>' in read(site, "builds/v2026.46.html")
    assert "@bob</a>, <a href=\"../fans/carol.html\">@carol</a>" in read(site, "builds/v2026.46.html")


def test_credited_fans_link_to_their_page_card_and_share_page(site: Path) -> None:
    page = read(site, "builds/v2026.47.html")
    assert '<a href="../fans/alice.html">@alice</a>' in page
    assert '<a href="../fans/%E6%9D%8E%E9%9B%B7.html">@李雷</a>' in page
    assert '<a href="../cards/v2026.47/alice.html"><img src="../cards/v2026.47/alice.png"' in page
    assert 'href="../cards/v2026.47/%E6%9D%8E%E9%9B%B7.html"' in page
    words = Page(page).words
    assert "My idea “Dark mode” shipped in lumen v2026.47 — 7 fans voted for it!" in words
    report = Session(repo_path=str(site.parent)).report("v2026.47")
    for credit in report["credits"]:
        assert f"@{credit['login']}" in words
    # A fan's box lists every request they are credited for, not only one.
    box = page[page.index('<li class="fan">'):]
    box = box[:box.index("</li>\n</ul>\n</li>") if "</li>\n</ul>\n</li>" in box else len(box)]
    fans = [f for f in sitedata.model([report], [], "authors", "lumen")["latest"]["fans"] if len(f["credited"]) > 1]
    assert fans, "the demo has a fan credited twice in one build"
    for item in fans[0]["credited"]:
        assert item["title"] in Page(page[page.index(f'href="../fans/{fans[0]["login"]}.html"'):]).words


def test_index_has_latest_build_history_hall_of_fame_and_escaped_roadmap(site: Path) -> None:
    html = read(site, "index.html")
    words = Page(html).words
    assert "Latest build: v2026.47" in words
    assert 'href="builds/v2026.46.html"' in html and 'href="builds/v2026.45.html"' in html
    assert "Hall of fame" in words and 'href="fans.html"' in html
    # The roadmap: open requests not shipped yet, the hostile title shown as text.
    roadmap = html[html.index('id="roadmap"'):]
    assert "Home-screen widgets" in roadmap and "Dark mode" not in roadmap
    assert "<b>Hack</b>" not in html and "&lt;b&gt;Hack&lt;/b&gt; @everyone [click](https://evil.example)" in html
    assert 'href="https://evil.example' not in html
    assert HOSTILE_TITLE in words


def test_hall_of_fame_page_lists_every_fan_in_order(site: Path) -> None:
    reports = Session(repo_path=str(site.parent)).all_reports()
    rows = credits.hall_of_fame(reports)
    html = read(site, "fans.html")
    positions = [html.index(f'id="fan-{row["login"]}"') for row in rows]
    assert positions == sorted(positions)


def test_feed_is_atom_one_entry_per_build_newest_first(site: Path) -> None:
    root = ET.fromstring((site / "feed.atom").read_bytes())
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [f"lumen {b}" for b in reversed(BUILDS)]
    updated = [e.findtext(f"{ATOM}updated") or "" for e in entries]
    assert updated == sorted(updated, reverse=True) and root.findtext(f"{ATOM}updated") == updated[0]
    for entry in entries:
        assert entry.find(f"{ATOM}id") is not None and entry.find(f"{ATOM}link") is not None
    assert root.find(f"{ATOM}author/{ATOM}name") is not None


def _report(number: int) -> dict[str, Any]:
    return {"schema": 1, "build": f"v{number}", "previous": f"v{number - 1}", "project": "o/p", "commits": 1,
            "date": f"2026-01-01T00:00:{number % 60:02d}Z",
            "shipped": [{"id": str(number), "title": f"<i>{number}</i>", "url": None, "author": "ann",
                         "co_authors": [], "votes": 0, "voters": [], "commits": [], "pulls": [], "builders": []}],
            "withdrawn": [], "changes": [], "credits": [{"login": "ann", "suggested": [str(number)], "voted": [],
                                                           "built": []}]}


def test_feed_keeps_the_newest_fifty_builds() -> None:
    reports = [_report(n) for n in range(60, 0, -1)]
    data = sitedata.model(reports, [], "authors", "p")
    feed = render.render("site/feed.atom.j2", {**data, "locale": "en", "root": ""}, "en", by_name=True)
    entries = ET.fromstring(feed.encode()).findall(f"{ATOM}entry")
    assert len(entries) == 50 and entries[0].findtext(f"{ATOM}title") == "p v60"
    assert "<i>60</i>" in "".join(entries[0].itertext())  # escaped once: text, not markup


def test_zh_cn_site_and_cards_for_voters(tmp_path: Path) -> None:
    site = published_demo(tmp_path / "lumen", locale="zh-CN", cards="all")
    html = read(site, "index.html")
    assert Page(html).lang == "zh-CN"
    share = "我的想法“Dark mode”已在 lumen v2026.47 上线——7 位粉丝为它投了票！"
    for text in ("名人堂", "已上线的粉丝需求", "路线图", "2026年11月20日", share):
        assert text in html, text
    assert "Hall of fame" not in html and "Shipped fan requests" not in html
    assert "我的想法上线了！" in read(site, "cards/v2026.47/李雷.svg")
    assert "我投票支持的想法上线了！" in read(site, "cards/v2026.47/gina.svg")  # `site.cards: all` adds voters
    assert (site / "cards" / "v2026.47" / "韩梅梅.png").is_file()
    feed = ET.fromstring((site / "feed.atom").read_bytes())
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"


def test_a_project_with_nothing_shipped_still_gets_a_site(make_repo: Any) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "docs"}, {"tag": "v2"}],
                        config="issues: local\nrepository: o/p\npublish: [site]\nsite:\n  dir: public\n",
                        requests=[{"id": "1", "title": "Maps", "author": "ann", "voters": ["bo"]}])
    assert publish(repo)
    site = repo / "public"
    assert sorted(tree_digest(site)) == ["awards/2026.html", "builds/v1.html", "builds/v2.html", "fans.html",
                                         "feed.atom", "index.html", "reports/v1.json", "reports/v2.json"]
    words = Page(read(site, "index.html")).words
    assert "No fan request shipped in this build." in words and "Maps" in words  # on the roadmap
    assert len(ET.fromstring((site / "feed.atom").read_bytes()).findall(f"{ATOM}entry")) == 2


def test_only_web_addresses_become_links() -> None:
    assert sitedata.safe_link("https://x.example/1") == "https://x.example/1"
    assert sitedata.safe_link("HTTP://x.example/1") == "HTTP://x.example/1"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil.example", "", None):
        assert sitedata.safe_link(bad) is None


def test_views_fans_count_a_request_shipped_again_after_its_withdrawal() -> None:
    def report(build: str, shipped: list[str], withdrawn: list[str]) -> dict[str, Any]:
        return {"build": build, "shipped": [{"id": i} for i in shipped], "withdrawn": [{"id": i} for i in withdrawn],
                "credits": [{"login": "ann", "suggested": shipped, "voted": [], "built": []}] if shipped else []}

    newest_first = [report("v3", ["7"], []), report("v2", [], ["7"]), report("v1", ["7"], [])]
    assert credits.hall_of_fame(newest_first) == [{"login": "ann", "suggested": ["7"], "voted": [], "built": [],
                                         "reported": [], "tested": [], "builds": ["v3"]}]
    assert credits.hall_of_fame(newest_first[1:]) == []


def test_views_match_their_json_schemas(site: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from conftest import schema

    session = Session(repo_path=str(site.parent))
    jsonschema.validate(credits.hall_of_fame(session.all_reports()), schema("fans.schema.json"))
    top = views.top(session.requests.values(), 10, session.issues.issue_url)
    jsonschema.validate(top, schema("top.schema.json"))
    assert [r["votes"] for r in top] == sorted((r["votes"] for r in top), reverse=True)


def test_views_text_table_lines_up_cjk_and_csv_stays_inert() -> None:
    rows = [{"id": "1", "title": "更大的字体", "votes": 3}, {"id": "2", "title": "Dark", "votes": 12}]
    lines = views.table(rows, "text", ["id", "title", "votes"]).splitlines()

    def column(line: str, text: str) -> int:  # where `text` starts on a terminal: CJK is two columns wide
        return sum(2 if unicodedata.east_asian_width(c) == "W" else 1 for c in line[:line.index(text)])

    assert column(lines[1], "3") == column(lines[2], "12") == column(lines[0], "votes")
    requests = [Request(id="1", title="=HYPERLINK(\"https://evil\")", author="a", votes=1)]
    csv_text = views.table(views.top(requests, 5, lambda rid: None), "csv", ["id", "title", "author", "votes", "url"])
    assert "'=HYPERLINK" in csv_text


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt-get install chromium)")
def test_chromium_shows_the_credited_fans(site: Path, tmp_path: Path) -> None:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    url = (site / "index.html").as_uri()
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    for text in ("@alice", "@李雷", "Dark mode", "更大的字体 (bigger fonts)", "Home-screen widgets",
                 "&lt;b&gt;Hack&lt;/b&gt;"):
        assert text in dom, text
    shot = tmp_path / "index.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,2000", url],
                   capture_output=True, timeout=120, check=True)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1200, 2000)
        assert len(image.getcolors(1 << 20) or []) > 20  # drawn, not a blank page
    if os.environ.get("TRACKER_SAVE_SCREENSHOT"):  # refresh docs/site.png by hand
        shutil.copy(shot, os.environ["TRACKER_SAVE_SCREENSHOT"])


def test_two_builds_never_share_a_page(make_repo: Any) -> None:
    from conftest import invoke

    builds = ["v2/rc", "v2-rc", "v2%2Frc"]
    steps: list[dict[str, Any]] = [{"commit": "init"}]
    for number, build in enumerate(builds, 1):
        steps += [{"commit": f"Step {number}\n\nFixes #{number}"}, {"tag": build}]
    repo, _ = make_repo(steps, config="issues: local\npublish: [site]\n",
                        requests=[{"id": str(n), "title": f"Idea {n}", "author": "ann"} for n in (1, 2, 3)])
    assert invoke(["--repo", str(repo), "publish", builds[-1]]).exit_code == 0
    site = repo / "site"
    assert len(list((site / "builds").iterdir())) == 3
    index = read(site, "index.html")
    for number, build in enumerate(builds, 1):
        link = sitedata.href("builds/" + sitedata.page_name(build))
        assert f'href="{link}"' in index, build
        page = site / unquote(link)  # where a browser opening the site from disk looks
        assert f"Idea {number}" in page.read_text(encoding="utf-8"), build
