"""Hostile and odd data: the link parser under generated input, fan text in every output, and
GitHub's awkward corners (deleted accounts, empty bodies, locked and vanished issues).

Fan text (titles) is the attack surface: it is written by anyone and shown in changelogs,
release notes, issue comments, a web site and share cards. Wherever it goes it must read
the same to a person and do nothing else: no HTML, no links, no pings of `@everyone` or
a team, no direction tricks, no terminal escapes, no fake tracker markers; CJK, Arabic
and emoji (with their joiners) must survive.
"""

from __future__ import annotations

import json
import random
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
from conftest import invoke, schema
from github_fixtures import LABEL, env_for
from github_server import FakeGitHub
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracker import _textsafe as textsafe
from tracker import render
from tracker._grammar import Repository, parse
from tracker.hooks import SHIPPED, marker

REPO = Repository("acme/app")
MakeRepo = Callable[..., tuple[Path, dict[str, str]]]

# -- the link parser, under generated messages ----------------------------------------

REFS = ["#1", "#12", "#007", "GH-3", "gh-4", "acme/app#5", "ACME/App#6", "https://github.com/acme/app/issues/7",
        "other/repo#8", "https://github.com/other/app/issues/9", "#1234567890", "C#10", "&#39;"]
# No closing keyword can be made from these, alone or run together: the stems (close,
# fix, resolve, implements) only ever appear inside longer words.
QUIET = [" ", "  ", "\n", "\n\n", ",", ", ", " and ", " & ", "see", "refs", "part of", "prefix", "fixing", "closet",
         "enclosed", "unresolved", "suffixes", "(", ")", ":", "!", "é", "@", "李", "x", "#", "-", "/", "acme/app",
         "https://", "www", "1", "42", "Revert", "Merge", "cherry"]
KEYWORDS = ["Fixes", "fix", "FIXED", "close", "Closes:", "closed", "Resolve", "resolves:", "fix(ui)!:", "fixes: ",
            "Implements:"]
# Keyword noise with no reference in it (no `#`, `gh-`, `://`, and no digits to extend one).
LOUD = [" ", "\n", ",", " and ", "(", ")", ":", "é", "see", *KEYWORDS]
SEPARATORS = [", ", " and ", " & ", ",", " ", ", and ", " ,", "\n", " &\n"]


def _message(parts: list[str]) -> str:
    return "".join(parts)


any_text = st.text(max_size=300)
fragments = st.lists(st.sampled_from(REFS + QUIET + KEYWORDS + SEPARATORS), max_size=40).map(_message)


@settings(max_examples=300, deadline=None)
@given(st.one_of(any_text, fragments))
@example("Fixes #1, #1 and GH-1, see #1")
@example("fixes #" + "1" * 9 + ", #" + "1" * 10)
def test_the_parser_never_raises_and_names_each_id_once(message: str) -> None:
    parsed = parse(message, REPO)
    for ids in (parsed.closes, parsed.refs):
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(r"[1-9]\d{0,8}|0", i) for i in ids), ids  # canonical numbers, no leading zeros
    assert not set(parsed.closes) & set(parsed.refs)
    assert parse(message, REPO) == parsed  # deterministic
    if parsed.reverts:
        assert parsed.closes == ()  # a revert quotes what it undoes


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(REFS + QUIET + SEPARATORS), max_size=40).map(_message),
       st.lists(st.sampled_from(LOUD), max_size=20).map(_message))
def test_a_mention_is_never_shipped(mentions: str, keywords_after: str) -> None:
    """No closing keyword precedes any reference: nothing closes, whatever else is said."""
    assert parse(mentions, REPO).closes == ()
    assert parse(mentions + keywords_after, REPO).closes == ()


