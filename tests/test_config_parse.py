"""The config is parsed once, by libyaml when PyYAML has it, with the same outcome (values,
error messages and their lines) as PyYAML's pure-Python loader."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tracker import _config as config
from tracker._errors import ConfigError

TEXTS = [
    "",
    "# only a comment\n",
    "issues: local\npublish: [changelog-file, site]\nship:\n  label: shipped\n  close: false\n",
    "base: &b {label: shipped}\nship: *b\n",
    "changelog:\n  locale: zh-CN\n  file: docs/CHANGES.md\n",
    "ship:\n  label: shipped\n  label: done\n",  # a key given twice
    "ship:\n  clsoe: false\n",
    "ship: [unclosed\n",
    "publish: site\n",
    "a: b: c\n",
    "ship:\n\tlabel: x\n",
    "requests:\n  labels: [feature-request, '']\n",
    "- a list\n- not a mapping\n",
    "x: &a [*a]\n",
]


def _outcome(text: str) -> Any:
    try:
        return config.parse(text, "tracker.yml")
    except ConfigError as exc:
        return f"error: {exc}"


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
def test_libyaml_parses_each_config_once(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def refuse(self: Any, stream: Any) -> None:
        raise AssertionError("the pure-Python loader was used")

    original = yaml.CSafeLoader.__init__

    def counted(self: Any, stream: Any) -> None:
        made.append(stream)
        original(self, stream)

    monkeypatch.setattr(yaml.SafeLoader, "__init__", refuse)
    monkeypatch.setattr(yaml.CSafeLoader, "__init__", counted)
    parsed = config.parse(TEXTS[2], "tracker.yml")
    assert tuple(parsed.publish) == ("changelog-file", "site")
    assert len(made) == 1


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("text", TEXTS)
def test_libyaml_and_the_pure_loader_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _outcome(text)
    monkeypatch.delattr(yaml, "CSafeLoader")
    assert _outcome(text) == fast
