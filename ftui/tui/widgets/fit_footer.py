"""Textual's footer, but never cut off: keys that do not fit on the line are left out.

At 80 columns a tab's own keys plus the app's (Quit, Help, Open) and the palette key can be
wider than the screen; Textual's footer then clips the last ones mid-word. This one measures
the keys and drops whole keys from the end of the line (the app's, which are listed last),
always keeping Help: `?` lists every key, so nothing is lost for good. Before any key is
dropped, the palette key loses its word ("^p" alone).

Textual's footer rebuilds all its keys (a dozen widgets, styles and layout) on every change of
focus or bindings, often several times for one key press. This one rebuilds at most once per
refresh, and only when what it shows (the keys, their words, enabled or not, the width) changed.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

KEEP_ACTIONS = frozenset({"app.toggle_help", "toggle_help"})  # Help stays whatever the width


def key_width(key: FooterKey, compact: bool) -> int:
    """Cells a footer key takes, margins included (FooterKey's CSS in Textual 8.2)."""
    label = cell_len(key.key_display)
    if key.has_class("-command-palette"):  # docked right: a left border, a right pad unless compact
        return 1 + (label + 1 + cell_len(key.description) if key.description else label) + (0 if compact else 1)
    if not key.description:
        return label + (1 if compact else 2)
    if compact:  # "K D" then a 1-cell margin
        return label + 1 + cell_len(key.description) + 1
    return 1 + label + 1 + cell_len(key.description) + 1  # " K D "


class FitFooter(Footer):
    """A one-line footer that drops keys which do not fit (never Help) instead of clipping them."""

    _shown: tuple[Any, ...] | None = None  # what the keys were built from, last time
    _pending = False  # a rebuild is scheduled for after the next refresh

    def _signature(self) -> tuple[Any, ...]:
        """What the footer would show now: the shown bindings (word, enabled, tip) and the width."""
        bindings = tuple(
            (binding.key, binding.description, binding.action, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )
        return (self.app.size.width, self.compact, self.show_command_palette, bindings)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._pending:
            return
        if self.is_attached and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._pending = False
        if not self.is_attached or self._signature() == self._shown:
            return  # the same keys as on screen: nothing to rebuild
        await self.recompose()

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._signature()
        widgets: list[Widget] = list(super().compose())
        width = self.app.size.width  # docked at the bottom of the screen, full width
        compact = self.compact
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        palette = [w for w in widgets if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        other = sum(1 for w in widgets if not isinstance(w, FooterKey))
        used = sum(key_width(k, compact) for k in keys) + sum(key_width(k, compact) for k in palette)
        dropped: set[int] = set()
        if used > width and not other:  # first the palette key loses its word ("^p" is enough)
            for key in palette:
                before = key_width(key, compact)
                key.description = ""
                used -= before - key_width(key, compact)
        if not other:  # groups (not used by ftui) are left alone
            for key in reversed(keys):
                if used <= width:
                    break
                if key.action in KEEP_ACTIONS:
                    continue
                used -= key_width(key, compact)
                dropped.add(id(key))
            if used > width:  # still too wide: the palette key goes too (ctrl+p still works)
                palette_width = sum(key_width(k, compact) for k in palette)
                dropped.update(id(k) for k in palette)
                used -= palette_width
        yield from (w for w in widgets if id(w) not in dropped)

    def on_resize(self, event: Resize) -> None:
        if event.size.width != getattr(self, "_fit_width", None):
            self._fit_width = event.size.width
            if not self._pending:
                self._pending = True
                self.call_after_refresh(self._rebuild)
