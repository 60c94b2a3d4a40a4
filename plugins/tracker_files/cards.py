"""Share cards: a fan's honour as a 1200×630 image (the size social sites preview).

The words come from the `cards/card.txt.j2` template (so they are localised and
a project can reword them); this module lays them out once and draws the same
layout twice: as a PNG with Pillow, and as the data `cards/card.svg.j2` needs.

The PNG must show Chinese titles and logins on any machine, so the font comes
from a Python package that ships Noto Sans CJK (`noto-cjk-sans-otc`, SIL OFL
1.1), installed with tracker itself; system CJK fonts and Pillow's built-in font
are fallbacks. Drawing is deterministic (no timestamps, Pillow's basic layout
engine rather than optional raqm), so a rerun writes byte-identical PNGs.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
# Bump when the drawing changes: PNGs carry a digest of what they show, and an
# unchanged digest lets a rerun skip redrawing (cards are the slow part of a site).
CARD_VERSION = "2"
DIGEST_KEY = "tracker-card"
FAMILY = "Noto Sans CJK SC"
# Colours (WCAG contrast): white on indigo 16:1, muted text 10.7:1, amber on the band 6.8:1.
THEME = {"bg": "#1e1b4b", "band": "#312e81", "accent": "#fbbf24", "text": "#ffffff", "muted": "#c7d2fe"}
# (size, most lines) for the request title, largest first: each fits above the bottom band.
_TITLE_FITS = ((76, 2), (60, 3), (46, 4))
# Debian's packages, for machines where the Python font package is missing.
_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@dataclass(frozen=True)
class FontChoice:
    """Which font file (and face in a collection) cards are drawn with."""

    path: str | None  # None: Pillow's built-in font, which has no CJK glyphs
    index: int
    name: str

    @property
    def has_cjk(self) -> bool:
        return self.path is not None


@lru_cache(maxsize=1)
def font_choice() -> FontChoice:
    """The CJK-capable font for cards: the packaged Noto Sans CJK, else a system CJK font."""
    candidates: list[str] = []
    try:
        import noto_cjk_sans_otc  # type: ignore[import-untyped]

        candidates.append(str(noto_cjk_sans_otc.FONT_PATH))
    except ImportError:
        pass
    candidates += [p for p in _SYSTEM_FONTS if Path(p).is_file()]
    from PIL import ImageFont

    for path in candidates:
        faces = []
        for index in range(16):  # a collection (.ttc) holds several faces; pick the Simplified Chinese one
            try:
                face = ImageFont.truetype(path, 20, index=index)
            except OSError:
                break
            faces.append((index, " ".join(part or "" for part in face.getname())))
        if faces:
            index, name = next(((i, n) for i, n in faces if n.startswith(FAMILY)), faces[0])
            return FontChoice(path, index, name)
    return FontChoice(None, 0, "Pillow default")


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The card font at `size` pixels."""
    from PIL import ImageFont

    choice = font_choice()
    if choice.path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(choice.path, size, index=choice.index, layout_engine=ImageFont.Layout.BASIC)


@dataclass(frozen=True)
class Line:
    """One run of text on the card; (x, y) is the left (or right, for `end`) baseline point."""

    text: str
    x: int
    y: int
    size: int
    colour: str
    anchor: str = "start"  # start | end, as SVG's text-anchor
    bold: bool = False


@dataclass(frozen=True)
class Box:
    """A filled rectangle (optionally rounded) behind the text."""

    x: int
    y: int
    w: int
    h: int
    fill: str
    radius: int = 0


@dataclass(frozen=True)
class Layout:
    """Everything drawn on one card, and a digest of it."""

    boxes: tuple[Box, ...]
    lines: tuple[Line, ...]
    alt: str
    digest: str

    def svg_context(self) -> dict[str, Any]:
        """What `cards/card.svg.j2` needs: size, shapes, text runs, the alternative text."""
        return {"width": WIDTH, "height": HEIGHT, "family": FAMILY, "theme": THEME, "alt": self.alt,
                "boxes": [asdict(b) for b in self.boxes], "lines": [asdict(line) for line in self.lines]}


