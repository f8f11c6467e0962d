"""The shape of the code that the conventions in CONTRIBUTING.md promise: features reach
pages only through its door, pages and the infrastructure import no feature, and no
module imports one that imports it back."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "site" / "statboard"
FEATURES = {
    *("images", "series", "hosts", "hostapi", "counters"),
    *("metrics", "badges", "embeds", "openapi", "backup", "alerts"),
}
INFRASTRUCTURE = {
    *("notify", "tasks", "storage", "errors", "extensions", "models_base", "htmx"),
    *("settings", "checks", "health", "assets", "networks", "sqlite_writers"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path, top_level_only: bool) -> set[str]:
    """The statboard modules a file imports (all of them, or only at module level)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("statboard"):
                found.add(node.module)
                # `from statboard.pages import blocks` imports the module pages.blocks
                names = (f"{node.module}.{alias.name}" for alias in node.names)
                found.update(name for name in names if name in MODULES)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("statboard"))
    return found


def area(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


@pytest.mark.parametrize("module", sorted(m for m in MODULES if area(m) in FEATURES))
def test_features_reach_pages_only_through_its_door(module):
    reached = {m for m in imports(MODULES[module], False) if area(m) == "pages"}
    assert reached <= {"statboard.pages", "statboard.pages.blocks"}, reached


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if area(m) in INFRASTRUCTURE | {"pages"})
)
def test_pages_and_the_infrastructure_import_no_feature(module):
    reached = {m for m in imports(MODULES[module], False) if area(m) in FEATURES}
    assert not reached, f"{module} imports {sorted(reached)}"


def test_no_module_imports_one_that_imports_it_back():
    graph = {
        name: {m for m in imports(path, True) if m in MODULES and m != name}
        for name, path in MODULES.items()
    }
    # A package's __init__ that a submodule imports `bp` from is not a circle unless
    # the __init__ imports the submodule back at module level, which the graph shows.
    circles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert not circles, circles[:5]
