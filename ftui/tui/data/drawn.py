"""Examples already read and laid out, kept for the rows beside the cursor.

A thread reads, draws and lays out the rows either side of the shown example (``prefetch``)
so that `j` / `k` at a person's pace shows the next example in the same frame as the cursor
move, with no trip to a thread and no second frame; the reading still never runs on the UI
loop. An entry is used only while the same dataset, line, view mode, width and findings hold.
"""

from __future__ import annotations

from collections import OrderedDict

from ftui.data.findings import Finding
from ftui.tui.data.messages import ExampleReady

PREFETCH_MAX_BYTES = 64 * 1024  # longer lines are read when shown, not ahead (their layout is slow)

Key = tuple[int, bool, int]  # (line, raw, width)


class DrawnExamples:
    """A small LRU of drawn examples of one dataset, each with the findings it was drawn with."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.dataset: object | None = None
        self._items: OrderedDict[Key, tuple[ExampleReady, tuple[Finding, ...]]] = OrderedDict()

    def clear(self) -> None:
        self.dataset = None
        self._items.clear()

    def get(self, dataset: object, line: int, raw: bool, width: int, findings: list[Finding]) -> ExampleReady | None:
        """The drawing of ``line`` if it is still what the view would show, else None."""
        if dataset is not self.dataset:
            return None
        key = (line, raw, width)
        item = self._items.get(key)
        if item is None or item[1] != tuple(findings):
            return None
        self._items.move_to_end(key)
        return item[0]

    def has(self, dataset: object, line: int, raw: bool, width: int, findings: list[Finding] | None = None) -> bool:
        """Whether ``line`` is kept drawn (with these ``findings``, when given: the check may
        have found more since it was drawn)."""
        item = self._items.get((line, raw, width)) if dataset is self.dataset else None
        return item is not None and (findings is None or item[1] == tuple(findings))

    def put(self, drawn: ExampleReady, findings: list[Finding] | tuple[Finding, ...]) -> None:
        """Keep a drawing (one laid out into lines; a sentence about an unreadable line is not kept)."""
        if drawn.lines is None:
            return
        if drawn.dataset is not self.dataset:
            self.clear()
            self.dataset = drawn.dataset
        key = (drawn.line, drawn.raw, drawn.width)
        self._items[key] = (drawn, tuple(findings))
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