def parse_words(text: str) -> dict[str, str]:
    """The `key: text` lines `cards/card.txt.j2` renders, as a mapping (blank values dropped)."""
    words: dict[str, str] = {}
    for raw in text.splitlines():
        key, sep, value = raw.partition(":")
        if sep and key.strip() and value.strip():
            words[key.strip()] = value.strip()
    return words


def _is_wide(char: str) -> bool:
    # CJK text has no spaces: a line may break after any wide character.
    return ord(char) >= 0x2E80


_TOKEN = re.compile(r"[\u2e80-\U0010ffff]|[^\s\u2e80-\U0010ffff]+|\s+")


def tokens(text: str) -> Iterator[str]:
    """Where a line may break: each wide (CJK) character alone, each Latin word whole, each run of spaces."""
    return (match.group() for match in _TOKEN.finditer(text))


def wrap(text: str, size: int, width: int, most: int | None = None) -> list[str]:
    """`text` broken into lines no wider than `width` at `size`: at spaces, or between CJK characters.

    A Latin word is never split unless it alone is wider than a line. Each line is measured
    once per word added, not per character; with `most`, it stops as soon as there are more
    than `most` lines: what a card cannot show is never measured.
    """
    face = font(size)
    lines: list[str] = []
    current = ""
    for token in tokens(text):
        if token.isspace():
            current += " " if current else ""
            continue
        trial = current + token
        # No glyph that shows is narrower than a pixel: a line never holds more characters than
        # it has pixels, so a longer trial is not measured (a 1 MB word would be, whole).
        if len(trial) <= width and face.getlength(trial) <= width:
            current = trial
            continue
        if current.strip():
            lines.append(current.rstrip())
            if most is not None and len(lines) > most:
                return lines
        current = token
        while len(current) > width or face.getlength(current) > width:  # a word wider than a line
            cut = _longest_fit(current[:width + 1], face, width)
            lines.append(current[:cut])
            current = current[cut:]
            if most is not None and len(lines) > most:
                return lines
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _longest_fit(word: str, face: Any, width: int) -> int:
    """How many leading characters of `word` fit in `width` (at least one), found by halving."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def _fit(text: str, width: int, options: tuple[tuple[int, int], ...]) -> tuple[int, list[str]]:
    """The largest (size, most lines) option `text` fits; at the last, cut with an ellipsis."""
    # No glyph that shows is narrower than a pixel: more characters than the lines have
    # pixels cannot fit (and beyond that, a line of invisible ones would be measured whole).
    longest = width * max(lines for _, lines in options)
    clipped = len(text) > longest
    text = text[:longest]
    for size, max_lines in options:
        lines = wrap(text, size, width, max_lines)
        if len(lines) <= max_lines and not clipped:
            return size, lines
    size, max_lines = options[-1]
    lines = wrap(text, size, width, max_lines)[:max_lines]
    lines[-1] = _ellipsis(lines[-1], size, width)
    return size, lines


def _ellipsis(line: str, size: int, width: int) -> str:
    """`line` cut (at a word, or a CJK character) so that it and an ellipsis fit in `width`."""
    face = font(size)
    kept = list(tokens(line))
    while kept and face.getlength("".join(kept).rstrip() + "…") > width:
        kept.pop()
    text = "".join(kept).rstrip()
    if not text:  # one word wider than the line: cut inside it, as nothing else fits
        text = line[:_longest_fit(line + "…", face, width)].rstrip()
        while text and face.getlength(text + "…") > width:
            text = text[:-1]
    return text + "…"


def _clip(text: str, size: int, width: int) -> str:
    face = font(size)
    text = text[:width + 1]  # as in `_fit`: no more characters than pixels can show
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


@lru_cache(maxsize=64)
def _hang(text: str, size: int) -> int:
    """How far left to start `text` so the ink of an opening quote starts at the margin.

    A CJK font's quotes are full-width, their ink at the right of the em box:
    without this a quoted title looks indented.
    """
    from PIL import Image, ImageDraw

    if not text or text[0] not in "“‘「『《（":
        return 0
    probe = Image.new("L", (size * 3, size * 3))
    ImageDraw.Draw(probe).text((size, size * 2), text[0], font=font(size), fill=255, anchor="ls")
    ink = probe.getbbox()
    return max(0, ink[0] - size) if ink else 0


def layout(words: Mapping[str, str]) -> Layout:
    """Place the card's words: header, kicker, the request title (wrapped), login and votes."""
    inner = WIDTH - 2 * MARGIN
    boxes = (
        Box(0, 0, WIDTH, HEIGHT, THEME["bg"]),
        Box(0, 0, 16, HEIGHT, THEME["accent"]),
        Box(0, HEIGHT - 140, WIDTH, 140, THEME["band"]),
        Box(MARGIN, 150, 96, 8, THEME["accent"], 4),
    )
    first = words.get("first", "")
    first_width = min(int(font(30).getlength(first)), inner // 2) + 30 if first else 0
    lines = [Line(_clip(words.get("header", ""), 34, inner - first_width), MARGIN, 110, 34, THEME["muted"])]
    if first:  # "first idea shipped": top right, in the accent colour
        lines.append(Line(_clip(first, 30, inner // 2), WIDTH - MARGIN, 108, 30, THEME["accent"], anchor="end",
                          bold=True))
    lines.append(Line(_clip(words.get("kicker", ""), 44, inner), MARGIN, 228, 44, THEME["accent"], bold=True))
    # The title gets the space between the kicker (baseline 228) and the band (y 490).
    size, title = _fit(words.get("title", ""), inner, _TITLE_FITS)
    step = round(size * 1.22)
    for i, text in enumerate(title):
        lines.append(Line(text, MARGIN - _hang(text, size), 252 + size + step * i, size, THEME["text"], bold=True))
    votes = words.get("votes", "")
    login_width = inner - (int(font(38).getlength(votes)) + 40 if votes else 0)
    login = _clip(words.get("login", ""), 48, login_width)
    lines.append(Line(login, MARGIN, HEIGHT - 54, 48, THEME["text"], bold=True))
    if votes:
        lines.append(Line(votes, WIDTH - MARGIN, HEIGHT - 56, 38, THEME["accent"], anchor="end"))
    alt = words.get("alt", "")
    payload = json.dumps({"v": CARD_VERSION, "font": font_choice().name, "boxes": [asdict(b) for b in boxes],
                          "lines": [asdict(line) for line in lines]}, ensure_ascii=False, sort_keys=True)
    return Layout(boxes, tuple(lines), alt, hashlib.sha256(payload.encode("utf-8")).hexdigest())


def png(card: Layout) -> bytes:
    """The card as PNG bytes; the same layout always gives the same bytes."""
    from PIL import Image, ImageDraw, PngImagePlugin

    image = Image.new("RGB", (WIDTH, HEIGHT), THEME["bg"])
    draw = ImageDraw.Draw(image)
    for box in card.boxes:
        shape = (box.x, box.y, box.x + box.w - 1, box.y + box.h - 1)
        if box.radius:
            draw.rounded_rectangle(shape, radius=box.radius, fill=box.fill)
        else:
            draw.rectangle(shape, fill=box.fill)
    for line in card.lines:
        # The font has one weight: a hairline stroke in the same colour reads as bold.
        # The zero-width space that keeps `@everyone` quiet in text is no glyph to draw.
        draw.text((line.x, line.y), line.text.replace("\u200b", ""), font=font(line.size), fill=line.colour,
                  anchor="rs" if line.anchor == "end" else "ls",
                  stroke_width=1 if line.bold else 0, stroke_fill=line.colour)
    info = PngImagePlugin.PngInfo()
    info.add_text(DIGEST_KEY, card.digest)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def png_digest(path: Path) -> str | None:
    """The layout digest stored in an existing card PNG, or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            value = image.info.get(DIGEST_KEY)
    except (OSError, UnidentifiedImageError):
        return None
    return value if isinstance(value, str) else None
