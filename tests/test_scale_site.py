"""Builds at scale on the files fans read: the site with channels side by side, a monorepo's
components (their own CHANGELOGs, pages and a combined view), and other repositories' reports
merged into the site's hall of fame, roadmap and awards. Real git repositories, the real CLI,
the real site output parsed as HTML."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from conftest import FIXTURES, invoke, tree_state

MakeRepo = Callable[..., tuple[Path, dict[str, str]]]


class _Text(HTMLParser):
    """A page's visible text (script and style left out) and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        if tag == "a":
            self.links += [value or "" for name, value in attrs if name == "href"]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def text(path: Path) -> str:
    return " ".join(" ".join(page(path).parts).split())


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def _fixture_repo(make_repo: MakeRepo, name: str, config: str,
                  requests: list[dict[str, object]] | None = None) -> Path:
    folder = FIXTURES / name
    steps = yaml.safe_load((folder / "history.yml").read_text(encoding="utf-8"))
    if requests is None and (folder / "requests.json").exists():
        requests = json.loads((folder / "requests.json").read_text(encoding="utf-8"))
    repo, _ = make_repo(steps, config=(folder / "config.yml").read_text(encoding="utf-8") + config,
                        requests=requests)
    return repo


# -- components: one CHANGELOG per component ----------------------------------------------

_COMPONENT_CHANGELOGS = """\
components:
  - {name: app, tags: "app-v*", paths: [app.txt], changelog: apps/app/CHANGELOG.md}
  - {name: lib, tags: "lib-v*", paths: [lib.txt], changelog: libs/lib/CHANGELOG.md}
publish: [changelog-file]
"""


def test_each_component_keeps_its_own_changelog(make_repo: MakeRepo) -> None:
    folder = FIXTURES / "monorepo"
    steps = yaml.safe_load((folder / "history.yml").read_text(encoding="utf-8"))
    repo, _ = make_repo(steps, config=_COMPONENT_CHANGELOGS,
                        requests=json.loads((folder / "requests.json").read_text(encoding="utf-8")))
    for build in ("app-v1.1", "lib-v1.1", "app-v1.2"):
        _ok(invoke(["--repo", str(repo), "publish", build]))
    app = (repo / "apps/app/CHANGELOG.md").read_text(encoding="utf-8")
    lib = (repo / "libs/lib/CHANGELOG.md").read_text(encoding="utf-8")
    assert not (repo / "CHANGELOG.md").exists()
    assert app.index("<!-- tracker:build app-v1.2 -->") < app.index("<!-- tracker:build app-v1.1 -->")
    assert "lib-v1.1" not in app and "app-v1" not in lib
    # The commit touching both components is in both files; each component's own only in its own.
    assert "Shared theme" in app and "Shared theme" in lib
    assert "Dark mode" in app and "Dark mode" not in lib
    assert "Faster parsing" in lib and "Faster parsing" not in app
    before = tree_state(repo)
    for build in ("app-v1.2", "lib-v1.1", "app-v1.1"):
        assert _ok(invoke(["--repo", str(repo), "publish", build])).stdout.count("changelog-file") == 0
    assert tree_state(repo) == before


def test_without_a_component_changelog_its_sections_go_to_changelog_file(make_repo: MakeRepo) -> None:
    repo = _fixture_repo(make_repo, "monorepo", "publish: [changelog-file]\n")
    for build in ("app-v1.1", "lib-v1.1"):
        _ok(invoke(["--repo", str(repo), "publish", build]))
    one = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "<!-- tracker:build app-v1.1 -->" in one and "<!-- tracker:build lib-v1.1 -->" in one


@pytest.mark.parametrize(("changelog", "says"), [
    ("5", ".github/tracker.yml:2: 'components.app.changelog' must be a file path (a string), not a number"),
    ('""', ".github/tracker.yml:2: 'components.app.changelog' must not be empty"),
])
def test_a_component_changelog_is_validated(make_repo: MakeRepo, changelog: str, says: str) -> None:
    config = f'components:\n  - {{name: app, tags: "app-v*", paths: [a], changelog: {changelog}}}\n'
    repo, _ = make_repo([{"commit": "Fixes #1"}, {"tag": "app-v1"}], config=config)
    before = tree_state(repo)
    result = invoke(["--repo", str(repo), "publish", "app-v1"])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].endswith(says), result.stderr
    assert tree_state(repo) == before


