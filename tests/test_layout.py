"""The layout rule of docs/architecture.md, checked on the source itself: dependencies point one
way (nn ← train ← {explain, files, estimators, distributed, onnx} ← cli; data beside nn)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import glassnet

ROOT = Path(glassnet.__file__).parent

# room -> the rooms it may import (besides itself and the shared top-level modules)
ALLOWED = {
    "nn": set(),
    "data": set(),
    "train": {"nn", "data"},
    "explain": {"nn", "data", "train", "files"},
    "files": {"nn", "data", "train"},
    "estimators": {"nn", "data", "train"},
    "distributed": {"nn", "data", "train"},
    "onnx": {"nn", "data", "train", "files"},
    "cli": {"nn", "data", "train", "explain", "files", "estimators", "distributed", "onnx"},
}
SHARED = {"errors", "backend", "version", "limits"}  # imported by every room; they import no room


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "glassnet" else None


def imports_of(path: Path) -> set[str]:
    """Every glassnet module a file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "glassnet":
                found.update(f"glassnet.{alias.name}" for alias in node.names)
            elif node.module.startswith("glassnet."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("glassnet."))
    return found


def sources():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        room = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.stem == "onnx" else None
        if room in ALLOWED:
            yield pytest.param(path, room, id=str(rel))


@pytest.mark.parametrize(("path", "room"), list(sources()))
def test_imports_point_one_way(path, room):
    for module in imports_of(path):
        target = room_of(module)
        if target is None or target == room or target in SHARED:
            continue
        assert target in ALLOWED[room], f"{path.relative_to(ROOT)} imports {module}: {room} may " \
                                        f"import only {sorted(ALLOWED[room]) or 'nothing above it'}"


def test_shared_modules_import_no_room():
    for name in ("errors.py", "backend.py", "limits.py"):
        rooms = {room_of(m) for m in imports_of(ROOT / name)} - SHARED - {None}
        assert not rooms, f"{name} imports {rooms}"


def test_no_module_over_350_lines_and_no_crowded_folder():
    for path in ROOT.rglob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 350, path
    for folder in [ROOT, *(p for p in ROOT.rglob("*") if p.is_dir() and p.name != "__pycache__")]:
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= 15, folder
