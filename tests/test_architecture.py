"""The import rule: the dataset core, provider layer and sandbox never import Textual."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ftui"


@pytest.mark.parametrize("layer", ["data", "provider", "sandbox"])
def test_layer_does_not_import_the_ui(layer: str) -> None:
    offenders = []
    for path in (PACKAGE / layer).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] == "textual" or name.startswith("ftui.tui"):
                    offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert offenders == []