def test_a_component_changelog_that_is_a_folder_is_refused_before_any_write(make_repo: MakeRepo) -> None:
    folder = FIXTURES / "monorepo"
    steps = yaml.safe_load((folder / "history.yml").read_text(encoding="utf-8"))
    repo, _ = make_repo(steps, config=_COMPONENT_CHANGELOGS.replace("[changelog-file]", "[changelog-file, site]"))
    (repo / "libs/lib/CHANGELOG.md").mkdir(parents=True)
    before = tree_state(repo)
    result = invoke(["--repo", str(repo), "release", "app-v1.1"])
    assert result.exit_code == 2 and "components.lib.changelog libs/lib/CHANGELOG.md" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert tree_state(repo) == before


# -- channels side by side -------------------------------------------------------------------


def _requests_with_votes() -> list[dict[str, object]]:
    return [{"id": "1", "title": "One", "author": "alice", "voters": ["zed"]},
            {"id": "2", "title": "Two", "author": "bob"},
            {"id": "3", "title": "Three", "author": "carol"},
            {"id": "4", "title": "Four", "author": "dave"},
            {"id": "5", "title": "Five, still open", "author": "erin", "voters": ["zed", "yan"]}]


def test_the_site_shows_channels_side_by_side_and_where_to_try_an_idea(make_repo: MakeRepo) -> None:
    repo = _fixture_repo(make_repo, "channels", "publish: [site]\n", _requests_with_votes())
    site = repo / "site"
    _ok(invoke(["--repo", str(repo), "release", "v2.0-beta.3"]))

    index = page(site / "index.html")
    columns = text(site / "index.html").split("Channels", 1)[1]
    assert columns.index("beta channel") < columns.index("v2.0-beta.3") < columns.index("stable channel")
    assert columns.index("stable channel") < columns.index("v1.0")
    assert "builds/v2.0-beta.3.html" in index.links
    assert "beta channel" in text(site / "builds/v2.0-beta.3.html")
    assert "stable channel" in text(site / "builds/v1.0.html")
    # Only a beta has #1: alice can try it there; the roadmap keeps it, saying where to try it.
    assert "try it in v2.0-beta.3" in text(site / "fans/alice.html")
    roadmap = text(site / "index.html").split("Roadmap", 2)[2]
    assert "One #1 · suggested by @alice try it in v2.0-beta.3" in roadmap
    assert "Five, still open #5" in roadmap

    for build in ("v2.0-beta.4", "v2.0"):
        _ok(invoke(["--repo", str(repo), "release", build]))
    alice = text(site / "fans/alice.html")
    assert "shipped in v2.0" in alice and "try it in" not in alice
    assert alice.count("One #1") == 1  # one idea, though two builds (a beta and stable) shipped it
    assert "shipped in v2.0" in text(site / "fans/carol.html")  # #3 first in v2.0-beta.4, now in stable
    assert "@bob" not in text(site / "fans.html")  # #2 was reverted in the beta channel, never in stable
    assert not (site / "fans/bob.html").exists() and not (site / "fans/bob.atom").exists()  # his page went too
    stable = text(site / "index.html").split("stable channel", 1)[1]
    assert stable.index("v2.0") < stable.index("v1.0")
    roadmap = text(site / "index.html").split("Roadmap", 2)[2]
    assert "#1" not in roadmap and "Five, still open #5" in roadmap
    before = tree_state(site)
    _ok(invoke(["--repo", str(repo), "release", "v2.0"]))
    assert tree_state(site) == before


# -- components: pages per component and a combined view ---------------------------------------


