"""The Data tab: example list, example / findings / stats, live validation of the open file."""

from __future__ import annotations

import threading
import time
from array import array
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, ProgressBar, Select, Static, TabPane
from textual.worker import get_current_worker

from ftui.data.findings import Finding
from ftui.data.index import LineIndex
from ftui.data.scan import ChunkResult
from ftui.data.validate import DatasetReadError, Stopped, Validation, check_readable, stop_workers
from ftui.textsafe import safe
from ftui.tui.data.dataset import Dataset, not_jsonl, summarize_lines
from ftui.tui.data.drawn import PREFETCH_MAX_BYTES, DrawnExamples
from ftui.tui.data.example_view import ExampleView, render_example, render_lines, render_raw
from ftui.tui.data.lists import ExampleList, FindingsList
from ftui.tui.data.messages import (
    DatasetStatus,
    ExampleReady,
    ExamplesPrefetched,
    FilterReady,
    IndexReady,
    LoadFailed,
    SummariesReady,
    ValidationDone,
    ValidationProgress,
)
from ftui.tui.data.stats_view import StatsView
from ftui.tui.layout import set_width_classes
from ftui.words import plural

EMPTY_HINT = "No file open. Press ctrl+o to open a JSONL file."
SHOW_DELAY = 0.06  # seconds the example view waits for the cursor to settle
FIRST_ROWS = 60  # rows either side of the first shown line whose summaries are read with the index

stop_validation_workers = stop_workers  # ftui is quitting: no validation worker process may outlive it


class Hint(Static, can_focus=True):
    """A sentence that can hold the focus (so keys keep working when there is nothing else)."""


class PromptBar(Input):
    """The one-line filter / go-to-line prompt; its footer says how to leave it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Apply", id="prompt.apply"),
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    class Cancelled(Message):
        """Esc: close the prompt without applying it."""

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())


class DataTab(Container):
    """Browse and check one JSONL file."""

    HELP = """
## Data
Browse the open file, see every problem and what training would cost.

