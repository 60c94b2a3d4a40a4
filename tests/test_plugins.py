"""Plugins: built-ins load without scanning installed packages; others come through entry points."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke

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


def _third_party(root: Path, extra: str = "") -> None:
    """An installed distribution with a `tracker.plugins` entry point, as pip would lay it out.
    It imports only `tracker.hooks` (tests/test_plugin_contract.py checks the built-ins the same way)."""
    (root / "tracker_fake_plugin.py").write_text(FAKE_PLUGIN.replace("EXTRA", extra), encoding="utf-8")
    info = root / "tracker_fake_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tracker-fake-plugin\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[tracker.plugins]\nfake = tracker_fake_plugin:register\n",
                                           encoding="utf-8")


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
