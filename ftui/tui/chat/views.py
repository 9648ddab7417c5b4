"""Chat widgets: one reply (streamed Markdown with its numbers), one exchange, and the prompt box."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import MountError
from textual.widgets import Static, TextArea

from ftui.provider.chat import ChatResult
from ftui.textsafe import safe

if TYPE_CHECKING:  # the Markdown widget (and markdown-it, ~60 ms) loads with the first reply
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream


def reply_numbers(result: ChatResult, stopped: bool = False) -> str:
    """'42 tokens · first token 0.31 s · total 1.20 s' (what is known)."""
    parts = []
    if result.completion_tokens is not None:
        parts.append(f"{result.completion_tokens:,} tokens")
    if result.prompt_tokens is not None:
        parts.append(f"{result.prompt_tokens:,} in")
    if result.first_token_s is not None:
        parts.append(f"first token {result.first_token_s:.2f} s")
    if result.total_s is not None:
        parts.append(f"total {result.total_s:.2f} s")
    if stopped:
        parts.insert(0, "⏹ stopped")
    return " · ".join(parts) or "no numbers reported"


class ReplyPane(Vertical):
    """One model's reply: its name, the Markdown body as it streams, then tokens and latency.

    ``text`` is the reply as the model sent it (what the conversation and a saved example
    hold); the Markdown widget only ever gets ``shown``: each piece with its control
    characters escaped (``safe``) before it is added, so a reply cannot drive the terminal.
    Pieces go through Textual's MarkdownStream: only the last block is parsed again when a
    piece arrives, and pieces that come faster than it draws are joined into one append."""

    DEFAULT_CSS = """
    ReplyPane { height: auto; padding: 0 1; }
    ReplyPane .reply-model { color: $accent; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }
    ReplyPane Markdown { margin: 0; padding: 0; }
    ReplyPane .reply-numbers { color: $text-muted; }
    ReplyPane.failed .reply-numbers { color: $error; }
    ReplyPane.chosen .reply-model { text-style: bold reverse; }
    """

    def __init__(self, model: str, slot: int) -> None:
        super().__init__(classes=f"slot-{slot}")
        self.model, self.slot = model, slot
        self.text = ""
        self.shown = ""  # ``text`` made safe, piece by piece
        self.state = "waiting"  # waiting | streaming | done | stopped | failed
        self._body: Markdown | None = None  # the Markdown widget, once the pane is built
        self._stream: MarkdownStream | None = None  # from mount until the reply ends
        self._streamed = 0  # how much of ``shown`` the Markdown widget was given
        self._numbers = "waiting for the reply…"

    def compose(self) -> ComposeResult:
        label = "A" if self.slot == 0 else "B"
        yield Static(f"{label} · {safe(self.model, one_line=True)}", classes="reply-model", markup=False)
        yield Static(self._numbers, classes="reply-numbers", markup=False)

    def _set_numbers(self, text: str) -> None:
        """The line under the reply; kept for compose when the reply ends before the pane is built."""
        self._numbers = text
        for numbers in self.query(".reply-numbers").results(Static):
            numbers.update(text)

    def on_mount(self) -> None:
        # The name and "waiting for the reply…" show in this frame; the Markdown body (its
        # module is heavy the first time) is built after it, so the user's own message is never late.
        self.call_after_refresh(self._build_body)

    async def _build_body(self) -> None:
        import importlib

        await asyncio.to_thread(importlib.import_module, "textual.widgets._markdown")
        from textual.widgets import Markdown

        if not self.is_attached:
            return  # a new chat removed the pane meanwhile
        body = Markdown("", classes="reply-body")
        await self.mount(body, before=self.query_one(".reply-numbers"))
        self._body = body
        if self.state in ("waiting", "streaming"):
            self._stream = Markdown.get_stream(body)
        await self._give()  # what arrived before the body was built
        if self.state in ("done", "stopped") and not self.text:
            await body.update("*(no text)*")

    async def _give(self) -> None:
        """Hand the Markdown widget what it has not had yet (through the stream while there is one)."""
        fresh = self.shown[self._streamed :]
        if not fresh or self._body is None:
            return  # not built yet: on_mount gives it all
        self._streamed = len(self.shown)
        if self._stream is not None:
            await self._stream.write(fresh)
        else:
            await self._body.append(fresh)

    async def add(self, piece: str) -> None:
        self.text += piece
        self.shown += safe(piece)
        if self.state == "waiting":
            self._set_numbers("streaming…")
        self.state = "streaming"
        await self._give()

    async def _end_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.stop()  # draws what is still pending
        await self._give()

    async def finish(self, result: ChatResult, stopped: bool) -> None:
        self.state = "stopped" if stopped else "done"
        if result.text and result.text != self.text:  # the provider's final word differs: show that
            self.text, self.shown = result.text, safe(result.text)
            await self._end_stream()
            if self._body is not None:
                self._streamed = len(self.shown)
                await self._body.update(self.shown)
        else:
            await self._end_stream()
        if not self.text and self._body is not None:
            await self._body.update("*(no text)*")  # shown only; the reply itself stays empty
        self._set_numbers(reply_numbers(result, stopped))

    async def fail(self, message: str) -> None:
        self.state = "failed"
        self.add_class("failed")
        await self._end_stream()
        self._set_numbers(f"✗ {safe(message)}")

    def on_unmount(self) -> None:
        """A new chat removed the pane mid-reply: end its stream (nothing left to draw into)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            _closing.add(task := asyncio.ensure_future(_close(stream)))
            task.add_done_callback(_closing.discard)


