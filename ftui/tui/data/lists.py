"""The example list and the findings list, both virtual."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
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
    """Every finding: line, code, sentence. Sorted by line, or grouped by code with `o` (a
    heading with its count above each code's findings)."""

    HELP = """
## Findings
Every problem validation found, filling in live while it runs.

- `j`/`k` move, `Enter` jumps to the example on that line
- `o` switches between sorting by line and grouping by code (each code with its count)
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "toggle_order", "Group", id="findings.order"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.findings: list[Finding] = []
        self.items: list[Finding | Group] = []
        self.by_code = False
        self.done = False

    def show(self, findings: list[Finding], done: bool | None = None) -> None:
        """List ``findings``; ``done``: validation has finished (an empty list then says so)."""
        if done is not None:
            self.done = done
        self.findings = list(findings)
        items: list[Finding | Group] = []
        if self.by_code:
            counts = Counter(f.code for f in self.findings)
            ordered = sorted(self.findings, key=lambda f: (f.severity is not Severity.ERROR, f.code, f.line or 0))
            for f in ordered:
                if not items or isinstance(items[-1], Group) or items[-1].code != f.code:
                    items.append(Group(f.code, counts[f.code], f.severity))
                items.append(f)
        else:
            by_line: list[Finding] = sorted(self.findings, key=lambda f: f.line or 0)
            items.extend(by_line)
        self.items = items
        self.set_empty(
            "No problems found: every line passed every check." if self.done else "No problems found so far; checking…"
        )
        self.set_count(len(items))

    def finding_at(self, index: int) -> Finding | None:
        """The finding on row ``index``; on a group's heading, its first finding."""
        for item in self.items[index : index + 2]:
            if isinstance(item, Finding):
                return item
        return None

    def action_toggle_order(self) -> None:
        self.by_code = not self.by_code
        self.show(self.findings)
        self.notify("Grouped by code" if self.by_code else "Sorted by line", timeout=2)

    def row_text(self, index: int, width: int) -> Text:
        item = self.items[index]
        if isinstance(item, Group):
            mark, style = MARKS[item.severity]
            plural = "finding" if item.count == 1 else "findings"
            return self.styled(
                (f"{mark} ", style), (item.code, f"bold {style}"), (f"  {item.count:,} {plural}", "bold")
            )
        mark, style = MARKS[item.severity]
        where = f"line {item.line}" if item.line is not None else "file"
        indent = "  " if self.by_code else ""
        return self.styled(
            (f"{indent}{mark} ", style), (f"{where:>10} ", "dim"), (f"{item.code}  ", style), (item.message, "")
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A heading row in the grouped findings: one code and how many findings have it."""

    code: str
    count: int
    severity: Severity