- `x` example, `f` findings, `s` stats and estimate
- `/` filter by text, `e` only lines with findings, `:` jump to a line
- `ctrl+o` opens another file
"""
    # Keys that move the focus are priority bindings and focus at once: the keys typed right
    # after them (":999⏎", "fj") go where they lead, not to the pane they leave. While the
    # prompt is open check_action turns them off, so they are typed into it.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", priority=True, id="data.filter"),
        Binding("colon", "jump", "Line", priority=True, id="data.jump"),
        Binding("e", "errors_only", "Problems", id="data.errors_only"),
        Binding("r", "raw", "Raw", id="data.raw"),
        Binding("x", "show('example-view')", "Example", show=False, priority=True, id="data.example"),
        Binding("f", "show('findings')", "Findings", show=False, priority=True, id="data.findings"),
        Binding("s", "show('stats')", "Stats", show=False, priority=True, id="data.stats"),
        Binding("escape", "back", "Back", show=False, id="data.back"),
    ]

    def __init__(self, model: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dataset: Dataset | None = None
        self.model = model
        self.raw = False
        self._prompt_mode: str | None = None
        self._stat: tuple[int, int, int] | None = None
        self._vanished = False
        self._findings_dirty = False
        self._progress_dirty = False
        self._show_timer: Timer | None = None
        self._last_move = 0.0  # when the cursor last moved (time.monotonic)
        self._validation: Validation | None = None
        self.shown_line: tuple[int, bool] | None = None  # (line, raw) the example view shows now
        self._drawn = DrawnExamples()  # the rows beside the shown one, read and laid out ahead

    def compose(self) -> ComposeResult:
        with Container(id="split"):
            yield ExampleList(id="examples")
            with Vertical(id="detail-box"):
                yield Static(id="detail-title")
                with ContentSwitcher(initial="example-view", id="detail"):
                    yield ExampleView(id="example-view")
                    yield FindingsList(id="findings")
                    yield StatsView(self.model, id="stats")
        yield ProgressBar(total=1.0, show_eta=False, id="progress")
        yield PromptBar(id="prompt-bar")
        yield Hint(EMPTY_HINT, id="empty-hint", markup=False)

    def on_mount(self) -> None:
        self.watch(self.query_one(ExampleList), "cursor", self._cursor_moved, init=False)
        self.query_one("#prompt-bar").display = False
        self.query_one("#progress").display = False
        self.query_one("#split").display = False
        self._update_title()
        self.set_interval(1.0, self._watch_file)
        self.set_interval(0.4, self._flush_progress)

    def _flush_progress(self) -> None:
        """Redraw progress and findings at most a few times a second while validation runs."""
        ds = self.dataset
        if ds is None:
            return
        if self._findings_dirty:
            self._findings_dirty = False
            self.query_one(FindingsList).show(ds.findings)
            self.query_one(ExampleList).refresh()
        if self._progress_dirty:
            self._progress_dirty = False
            self.query_one(ExampleList).refresh()  # marks and token counts of newly checked rows
            self.query_one("#progress", ProgressBar).update(progress=ds.progress)
            self._update_title()
            self._status()

    def on_resize(self, event: Resize) -> None:
        set_width_classes(self, event.size.width)

    # -- loading -----------------------------------------------------------------------
    def open(self, path: Path, keep_line: int | None = None, *, recheck: bool = False) -> None:
        """Index and validate ``path`` in a thread; the list shows up as soon as the index does.

        ``recheck``: the open file changed on disk; only what changed is checked again (after
        an append, the new tail) and the known findings stay on screen meanwhile."""
        self._vanished = False
        self._drawn.clear()
        validation = self._validation
        if not recheck or validation is None or validation.path != path or validation.model != self.model:
            validation = self._validation = Validation(path, self.model, nice=True)
            recheck = False
        self.query_one("#progress", ProgressBar).update(progress=0)
        self.query_one("#progress").display = True
        self._load(path, validation, keep_line, recheck)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, path: Path, validation: Validation, keep_line: int | None, recheck: bool) -> None:
        worker = get_current_worker()
        try:
            check_readable(path)
            if not recheck and (why := not_jsonl(path)):
                self.post_message(LoadFailed(why, path))
                return
            index = LineIndex(path).build()
            if recheck and validation.changed_from() == 0:
                recheck = False  # replaced, not appended to: check it all, as a new file
        except (DatasetReadError, OSError) as exc:
            self.post_message(LoadFailed(str(exc), None if recheck else path))
            return
        drawn = threading.Event()
        summaries = None
        if not recheck:  # the first screen's rows, read now so the list draws them with the index
            around = keep_line or 1
            rows = range(max(1, around - FIRST_ROWS), min(len(index), around + FIRST_ROWS) + 1)
            summaries = summarize_lines(index, rows)
        self.post_message(IndexReady(path, index, keep_line, drawn, recheck, summaries))
        if not recheck:
            # Workers starting (or the tokenizer loading) is heavy: let the first screen draw first.
            drawn.wait(timeout=1.0)
        done = 0.0

        def progress(finished: int, total: int) -> None:
            nonlocal done
            done = finished / total if total else 1.0
            if recheck:
                self.post_message(ValidationProgress([], array("q"), array("i"), done))

        def on_chunk(chunk: ChunkResult, offset: int) -> None:
            if not recheck:
                findings = [f.shifted(offset) for f in chunk.findings]
                self.post_message(ValidationProgress(findings, chunk.line_tokens, chunk.line_messages, done))

        try:
            run = validation.recheck if recheck else validation.run
            report = run(on_chunk=on_chunk, progress=progress, cancelled=lambda: worker.is_cancelled)
        except Stopped:
            return
        except DatasetReadError as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(ValidationDone(report, validation.line_tokens(), validation.line_messages()))

    @on(IndexReady)
    def _index_ready(self, message: IndexReady) -> None:
        old = self.dataset
        if message.recheck and old is not None and old.path == message.path:
            self._index_grew(old, message)
            return
        self.dataset = Dataset(message.path, message.index, self.model)
        self.dataset.add_summaries(message.summaries)
        if old is not None and old.path == message.path:
            self.dataset.text_filter, self.dataset.errors_only = old.text_filter, old.errors_only
        self.query_one(ExampleList).asked = False
        self._remember_stat(message.path)
        self.query_one("#empty-hint").display = False
        self.query_one("#empty-hint", Hint).update(EMPTY_HINT)
        self.query_one("#split").display = True
        examples = self.query_one(ExampleList)
        examples.dataset = self.dataset
        self.dataset.rows = None
        keep = self.dataset.row_of(message.keep_line) if message.keep_line else 0
        examples.set_empty("This file is empty." if not self.dataset.line_count else "")
        examples.set_count(self.dataset.row_count, keep=keep)
        focused = self.screen.focused
        elsewhere = focused is not None and self not in focused.ancestors_with_self
        if self._shown(self) and not (
            elsewhere and focused is not None and any(isinstance(node, TabPane) for node in focused.ancestors)
        ):
            # never pull focus from another tab (e.g. after Chat appended a line, or a tab key
            # pressed while the file was being indexed: that tab's focus may still be on its way)
            examples.focus()
        if message.drawn is not None:
            self.call_after_refresh(message.drawn.set)
        self.query_one(FindingsList).show([], done=False)
        if self.dataset.text_filter:
            self._apply_filter()
        self._show_selected()
        self._update_title()  # the new file's counts, not the last file's
        self._status()

    def _index_grew(self, ds: Dataset, message: IndexReady) -> None:
        """The open file changed on disk and is being re-checked: new line index, same findings
        (until the re-check is done), rows read again as they are drawn."""
        self._remember_stat(message.path)
        self._drawn.clear()  # lines may have changed, not only been added
        ds.index = message.index
        ds.forget_summaries()
        ds.progress = 0.0
        examples = self.query_one(ExampleList)
        examples.asked = False
        keep = ds.row_of(message.keep_line) if message.keep_line else examples.cursor
        if ds.rows is not None:
            self._apply_filter()
        else:
            examples.set_count(ds.row_count, keep=keep)
        self._show_selected()
        self._update_title()
        self._status()

    def _remember_stat(self, path: Path) -> None:
        try:
            st = path.stat()
            self._stat = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            self._stat = None

    @on(ValidationProgress)
    def _progress(self, message: ValidationProgress) -> None:
        # Only the data changes here; the screen catches up in _flush_progress a few times a
        # second (each redraw of the bars re-lays out the screen, too costly per chunk).
        ds = self.dataset
        if ds is None:
            return
        ds.add_findings(message.findings)
        ds.line_tokens.extend(message.line_tokens)
        ds.line_messages.extend(message.line_messages)
        ds.progress = message.done
        self._findings_dirty = self._findings_dirty or bool(message.findings)
        self._progress_dirty = True

    @on(ValidationDone)
    def _done(self, message: ValidationDone) -> None:
        ds = self.dataset
        if ds is None:
            return
        ds.report = message.report
        ds.findings, ds.by_line = [], {}
        ds.add_findings(message.report.findings)
        ds.line_tokens, ds.line_messages = message.line_tokens, message.line_messages
        ds.progress = 1.0
        self._findings_dirty = self._progress_dirty = False
        self.query_one("#progress").display = False
        self.query_one(FindingsList).show(ds.findings, done=True)
        self.query_one(StatsView).show(ds.report, 1.0)
        if ds.errors_only:
            self._apply_filter()
        self.query_one(ExampleList).refresh()
        self._show_selected()
        self._update_title()
        self._status()

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        self.query_one("#progress").display = False
        self.notify(message.message, title="Cannot open the file", severity="error", timeout=8, markup=False)
        if message.path is not None:  # nothing of that file can be shown: the pane says why, not the last file
            self.dataset, self._validation, self._stat = None, None, None
            self.query_one(ExampleList).dataset = None
            self.query_one("#split").display = False
            hint = self.query_one("#empty-hint", Hint)
            hint.update(f"{message.message}\n\nPress ctrl+o to open another file.")
            hint.display = True
            if self._shown(self):
                hint.focus()
            self.post_message(DatasetStatus(message.path, 0, 0, 1.0, failed=True))

    def _status(self) -> None:
        ds = self.dataset
        errors, warnings = ds.counts if ds else (0, 0)
        self.post_message(
            DatasetStatus(
                ds.path if ds else None,
                errors,
                warnings,
                ds.progress if ds else 0.0,
                model=self.model,
                report=ds.report if ds else None,
            )
        )

    # -- the file on disk ----------------------------------------------------------------
    def check_file(self) -> None:
        """Look at the file now (after ftui itself appended to it) instead of on the next tick."""
        self._watch_file()

    def _watch_file(self) -> None:
        ds = self.dataset
        if ds is None:
            return
        try:
            st = ds.path.stat()
        except OSError:
            if not self._vanished:
                self._vanished = True
                self.notify(
                    f"{ds.path} was removed or cannot be read; showing what was loaded.",
                    title="File gone",
                    severity="warning",
                    timeout=8,
                    markup=False,
                )
            return
        current = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._vanished or (self._stat is not None and current != self._stat):
            self._vanished = False
            self._stat = current
            line = ds.line_at(self.query_one(ExampleList).cursor) if ds.row_count else None
            self.notify(f"{ds.path.name} changed on disk; checking it again.", timeout=3, markup=False)
            self.open(ds.path, keep_line=line, recheck=True)

    # -- selection and views -----------------------------------------------------------
    def _cursor_moved(self) -> None:
        """The example list's cursor moved (a watcher, so it runs in the same call as the move:
        an example read ahead is drawn in the very frame that moves the cursor).

        The list moves at once. The conversation follows at once after a single key, or when it
        has been read ahead; while keys come faster than SHOW_DELAY (`j` held), it follows when
        they pause: reading and laying out every row passed would only fall behind."""
        if not self.query_one(ExampleList).count:
            return
        now = time.monotonic()
        quiet, self._last_move = now - self._last_move > SHOW_DELAY, now
        if self._show_timer is not None:
            self._show_timer.stop()
            self._show_timer = None
        if quiet or self._cached() is not None:
            self._show_selected()
        else:
            self._show_timer = self.set_timer(SHOW_DELAY, self._show_selected)

    @on(ExampleList.Selected, "#examples")
    def _open_example(self) -> None:
        self.action_show("example-view")
        self.query_one(ExampleView).focus()

    @on(FindingsList.Selected, "#findings")
    def _jump_from_finding(self, message: FindingsList.Selected) -> None:
        finding = self.query_one(FindingsList).finding_at(message.index)
        if finding is None:
            return
        if finding.line is None:
            self.notify(finding.message, title=finding.code, timeout=6, markup=False)
            return
        self.jump_to_line(finding.line)
        self.action_show("example-view")

    def jump_to_line(self, line: int, *, explain: bool = False) -> None:
        """Select ``line``; with ``explain``, say so when it is outside the file (the nearest line is shown)."""
        ds = self.dataset
        if ds is None or not ds.line_count:
            if explain and ds is not None:
                self.notify("This file is empty: there is no line to go to.", severity="warning", timeout=4)
            return
        if explain and line > ds.line_count:
            self.notify(
                f"Line {line:,} is past the end ({plural(ds.line_count, 'line')}); showing the last line.",
                severity="warning",
                timeout=4,
            )
        elif explain and line < 1:
            self.notify(f"Line {line:,} is before the first line; showing line 1.", severity="warning", timeout=4)
        line = max(1, min(line, ds.line_count))
        if ds.rows is not None and line not in set(ds.rows):
            ds.text_filter, ds.errors_only, ds.rows = "", False, None
            self.query_one(ExampleList).set_count(ds.row_count)
            self._update_title()
            self.notify("Filter cleared to show that line.", timeout=3)
        examples = self.query_one(ExampleList)
        examples.cursor = ds.row_of(line)
        examples.focus()

    def _show_selected(self, wait_for_layout: bool = True) -> None:
        """Draw the selected example: a thread reads and renders it (``ExampleReady``)."""
        ds = self.dataset
        view = self.query_one(ExampleView)
        if ds is None or ds.row_count == 0:
            self.shown_line = None
            if ds is None:
                view.show("Nothing to show.")
            elif ds.line_count == 0:
                view.show("This file is empty: no lines to show.")
            else:
                view.show("No lines match the filter.")
            return
        if not view.size.width and wait_for_layout:  # hidden until now: after the next layout, its
            self.call_after_refresh(self._show_selected, False)  # width is what the rows are laid out for
            return
        drawn = self._cached()
        if drawn is not None:  # read and laid out ahead: shown in this frame
            self._show_drawn(drawn)
            return
        line = ds.line_at(self.query_one(ExampleList).cursor)
        self._render_example(ds, line, list(ds.by_line.get(line, [])), self.raw, view.text_width)

    def _cached(self) -> ExampleReady | None:
        """The selected example if a thread has already read and laid it out as it would be shown now."""
        ds = self.dataset
        if ds is None or not ds.row_count:
            return None
        line = ds.line_at(self.query_one(ExampleList).cursor)
        width = self.query_one(ExampleView).text_width
        return self._drawn.get(ds, line, self.raw, width, ds.by_line.get(line, []))

    @staticmethod
    def _draw_example(ds: Dataset, line: int, findings: list[Finding], raw: bool, width: int) -> ExampleReady:
        """Read the line, draw it and lay it out ``width`` wide."""
        try:
            data = ds.index.line_bytes(line)
        except (OSError, IndexError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            return ExampleReady(ds, line, raw, f"Line {line} cannot be read now: {why}.")
        shown = render_raw(data) if raw else render_example(data, findings, line)
        return ExampleReady(ds, line, raw, shown, render_lines(shown, width), width)

    @work(thread=True, exclusive=True, group="example", exit_on_error=False)
    def _render_example(self, ds: Dataset, line: int, findings: list[Finding], raw: bool, width: int) -> None:
        """The line is read, drawn and laid out in a thread: the UI loop only copies rows on screen."""
        self.post_message(self._draw_example(ds, line, findings, raw, width))

    @on(ExampleReady)
    def _example_ready(self, message: ExampleReady) -> None:
        ds = self.dataset
        if ds is None or message.dataset is not ds or message.raw != self.raw or not ds.row_count:
            return
        if ds.line_at(self.query_one(ExampleList).cursor) != message.line:
            return  # the cursor moved on; its own drawing is on its way
        self._show_drawn(message)

    def _show_drawn(self, drawn: ExampleReady) -> None:
        """Show a drawn example, keep it, and read the rows either side of it ahead."""
        ds = self.dataset
        assert ds is not None
        self._drawn.put(drawn, ds.by_line.get(drawn.line, []))
        self.query_one(ExampleView).show(drawn.renderable, drawn.lines, drawn.width)
        self.shown_line = (drawn.line, drawn.raw)
        if drawn.lines is None:
            return
        cursor = self.query_one(ExampleList).cursor
        ahead = []
        for row in (cursor + 1, cursor - 1):
            if 0 <= row < ds.row_count:
                line = ds.line_at(row)
                findings = list(ds.by_line.get(line, []))
                if not self._drawn.has(ds, line, drawn.raw, drawn.width, findings):
                    ahead.append((line, findings))
        if ahead:
            self._prefetch(ds, ahead, drawn.raw, drawn.width)

    @work(thread=True, exclusive=True, group="prefetch", exit_on_error=False)
    def _prefetch(self, ds: Dataset, lines: list[tuple[int, list[Finding]]], raw: bool, width: int) -> None:
        """Read and lay out the rows beside the shown one (short lines only), in a thread."""
        drawn = []
        for line, findings in lines:
            try:
                start, end = ds.index.span(line)
            except IndexError:
                continue
            if end - start <= PREFETCH_MAX_BYTES:
                drawn.append((self._draw_example(ds, line, findings, raw, width), findings))
        if drawn and not get_current_worker().is_cancelled:
            self.post_message(ExamplesPrefetched(ds, drawn))

    @on(ExamplesPrefetched)
    def _prefetched(self, message: ExamplesPrefetched) -> None:
        if message.dataset is not self.dataset:
            return
        for drawn, findings in message.drawn:
            self._drawn.put(drawn, findings)

    # -- row summaries -------------------------------------------------------------------
    @on(ExampleList.SummariesWanted)
    def _summaries_wanted(self) -> None:
        """Rows were drawn without their summaries: read them (and a screen either side) in a thread."""
        ds = self.dataset
        examples = self.query_one(ExampleList)
        if ds is None:
            examples.asked = False
            return
        top, height = examples.scroll_offset.y, max(examples.size.height, 10)
        rows = range(max(0, top - height), min(ds.row_count, top + 2 * height))
        lines = sorted(set(ds.missing([*ds.wanted, *(ds.line_at(r) for r in rows)])))
        ds.wanted.clear()
        if not lines:
            examples.asked = False
            examples.refresh()
            return
        self._fill_summaries(ds, lines)

    @work(thread=True, exclusive=True, group="summaries", exit_on_error=False)
    def _fill_summaries(self, ds: Dataset, lines: list[int]) -> None:
        self.post_message(SummariesReady(ds, summarize_lines(ds.index, lines)))

    @on(SummariesReady)
    def _summaries_ready(self, message: SummariesReady) -> None:
        ds = self.dataset
        examples = self.query_one(ExampleList)
        if ds is None or message.dataset is not ds:
            return
        ds.add_summaries(message.summaries)
        examples.asked = False
        examples.refresh()

    @property
    def settled(self) -> bool:
        """Nothing on its way: the file is checked, every row drawn has its summary, and the
        example view shows the selected line (tests wait on this)."""
        ds = self.dataset
        if ds is None or ds.report is None or ds.progress < 1.0 or self.query_one(ExampleList).asked or ds.wanted:
            return False
        if not ds.row_count:
            return True
        return self.shown_line == (ds.line_at(self.query_one(ExampleList).cursor), self.raw)

    def _update_title(self) -> None:
        ds = self.dataset
        current = self.query_one("#detail", ContentSwitcher).current
        n = len(ds.findings) if ds else 0
        names = [("example-view", "x Example"), ("findings", f"f Findings ({n:,})"), ("stats", "s Stats")]
        title = Text(no_wrap=True, overflow="ellipsis")  # Text, not markup: the filter is the user's text
        for key, label in names:
            title.append(f" {label} ", style="reverse" if key == current else "")
        if ds is not None:
            if ds.text_filter or ds.errors_only:
                bits = [f'"{safe(ds.text_filter, one_line=True)}"'] if ds.text_filter else []
                bits += ["problems"] if ds.errors_only else []
                title.append(f"  filter: {' + '.join(bits)} ({plural(ds.row_count, 'line')})")
            if ds.report is None:
                title.append(f"  checking {ds.progress:.0%}")
        self.query_one("#detail-title", Static).update(title, layout=False)  # fixed 1-line bar
        if current == "stats" and ds is not None:
            self.query_one(StatsView).show(ds.report, ds.progress)

    def action_show(self, name: str) -> None:
        """Show a detail pane. The focus follows to a pane you act in (findings, stats); for the
        example it stays where it is unless that pane was just hidden, then it goes to the list."""
        focused = self.screen.focused
        self.query_one("#detail", ContentSwitcher).current = name
        self._update_title()
        if name == "findings":
            self._focus_now(self.query_one(FindingsList))
        elif name == "stats":
            self._focus_now(self.query_one(StatsView))
        elif focused is None or not self._shown(focused):
            self._focus_now(self.query_one(ExampleList))

    def _focus_now(self, widget: Widget) -> None:
        """Focus ``widget`` now, not after the keys already queued (``focus()`` waits for them)."""
        self.screen.set_focus(widget)

    @staticmethod
    def _shown(widget: Widget) -> bool:
        return all(node.display and node.visible for node in widget.ancestors_with_self if isinstance(node, Widget))

    def focus_default(self) -> None:
        """Focus what keys should reach in this tab: the open prompt, the list, or the hint."""
        if self._prompt_mode:
            self.query_one("#prompt-bar", Input).focus()
        elif self.query_one("#split").display:
            self.query_one(ExampleList).focus()
        else:
            self.query_one("#empty-hint", Hint).focus()

    def action_raw(self) -> None:
        self.raw = not self.raw
        self.action_show("example-view")
        self._show_selected()

    def action_back(self) -> None:
        if self._prompt_mode:
            self._close_prompt()
            return
        ds = self.dataset
        if ds is not None and (ds.text_filter or ds.errors_only):
            ds.text_filter, ds.errors_only = "", False
            self._apply_filter()
            return
        if self.query_one("#detail", ContentSwitcher).current != "example-view" or self.raw:
            self.raw = False
            self.action_show("example-view")
            self._show_selected()
        self.query_one(ExampleList).focus()

    # -- filter and jump ---------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Nothing to filter or show without a file; and while the prompt is open its keys are text.
        if action in ("filter", "jump", "errors_only", "raw", "show"):
            return self.dataset is not None and not self._prompt_mode
        return True

    @on(PromptBar.Cancelled)
    def _prompt_cancelled(self) -> None:
        self._close_prompt()

    def _open_prompt(self, mode: str, placeholder: str, value: str = "") -> None:
        bar = self.query_one("#prompt-bar", Input)
        self._prompt_mode = mode
        bar.placeholder = placeholder
        bar.value = value
        bar.display = True
        self._focus_now(bar)
        self.refresh_bindings()

    def _close_prompt(self) -> None:
        self._prompt_mode = None
        bar = self.query_one("#prompt-bar", Input)
        bar.display = False
        self.query_one(ExampleList).focus()
        self.refresh_bindings()

    def action_filter(self) -> None:
        if self.dataset is not None:
            self._open_prompt(
                "filter", "filter: text to look for (Enter applies, Esc cancels)", self.dataset.text_filter
            )

    def action_jump(self) -> None:
        if self.dataset is None:
            return
        if not self.dataset.line_count:
            self.notify("This file is empty: there is no line to go to.", severity="warning", timeout=4)
            return
        self._open_prompt("jump", f"go to line (1–{self.dataset.line_count:,}), then Enter")

    def action_errors_only(self) -> None:
        ds = self.dataset
        if ds is not None:
            ds.errors_only = not ds.errors_only
            self._apply_filter()

    @on(Input.Submitted, "#prompt-bar")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        mode, value = self._prompt_mode, event.value.strip()
        self._close_prompt()
        ds = self.dataset
        if ds is None:
            return
        if mode == "jump":
            try:
                line = int(value.removeprefix(":").strip())
            except ValueError:
                self.notify(f"{value!r} is not a line number.", severity="warning", timeout=3, markup=False)
                return
            self.jump_to_line(line, explain=True)
        elif mode == "filter":
            ds.text_filter = value
            self._apply_filter()

    def _apply_filter(self) -> None:
        ds = self.dataset
        if ds is None:
            return
        keep = ds.line_at(self.query_one(ExampleList).cursor) if ds.row_count else 1
        self._filter(ds, ds.text_filter, ds.errors_only, keep)

    @work(thread=True, exclusive=True, group="filter", exit_on_error=False)
    def _filter(self, ds: Dataset, text: str, errors_only: bool, keep: int) -> None:
        worker = get_current_worker()
        if not text and not errors_only:
            self.post_message(FilterReady(None, text))
            return
        candidates = sorted(ds.by_line) if errors_only else range(1, ds.line_count + 1)
        if not text:
            self.post_message(FilterReady(list(candidates), text))
            return
        needle = text.lower().encode()
        rows: list[int] = []
        batch = 2000
        lines = list(candidates)
        for i in range(0, len(lines), batch):
            if worker.is_cancelled:
                return
            part = lines[i : i + batch]
            try:
                raws = self._read_lines(ds, part, contiguous=not errors_only)
            except OSError as exc:
                self.post_message(LoadFailed(f"Filtering stopped: {ds.path} cannot be read ({exc.strerror or exc})."))
                return
            rows.extend(n for n, raw in zip(part, raws, strict=False) if needle in raw.lower())
        self.post_message(FilterReady(rows, text))

    @staticmethod
    def _read_lines(ds: Dataset, lines: list[int], contiguous: bool) -> list[bytes]:
        """Raw bytes of the given lines; a run of consecutive lines is read in one go."""
        if contiguous:
            return ds.index.lines_bytes(lines[0], len(lines))
        return [ds.index.line_bytes(n) for n in lines]

    @on(FilterReady)
    def _filtered(self, message: FilterReady) -> None:
        ds = self.dataset
        if ds is None:
            return
        examples = self.query_one(ExampleList)
        keep = ds.line_at(examples.cursor) if ds.row_count else 1
        ds.rows = message.rows
        examples.set_empty("No line matches the filter; Esc clears it." if ds.line_count else "This file is empty.")
        examples.set_count(ds.row_count, keep=ds.row_of(keep))
        self._show_selected()
        self._update_title()
        if ds.rows is not None and not ds.rows:
            self.notify("No lines match.", timeout=3)

    # -- model -------------------------------------------------------------------------
    @on(Select.Changed, "#model-select")
    def _model_changed(self, event: Select.Changed) -> None:
        if event.value == self.model or not isinstance(event.value, str):
            return
        self.model = event.value
        ds = self.dataset
        if ds is not None:
            line = ds.line_at(self.query_one(ExampleList).cursor) if ds.row_count else None
            self.query_one(StatsView).show(None, 0.0)
            self.open(ds.path, keep_line=line)

    @property
    def is_open(self) -> bool:
        return self.dataset is not None