def test_the_site_has_a_page_per_component_and_names_the_component_of_every_build(make_repo: MakeRepo) -> None:
    repo = _fixture_repo(make_repo, "monorepo", "publish: [site]\n")
    site = repo / "site"
    for build in ("app-v1.1", "lib-v1.1", "app-v1.2"):
        _ok(invoke(["--repo", str(repo), "release", build]))
    app, lib = text(site / "components/app.html"), text(site / "components/lib.html")
    assert "app-v1.2" in app and "app-v1.1" in app and "lib-v1" not in app
    assert "lib-v1.1" in lib and "app-v1" not in lib
    # The commit touching both components shipped #3 in each.
    assert "Shared theme" in app and "Shared theme" in lib
    assert "Dark mode" in app and "Dark mode" not in lib and "Faster parsing" in lib
    assert "component app" in text(site / "builds/app-v1.1.html")
    combined = text(site / "index.html")
    assert "Components" in combined and "components/app.html" in page(site / "index.html").links
    earlier = combined.split("Earlier builds", 2)[2].split("Hall of fame", 1)[0]
    assert "lib lib-v1.1" in earlier and "app app-v1.1" in earlier
    # A component no longer configured loses its page; what else is in the folder stays.
    (site / "components" / "old.html").write_text("<p>a removed component</p>", encoding="utf-8")
    (site / "components" / "notes.txt").write_text("the maintainer's", encoding="utf-8")
    dry = _ok(invoke(["--repo", str(repo), "release", "app-v1.2", "--dry-run"]))
    assert "components/old.html" in dry.stdout and (site / "components" / "old.html").exists()
    _ok(invoke(["--repo", str(repo), "release", "app-v1.2"]))
    assert sorted(p.name for p in (site / "components").iterdir()) == ["app.html", "lib.html", "notes.txt"]
    before = tree_state(site)
    _ok(invoke(["--repo", str(repo), "release", "app-v1.2"]))
    assert tree_state(site) == before


# -- site.reports: other repositories merged into the hall of fame, roadmap and awards ---------

_THREE = {  # repository → (its shipped idea's author, voters; its open wish's author, votes)
    "acme/app": ("alice", ["bob"], "carol", 3),
    "acme/lib": ("alice", ["carol"], "dave", 5),
    "other/tool": ("bob", [], "erin", 1),
}


def _three_repositories(make_repo: MakeRepo, folder: Path, site_config: str = "") -> Path:
    """Three repositories, each releasing v2 and keeping its JSON report in `folder` (as each one's
    own Action would upload it); returns acme/app, whose site merges the folder."""
    site_repo = None
    for slug, (author, voters, wisher, votes) in _THREE.items():
        name = slug.split("/")[1]
        requests = [{"id": "1", "title": f"{name} idea", "author": author, "voters": voters},
                    {"id": "2", "title": f"{name} wish", "author": wisher,
                     "voters": [f"fan{i}" for i in range(votes)]}]
        config = f"repository: {slug}\nissues: local\n"
        if slug == "acme/app":
            config += f"publish: [site]\nsite:\n  reports: {folder}\n{site_config}"
        repo, _ = make_repo([{"commit": "Initial", "author": "maint"}, {"tag": "v1"},
                             {"commit": "Fixes #1", "author": "frank"}, {"tag": "v2"}],
                            config=config, requests=requests)
        target = folder / name / "v2.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        _ok(invoke(["--repo", str(repo), "changelog", "v2", "--format", "json", "-o", str(target)]))
        if slug == "acme/app":
            site_repo = repo
    assert site_repo is not None
    return site_repo


