"""Command palette entries that apply to what is on screen now."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class FtuiCommands(Provider):
    """Offers only the commands that make sense now (Data commands need an open file)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        out: list[tuple[str, str, Callable[[], object]]] = [
            ("Open file…", "Open another JSONL dataset", app.action_open_file),  # type: ignore[attr-defined]
        ]
        for key, name in (("data", "Data"), ("jobs", "Jobs"), ("chat", "Chat"), ("files", "Files")):
            out.append(
                (
                    f"Go to the {name} tab",
                    f"Switch tabs (key {'1234'['data jobs chat files'.split().index(key)]})",
                    partial(app.action_show_tab, key),
                )
            )  # type: ignore[attr-defined]
        data = app.data_tab  # type: ignore[attr-defined]
        if data.is_open:
            out += [
                ("Jump to line…", "Go to a line number", data.action_jump),
                ("Filter examples…", "Show only lines containing some text", data.action_filter),
                ("Toggle problems only", "Show only lines with errors or warnings", data.action_errors_only),
                ("Show findings", "Every error and warning", partial(data.action_show, "findings")),
                ("Show stats and cost", "Token distributions and the estimate", partial(data.action_show, "stats")),
                ("Toggle raw JSON", "Raw JSON of the selected example", data.action_raw),
            ]
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
