"""One content negotiation rule for the site (statboard.negotiation.wants_json), and
the host API's place in the import graph."""

import ast
from pathlib import Path

import pytest
from statboard.negotiation import wants_json

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PACKAGE = Path(__file__).resolve().parents[1] / "site" / "statboard"


@pytest.mark.parametrize(
    "accept, default, other, expected",
    [
        # The counter app: text unless JSON is asked for (values), JSON unless text is (lists).
        (None, False, "text/plain", False),
        ("*/*", False, "text/plain", False),
        ("application/json", False, "text/plain", True),
        ("text/plain;q=0.5, application/json", False, "text/plain", True),
        ("application/json;q=0.5, text/plain", False, "text/plain", False),
        (None, True, "text/plain", True),
        ("text/plain", True, "text/plain", False),
        (BROWSER, True, "text/plain", True),
        # Pages, errors and `/`: JSON unless the client ranks HTML higher.
        (None, True, "text/html", True),
        ("*/*", True, "text/html", True),
        ("application/json, */*;q=0.5", True, "text/html", True),
        (BROWSER, True, "text/html", False),
        ("text/html", True, "text/html", False),
        ("application/xhtml+xml", True, "text/html", False),
        ("text/event-stream", True, "text/html", True),
    ],
)
def test_one_rule_decides_json(accept, default, other, expected):
    assert wants_json(accept, default, other) is expected


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_hosts_never_import_the_host_api():
    for path in (PACKAGE / "hosts").glob("*.py"):
        assert not any(name.startswith("statboard.hostapi") for name in _imports(path)), path


def test_the_host_api_and_auth_have_no_import_circle():
    """Between modules, that is: a package's __init__ wiring its own routes (which
    import its blueprint) is the blueprint pattern, not a circle."""
    modules = {}
    for package in ("hostapi", "auth"):
        for path in (PACKAGE / package).glob("*.py"):
            name = f"statboard.{package}" + ("" if path.stem == "__init__" else f".{path.stem}")
            modules[name] = {m for m in _imports(path) if m.startswith("statboard.")}
    for name, imported in modules.items():
        for other in imported & modules.keys():
            if other != name and not (name.startswith(other + ".") or other.startswith(name + ".")):
                assert name not in modules[other], f"{name} and {other} import each other"