REF_FORMS: list[Callable[[int], str]] = [
    lambda n: f"#{n}", lambda n: f"GH-{n}", lambda n: f"gh-{n}", lambda n: f"acme/app#{n}",
    lambda n: f"https://github.com/acme/app/issues/{n}",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([k for k in KEYWORDS if k != "Implements:"]),
       st.lists(st.tuples(st.integers(0, 10**9 - 1), st.sampled_from(range(len(REF_FORMS))),
                          st.sampled_from(SEPARATORS)), min_size=1, max_size=8),
       st.lists(st.sampled_from(QUIET), max_size=15).map(_message),
       st.lists(st.sampled_from([q for q in LOUD if q not in KEYWORDS]), max_size=15).map(_message))
def test_a_closing_list_ships_exactly_its_references(keyword: str, items: list[tuple[int, int, str]],
                                                     before: str, after: str) -> None:
    listed = "".join(REF_FORMS[form](n) + (sep if i < len(items) - 1 else "")
                     for i, (n, form, sep) in enumerate(items))
    message = f"{before}\n{keyword} {listed}\n\n{after}"
    expected = list(dict.fromkeys(str(n) for n, _, _ in items))
    parsed = parse(message, REPO)
    assert list(parsed.closes) == expected
    # Idempotent: the canonical form of what closed closes the same, and nothing else.
    canonical = parse("Fixes " + ", ".join(f"#{i}" for i in parsed.closes), REPO)
    assert (canonical.closes, canonical.refs) == (parsed.closes, ())


def test_a_megabyte_of_references_and_keywords_parses_in_linear_time() -> None:
    # A guard against catastrophic backtracking, not a speed test: linear parsing
    # takes milliseconds here, anything quadratic or worse takes minutes.
    rng = random.Random(7)
    alphabet = ["#", "1", "12", "#3", " ", "fixes ", "Closes: ", "GH-", "\n", ", ", "and ", "acme/app#4",
                "https://github.com/acme/app/issues/5 ", "(", ")", "Implements: ", "close", "fix(ui)!: ", "&#", "/"]
    for pieces in (alphabet, ["#", "1"], ["fixes ", "#1", ", "], ["acme/", "app", "#"], ["https://", "a/" * 50]):
        message = "".join(rng.choices(pieces, k=600_000))[:1_000_000]
        started = time.perf_counter()
        parse(message, REPO)
        assert time.perf_counter() - started < 10, pieces


# -- fan text in every format -----------------------------------------------------------

HOSTILE = ("<script>alert(1)</script><img src=x onerror=alert(1)> [click](https://evil.example) "
           "![pic](https://evil.example/p.png) <https://evil.example/auto> www.evil.example "
           "@everyone @acme/core **bold** _em_ `code` ~~strike~~ | pipe | "
           "\u202eevil\u202c \u2066iso\u2069 \u200fRTL\u200e zero\u200bwidth "
           "🎉 👨\u200d👩\u200d👧 更大的字体 مرحبا "
           "<!-- tracker:end --> <!-- tracker:end v2 --> &amp; &#64;everyone "
           "\x1b[31mred\x1b[0m \x9b31m \x07bell \r\ninjected line\n# heading\n- item "
           "like #2, GH-3, other/repo#5, !6 and a5c3785ed8d6a35868bc169f07e40e889087fd2e")
# What GitHub would turn into links or cross-references in rendered Markdown, as the title has them.
REFERENCES = ["like #2", "GH-3", "other/repo#5", "!6", "a5c3785ed8d6a35868bc169f07e40e889087fd2e"]
FAMILY = "👨\u200d👩\u200d👧"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
OUR_MARKERS = re.compile(r"<!-- tracker:(?:start|end|build \S+|end \S+|shipped \S+|withdrawn \S+) -->")
STORE_REQUESTS = [
    {"id": "1", "title": HOSTILE, "author": "李雷", "voters": ["bob", "Ωmega"]},
    {"id": "2", "title": "Night mode @everyone", "author": "carol", "duplicate_of": "1", "voters": ["dave"]},
    {"id": "3", "title": "更大的字体 🎉", "author": "alice_b-c.d", "voters": []},
    {"id": "4", "title": "Open <b>idea</b> [x](https://evil.example)", "author": "erin", "voters": ["bob"]},
    {"id": "5", "title": "Open \x07bell \x9b31m csi \u202eevil \x1b[2J", "author": "erin", "voters": []},
]
HISTORY = [
    {"commit": "init"}, {"tag": "v1"},
    {"commit": "feat: things\n\nFixes #1 and #3"},
    {"commit": "feat: <img src=x onerror=alert(1)> @everyone [x](https://evil.example) \u202eevil"},
    {"tag": "v2"},
]


