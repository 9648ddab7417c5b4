"""Command palette entries that apply to what is on screen now."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.tui.app import FtuiApp


def _shown(text: str) -> str:
    """Server text in a palette line (which Textual reads as markup): escaped twice over."""
    return escape(safe(text, one_line=True))


class FtuiCommands(Provider):
    """Offers only the commands that make sense now (Data commands need an open file)."""

    @property
    def ftui(self) -> FtuiApp:
        return cast("FtuiApp", self.app)

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.ftui
        out: list[tuple[str, str, Callable[[], object]]] = [
            ("Open file…", "Open another JSONL dataset", app.action_open_file),
        ]
        for key, name in (("data", "Data"), ("jobs", "Jobs"), ("chat", "Chat"), ("files", "Files")):
            out.append(
                (
                    f"Go to the {name} tab",
                    f"Switch tabs (key {'1234'['data jobs chat files'.split().index(key)]})",
                    partial(app.action_show_tab, key),
                )
            )
        data = app.data_tab
        if data.is_open:
            out += [
                ("Jump to line…", "Go to a line number", data.action_jump),
                ("Filter examples…", "Show only lines containing some text", data.action_filter),
                ("Toggle problems only", "Show only lines with errors or warnings", data.action_errors_only),
                ("Show findings", "Every error and warning", partial(data.action_show, "findings")),
                ("Show stats and cost", "Token distributions and the estimate", partial(data.action_show, "stats")),
                ("Toggle raw JSON", "Raw JSON of the selected example", data.action_raw),
            ]
        out += self._jobs_commands() + self._chat_commands() + self._files_commands()
        return out

    def _files_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """The Files tab's actions that apply now (a selected file or model for most)."""
        app = self.ftui
        files = app.files_tab
        if app.provider is None:
            return []

        def in_files(action: Callable[[], object]) -> Callable[[], object]:
            def run() -> None:
                app.action_show_tab("files")
                action()

            return run

        models = files.mode == "models"
        out: list[tuple[str, str, Callable[[], object]]] = [
            (
                "Files: show the files" if models else "Files: fine-tuned models and checkpoints",
                "Switch the Files tab's list (key m)",
                in_files(files.action_toggle_models),
            ),
            ("Files: refresh", "List the provider's files (and models) now", in_files(files.action_refresh)),
        ]
        if not files.busy:
            out.append(
                (
                    "Export everything…",
                    "Every file, job, event, checkpoint and model into a folder, with manifest.json (asks where)",
                    in_files(files.action_export),
                )
            )
        if files.check_action("upload", ()):
            out.append(
                (
                    "Files: upload a file…",
                    "Checked locally first; duplicates offered for reuse",
                    in_files(files.action_upload),
                )
            )
        item = files.selected
        if item is None:
            return out
        name = _shown(item.id)
        if files.check_action("download", ()):
            out.append((f"Files: download {name}…", "Save it to a file (asks where)", in_files(files.action_download)))
            out.append(
                (
                    f"Files: open {name} in the Data tab",
                    "A local copy, checked like any dataset",
                    in_files(files.action_open_local),
                )
            )
        if files.check_action("delete", ()):
            out.append((f"Files: delete {name}…", "Asks first", in_files(files.action_delete)))
        out.append((f"Files: copy {name}", "To the clipboard (key y)", files.action_copy))
        return out

    def _jobs_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.ftui
        jobs = app.jobs_tab
        if app.provider is None:
            return []
        out: list[tuple[str, str, Callable[[], object]]] = [
            ("New fine-tuning job…", "Check, price and start a job from the open dataset", jobs.action_new_job),
            ("Refresh jobs", "List the provider's jobs now", jobs.action_refresh),
        ]
        job = jobs.model.current_job
        if job is not None:
            name = _shown(f"{job.id} ({job.status})")
            for action, label, words in (
                ("cancel", "Cancel job", "stop it for good"),
                ("pause", "Pause job", "stop training for now"),
                ("resume", "Resume job", "carry on training"),
            ):
                if jobs.check_action("control", (action,)):
                    out.append(
                        (
                            f"{label} {_shown(job.id)}",
                            f"{name}: {words} (asks first)",
                            partial(jobs.action_control, action),
                        )
                    )
            if job.result_files:
                out.append(("Save results CSV…", f"{name}: write its results to a file", jobs.action_save_results))
            if job.fine_tuned_model:
                out.append(("Chat with the fine-tuned model", _shown(job.fine_tuned_model), jobs.action_open_in_chat))
        return out

    def _chat_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        chat = self.ftui.chat_tab

        def in_chat(action: Callable[[], object]) -> Callable[[], object]:
            def run() -> None:
                self.ftui.action_show_tab("chat")
                action()

            return run

        out: list[tuple[str, str, Callable[[], object]]] = [
            ("Chat: pick the model…", f"Now {_shown(chat.models[0])}", in_chat(partial(chat.action_pick_model, 0))),
            (
                "Chat: compare with another model…",
                "Send each message to two models",
                in_chat(partial(chat.action_pick_model, 1)),
            ),
            ("Chat: settings…", "System prompt, temperature, max tokens", in_chat(chat.action_settings)),
        ]
        if chat.exchanges:
            out.append(("Chat: new conversation", "Start over (the models stay)", in_chat(chat.action_new_chat)))
            if chat.check_action("save", ()):
                out.append(
                    (
                        "Chat: save the last exchange as an example…",
                        "Append it to a dataset as a training example",
                        in_chat(chat.action_save),
                    )
                )
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
