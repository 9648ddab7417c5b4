"""Messages the Chat tab's reply workers post: start, text pieces, done (or stopped), failed."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from ftui.provider.chat import ChatResult


class ReplyChunk(Message):
    def __init__(self, exchange: int, slot: int, piece: str) -> None:
        super().__init__()
        self.exchange, self.slot, self.piece = exchange, slot, piece


class ReplyDone(Message):
    def __init__(self, exchange: int, slot: int, result: ChatResult, stopped: bool = False) -> None:
        super().__init__()
        self.exchange, self.slot, self.result, self.stopped = exchange, slot, result, stopped


class ReplyFailed(Message):
    """``text`` is one clear sentence; the conversation goes on."""

    def __init__(self, exchange: int, slot: int, text: str) -> None:
        super().__init__()
        self.exchange, self.slot, self.text = exchange, slot, text


class ModelsKnown(Message):
    """Models the provider lists (for the picker); ``error`` says why the list failed, and
    ``unreachable`` that the provider did not answer (or refused the key), not just this list."""

    def __init__(self, models: list[str], error: str | None = None, *, unreachable: bool = False) -> None:
        super().__init__()
        self.models, self.error, self.unreachable = models, error, unreachable


class JobSystem(Message):
    """The most common system message of a job's training file (None: the file has none)."""

    def __init__(self, path: Path, system: str | None) -> None:
        super().__init__()
        self.path, self.system = path, system
