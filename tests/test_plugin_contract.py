"""The closed plugin contract: plugins import `tracker.hooks` and nothing else of `tracker`,
and everything `tracker.hooks` exports is there and documented."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from tracker import hooks

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_FILES = sorted((ROOT / "plugins").glob("tracker_*/**/*.py"))


def private_imports(source: str) -> list[str]:
    """Every import of a `tracker` module other than `tracker.hooks` in `source`, as written
    (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names
                      if (a.name == "tracker" or a.name.startswith("tracker.")) and a.name != "tracker.hooks"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module == "tracker":
                found += [f"from tracker import {a.name}" for a in node.names if a.name != "hooks"]
            elif node.module.startswith("tracker.") and node.module != "tracker.hooks":
                found.append(f"from {node.module} import {', '.join(a.name for a in node.names)}")
    return found


def test_the_check_sees_every_way_to_reach_a_private_module() -> None:
    source = ("import tracker.render\nfrom tracker.links import Repository\nfrom tracker import views, hooks\n"
              "import tracker\nfrom tracker.hooks import Request\nimport tracker.hooks\nimport tracker_github\n"
              "def later():\n    from tracker._store import Store\n")
    assert private_imports(source) == ["import tracker.render", "from tracker.links import Repository",
                                       "from tracker import views", "import tracker",
                                       "from tracker._store import Store"]


def test_there_are_plugins_to_check() -> None:
    assert {path.parent.name for path in PLUGIN_FILES} == {"tracker_files", "tracker_github", "tracker_gitlab",
                                                           "tracker_local"}


@pytest.mark.parametrize("path", PLUGIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_builtin_plugin_imports_only_hooks(path: Path) -> None:
    assert private_imports(path.read_text(encoding="utf-8")) == []


def test_the_third_party_plugin_of_the_tests_imports_only_hooks() -> None:
    from test_plugins import FAKE_PLUGIN

    assert "tracker.hooks" in FAKE_PLUGIN and private_imports(FAKE_PLUGIN.replace("EXTRA", "")) == []


def _comment_at(name: str) -> bool:
    """Does the line that binds `name` in hooks.py (an assignment or an import) carry a comment,
    or follow one?"""
    source = Path(hooks.__file__).read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        at: list[int] = []  # the lines that bind it
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            at = [node.lineno for t in targets if isinstance(t, ast.Name) and t.id == name]
        elif isinstance(node, ast.ImportFrom):
            at = [a.lineno for a in node.names if (a.asname or a.name) == name]
        if any("#" in lines[n - 1] or lines[n - 2].strip().startswith("#") for n in at):
            return True
    return False


@pytest.mark.parametrize("name", hooks.__all__)
def test_every_export_exists_and_is_documented(name: str) -> None:
    value = getattr(hooks, name)  # lazy names load here
    if inspect.isclass(value) or inspect.isfunction(value):
        doc = value.__doc__ or ""
        # A dataclass without a docstring gets its signature as one: that documents nothing.
        assert doc.strip() and not doc.startswith(f"{value.__name__}("), f"{name} has no docstring"
    else:  # a constant or a type alias: a comment where hooks.py binds it
        assert _comment_at(name), f"{name} is not documented where tracker.hooks binds it"


def test_hooks_loads_without_rendering_or_the_code_host_base() -> None:
    """`tracker --help` and the early `git log` must not pay for jinja2 (nor for what no command asked)."""
    import subprocess
    import sys

    code = ("import sys, tracker.hooks; heavy = {'jinja2', 'tracker.render', 'tracker._hosting', 'tracker._codehost',"
            " 'tracker._hostwriters',"
            " 'tracker._store', 'sqlite3'} & set(sys.modules); assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