def test_the_site_merges_other_repositories_into_fame_roadmap_and_awards(
        make_repo: MakeRepo, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    repo = _three_repositories(make_repo, folder)
    report = json.loads((folder / "lib" / "v2.json").read_text(encoding="utf-8"))
    assert [(r["id"], r["votes"]) for r in report["roadmap"]] == [("2", 5)]  # #1 shipped: not on it
    _ok(invoke(["--repo", str(repo), "release", "v2"]))
    site = repo / "site"

    fame = text(site / "fans.html")
    assert "Repositories" in fame
    # alice suggested in two repositories; her own repository's id is named too.
    alice_row = fame.split("@alice", 1)[1].split("@bob", 1)[0]
    assert "“app idea” acme/app#1" in alice_row and "“lib idea” acme/lib#1" in alice_row
    assert alice_row.split()[-3:-1] == ["acme/app,", "acme/lib"]  # her repositories (then the rank of bob)
    alice = text(site / "fans/alice.html")
    assert "acme/lib#1" in alice and "shipped in acme/lib@v2" in alice
    bob = page(site / "fans/bob.html")
    assert "other/tool#1" in " ".join(bob.parts)
    assert not any("@" in link for link in bob.links if link.startswith("../builds/"))  # no page for others' builds
    assert not list((site / "builds").glob("*@*"))

    roadmap = text(site / "index.html").split("Roadmap", 2)[2]
    assert roadmap.index("lib wish acme/lib#2") < roadmap.index("app wish acme/app#2") \
        < roadmap.index("tool wish other/tool#2")
    assert "With the requests of acme/lib, other/tool." in roadmap

    year = next((site / "awards").glob("*.html"))
    suggesters = text(year).split("Top suggesters", 1)[1].split("Top reporters", 1)[0]
    assert suggesters.split()[:4] == ["@alice", "2", "ideas", "shipped"]

    before = tree_state(site)
    _ok(invoke(["--repo", str(repo), "release", "v2"]))
    assert tree_state(site) == before


@pytest.mark.parametrize(("damage", "says"), [
    ("missing", "site.reports {folder}: not a folder of JSON reports"),
    ("not json", "site.reports {folder}: lib/v2.json: not a JSON report"),
    ("bad login", "site.reports {folder}: lib/v2.json: credits a login that is not one"),
    ("bad roadmap", "site.reports {folder}: lib/v2.json: a roadmap entry that is not one"),
    ("bad date", "site.reports {folder}: lib/v2.json: not a schema-1 report: 'date' is not an ISO 8601 date"),
])
def test_a_bad_reports_folder_is_one_line_and_nothing_is_written(
        make_repo: MakeRepo, tmp_path: Path, damage: str, says: str) -> None:
    folder = tmp_path / "reports"
    repo = _three_repositories(make_repo, folder)
    lib = folder / "lib" / "v2.json"
    data = json.loads(lib.read_text(encoding="utf-8"))
    if damage == "missing":
        import shutil

        shutil.rmtree(folder)
    elif damage == "not json":
        lib.write_text("{", encoding="utf-8")
    elif damage == "bad login":
        data["credits"][0]["login"] = "<script>"
    elif damage == "bad roadmap":
        data["roadmap"][0]["author"] = "../../etc"
    elif damage == "bad date":
        data["date"] = "../../x"
    if damage.startswith("bad"):
        lib.write_text(json.dumps(data), encoding="utf-8")
    before = tree_state(repo)
    result = invoke(["--repo", str(repo), "release", "v2"])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and result.stdout == "", result.stderr
    assert says.format(folder=folder) in lines[0] and "Traceback" not in result.stderr
    assert tree_state(repo) == before and not (repo / "site").exists()


# -- the new pages laid out in a real browser -------------------------------------------------


def _overflow(site: Path, pages: list[str], tmp_path: Path) -> list[dict[str, Any]]:
    """Each page at 390 and 1280 px in headless Chromium (site_helpers.Browser): the
    measurements of those that scroll sideways or hold an element wider than the screen."""
    from site_helpers import WIDTHS, Browser

    results = Browser(site, pages, tmp_path).measure()
    assert len(results) == len(pages) * len(WIDTHS)
    return [r for r in results if r["client"] != r["width"] or r["scroll"] > r["width"] or r["wide"]]


def test_channel_columns_and_component_pages_fit_a_phone_and_a_desktop(make_repo: MakeRepo, tmp_path: Path) -> None:
    from site_helpers import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed")
    channels = _fixture_repo(make_repo, "channels", "publish: [site]\n", _requests_with_votes())
    _ok(invoke(["--repo", str(channels), "release", "v2.1-beta.1"]))
    monorepo = _fixture_repo(make_repo, "monorepo", "publish: [site]\n")
    _ok(invoke(["--repo", str(monorepo), "release", "app-v1.2"]))
    assert _overflow(channels / "site", ["index.html", "fans/alice.html", "builds/v2.0.html"], tmp_path / "c") == []
    assert _overflow(monorepo / "site", ["index.html", "components/app.html"], tmp_path / "m") == []
