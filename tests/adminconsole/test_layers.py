"""Every module of the apps sits in one layer of the import-linter contract (pyproject.toml).

``lint-imports`` (run by ``make test``) checks imports between the modules a layer names; a
module no layer names would escape it. A new module is placed in its layer when it is added.
"""

from __future__ import annotations

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

