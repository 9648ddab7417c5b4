"""The example list and the findings list, both virtual."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from ftui.data.findings import Finding, Severity
from ftui.tui.data.dataset import Dataset
from ftui.tui.widgets.virtual_list import VirtualList

MARKS = {Severity.ERROR: ("✗", "bold red"), Severity.WARNING: ("⚠", "yellow"), None: ("✓", "green")}


class ExampleList(VirtualList):
    """One row per line: mark, line number, messages, tokens, preview of the first user message.

    Drawing a row never reads the file: a row whose summary is not known yet shows a
    placeholder, and the list asks (``SummariesWanted``) for a thread to fill it in."""

    HELP = """
## Examples
Every line of the file, drawn only as it scrolls into view.

- `j`/`k` or arrows move, `g`/`G` first/last, `ctrl+d`/`ctrl+u` half a page
- `:` jumps to a line number, `/` filters by text, `e` shows only lines with findings
- `Enter` opens the example; `r` shows its raw JSON
- Marks: ✗ error, ⚠ warning, ✓ fine, · not checked yet
"""

    class SummariesWanted(Message):
        """Rows were drawn before their summaries were known (``Dataset.wanted``)."""

    dataset: Dataset | None = None
    asked = False  # a SummariesWanted is on its way or being answered

    def row_text(self, index: int, width: int) -> Text:
        ds = self.dataset
        if ds is None:
            return Text("")
        line = ds.line_at(index)
        sev = ds.severity(line)
        if sev is not None or ds.report is not None:
            mark, style = MARKS[sev]
        else:
            mark, style = "·", "dim"  # not checked yet
        summary = ds.summary(line)
        if summary is None and not self.asked:
            self.asked = True
            self.post_message(self.SummariesWanted())
        digits = max(4, len(str(ds.line_count)))
        messages = ds.messages(line, summary)
        msgs = f"{messages:>3}m" if messages is not None else "   –"
        tokens = ds.tokens(line)
        if tokens is not None:
            toks = f"{tokens:>6,}t"
        else:  # "…" until validation reaches the line; "–" when it holds no countable example
            toks = "      –" if ds.checked(line) or (summary is not None and summary.messages is None) else "      …"
        return self.styled(
            (f"{mark} ", style),
            (f"{line:>{digits}} ", "dim"),
            (f"{msgs} {toks}  ", "cyan"),
            (summary.preview, "") if summary is not None else ("…", "dim"),
        )


class FindingsList(VirtualList):
    """Every finding: line, code, sentence. Sorted by line, or grouped by code with `o`."""

    HELP = """
## Findings
Every problem validation found, filling in live while it runs.

- `Enter` jumps to the example on that line
- `o` switches between sorting by line and grouping by code
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "toggle_order", "Sort", id="findings.order"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.items: list[Finding] = []
        self.by_code = False

    def show(self, findings: list[Finding]) -> None:
        items = list(findings)
        if self.by_code:
            items.sort(key=lambda f: (f.severity is not Severity.ERROR, f.code, f.line or 0))
        else:
            items.sort(key=lambda f: f.line or 0)
        self.items = items
        self.set_count(len(items))

    def action_toggle_order(self) -> None:
        self.by_code = not self.by_code
        self.show(self.items)
        self.notify("Grouped by code" if self.by_code else "Sorted by line", timeout=2)

    def row_text(self, index: int, width: int) -> Text:
        f = self.items[index]
        mark, style = MARKS[f.severity]
        where = f"line {f.line}" if f.line is not None else "file"
        return self.styled((f"{mark} ", style), (f"{where:>10} ", "dim"), (f"{f.code}  ", style), (f.message, ""))
