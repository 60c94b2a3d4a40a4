"""Share cards: 1200×630 PNGs that show CJK text (not tofu), well-formed SVGs, the same bytes every time."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from site_helpers import HOSTILE_TITLE, published_demo

from tracker import render
from tracker_files import cards

SVG = "{http://www.w3.org/2000/svg}"
CJK = "更大的字体李雷韩梅梅我的想法上线了"
NOT_IN_ANY_FONT = "\U0010fffd"  # a private-use code point: drawn as the font's .notdef box ("tofu")
WORDS = {"header": "lumen · v2026.47 · Nov 20, 2026", "kicker": "My idea shipped!",
         "title": "“更大的字体 (bigger fonts)”", "login": "@李雷", "votes": "4 fans voted for it",
         "alt": "Card: @李雷’s idea"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_demo(tmp_path_factory.mktemp("cards") / "lumen")


def test_the_card_font_has_cjk_glyphs() -> None:
    choice = cards.font_choice()
    assert choice.has_cjk, "no CJK font: install tracker's dependency noto-cjk-sans-otc"
    assert "CJK" in choice.name or "Hei" in choice.name
    face = cards.font(64)
    tofu = bytes(face.getmask(NOT_IN_ANY_FONT))
    glyphs = set()
    for char in CJK:
        mask = face.getmask(char)
        assert mask.getbbox() is not None, f"{char!r} draws nothing"
        assert bytes(mask) != tofu, f"{char!r} is drawn as tofu"
        glyphs.add(bytes(mask))
    assert len(glyphs) == len(set(CJK)), "distinct characters must have distinct glyphs"


def test_site_cards_are_1200_by_630_drawn_and_carry_their_digest(site: Path) -> None:
    for login in ("alice", "李雷", "carol"):
        path = next((site / "cards").glob(f"*/{login}.png"))
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == (cards.WIDTH, cards.HEIGHT) == (1200, 630)
            colours = image.convert("RGB").getcolors(1 << 20) or []
            assert len(colours) > 50, "a blank card"
        assert cards.png_digest(path) is not None


def test_cjk_login_and_title_are_drawn_not_tofu() -> None:
    real = Image.open(io.BytesIO(cards.png(cards.layout(WORDS)))).convert("L")
    tofu_words = {**WORDS, "login": "@" + NOT_IN_ANY_FONT * 2, "title": "“" + NOT_IN_ANY_FONT * 5 + " (bigger fonts)”"}
    tofu = Image.open(io.BytesIO(cards.png(cards.layout(tofu_words)))).convert("L")
    # The login's area (bottom band) and the title's area differ from the same card drawn in tofu.
    for box in ((cards.MARGIN, cards.HEIGHT - 110, 400, cards.HEIGHT - 20), (cards.MARGIN, 260, 700, 340)):
        assert ImageChops.difference(real.crop(box), tofu.crop(box)).getbbox() is not None, box


def test_png_is_deterministic_and_a_rerun_skips_unchanged_cards(tmp_path: Path) -> None:
    card = cards.layout(WORDS)
    first, second = cards.png(card), cards.png(cards.layout(dict(WORDS)))
    assert first == second
    path = tmp_path / "card.png"
    path.write_bytes(first)
    assert cards.png_digest(path) == card.digest
    assert cards.layout({**WORDS, "votes": "5 fans voted for it"}).digest != card.digest
    (tmp_path / "junk.png").write_bytes(b"not a png")
    assert cards.png_digest(tmp_path / "junk.png") is None
    assert cards.png_digest(tmp_path / "missing.png") is None


def test_long_titles_wrap_and_end_with_an_ellipsis() -> None:
    latin = cards.layout({**WORDS, "title": "word " * 200})
    cjk = cards.layout({**WORDS, "title": "字" * 300})
    for card in (latin, cjk):
        title = [line for line in card.lines if line.bold and line.y > 240 and line.y < cards.HEIGHT - 140]
        assert 1 < len(title) <= 4
        assert title[-1].text.endswith("…")
        for line in title:
            assert cards.font(line.size).getlength(line.text) <= cards.WIDTH - 2 * cards.MARGIN
    short = cards.layout({**WORDS, "title": "“Dark mode”"})
    assert [line.text for line in short.lines if line.size == 76] == ["“Dark mode”"]


def test_wrap_breaks_at_spaces_for_words_and_anywhere_in_cjk() -> None:
    lines = cards.wrap("alpha beta gamma delta", 60, 330)
    assert all(" " not in (line[0], line[-1]) for line in lines) and " ".join(lines) == "alpha beta gamma delta"
    assert "".join(cards.wrap("更大的字体" * 10, 60, 330)) == "更大的字体" * 10


def test_svg_is_well_formed_and_shows_hostile_text_as_text() -> None:
    card = cards.layout({**WORDS, "title": f"“{HOSTILE_TITLE} & \"quotes\" ]]>”", "login": "@mallory"})
    svg = render.render("cards/card.svg.j2", {"card": card.svg_context()}, "en", by_name=True)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg" and root.get("width") == "1200" and root.get("height") == "630"
    assert root.findtext(f"{SVG}title") == "Card: @李雷’s idea"
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "<b>Hack</b>" in text and "@mallory" in text
    assert root.find(f".//{SVG}b") is None


def test_site_svgs_parse_and_name_the_fan(site: Path) -> None:
    for path in sorted((site / "cards").glob("*.svg")):
        root = ET.fromstring(path.read_bytes())
        text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
        assert f"@{path.stem}" in text
        assert path.stem in (root.findtext(f"{SVG}title") or "")


def test_card_words_come_from_the_template() -> None:
    text = render.render("cards/card.txt.j2", {"login": "bob", "role": "voted", "title": "Dark\nmode",
                                                "votes": 1, "name": "lumen", "build": "v1",
                                                "date": "2026-11-20T17:00:00Z"}, "en", by_name=True)
    words = cards.parse_words(text)
    assert words == {"header": "lumen · v1 · Nov 20, 2026", "kicker": "An idea I voted for shipped!",
                     "title": "“Dark mode”", "login": "@bob", "votes": "1 fan voted for it",
                     "alt": "Card: @bob voted for “Dark mode”, which shipped in lumen v1"}
    no_votes = cards.parse_words(text.replace("votes: 1 fan voted for it", "votes: "))
    assert "votes" not in no_votes


def test_a_megabyte_title_is_measured_only_as_far_as_the_card_shows() -> None:
    """The wrap stops once a card's lines are full: the layout of a 1 MB title is its first lines'."""
    long = ("Ö" + "x" * 9) * 100_000
    assert len(cards.wrap(long, 46, 1040, 4)) == 5  # one line past the most the card shows: it cannot fit
    assert cards.wrap(long[:2000], 46, 1040)[:5] == cards.wrap(long, 46, 1040, 4)
    card = cards.layout({**WORDS, "title": f"“{long}”"})
    same = cards.layout({**WORDS, "title": f"“{long[:5000]}”"})
    assert [line for line in card.lines if line.size == 46] == [line for line in same.lines if line.size == 46]
    assert [line.text[-1] for line in card.lines if line.size == 46][-1] == "…"
    invisible = cards.layout({**WORDS, "title": "\u200b" * 1_000_000})  # glyphs of no width: still bounded
    assert invisible.lines
