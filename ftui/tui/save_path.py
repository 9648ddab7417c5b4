"""Asking where to save a download: a path, then "Replace the file?" when one is there.

One rule for every save (Files tab downloads, the Jobs tab's results CSV): the confirm's
"Back (Esc)" goes back to the path as typed, never ends the save.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App

from ftui.data.atomic import cannot_write
from ftui.tui.widgets.dialogs import AskScreen, ConfirmScreen


def ask_save_path(
    app: App,
    title: str,
    prompt: str,
    default: str,
    then: Callable[[Path], None],
    problem: Callable[[str], None],
) -> None:
    """Ask for a path; ``then(path)`` once it can be written (and, when it exists, replacing it is
    confirmed); ``problem(why)`` when it cannot be written. Esc at the path ends it."""

    def chosen(value: str | None) -> None:
        if not value:
            return
        dest = Path(value).expanduser()
        if (why := cannot_write(dest)) is not None:
            problem(why)
            return
        if dest.exists():

            def replace(ok: bool | None) -> None:
                if ok:
                    then(dest)
                else:  # "Back": the path again, as typed
                    app.push_screen(AskScreen(title, prompt, value), chosen)

            app.push_screen(ConfirmScreen("Replace the file?", f"{dest} exists. Replace it?", "Replace"), replace)
            return
        then(dest)

    app.push_screen(AskScreen(title, prompt, default), chosen)
