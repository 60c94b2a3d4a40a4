"""Helpers for the site, card and locale tests: the demo project, published; a site tree's digest."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tracker import _importer as importer
from tracker import demo
from tracker.session import Session

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = REPO_ROOT / "changelog_templates"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = (390, 1280)  # a phone and a desktop
HEIGHT = 900
# One browser for every page and width: a page beside the site's copy holds each page in an iframe of
# the width under test, measures it (the page's own width, any element wider) and writes the result.
_HARNESS = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0}#grid{display:grid;grid-template-columns:%(columns)s}iframe{border:0;height:%(height)dpx}
</style></head><body><div id="grid"></div><pre id="out"></pre><script>
var pages = %(pages)s, widths = %(widths)s, results = [], left = pages.length * widths.length;
pages.forEach(function (p) { widths.forEach(function (w) {
  var f = document.createElement("iframe"); f.style.width = w + "px"; f.src = p;
  f.onload = function () {
    var d = f.contentDocument, cw = d.documentElement.clientWidth, wide = [];
    d.querySelectorAll("body *").forEach(function (e) {
      if (e.getBoundingClientRect().right > cw + 1) wide.push(e.tagName + "." + e.className); });
    results.push({page: p, width: w, client: cw, scroll: d.documentElement.scrollWidth, wide: wide});
    if (--left === 0) document.getElementById("out").textContent = JSON.stringify(results);
  };
  document.getElementById("grid").appendChild(f); }); });
</script></body></html>"""
HOSTILE_TITLE = "<b>Hack</b> @everyone [click](https://evil.example)"


def demo_project(directory: Path, locale: str = "en", cards: str = "authors") -> Path:
    """The `tracker demo` project (git history, config, requests and votes imported), not yet published."""
    requests_file = demo.create(directory)
    config = directory / ".github" / "tracker.yml"
    text = config.read_text(encoding="utf-8").replace(
        "changelog:\n", f"changelog:\n  locale: {locale}\n", 1)
    config.write_text(text + f"site:\n  cards: {cards}\n", encoding="utf-8")
    session = Session(repo_path=str(directory), say=lambda text: None)
    importer.import_file(session.issues.store, requests_file)  # type: ignore[attr-defined]
    return directory


def publish(directory: Path, builds: Sequence[str] | None = None, dry_run: bool = False,
            names: Sequence[str] = ("site",)) -> list[str]:
    """Publish `builds` (default: every build, oldest first, as `tracker demo` does); the lines written."""
    session = Session(repo_path=str(directory), dry_run=dry_run, say=lambda text: None)
    lines: list[str] = []
    for name in builds if builds is not None else list(reversed(session.build_names())):
        lines += session.publish(session.built(name), list(names))
    return lines


def published_demo(directory: Path, locale: str = "en", cards: str = "authors") -> Path:
    """The demo project with its site published for every build; returns the site folder."""
    publish(demo_project(directory, locale, cards))
    return directory / "site"


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the sha256 of its bytes (to prove a rerun changes nothing)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class Browser:
    """Pages of a copy of a site, each laid out at every width of WIDTHS by one headless Chromium
    (the harness goes beside the copy: the site itself has no script of ours)."""

    def __init__(self, site: Path, pages: Sequence[str], tmp_path: Path):
        copy = tmp_path / "site-copy"
        shutil.copytree(site, copy)
        (copy / "harness.html").write_text(_HARNESS % {
            "columns": " ".join(f"{w}px" for w in WIDTHS), "height": HEIGHT, "widths": json.dumps(list(WIDTHS)),
            "pages": json.dumps([quote(p) for p in pages])}, encoding="utf-8")
        self.pages = list(pages)
        self.url = (copy / "harness.html").as_uri()
        self.flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync",
                      "--hide-scrollbars", "--allow-file-access-from-files", "--virtual-time-budget=3000",
                      f"--user-data-dir={tmp_path / 'profile'}"]

    def measure(self) -> list[dict[str, Any]]:
        """Per page and width: the width laid out at, the page's scroll width, elements wider."""
        dom = subprocess.run([CHROMIUM, *self.flags, "--dump-dom", self.url], capture_output=True, text=True,
                             timeout=120, check=True).stdout
        results: list[dict[str, Any]] = json.loads(dom.split('<pre id="out">', 1)[1].split("</pre>", 1)[0])
        return results

    def screenshot(self, target: Path) -> None:
        """One PNG of every page (a row each) at every width (side by side)."""
        subprocess.run([CHROMIUM, *self.flags, f"--screenshot={target}",
                        f"--window-size={sum(WIDTHS)},{HEIGHT * len(self.pages)}", self.url],
                       capture_output=True, timeout=120, check=True)
