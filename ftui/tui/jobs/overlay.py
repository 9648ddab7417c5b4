"""Comparing runs in the Jobs tab's chart: another job's curves drawn over the open job's, on the
same step axis, in their own colours; the legend names both jobs. `v` picks the other job
(``OverlayPicker``), and picking "no overlay" (or the open job itself) takes it away."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.session.trace import JobTrace

# The overlaid job's colours: each differs from the open job's (loss_chart.COLOURS) at a glance.
OVERLAY_COLOURS = {"train": "#00d7af", "valid": "#d787ff", "full valid": "#afaf5f"}
NO_OVERLAY = "\x00none"  # the picker's "no overlay" row (never a job id)


def short_id(job_id: str) -> str:
    """A job id short enough for a legend at 80 columns: 'ftjob-abc…' -> '…' + its last 6."""
    text = safe(job_id, one_line=True)
    return text if len(text) <= 10 else "…" + text[-6:]


def legend_line(name: str, parts: list[tuple[str, str, float]]) -> str:
    """One job's legend: '…a1b2c3  ━ train 0.412  ━ valid 0.455' in its colours (Rich markup)."""
    cells = [f"[{colour}]━ {label}[/] {value:.3f}" for label, colour, value in parts]
    return f"[b]{escape(name)}[/b]  " + ("  ".join(cells) if cells else "[dim]no metrics yet[/dim]")


def overlay_series(overlay: JobTrace, specs: tuple[tuple[str, str], ...]) -> list[tuple[Any, str, str]]:
    """The overlaid job's series to draw: (series, label, colour) for those it has."""
    out = []
    for key, label in specs:
        series = overlay.series.get(key)
        if series is not None and len(series):
            out.append((series, label, OVERLAY_COLOURS[label]))
    return out


def total_steps(*traces: JobTrace | None) -> int | None:
    """The longest run's total steps: both curves fit on one step axis."""
    totals = [t.last_point.total_steps for t in traces if t is not None and t.last_point is not None]
    known = [t for t in totals if t]
    return max(known) if known else None


class OverlayPicker(ModalScreen[str | None]):
    """Pick the job whose curves to draw over the open job's; Esc leaves things as they are.
    Dismisses with a job id, ``NO_OVERLAY``, or None (Esc)."""

    DEFAULT_CSS = """
    OverlayPicker { align: center middle; }
    OverlayPicker #overlay-jobs { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="overlay.cancel")]

    def __init__(self, current: str, jobs: list[Any], chosen: str | None) -> None:
        super().__init__()
        self.current, self.jobs, self.chosen = current, jobs, chosen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"[b]Compare {safe(self.current, one_line=True)} with…[/b]")
            options: list[Option] = []
            if self.chosen:
                options.append(Option(Text("No overlay (this job alone)", style="italic"), id=NO_OVERLAY))
            for job in self.jobs:
                if job.id == self.current:
                    continue
                line = Text(safe(job.id, one_line=True), style="bold" if job.id == self.chosen else "")
                line.append(f"  {safe(str(job.status), one_line=True)}  {safe(str(job.model), one_line=True)}")
                options.append(Option(line, id=job.id))
            yield OptionList(*options, id="overlay-jobs")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
