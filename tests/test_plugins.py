"""Plugins: built-ins load without scanning installed packages; others come through entry points."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, report_of

from tracker import _plugins as plugins


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(plugins, "_registry", None)
    monkeypatch.setattr(plugins, "_scanned", False)
    monkeypatch.delitem(sys.modules, "tracker_fake_plugin", raising=False)  # each test installs its own
    yield


def test_the_builtins_are_exactly_the_declared_entry_points() -> None:
    declared = {p.name: p.value for p in entry_points(group=plugins.GROUP)
                if p.module.startswith("tracker_")}
    assert declared == {name: f"{module}:register" for name, module in plugins.BUILTIN.items()}


def test_builtins_register_without_the_scan(fresh_registry: None) -> None:
    reg = plugins.registry()
    assert {"local", "github", "gitlab"} <= set(reg.issue_systems)
    assert {"changelog-file", "site", "github-release"} <= set(reg.publishers)
    assert plugins._scanned is False


FAKE_PLUGIN = """
from tracker.hooks import IssueSystem, Repository, Request


class Fake(IssueSystem):
    name = "fake"

    @property
    def repository(self):
        return Repository("acme/fake")

    def requests(self):
        return [Request(id="1", title="From a plugin", author="alice")]

    def voters(self, ids):
        return {i: ["bob"] for i in ids}

    def describe(self):  # a helper: no hook is called anything like it
        return "a fake issue system"
EXTRA

def register(registry):
    registry.issue_system("fake", Fake)