_closing: set[asyncio.Future] = set()  # streams being closed after their pane went away


async def _close(stream: MarkdownStream) -> None:
    with contextlib.suppress(MountError):  # its Markdown widget is gone: nothing to draw
        await stream.stop()


class ExchangeView(Vertical):
    """The user's message and one reply (or two, side by side when wide, stacked when narrow)."""

    DEFAULT_CSS = """
    ExchangeView { height: auto; margin-bottom: 1; }
    ExchangeView .user-turn { color: $text; background: $boost; padding: 0 1; }
    ExchangeView .replies { height: auto; }
    ExchangeView.side .replies { layout: horizontal; }
    ExchangeView.side ReplyPane { width: 1fr; }
    ExchangeView.side ReplyPane.slot-0 { border-right: vkey $panel; }
    """

    def __init__(self, user: str, models: list[str], side_by_side: bool) -> None:
        super().__init__(classes="side" if side_by_side and len(models) > 1 else "")
        self.user = user
        self.panes = [ReplyPane(model, slot) for slot, model in enumerate(models)]

    def compose(self) -> ComposeResult:
        yield Static(f"You: {safe(self.user)}", classes="user-turn", markup=False)
        with Vertical(classes="replies"):
            yield from self.panes

    @property
    def busy(self) -> bool:
        return any(p.state in ("waiting", "streaming") for p in self.panes)


class PromptBox(TextArea):
    """The message being written. Enter sends in single-line mode, ctrl+j always; up/down walk history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+j", "send", "Send", id="chat.send"),
        Binding("escape", "escape", "Leave box", id="chat.prompt.escape"),
    ]

    class Escape(Message):
        """Esc in the box: stop a streaming reply, or else leave the box (so 1–4 and q work)."""

    class Send(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, compact=True, **kwargs)
        self.multiline = False
        self.replying = False  # set by the Chat tab: then Esc is its "Stop" (and the footer says so)
        self.sent: list[str] = []
        self._history_at: int | None = None
        self._draft = ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "escape":
            return not self.replying  # disabled: the key goes on to the tab's shown "Stop"
        return True

    def action_escape(self) -> None:
        self.post_message(PromptBox.Escape())

    def action_send(self) -> None:
        text = self.text.strip()
        if not text:
            return
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._history_at = None
        self.post_message(PromptBox.Send(text))

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and not self.multiline:
            event.stop()
            event.prevent_default()
            self.action_send()
            return
        if event.key == "up" and self.cursor_location[0] == 0 and self.sent:
            event.stop()
            event.prevent_default()
            self._walk(-1)
            return
        if (
            event.key == "down"
            and self._history_at is not None
            and self.cursor_location[0] == self.document.line_count - 1
        ):
            event.stop()
            event.prevent_default()
            self._walk(1)
            return
        await super()._on_key(event)

    def _walk(self, step: int) -> None:
        if self._history_at is None:
            if step > 0:
                return
            self._draft = self.text
            self._history_at = len(self.sent)
        self._history_at += step
        if self._history_at < 0:
            self._history_at = 0
        if self._history_at >= len(self.sent):
            self._history_at = None
            self.load_text(self._draft)
        else:
            self.load_text(self.sent[self._history_at])
        self.move_cursor(self.document.end)
