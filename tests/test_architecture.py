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


def _imports(layer: str) -> list[tuple[str, str]]:
    """(file, imported module) for every import in a layer, including ones inside functions."""
    out = []
    for path in (PACKAGE / layer).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out += [(str(path.relative_to(PACKAGE)), a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                out.append((str(path.relative_to(PACKAGE)), node.module))
    return out


def test_provider_does_not_import_the_sandbox() -> None:
    """The real client must not know the fake server exists: ftui.connect picks and starts it."""
    offenders = [f"{f}: {m}" for f, m in _imports("provider") if m == "ftui.sandbox" or m.startswith("ftui.sandbox.")]
    offenders += [f"{f}: {m}" for f, m in _imports("provider") if m in ("ftui.connect", "ftui.commands", "ftui.tui")]
    assert offenders == []


def test_sandbox_does_not_import_the_provider_layer() -> None:
    offenders = [f"{f}: {m}" for f, m in _imports("sandbox") if m.startswith(("ftui.provider", "ftui.connect"))]
    assert offenders == []
