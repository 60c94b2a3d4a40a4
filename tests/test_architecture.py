"""The import graph of `tracker/` follows the pipeline it implements (docs/architecture.md).

collect → link → decide → credit → report → render → publish: a stage may import the
stages before it (their data flows to it) and the shared foundation, never a later stage,
and nothing below the session imports the session or the entry points. Read from the AST,
imports inside functions and under `TYPE_CHECKING` included: a lazy import is still an edge.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tracker"

# In pipeline order; each stage's modules (private helpers included).
STAGES: list[tuple[str, set[str]]] = [
    ("collect", {"collect", "_earlier", "_copies", "_git", "_builds", "_otherlines", "_authors", "_linkindex", "_scan",
                 "_shas", "_ids"}),
    ("link", {"link"}),
    ("decide", {"decide"}),
    ("credit", {"credit", "_builders"}),
    ("report", {"report"}),
    ("render", {"render", "_notes", "_views", "_locales"}),
    ("publish", {"publish", "_plugins", "_extras", "_output", "_actions"}),
]
SESSION = {"session"}
ENTRY = {"cli", "early", "__main__", "demo"}
# The plugin surface: it re-exports from every stage, and is exempt from their order.
CONTRACT = {"hooks"}


def _module_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0]  # tracker/cli/x.py belongs to `cli`


def _imports(path: Path) -> set[str]:
    """The top-level `tracker` modules `path` imports, wherever in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "tracker":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("tracker."))
    return found


@cache
def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = _module_of(path)
        graph.setdefault(module, set()).update(_imports(path) - {module, "__version__"})
    return graph


def _layer(module: str) -> int | None:
    for rank, (_, members) in enumerate(STAGES):
        if module in members:
            return rank
    return None


def test_every_module_has_a_place() -> None:
    """A new module is put in a stage, the foundation, or the session/entry layer on purpose."""
    placed = set().union(*(members for _, members in STAGES), SESSION, ENTRY, CONTRACT)
    foundation = {m for m in _graph() if m not in placed}
    assert all(m.startswith("_") for m in foundation), sorted(m for m in foundation if not m.startswith("_"))


@pytest.mark.parametrize("module", sorted(_graph()))
def test_no_edge_to_a_later_stage_or_back_to_the_session(module: str) -> None:
    graph = _graph()
    rank = _layer(module)
    for target in sorted(graph[module]):
        if module in ENTRY or module in CONTRACT:
            continue
        assert target not in ENTRY, f"{module} imports the entry point {target}"
        if module in SESSION:
            continue
        assert target not in SESSION, f"{module} (a stage) imports the session"
        target_rank = _layer(target)
        if rank is None:  # the foundation: shared by all stages, so it imports none of them
            assert target_rank is None, f"foundation module {module} imports stage module {target}"
        elif target_rank is not None:
            assert target_rank <= rank, \
                f"{module} ({STAGES[rank][0]}) imports {target} ({STAGES[target_rank][0]}), a later stage"


def test_the_graph_is_read() -> None:
    """The test sees real edges (a parse that found nothing would pass everything)."""
    graph = _graph()
    assert "_scan" in graph["collect"] and "decide" in graph["report"] and "collect" in graph["credit"]
