"""The import rules of DESIGN.md, checked on the source.

- The dataset core, the provider layer, the sandbox and the session never import Textual
  (or anything under ``ftui.tui``).
- The provider layer never imports the sandbox: one place (``ftui.connect``) picks the
  provider and starts the sandbox.
- A tab never imports another tab: tabs share the session and talk through messages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ftui"
FEATURES = ("data", "jobs", "chat", "files")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def _offenders(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted(folder.rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(PACKAGE)}: {name}")
    return out


@pytest.mark.parametrize("layer", ["data", "provider", "sandbox", "session"])
def test_layer_does_not_import_the_ui(layer: str) -> None:
    assert _offenders(PACKAGE / layer, ("textual", "ftui.tui")) == []


def test_the_provider_layer_does_not_know_the_sandbox() -> None:
    assert _offenders(PACKAGE / "provider", ("ftui.sandbox",)) == []


@pytest.mark.parametrize("feature", [f for f in FEATURES if (PACKAGE / "tui" / f).is_dir()])
def test_a_tab_does_not_import_another_tab(feature: str) -> None:
    others = tuple(f"ftui.tui.{f}" for f in FEATURES if f != feature)
    assert _offenders(PACKAGE / "tui" / feature, others) == []


def test_the_provider_layer_does_not_know_who_starts_it() -> None:
    assert _offenders(PACKAGE / "provider", ("ftui.connect", "ftui.commands", "ftui.tui")) == []


def test_the_sandbox_does_not_import_the_provider_layer() -> None:
    assert _offenders(PACKAGE / "sandbox", ("ftui.provider", "ftui.connect")) == []


@pytest.mark.parametrize("feature", [f for f in FEATURES if (PACKAGE / "tui" / f).is_dir()])
def test_a_tab_does_not_reach_into_the_app_or_other_tabs(feature: str) -> None:
    """Tabs get the session when they are made and post messages; they never import the app
    (only its messages) nor find another tab through it."""
    folder = PACKAGE / "tui" / feature
    assert _offenders(folder, ("ftui.tui.app",)) == []
    reaching = [
        f"{path.relative_to(PACKAGE)}: {word}"
        for path in sorted(folder.rglob("*.py"))
        for word in ("data_tab", "jobs_tab", "chat_tab", "files_tab")
        if f".{word}" in path.read_text()
    ]
    assert reaching == []
