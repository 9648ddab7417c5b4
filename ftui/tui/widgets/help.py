"""Help for what has the focus, over the app: every word readable at 80x24 (it scrolls), and
every key that works there listed.

The help text is the focused widget's own ``HELP`` first, then each container's around it
(the view, then its tab), then the app's: what you look at is described before what holds it.
"""

from __future__ import annotations

from textwrap import dedent
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget

from ftui.tui.widgets.fit_footer import FitFooter

if TYPE_CHECKING:
    from textual.screen import Screen


def _shown(widget: Widget) -> bool:
    return all(node.display and node.visible for node in widget.ancestors_with_self if isinstance(node, Widget))


def help_text(screen: Screen) -> str:
    """Markdown for the focused widget of ``screen``: its help, its containers', the app's, then its keys."""
    focused = screen.focused
    parts: list[str] = []
    nodes = list(focused.ancestors_with_self) if focused is not None else [screen]
    for node in nodes:
        text = getattr(node, "HELP", None)
        if node is screen.app or not text or (isinstance(node, Widget) and not _shown(node)):
            continue
        text = dedent(text).strip()
        if text not in parts:
            parts.append(text)
    app_help = dedent(screen.app.HELP or "").strip()
    if app_help and app_help not in parts:
        parts.append(app_help)
    keys: list[str] = []
    seen: set[tuple[str, str]] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        what = binding.tooltip or binding.description
        if not what or not active.enabled or (binding.action, what) in seen:
            continue
        seen.add((binding.action, what))
        keys.append(f"- `{screen.app.get_key_display(binding)}` {what}")
    if keys:
        parts.append("## Keys here\n" + "\n".join(keys))
    return "\n\n".join(parts)


class HelpPanel(VerticalScroll, can_focus=True):
    """The help text; it holds the focus, so the arrows, `j`/`k` and the page keys scroll it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Scroll", key_display="j/k", id="help.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="help.up"),
        Binding("space,pagedown,ctrl+d", "page_down", "Page down", show=False, id="help.page_down"),
        Binding("b,pageup,ctrl+u", "page_up", "Page up", show=False, id="help.page_up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="help.top"),
        Binding("G,end", "scroll_end", "End", show=False, id="help.end"),
    ]


class HelpScreen(ModalScreen[None]):
    """The help for what had the focus when `?` / F1 was pressed; `?`, F1 or Esc closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,f1", "close", "Close help", key_display="Esc", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: right top; background: $background 40%; }
    HelpScreen HelpPanel {
        width: 62%; min-width: 48; max-width: 90; height: 1fr;
        background: $panel; border-left: vkey $accent; padding: 0 1;
    }
    HelpScreen HelpPanel Markdown { margin: 0; padding: 0; background: $panel; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # (markdown-it: loaded with the first help, not at start)

        with HelpPanel(id="help-panel"):
            yield Markdown(self.text, id="help-text")
        yield FitFooter()

    def on_mount(self) -> None:
        self.query_one(HelpPanel).focus()

    def action_close(self) -> None:
        self.dismiss(None)
