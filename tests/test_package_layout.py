"""The package's shape: small modules, a short top level, no import cycles, tests mirroring it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ogpreview
from tests.conftest import ROOT

PACKAGE = ROOT / "ogpreview"
MAX_MODULE_LINES = 450
MAX_TOP_LEVEL_MODULES = 12
#: The pipeline's stages, each a folder of the package and of the tests.
STAGES = ("fetch", "extraction", "cache", "check", "web")


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The ogpreview modules a module imports, at its top or inside functions alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    """No two modules import each other, directly or through others, lazy imports included.

    A package's own ``__init__`` re-exporting its modules is not an edge back: importing a
    module always runs its parents first, which Python handles.
    """
    graph = {
        name: {
            other
            for other in _imports(path)
            if other != name and not name.startswith(other + ".") and other != "ogpreview"
        }
        for name, path in MODULES.items()
    }
    assert _cycles(graph) == []


def test_cycle_finder_sees_a_cycle() -> None:
    """The cycle finder reports a loop of three (so the test above can fail)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_small(name: str) -> None:
    """Every module stays under the line budget, so its name can say what it holds."""
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines"


def test_top_level_is_short() -> None:
    """At most a dozen modules at the package's top; the stages are folders."""
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    assert all((PACKAGE / stage / "__init__.py").is_file() for stage in STAGES)


def test_tests_mirror_the_stages() -> None:
    """Each stage has its tests folder, and no test module sits in a stage it is not about."""
    assert all((ROOT / "tests" / stage).is_dir() for stage in (*STAGES, "cli"))


def test_every_public_name_imports_from_the_package() -> None:
    """Each name in ``ogpreview.__all__`` is importable from ``ogpreview`` itself."""
    missing = [name for name in ogpreview.__all__ if not hasattr(ogpreview, name)]
    assert missing == []
