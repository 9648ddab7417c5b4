"""The Chat tab: talk to a model (or two at once), with streaming replies and their numbers.

Reply workers stream from the provider and post messages; the handlers own the
conversation (one message track per compared model) and redraw a few times a second.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Static

from ftui.data.catalog import load_catalog
from ftui.provider.chat import ChatResult
from ftui.textsafe import safe
from ftui.tui.app_messages import DatasetAppended, Notice
from ftui.tui.chat.dialogs import ChatSettings, ChatSettingsScreen, SaveExampleScreen
from ftui.tui.chat.messages import JobSystem, ModelsKnown, ReplyChunk, ReplyDone, ReplyFailed
from ftui.tui.chat.model_picker import OFF, ModelPickerScreen
from ftui.tui.chat.views import ExchangeView, PromptBox, ReplyPane
from ftui.tui.layout import set_width_classes

if TYPE_CHECKING:
    from ftui.session import Session

PLACEHOLDER = "Message · Enter sends · Esc leaves the box · alt+1–4 tabs · ↑ history"
PLACEHOLDER_MULTILINE = "Message · ctrl+j sends · Enter: new line · Esc leaves · alt+1–4 tabs"
LEAVE = "Esc leaves the box (then 1–4 switch tabs; alt+1–4 also work while typing)."
HINT = f"Type a message below and press Enter. ctrl+l picks the model, ctrl+b compares two. {LEAVE}"
HINT_MULTILINE = f"Type a message below and press ctrl+j. ctrl+l picks the model, ctrl+b compares two. {LEAVE}"
DATASET_SOURCE = "the open dataset's most common"
LIST_MODELS = "Listing the provider's models"  # the app reads this list's failure as "not connected"


class ChatTab(Widget, can_focus=False):
    """One conversation; compare mode sends each prompt to two models at once."""

    HELP = """
## Chat
Type a message; `Enter` sends (`ctrl+t` switches to multi-line, where `Enter` starts a new line
and `ctrl+j` sends). `↑`/`↓` in the box walk through what you sent. `Esc` stops a reply; with no
reply streaming it leaves the box so `1`–`4` and `q` work again (`i` or `Enter` goes back).

