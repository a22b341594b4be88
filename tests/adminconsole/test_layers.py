"""Every module of the apps sits in one layer of the import-linter contract (pyproject.toml).

``lint-imports`` (run by ``make test``) checks imports between the modules a layer names; a
module no layer names would escape it. A new module is placed in its layer when it is added.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _layered() -> set[str]:
    names = set()
    for contract in _config()["contracts"]:
        if contract["type"] != "layers":
            continue
        for layer in contract["layers"]:
            names.update(name.strip().strip("()") for name in re.split(r"[:|]", layer))
    return names


def _modules() -> set[str]:
    found = set()
    for package in _config()["root_packages"]:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or parts[-1] == "__init__":
                continue
            found.add(".".join(parts))
    return found


def test_every_module_is_in_a_layer():
    layered = _layered()

    def placed(module: str) -> bool:
        parts = module.split(".")
        return any(".".join(parts[:i]) in layered for i in range(1, len(parts) + 1))

    assert sorted(m for m in _modules() if not placed(m)) == []



# Attributes only the ORM offers: a face (or face helper) that names one queries the database
# itself instead of calling its app's selectors (reads) and services (writes).
ORM_ATTRIBUTES = {"objects", "_default_manager", "select_related", "prefetch_related", "select_for_update", "refresh_from_db"}


def _layer_modules(index: int) -> set[str]:
    layer = _config()["contracts"][0]["layers"][index]
    return {name.strip() for name in re.split(r"[:|]", layer)}


def _layer_files(names: set[str]) -> list[Path]:
    files = []
    for name in names:
        path = ROOT.joinpath(*name.split("."))
        if path.is_dir():
            files += [f for f in path.rglob("*.py") if "migrations" not in f.parts]
        elif path.with_suffix(".py").exists():
            files.append(path.with_suffix(".py"))
    return sorted(files)


def _orm_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ORM_ATTRIBUTES
    ]


def test_faces_and_face_helpers_never_query_the_orm():
    files = _layer_files(_layer_modules(1) | _layer_modules(2))  # faces, face helpers
    assert len(files) > 50  # the layer strings were read (an empty scan would pass anything)
    found = [use for path in files for use in _orm_uses(path)]
    assert found == []


def test_the_orm_scan_finds_a_query():
    """The scan itself: a module that reads through a manager is caught."""
    sample = ROOT / "realms" / "selectors.py"
    assert any(".objects" in use for use in _orm_uses(sample))
