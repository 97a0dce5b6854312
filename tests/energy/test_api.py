"""The public surface of `aigrid.energy` and its dependency rule."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ALLOWED_OF_OURS = ("aigrid.model",)


@pytest.mark.parametrize("package", ["aigrid.energy", "aigrid.ledger"])
def test_all_is_sorted_and_every_name_exists(package: str) -> None:
    module = importlib.import_module(package)
    names = module.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(module, name) is not None


@pytest.mark.parametrize("package", ["aigrid.energy", "aigrid.ledger"])
def test_meters_import_only_the_model(package: str) -> None:
    """energy and ledger import aigrid.model, themselves, numpy and the standard library."""
    module = importlib.import_module(package)
    assert module.__file__ is not None
    folder = Path(module.__file__).parent
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            else:
                continue
            for target in targets:
                if target.split(".")[0] != "aigrid":
                    continue
                ok = target.startswith((package, *ALLOWED_OF_OURS))
                assert ok, f"{path.name} imports {target}"