`ctrl+l` picks the model, `ctrl+b` picks a second model to compare with (or turns compare off),
`ctrl+g` edits the system prompt, temperature and max tokens (`ctrl+s` applies them there),
`ctrl+s` saves the last exchange as a training example in a dataset, `ctrl+n` starts a new
conversation.
"""

    # The footer must fit 80 columns in every state (with f1/q, ?, ^o and the palette key):
    # settings and new chat are show=False; the F1 help and the palette have them.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "pick_model(0)", "Model", id="chat.model"),
        Binding("ctrl+b", "pick_model(1)", "Compare", id="chat.compare"),
        Binding("ctrl+g", "settings", "Settings", show=False, id="chat.settings"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the last exchange as a training example", id="chat.save"),
        Binding("ctrl+n", "new_chat", "New chat", show=False, id="chat.new"),
        Binding("ctrl+t", "toggle_multiline", "Multi-line", show=False, id="chat.multiline"),
        Binding("escape", "stop", "Stop", id="chat.stop"),
        Binding("i,enter", "write", "Write", id="chat.write"),
    ]

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.catalog = load_catalog()
        self.models: list[str] = [self.catalog.default_model]
        self.settings = ChatSettings()
        self.system_from_dataset = True  # until the user edits it (or a job's own file gives it)
        self.system_source: str | None = DATASET_SOURCE  # where the system prompt came from, as the bar says it
        self.tracks: list[list[dict[str, Any]]] = [[], []]
        self.exchanges: list[ExchangeView] = []
        self.chose_model = False

    def compose(self) -> ComposeResult:
        yield Static("", id="chat-bar")
        with VerticalScroll(id="transcript"):
            yield Static("", id="chat-system")
            yield Static(HINT, id="chat-hint")
        yield PromptBox(id="prompt", placeholder=PLACEHOLDER)

    @property
    def provider_error(self) -> str | None:
        return self.session.provider_error

    @property
    def prompt(self) -> PromptBox:
        return self.query_one(PromptBox)

    def on_mount(self) -> None:
        self.query_one("#transcript", VerticalScroll).anchor()
        self._draw_bar()

    def on_resize(self, event: Resize) -> None:
        wide = set_width_classes(self, event.size.width)
        for view in self.exchanges:
            view.set_class(wide and len(view.panes) > 1, "side")

    # -- what the bar shows ----------------------------------------------------------------------
    def _draw_bar(self) -> None:
        """The models and knobs, and the system prompt: model names and the prompt are data
        (from the provider, a dataset): shown made safe, never read as markup."""
        s = self.settings
        bar = Text()
        for slot, model in enumerate(self.models):
            if slot:
                bar.append("  vs  ")
            bar.append("AB"[slot], style="bold")
            bar.append(f" {safe(model, one_line=True)}")
        knobs = ["multi-line: ctrl+j sends"] if self.prompt.multiline else []  # first: it must show at 80 columns
        knobs.append(f"temp {s.temperature:g}" if s.temperature is not None else "temp default")
        knobs.append(f"max {s.max_tokens}" if s.max_tokens is not None else "max default")
        bar.append("  │ " + " · ".join(knobs))
        self.query_one("#chat-bar", Static).update(bar)
        system = s.system.strip()
        first = safe(" ".join(system.split())[:200], one_line=True) if system else "(none)"
        source = f" ({self.system_source})" if self.system_source and (system or not self.system_from_dataset) else ""
        self.query_one("#chat-system", Static).update(Text(f"system{source}: {first}  · ctrl+g edits", style="dim"))

    # -- inputs from the rest of the app ---------------------------------------------------------------
    def provider_ready(self) -> None:
        self._list_models()

    def provider_failed(self, reason: str) -> None:
        """Called by the app when connecting failed: the chat says why instead of waiting."""
        hint = self.query_one("#chat-hint", Static)
        hint.update(Text.assemble(("Not connected to a provider: ", "bold"), safe(reason)))

    def dataset_system(self, message: str | None) -> None:
        """The open dataset's most common system message; used until the user edits the prompt."""
        if self.system_from_dataset and message:
            self.settings.system = message
            self._draw_bar()

    def default_model(self, model: str) -> None:
        """A sensible first model (the newest fine-tuned one) unless the user chose."""
        if not self.chose_model and not self.exchanges:
            self.models[0] = model
            self._draw_bar()

    def open_model(self, model: str, base: str | None = None, training_file: str | None = None) -> None:
        """Open ``model`` in the chat (from the Jobs tab); compare with ``base`` when given. With the
        job's ``training_file`` (its id), the system prompt is that file's most common one when ftui
        uploaded it from this machine, not the open dataset's."""
        self.chose_model = True
        self.models = [model] + ([base] if base and base != model else [])
        if training_file and self.system_source is not None:  # the user's own prompt is kept
            from ftui.state import uploaded_path

            path = uploaded_path(training_file)
            if path is not None:
                self._job_system(path)
            else:  # the open dataset's prompt again (not the last job's), and the bar says why
                self.system_from_dataset = True
                self.settings.system = self.session.dataset_system_message or ""
                self.system_source = f"{DATASET_SOURCE}; the job's training file is not on this machine"
        self._draw_bar()
        self.prompt.focus()

    @work(thread=True, group="chat-system", exclusive=True, exit_on_error=False)
    def _job_system(self, path: Path) -> None:
        from ftui.tui.chat.system_prompt import most_common_system

        self.post_message(JobSystem(path, most_common_system(path)))

    @on(JobSystem)
    def _job_system_known(self, message: JobSystem) -> None:
        if self.system_source is None:
            return  # edited meanwhile: the user's prompt stands
        self.system_from_dataset = False
        self.settings.system = message.system or ""
        self.system_source = f"the job's training file {message.path.name}"
        self._draw_bar()

    @work(group="chat-models", exclusive=True, exit_on_error=False)
    async def _list_models(self) -> None:
        provider = self.session.provider
        if provider is None:
            return
        from ftui.provider.errors import describe, is_transient
        from ftui.provider.jobs import list_model_ids

        try:
            ids = await list_model_ids(provider.client)
        except Exception as exc:  # the picker still offers base models and typed names; say why
            # not reached: no answer (network, timeout, 429, 5xx after the retries) or the key refused
            down = is_transient(exc) or getattr(exc, "status_code", None) in (401, 403)
            self.post_message(ModelsKnown([], describe(exc, LIST_MODELS, provider.secrets), unreachable=down))
            return
        self.post_message(ModelsKnown(ids))

    @on(ModelsKnown)
    def _models_known(self, message: ModelsKnown) -> None:
        self.session.provider_models = message.models
        self.session.models_error = message.error
        if message.error:
            self.post_message(Notice(message.error, title="Chat", severity="warning", quiet=300))  # once per outage
        tuned = [m for m in message.models if m.startswith("ft:") and ":ckpt-step-" not in m]
        if tuned:
            self.default_model(tuned[-1])

    def choices(self) -> dict[str, str]:
        """Every model the picker offers, with its group (the session knows them all)."""
        known = {m for m in self.session.provider_models if self.catalog.lookup(m).known}
        return self.session.chat_choices(list(self.catalog.models), known)

    # -- sending ---------------------------------------------------------------------------------------
    @on(PromptBox.Send)
    def _send(self, message: PromptBox.Send) -> None:
        if any(view.busy for view in self.exchanges[-1:]):
            self.app.notify("A reply is still streaming: Esc stops it.", timeout=3)
            return
        self.prompt.load_text("")
        self.query_one("#chat-hint").display = False
        index = len(self.exchanges)
        view = ExchangeView(message.text, list(self.models), self.has_class("wide"))
        self.exchanges.append(view)
        self.query_one("#transcript", VerticalScroll).mount(view)
        for slot, model in enumerate(self.models):
            self.tracks[slot].append({"role": "user", "content": message.text})
            messages = [{"role": "system", "content": self.settings.system}] if self.settings.system.strip() else []
            self._reply(index, slot, model, messages + list(self.tracks[slot]))
        self.refresh_bindings()  # Stop shows, Save hides

    @work(group="chat-reply", exit_on_error=False)
    async def _reply(self, exchange: int, slot: int, model: str, messages: list[dict[str, Any]]) -> None:
        from ftui.config import ConfigError
        from ftui.provider.chat import stream_chat
        from ftui.provider.errors import describe

        provider = self.session.provider
        result = ChatResult(model=model)
        if provider is None:
            why = f"Not connected to a provider: {self.provider_error}" if self.provider_error else None
            self.post_message(
                ReplyFailed(exchange, slot, why or "Not connected to a provider yet; try again in a moment.")
            )
            return
        try:
            name = await provider.chat_name(model)
            s = self.settings
            async for piece in stream_chat(
                provider.client, name, messages, result, temperature=s.temperature, max_tokens=s.max_tokens
            ):
                self.post_message(ReplyChunk(exchange, slot, piece))
        except asyncio.CancelledError:
            self.post_message(ReplyDone(exchange, slot, result, stopped=True))
            raise
        except ConfigError as exc:
            self.post_message(ReplyFailed(exchange, slot, str(exc)))
            return
        except Exception as exc:
            self.post_message(ReplyFailed(exchange, slot, describe(exc, f"Chat with {model}", provider.secrets)))
            return
        self.post_message(ReplyDone(exchange, slot, result))

    def _pane(self, exchange: int, slot: int) -> ReplyPane | None:
        if exchange >= len(self.exchanges):
            return None  # a late message after "new chat"
        panes = self.exchanges[exchange].panes
        return panes[slot] if slot < len(panes) else None

    @on(ReplyChunk)
    async def _chunk(self, message: ReplyChunk) -> None:
        pane = self._pane(message.exchange, message.slot)
        if pane is not None:
            await pane.add(message.piece)

    @on(ReplyDone)
    async def _done(self, message: ReplyDone) -> None:
        pane = self._pane(message.exchange, message.slot)
        if pane is None or pane.state in ("done", "stopped", "failed"):
            return
        await pane.finish(message.result, message.stopped)
        if pane.text:
            self.tracks[message.slot].append({"role": "assistant", "content": pane.text})
        else:
            self._drop_last_user(message.slot)
        self.refresh_bindings()  # Stop hides, Save shows

    @on(ReplyFailed)
    async def _failed(self, message: ReplyFailed) -> None:
        pane = self._pane(message.exchange, message.slot)
        if pane is None:
            return
        await pane.fail(message.text)
        self._drop_last_user(message.slot)
        self.refresh_bindings()

    def _drop_last_user(self, slot: int) -> None:
        """A turn that got no reply is left out of what the next request sends."""
        track = self.tracks[slot]
        if track and track[-1]["role"] == "user":
            track.pop()

    # -- actions -----------------------------------------------------------------------------------
    @on(PromptBox.Escape)
    def _prompt_escape(self) -> None:
        if self.busy:
            self.action_stop()
        else:
            self.query_one("#transcript", VerticalScroll).focus()

    @property
    def busy(self) -> bool:
        return any(view.busy for view in self.exchanges[-1:])

    def refresh_bindings(self) -> None:
        """The footer follows the conversation: Stop while a reply streams, Save once one is done."""
        for box in self.query(PromptBox):  # none yet while the tab is being built
            box.replying = self.busy
        super().refresh_bindings()

    def action_write(self) -> None:
        self.prompt.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "write":
            return not self.prompt.has_focus
        if action == "stop":
            return any(view.busy for view in self.exchanges[-1:])
        if action == "save":
            return bool(self.exchanges) and not self.exchanges[-1].busy
        return True

    def action_stop(self) -> None:
        self.workers.cancel_group(self, "chat-reply")

    def action_pick_model(self, slot: int) -> None:
        current = self.models[slot] if slot < len(self.models) else None
        title = "Model A" if slot == 0 else "Compare with (model B)"

        def picked(model: str | None) -> None:
            if model is None:
                return
            self.chose_model = True
            if model == OFF:
                self.models = self.models[:1]
                self.tracks[1] = []
            elif slot == 0:
                self.models[0] = model
            elif len(self.models) > 1:
                self.models[1] = model
            else:
                self.models.append(model)
                self.tracks[1] = []  # model B starts its own track from the next message
            self._draw_bar()
            self.prompt.focus()

        self.app.push_screen(
            ModelPickerScreen(
                title, self.choices(), current, allow_off=slot == 1, notes=self.session.deployment_notes()
            ),
            picked,
        )

    def action_settings(self) -> None:
        def kept(settings: ChatSettings | None) -> None:
            if settings is not None:
                if settings.system != self.settings.system:
                    self.system_from_dataset = False
                    self.system_source = None
                self.settings = settings
                self._draw_bar()
            self.prompt.focus()

        self.app.push_screen(ChatSettingsScreen(self.settings), kept)

    def action_new_chat(self) -> None:
        self.workers.cancel_group(self, "chat-reply")
        for view in self.exchanges:
            view.remove()
        self.exchanges.clear()
        self.tracks = [[], []]
        self.refresh_bindings()
        self.query_one("#chat-hint").display = True
        self.prompt.focus()

    def action_toggle_multiline(self) -> None:
        multiline = self.prompt.multiline = not self.prompt.multiline
        self.set_class(multiline, "multiline")
        self.prompt.placeholder = PLACEHOLDER_MULTILINE if multiline else PLACEHOLDER
        if self.provider_error is None:
            self.query_one("#chat-hint", Static).update(HINT_MULTILINE if multiline else HINT)
        self._draw_bar()

    def action_save(self) -> None:
        if not self.exchanges:
            return
        view = self.exchanges[-1]
        replies = [(p.model, p.text) for p in view.panes if p.text and p.state in ("done", "stopped")]
        if not replies:
            self.app.notify("The last exchange has no reply to save.", severity="warning", timeout=4)
            return
        path = self.session.dataset_path

        def saved(result: Any) -> None:
            if result is not None:
                where, line = result
                self.app.notify(
                    f"Saved as line {line:,} of {safe(where, one_line=True)}.", title="Saved", timeout=6, markup=False
                )
                self.post_message(DatasetAppended(where))
            self.prompt.focus()

        screen = SaveExampleScreen(self.settings.system, view.user, replies, path, self.session.model)
        self.app.push_screen(screen, saved)
