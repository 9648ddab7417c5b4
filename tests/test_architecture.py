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


def test_every_tab_folder_exists() -> None:
    """The per-tab rules above are parametrized over the folders that exist: all four must."""
    assert [f for f in FEATURES if not (PACKAGE / "tui" / f).is_dir()] == []


def _top_level_imports(path: Path) -> list[str]:
    """Imports run when the module loads (not those inside functions or under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("module", ["tui/files", "provider/files.py", "provider/models.py"])
def test_the_files_tab_loads_no_sdk_until_it_talks_to_the_provider(module: str) -> None:
    """The Files tab is built with the first screen: it and the provider modules it calls import
    the openai SDK (and the provider's client) where they use them, never when they load."""
    target = PACKAGE / module
    paths = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    heavy = ("openai", "httpx", "aiohttp", "ftui.provider.client", "ftui.connect", "ftui.sandbox")
    loaded = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in paths
        for name in _top_level_imports(path)
        if any(name == h or name.startswith(h + ".") for h in heavy)
    ]
    assert loaded == []


def test_every_binding_of_the_files_tab_has_an_id() -> None:
    """Keys can be remapped by binding id (the [keymap] of config.toml): none may lack one."""
    missing = []
    for path in sorted((PACKAGE / "tui" / "files").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            is_binding = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding"
            if is_binding and not any(k.arg == "id" for k in node.keywords):
                missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert missing == []


def test_only_the_provider_layer_imports_the_openai_sdk() -> None:
    """The CLI and the tabs ask ``ftui.provider`` (errors.is_not_found, client.sandbox_client, …)."""
    outside = [p for p in PACKAGE.iterdir() if p.name != "provider"]
    offenders = []
    for item in outside:
        if item.is_dir():
            offenders += _offenders(item, ("openai",))
        elif item.suffix == ".py":
            offenders += [f"{item.name}: {n}" for n in _imports(item) if n == "openai" or n.startswith("openai.")]
    assert offenders == []
