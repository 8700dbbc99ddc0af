"""Tests mirror the tree: every module of federation/ is imported by a test module of its own folder."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("federation", "causeway")
"""Packages whose every module must be imported by ``tests/<its folder>/test_*.py``."""


def imported_names(path: Path) -> set[str]:
    """Every module (and ``module.name``) a file imports with an absolute import."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def untested(package: str, root: Path = ROOT) -> list[str]:
    """Modules of ``package`` that no ``test_*.py`` in the mirrored tests folder imports."""
    missing = []
    for source in sorted((root / package).rglob("*.py")):
        if source.name in ("__init__.py", "__main__.py"):
            continue
        relative = source.relative_to(root)
        module = ".".join(relative.with_suffix("").parts)
        folder = root / "tests" / relative.parent
        tests = folder.glob("test_*.py") if folder.is_dir() else []
        if not any(module in imported_names(test) for test in tests):
            missing.append(str(relative))
    return missing


def test_every_federation_module_has_a_test_in_its_folder():
    """federation/features/posts.py is imported by tests/federation/features/test_*.py, and so on for every module."""
    for package in LAYERS:
        assert list((ROOT / package).rglob("*.py")), f"{package}/ has no modules: the check would be vacuous"
        assert untested(package) == [], package


def test_the_check_sees_a_module_without_a_test(tmp_path: Path):
    """A module imported only from another folder's tests counts as untested; a from-import of it counts as tested."""
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "a.py").write_text("")
    (tmp_path / "pkg" / "b.py").write_text("")
    (tmp_path / "tests" / "pkg").mkdir(parents=True)
    (tmp_path / "tests" / "pkg" / "test_b.py").write_text("from pkg import b\nimport pkg.sub.a\n")
    assert untested("pkg", root=tmp_path) == ["pkg/sub/a.py"]