def assert_inert_markdown(text: str) -> None:
    """Markdown where fan text can neither mark up, link, ping, nor hide."""
    rest = OUR_MARKERS.sub("", text)
    assert not re.search(r"<[A-Za-z!/?]", rest), "raw HTML"
    assert not re.search(r"@(?:everyone|acme/core)\b", text), "a mention"
    assert "://evil" not in text and "www.evil" not in text, "a link or autolink"
    for target in re.findall(r"(?<!\\)\]\(([^)\s]*)", rest):
        assert "evil" not in target, target
    assert "**bold**" not in text and "`code`" not in text and "~~strike~~" not in text
    assert not BIDI.search(text) and not CONTROL.search(text)
    for line in text.splitlines():
        assert not line.startswith(("injected line", "# heading", "- item")), line
    for reference in REFERENCES:
        assert reference not in text, f"{reference} would link"
    assert "like #" in text.replace("\u200b", "")  # the title still reads the same


def assert_fan_text_survives(text: str) -> None:
    for kept in ("更大的字体", "مرحبا", "🎉", FAMILY, "alert(1)", "evil"):
        assert kept in text, kept


class Html(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


SHARE_HOSTS = {"x.com", "service.weibo.com", "www.linkedin.com", "toot.kytta.dev"}


def assert_inert_html(page: str, shows_hostile: bool = True) -> Html:
    """HTML where fan text is text: no element, attribute, comment or link of its own. A share page
    has one script, the template's own copy-link lines (no fan text can be in it: compared whole)."""
    parsed = Html(page)
    assert not BIDI.search(page) and not CONTROL.search(page)
    scripts = page.split("<script>")[1:]
    if scripts:
        share = Path(__file__).resolve().parents[1] / "changelog_templates" / "site" / "share.html.j2"
        template = share.read_text(encoding="utf-8")
        assert len(scripts) == 1 and "<script>" + scripts[0].split("</script>")[0] + "</script>" in template
    assert [t for t, _ in parsed.tags].count("script") == len(scripts)
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for key in ("href", "src"):
            if attrs.get("class") == "share-button" and "://" in (attrs.get(key) or ""):  # the share text, in the query
                assert urlsplit(attrs.get(key) or "").netloc in SHARE_HOSTS, attrs
                continue
            assert "evil" not in (attrs.get(key) or ""), (tag, attrs)
        if tag == "img":
            assert "cards/" in (attrs.get("src") or ""), attrs
    assert parsed.comments == []
    shown = "".join(parsed.text)
    if shows_hostile:
        assert "<script>alert(1)</script>" in shown  # the fan's text, shown as text
        assert "tracker:end" in shown
    return parsed


def assert_inert_xml(document: str, allowed: set[str]) -> ET.Element:
    root = ET.fromstring(document.encode("utf-8"))
    assert not BIDI.search(document) and not CONTROL.search(document)
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        assert local in allowed, local
        assert not any(name.rsplit("}", 1)[-1].startswith("on") for name in element.attrib), element.attrib
        assert "evil" not in element.get("href", ""), element.attrib
    return root


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local-store project whose fans wrote the worst titles; every publisher has run."""
    from tracker import _sample as sample

    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in __import__("os").environ if n.startswith("GITHUB_")]:
            patch.delenv(name)
        root = tmp_path_factory.mktemp("hostile") / "app"
        sample.build(root, HISTORY)
        (root / ".github").mkdir()
        (root / ".github" / "tracker.yml").write_text(
            "issues: local\npublish: [changelog-file, site]\n", encoding="utf-8")
        (root / "CHANGELOG.md").write_text("# Changes\n\nWritten by people.\n", encoding="utf-8")
        source = root.parent / "requests.json"
        source.write_text(json.dumps(STORE_REQUESTS, ensure_ascii=False), encoding="utf-8")
        assert invoke(["--repo", str(root), "requests", "import", str(source)]).exit_code == 0
        result = invoke(["--repo", str(root), "release", "v2"])
        assert result.exit_code == 0, result.stderr
        yield root


def changelog(project: Path, *args: str) -> str:
    result = invoke(["--repo", str(project), "changelog", "v2", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_markdown_changelog_and_changelog_file(hostile_project: Path) -> None:
    for text in (changelog(hostile_project), (hostile_project / "CHANGELOG.md").read_text(encoding="utf-8")):
        assert_inert_markdown(text)
        assert_fan_text_survives(text)
        assert "@李雷" in text and "@carol" in text  # credited fans are still named, and notified
    document = (hostile_project / "CHANGELOG.md").read_text(encoding="utf-8")
    assert document.startswith("# Changes\n\nWritten by people.\n")
    assert document.count("<!-- tracker:end v2 -->") == 1  # the title's fake marker is not a marker


def test_html_changelog(hostile_project: Path) -> None:
    page = changelog(hostile_project, "--format", "html")
    assert_inert_html(page)
    assert_fan_text_survives(page.replace("&amp;", "&"))


def test_text_changelog(hostile_project: Path) -> None:
    text = changelog(hostile_project, "--format", "text")
    assert not BIDI.search(text) and not CONTROL.search(text)
    assert_fan_text_survives(text)
    line = next(line for line in text.splitlines() if "#1 " in line)
    assert "injected line" in line and "# heading" in line  # the title stays on its own line


def test_atom_changelog(hostile_project: Path) -> None:
    root = assert_inert_xml(changelog(hostile_project, "--format", "atom"),
                            {"feed", "title", "id", "updated", "entry", "summary", "content"})
    content = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content")
    assert content is not None and content.get("type") == "html"
    inner = Html(content.text or "")  # the escaped HTML a feed reader will render
    assert {t for t, _ in inner.tags} <= {"ul", "li"} and inner.comments == []
    assert "<script>alert(1)</script>" in "".join(inner.text)


def test_json_report_keeps_the_data_as_written(hostile_project: Path) -> None:
    report = json.loads(changelog(hostile_project, "--format", "json"))
    jsonschema.Draft202012Validator(schema("report-1.schema.json")).validate(report)
    titles = {s["id"]: s["title"] for s in report["shipped"]}
    assert titles["1"] == HOSTILE.strip()  # data for scripts: unchanged; every renderer makes it safe
    first = next(s for s in report["shipped"] if s["id"] == "1")
    assert sorted(first["voters"]) == ["bob", "dave", "Ωmega"] and first["co_authors"] == ["carol"]


def test_site_pages_feed_and_cards(hostile_project: Path) -> None:
    site = hostile_project / "site"
    pages = ["index.html", "fans.html", "builds/v2.html", "awards/2026.html"]
    pages += [str(p.relative_to(site)) for p in sorted(site.glob("fans/*.html"))]
    pages += [str(p.relative_to(site)) for p in sorted(site.glob("cards/*/*.html"))]
    assert len(pages) > 8
    for page in pages:
        assert_inert_html((site / page).read_text(encoding="utf-8"), shows_hostile=page in pages[:3])
    index = Html((site / "index.html").read_text(encoding="utf-8"))
    assert "Open <b>idea</b> [x](https://evil.example)" in "".join(index.text)  # the roadmap, as text
    feed = assert_inert_xml((site / "feed.atom").read_text(encoding="utf-8"),
                            {"feed", "title", "subtitle", "id", "updated", "author", "name", "generator", "link",
                             "entry", "summary", "content", "div", "ul", "li", "a", "p"})
    assert "<script>alert(1)</script>" in "".join(feed.itertext())
    for fan_feed in sorted(site.glob("fans/*.atom")):  # a fan's own feed: the same tags, fan text as text
        assert_inert_xml(fan_feed.read_text(encoding="utf-8"),
                         {"feed", "title", "subtitle", "id", "updated", "author", "name", "generator", "link",
                          "entry", "content", "div", "p"})
    cards = sorted((site / "cards").glob("v2/*.svg"))
    assert {c.stem for c in cards} == {"李雷", "carol", "alice_b-c.d"}
    for card in cards:
        svg = assert_inert_xml(card.read_text(encoding="utf-8"), {"svg", "title", "rect", "g", "text"})
        assert svg.find("{http://www.w3.org/2000/svg}title") is not None
        assert (site / "cards" / "v2" / f"{card.stem}.png").stat().st_size > 1000
    words = "".join(assert_inert_xml((site / "cards" / "v2" / "李雷.svg").read_text(encoding="utf-8"),
                                     {"svg", "title", "rect", "g", "text"}).itertext())
    assert "@李雷" in words and "alert(1)" in words and "\u202e" not in words


def test_another_repositorys_hostile_report_stays_inert_on_a_merged_site(
        hostile_project: Path, make_repo: MakeRepo, tmp_path: Path) -> None:
    """`site.reports`: the hostile project's report, merged into another repository's site (its
    hall of fame, fan pages, roadmap and awards), is text everywhere; its links only http(s)."""
    report = json.loads(changelog(hostile_project, "--format", "json"))
    report["project"] = "acme/hostile"
    assert any(row["title"].startswith("Open <b>idea</b>") for row in report["roadmap"])
    report["roadmap"].append({"id": "9", "title": HOSTILE, "author": "erin", "votes": 99,
                              "url": "javascript:alert('evil')"})
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "hostile.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}],
                        config=f"repository: acme/app\nissues: local\npublish: [site]\nsite:\n  reports: {folder}\n",
                        requests=[{"id": "1", "title": "Dark mode", "author": "bob"}])
    result = invoke(["--repo", str(repo), "release", "v2"])
    assert result.exit_code == 0, result.stderr
    site = repo / "site"
    pages = ["index.html", "fans.html", "fans/李雷.html", *(str(p.relative_to(site)) for p in site.glob("fans/*.html")),
             *(str(p.relative_to(site)) for p in site.glob("awards/*.html"))]
    for page in pages:
        assert_inert_html((site / page).read_text(encoding="utf-8"), shows_hostile=page in pages[:3])
    index = "".join(Html((site / "index.html").read_text(encoding="utf-8")).text)
    assert "acme/hostile#9" in index and "acme/hostile#1" not in index.split("Roadmap", 2)[2]
    assert "javascript" not in (site / "index.html").read_text(encoding="utf-8")
    for fan_feed in sorted(site.glob("fans/*.atom")):
        assert_inert_xml(fan_feed.read_text(encoding="utf-8"),
                         {"feed", "title", "subtitle", "id", "updated", "author", "name", "generator", "link",
                          "entry", "content", "div", "p"})
    assert not (site / "cards" / "acme").exists() and not list(site.glob("builds/acme*"))


def test_roadmap_lists_stay_inert(hostile_project: Path) -> None:
    for fmt in ("markdown", "text", "csv"):
        result = invoke(["--repo", str(hostile_project), "top", "--format", fmt])
        assert result.exit_code == 0, result.stderr
        assert not BIDI.search(result.stdout) and not CONTROL.search(result.stdout)
    markdown = invoke(["--repo", str(hostile_project), "top", "--format", "markdown"]).stdout
    assert "<b>" not in markdown and "](https://evil" not in markdown


def test_comment_and_changelog_for_a_request_without_author() -> None:
    """A deleted account (no author, no co-suggester) is not thanked as @ghost."""
    request = {"id": "9", "title": "x", "author": None, "co_authors": [], "votes": 3}
    for votes, expected in ((3, "Shipped in **v2** — thank you to the 3 who voted!"), (0, "Shipped in **v2**!")):
        text = render.render("comment_shipped.md.j2", {"build": "v2", "request": {**request, "votes": votes},
                                                      "votes": votes, "project": "acme/app"}).strip()
        assert text == expected
    chinese = render.render("comment_shipped.md.j2", {"build": "v2", "request": request, "votes": 3,
                                                      "project": "acme/app"}, "zh-CN").strip()
    assert chinese == "已在 **v2** 上线——感谢投票的 3 位粉丝！"


def test_a_url_that_reached_a_report_cannot_break_out_of_its_markdown_link() -> None:
    """Imports refuse such URLs (tests/test_bad_input_github.py); the renderer should not rely on it."""
    report = {"schema": 1, "build": "v2", "previous": "v1", "date": "2026-01-01T00:00:00Z", "commits": 1,
              "shipped": [{"id": "1", "title": "x", "url": "https://a.example/x) [click](https://evil.example",
                           "author": "alice", "co_authors": [], "votes": 0, "voters": [], "commits": [],
                           "pulls": []}],
              "withdrawn": [], "changes": [], "credits": []}
    text = render.render("markdown", {"report": report, "project": "acme/app", "reports": [], "other_changes": []})
    assert "[click](https://evil" not in text


def test_markdown_url_keeps_addresses_and_closes_every_exit() -> None:
    assert textsafe.markdown_url("https://github.com/acme/app/issues/12") == "https://github.com/acme/app/issues/12"
    assert textsafe.markdown_url("javascript:alert(1)") == ""
    assert textsafe.markdown_url("https://a.example/x) [c](https://evil.example \"t\"") == (
        "https://a.example/x%29%20%5Bc%5D%28https://evil.example%20%22t%22")


@pytest.mark.parametrize("title", [
    "like #2 and #12", "GH-3 or gh-4", "other/repo#5 and acme/app#6", "see !7", "# 8 at the start",
    "#9 at the start", "sha a5c3785ed8d6a35868bc169f07e40e889087fd2e", "short a5c3785 and DEADBEEF12 too",
    "a5c3785ed8d6a35868bc169f07e40e889087fd2ef (41)", "https://github.com/acme/app/issues/7 and www.x.org",
    "mail me@example.org", "user@a5c3785ed8d6a35868bc169f07e40e889087fd2e",
])
def test_references_in_fan_text_do_not_link_and_read_the_same(title: str) -> None:
    """GitHub links `#N`, `GH-N`, `owner/repo#N`, 7-40 hex digits, URLs and emails in the text it
    renders (a backslash or `&#35;` do not stop it: it links the text the Markdown produced)."""
    text = str(textsafe.markdown(title))
    shown = text.replace("\u200b", "").replace("\\", "")  # what a reader sees
    assert shown == title
    assert not re.search(r"(?i)(?:#|!|\bgh-)\d", text)
    assert not re.search(r"(?i)\b[0-9a-f]{7,}\b", text)
    assert "://" not in text and "www." not in text and not re.search(r"@\w", text)


def test_everyone_here_and_channel_are_never_live_mentions(make_repo: MakeRepo) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #1"}, {"tag": "v2"}],
                        config="issues: local\npublish: [changelog-file, site]\n",
                        requests=[{"id": "1", "title": "Dark mode", "author": "everyone",
                                   "voters": ["here", "Channel", "bob"]},
                                  {"id": "2", "title": "Night mode", "author": "all", "duplicate_of": "1"}])
    assert invoke(["--repo", str(repo), "release", "v2"]).exit_code == 0
    outputs = {fmt: changelog(repo, "--format", fmt) for fmt in ("markdown", "html", "text", "atom")}
    outputs["CHANGELOG.md"] = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    outputs.update({str(p): p.read_text(encoding="utf-8") for p in (repo / "site").rglob("*")
                    if p.suffix in (".html", ".atom", ".svg")})
    entry = json.loads(changelog(repo, "--format", "json"))["shipped"][0]
    outputs["comment"] = render.render("comment_shipped.md.j2", {"build": "v2", "request": entry, "votes": 3,
                                                                 "project": "acme/app"})
    for name, text in outputs.items():
        assert not re.search(r"(?i)@(?:everyone|here|channel|all)\b", text), name
    assert "@\u200beveryone" in outputs["markdown"] and "@bob" in outputs["markdown"]
    assert entry["author"] == "everyone"  # data for scripts stays as it is
    assert (repo / "site" / "cards" / "v2" / "everyone.png").is_file()
    assert (repo / "site" / "fans" / "everyone.html").is_file()


def test_scan_text_shows_commit_subjects_without_terminal_escapes(make_repo: MakeRepo) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"},
                         {"commit": "Fix \x1b]0;owned\x07title \x9b2J\u202e\n\nFixes #1"}, {"tag": "v2"}])
    text = invoke(["--repo", str(repo), "scan", "v1..v2"]).stdout
    assert "closes" in text and "title" in text
    assert not CONTROL.search(text) and not BIDI.search(text)


def test_terminal_escapes_are_removed_everywhere() -> None:
    assert textsafe.plain("a\x1b[2Jb\x9b2Jc\u202ed\x00e") == "a[2Jb2Jcde"
    hyperlink = str(textsafe.markdown("\x1b]8;;https://evil.example\x07link\x1b]8;;\x07"))  # OSC 8
    assert not CONTROL.search(hyperlink) and "://evil" not in hyperlink


# -- GitHub's odd data -------------------------------------------------------------------


def _odd_github(server: FakeGitHub) -> None:
    """Deleted accounts, empty bodies, a locked issue, two issues that vanish after the listing."""
    server.add_user("dependabot[bot]", type="Bot")
    server.add_issue(1, HOSTILE, body=None, user=None, labels=[LABEL])  # its author deleted their account
    for who in (None, "ghost", "bob", "dependabot[bot]", "carol"):
        server.add_reaction(1, who, "+1")
    server.add_issue(2, "Locked one", body="", user="ghost", labels=[LABEL], locked=True)
    server.add_reaction(2, "carol", "+1")
    server.add_issue(3, "Transferred away", user="erin", labels=[LABEL])
    server.add_reaction(3, "bob", "+1")
    server.add_issue(4, "Deleted since", user="frank", labels=[LABEL])
    server.add_comment(4, None, "")
    server.add_issue(5, "Night mode", body=None, user="dave", labels=[LABEL], state="closed", state_reason="duplicate")
    server.add_comment(5, None, "")
    server.add_comment(5, "ghost", "Duplicate of #4")  # a deleted account is no maintainer: not counted
    server.add_user("maint", association="COLLABORATOR")
    server.add_comment(5, "maint", "Duplicate of #1")
    server.add_reaction(5, "ghost", "+1")
    server.add_reaction(5, "erin", "+1")
    server.add_pull(40, "Things", body=None, user=None, merge_commit_sha="f" * 40)
    server.add_release("v2", body=None, name=None)
    server.gone = {3: 404, 4: 410}


def test_github_odd_data_release_and_rerun(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Things (#40)\n\nFixes #1, #2, #3 and #4"},
                         {"tag": "v2"}], config="publish: [github-release]\n")
    _odd_github(server)
    result = invoke(["--repo", str(repo), "release", "v2"], env=env_for(server))
    assert result.exit_code == 0, result.stderr
    notes = result.stderr
    assert "#2 is locked" in notes
    assert notes.count("#3 is no longer an issue of acme/app") == 2  # its votes, then its mark
    assert "#4 is no longer an issue of acme/app" in notes
    assert "Traceback" not in notes

    tag = marker(SHIPPED, "v2")
    (ours,) = [c["body"] for c in server.comments(1) if tag in c["body"]]
    assert "@dave" in ours and "@ghost" not in ours and "None" not in ours and "evil" not in ours
    assert server.comments(2) == []  # refused: locked
    for number in (1, 2):
        issue = server.issue(number)
        assert issue["state"] == "closed" and {lb["name"] for lb in issue["labels"]} == {LABEL, "shipped"}
    server.gone = {}
    for number in (3, 4):  # untouched
        issue = server.issue(number)
        assert issue["state"] == "open" and [lb["name"] for lb in issue["labels"]] == [LABEL]
        assert all("tracker:" not in c["body"] for c in server.comments(number))
    body = server.snapshot()["releases"]["v2"]["body"]
    assert body.startswith("<!-- tracker:start -->\n") and body.count("<!-- tracker:end -->") == 1
    assert_inert_markdown(body)
    assert_fan_text_survives(body)

    report = json.loads(invoke(["--repo", str(repo), "changelog", "v2", "--format", "json"],
                               env=env_for(server)).stdout)
    jsonschema.Draft202012Validator(schema("report-1.schema.json")).validate(report)
    first = next(s for s in report["shipped"] if s["id"] == "1")
    assert first["author"] is None and first["co_authors"] == ["dave"]
    assert first["voters"] == ["bob", "carol", "erin"]  # no deleted account, no bot

    server.gone = {3: 404, 4: 410}
    before = json.dumps(server.snapshot(), sort_keys=True)
    server.reset_log()
    again = invoke(["--repo", str(repo), "release", "v2"], env=env_for(server))
    assert again.exit_code == 0, again.stderr
    assert json.dumps(server.snapshot(), sort_keys=True) == before
    # The only writes are refused ones: the locked issue's comment, asked again (the lock may be gone
    # by now), and the vanished issue's (found gone, again, only by trying).
    assert sorted((r.method, r.path, r.status) for r in server.log if r.method != "GET" and r.graphql != "query") == [
        ("POST", "/repos/acme/app/issues/2/comments", 403), ("POST", "/repos/acme/app/issues/3/comments", 404)]


def test_a_locked_issue_that_lets_us_comment_gets_its_comment(make_repo: MakeRepo, server: FakeGitHub) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Fixes #2"}, {"tag": "v2"}],
                        config="publish: []\n")
    server.add_issue(2, "Locked one", user="alice", labels=[LABEL], locked=True)
    server.locked_refuses_comments = False  # a token with maintainer rights may comment on locked issues
    result = invoke(["--repo", str(repo), "ship", "v2"], env=env_for(server))
    assert result.exit_code == 0 and "locked" not in result.stderr
    assert [marker(SHIPPED, "v2") in c["body"] for c in server.comments(2)] == [True]


def test_only_a_lock_explains_a_refused_comment() -> None:
    """Any other 403 is the token's problem: it stays an error (exit 1), never a skipped comment."""
    from types import SimpleNamespace

    from github import GithubException

    from tracker_github.marks import refused_as_locked

    locked, unlocked = SimpleNamespace(locked=True), SimpleNamespace(locked=False)
    lock_message = GithubException(403, {"message": "Unable to create comment because issue is locked."}, None)
    scope = GithubException(403, {"message": "Resource not accessible by integration"}, None)
    assert refused_as_locked(locked, scope)  # type: ignore[arg-type]
    assert refused_as_locked(unlocked, lock_message)  # type: ignore[arg-type]  # locked since our listing
    assert not refused_as_locked(unlocked, scope)  # type: ignore[arg-type]
    assert not refused_as_locked(locked, GithubException(404, {"message": "Not Found"}, None))  # type: ignore[arg-type]
