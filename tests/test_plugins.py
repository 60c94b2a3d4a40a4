"""Plugins: built-ins load without scanning installed packages; others come through entry points."""

from __future__ import annotations

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


def _third_party(root: Path) -> None:
    """An installed distribution with a `tracker.plugins` entry point, as pip would lay it out."""
    (root / "tracker_fake_plugin.py").write_text(
        "from tracker._model import Request\n"
        "class Fake:\n"
        "    def __init__(self, context):\n"
        "        from tracker._grammar import Repository\n"
        "        self.repository = Repository('acme/fake')\n"
        "    def requests(self):\n"
        "        return [Request(id='1', title='From a plugin', author='alice')]\n"
        "    def voters(self, ids):\n"
        "        return {i: ['bob'] for i in ids}\n"
        "    def pulls(self, claims):\n"
        "        return {}\n"
        "    def issue_url(self, request_id):\n"
        "        return None\n"
        "    def close(self):\n"
        "        pass\n"
        "def register(registry):\n"
        "    registry.issue_system('fake', Fake)\n", encoding="utf-8")
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
