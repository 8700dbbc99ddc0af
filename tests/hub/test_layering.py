"""The layers point one way, web -> federation -> hub: checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUB_FORBIDDEN = {"starlette", "httpx", "aiohttp", "web", "federation", "causeway"}
FEDERATION_FORBIDDEN = {"web", "causeway"}
WEB_FORBIDDEN = {"causeway"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import statement in a file, wherever it appears."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(package: str, forbidden: set[str], root: Path = ROOT) -> list[str]:
    """``path:line imports module`` for every import of a forbidden top-level package under ``root/package``."""
    out = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.split(".", 1)[0] in forbidden:
                out.append(f"{path.relative_to(root)}:{line} imports {module}")
    return out


def test_hub_imports_no_web_federation_or_http_library() -> None:
    """No module under hub/ imports starlette, httpx, aiohttp, web or federation."""
    assert list((ROOT / "hub").rglob("*.py")), "hub/ has no modules: the check would be vacuous"
    assert violations("hub", HUB_FORBIDDEN) == []


def test_federation_does_not_import_web() -> None:
    """No module under federation/ imports web (or the composition root)."""
    assert violations("federation", FEDERATION_FORBIDDEN) == []


def lazy_command_modules(path: Path = ROOT / "causeway" / "cli.py") -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The ``LAZY`` table of the composition root: the command modules it imports when a command names them."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "LAZY":
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} has no LAZY table")


def test_only_the_composition_root_imports_every_layer() -> None:
    """No layer imports causeway, the application that composes them (its command line)."""
    assert violations("web", WEB_FORBIDDEN) == []
    imported = {module.split(".")[0] for path in (ROOT / "causeway").rglob("*.py") for _, module in imported_modules(path)}
    imported_when_named = {module.split(".")[0] for module, _ in lazy_command_modules()}  # imported on demand
    assert imported | imported_when_named >= {"hub", "federation", "web"}


def test_checker_sees_nested_and_aliased_imports(tmp_path: Path) -> None:
    """The checker catches imports inside functions, dotted and aliased imports, and ignores relative ones."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text(
        "from . import sibling\nimport os\n"
        "def f():\n    import starlette.responses as r\n    from web.app import create_app\n"
    )
    assert violations("pkg", HUB_FORBIDDEN, root=tmp_path) == ["pkg/mod.py:4 imports starlette.responses", "pkg/mod.py:5 imports web.app"]