"""


def _install(root: Path, name: str, entry: str, source: str) -> None:
    """An installed distribution `tracker_NAME_plugin` with a `tracker.plugins` entry point
    `entry`, as pip would lay it out."""
    module = f"tracker_{name}_plugin"
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: tracker-{name}-plugin\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[tracker.plugins]\n{entry} = {module}:register\n", encoding="utf-8")


def _third_party(root: Path, extra: str = "") -> None:
    """The fake issue system, installed. It imports only `tracker.hooks`
    (tests/test_plugin_contract.py checks the built-ins the same way)."""
    _install(root, "fake", "fake", FAKE_PLUGIN.replace("EXTRA", extra))


def test_a_third_party_plugin_is_found_through_its_entry_point(
        fresh_registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_repo: Any) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _third_party(site)
    monkeypatch.syspath_prepend(str(site))
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}, {"commit": "Dark mode\n\nFixes #1"}, {"tag": "v2"}])
    result = invoke(["--repo", str(repo), "--issues", "fake", "changelog", "v2", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert '"title": "From a plugin"' in result.stdout and plugins._scanned is True


def test_an_unknown_plugin_lists_what_is_installed(fresh_registry: None, make_repo: Any) -> None:
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}])
    result = invoke(["--repo", str(repo), "--issues", "nope", "changelog", "v1"])
    assert result.exit_code == 2
    assert "unknown issue system 'nope' (installed: github, gitlab, local)" in result.stderr


@pytest.mark.parametrize("misspelt, meant", [
    ("    def requets(self):\n        return []\n", "requests"),  # a typo
    ("    def release_note(self, build, section):\n        return []\n", "release_notes"),
    ("    def mark_shipped(self, marks):\n        return []\n", "mark"),  # a hook with a word added
])
def test_a_misspelt_hook_is_refused_in_one_line(fresh_registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                make_repo: Any, misspelt: str, meant: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _third_party(site, misspelt)
    monkeypatch.syspath_prepend(str(site))
    repo, _ = make_repo([{"commit": "init"}, {"tag": "v1"}])
    result = invoke(["--repo", str(repo), "--issues", "fake", "changelog", "v1"])
    name = misspelt.split("def ")[1].split("(")[0]
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"tracker: plugin fake (tracker_fake_plugin:register): Fake.{name} is not a hook"
                                     f" of IssueSystem; did you mean '{meant}'? (a helper's name starts with '_')")


def test_a_factory_is_checked_when_it_loads_and_helpers_pass() -> None:
    from tracker.hooks import Context, IssueSystem, MisspeltHook, Publisher, Registry

    class Helpful(Publisher):
        def publish(self, build: Any) -> list[str]:
            return []

        def read(self) -> str:  # a helper, like the changelog file's
            return ""

    class Typo(IssueSystem):
        def voter(self, ids: Any) -> dict[str, list[str]]:
            return {}

    registry = Registry()
    registry.current = "third (third:register)"
    registry.publisher("helpful", Helpful)  # classes are checked as they register
    registry.issue_system("typo", lambda context: Typo(context))  # a factory: checked when it is called
    context = Context(config=__import__("tracker._config")._config.Config(), root=Path("."), git_dir=Path(".git"),
                      env={})
    assert isinstance(registry.publishers["helpful"](context), Helpful)
    with pytest.raises(MisspeltHook, match=r"^plugin third \(third:register\): .*Typo\.voter is not a hook of"
                                           r" IssueSystem; did you mean 'voters'\?"):
        registry.issue_systems["typo"](context)


def _third_party_publisher(root: Path) -> None:
    """An installed publisher that writes down, as JSON, everything it is handed."""
    _install(root, "recorder", "recorder",
             "import json\n"
             "from tracker.hooks import Publisher\n"
             "class Recorder(Publisher):\n"
             "    name = 'recorder'\n"
             "    formats = ('markdown',)\n"
             "    earlier_builds = True\n"
             "    def builds_to_order(self, build):\n"
             "        return ['v1', 'v2']\n"
             "    def publish(self, build):\n"
             "        seen = {'report': build.report, 'earlier': list(build.earlier), 'texts': dict(build.texts),\n"
             "                'order': list(build.order), 'requests': [r.id for r in build.requests]}\n"
             "        target = self.context.root.parent / (build.report['build'] + '.json')\n"
             "        target.write_text(json.dumps(seen), encoding='utf-8')\n"
             "        return [f'recorder: {target.name}']\n"
             "def register(registry):\n"
             "    registry.publisher('recorder', Recorder)\n")


_HISTORY = [{"commit": "init"}, {"tag": "v1"}, {"commit": "Dark mode\n\nFixes #1", "author": "frank"}, {"tag": "v2"},
            {"commit": "Export (#7)\n\nFixes #2"}, {"commit": "Chore"}, {"tag": "v3"}]
_REQUESTS = [{"id": "1", "title": "Dark mode", "author": "alice", "voters": ["bob"]},
             {"id": "2", "title": "Export", "author": "carol", "voters": ["dave", "erin"]},
             {"id": "3", "title": "Sync", "author": "erin"}]


def test_a_third_party_publisher_receives_plain_json_ready_data(
        fresh_registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_repo: Any) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    _third_party_publisher(site)
    monkeypatch.syspath_prepend(str(site))
    repo, _ = make_repo(_HISTORY, config="publish: [recorder]\n", requests=_REQUESTS)
    result = invoke(["--repo", str(repo), "--issues", "local", "release", "v3"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "wrote: local: mark #2 shipped in v3\nwrote: recorder: v3.json\n"
    seen = json.loads((repo.parent / "v3.json").read_text(encoding="utf-8"))  # json.dumps took it as it was
    assert seen["report"] == report_of(repo, "v3")  # the whole report, its changes a plain list
    assert [c["summary"] for c in seen["report"]["changes"]] == ["Chore", "Export (#7)"]
    assert [r["build"] for r in seen["earlier"]] == ["v2", "v1"]  # newest first
    assert seen["earlier"][0]["shipped"][0]["voters"] == ["bob"]
    assert seen["order"] == ["v3", "v2", "v1"] and seen["requests"] == ["1", "2", "3"]
    assert "Export" in seen["texts"]["markdown"] and "@carol" in seen["texts"]["markdown"]


def test_each_format_is_rendered_once_per_release(fresh_registry: None, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, make_repo: Any) -> None:
    """Two publishers and the job summary all use the Markdown changelog: it is rendered once."""
    from tracker.session import Session

    site = tmp_path / "site-packages"
    site.mkdir()
    _third_party_publisher(site)
    monkeypatch.syspath_prepend(str(site))
    repo, _ = make_repo(_HISTORY, config="publish: [changelog-file, recorder]\n", requests=_REQUESTS)
    summary = tmp_path / "summary.md"
    session = Session(repo_path=str(repo), issues_name="local", env={"GITHUB_STEP_SUMMARY": str(summary)},
                      say=lambda text: None)
    session.release("v3")
    assert dict(session.renders) == {("v3", "markdown", "en"): 1}
    text = json.loads((repo.parent / "v3.json").read_text(encoding="utf-8"))["texts"]["markdown"]
    assert text.rstrip("\n") in (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert summary.read_text(encoding="utf-8") == text.rstrip("\n") + "\n"
