"""The live metrics chart: loss or token accuracy over steps, downsampled to what the screen can show."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static
from textual_plot import HiResMode, PlotWidget

from ftui.session.trace import ACCURACY_SERIES, LOSS_SERIES, JobTrace

COLOURS = {"train": "#5fafff", "valid": "#ffaf00", "full valid": "#ff5f87"}


class _Plot(PlotWidget, can_focus=False):
    """textual-plot's widget, without focus (the Jobs tab's keys stay the Jobs tab's) and slim margins."""

    margin_top = reactive(0)
    margin_bottom = reactive(2)
    margin_left = reactive(7)


class LossChart(Vertical):
    """A title line and the plot. ``show`` redraws from a trace; cheap enough to call a few times a second."""

    DEFAULT_CSS = """
    LossChart { height: 1fr; }
    LossChart #chart-title { height: 1; color: $text-muted; }
    LossChart _Plot { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = "loss"
        self._drawn: tuple[str, str, int, int, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-title")
        yield _Plot(allow_pan_and_zoom=False)

    def show(self, trace: JobTrace | None, view: str | None = None, *, loading: bool = False) -> None:
        """Draw ``trace``'s loss (or accuracy) series; skips work when nothing changed."""
        if view is not None:
            self.view = view
        plot = self.query_one(_Plot)
        width = max(10, plot.size.width)
        key = (trace.job_id if trace else "", self.view, trace.version if trace else -1, width, loading)
        if key == self._drawn:
            return
        self._drawn = key
        plot.clear()
        title = self.query_one("#chart-title", Static)
        specs = LOSS_SERIES if self.view == "loss" else ACCURACY_SERIES
        drawn = []
        if trace is not None:
            max_points = width * 2  # a low and a high point per cell column: all braille can show
            for series_key, label in specs:
                series = trace.series.get(series_key)
                if series is None or not len(series):
                    continue
                x, y = series.downsampled(max_points)
                plot.plot(x, y, line_style=COLOURS[label], hires_mode=HiResMode.BRAILLE)
                drawn.append(f"[{COLOURS[label]}]━ {label}[/] {series.values[-1]:.3f}")
        total = trace.last_point.total_steps if trace is not None and trace.last_point is not None else None
        plot.set_xlimits(0, total) if total else plot.set_xlimits(None, None)  # the whole run, end in sight
        what = "Loss" if self.view == "loss" else "Token accuracy"
        if drawn:
            points = trace.points if trace else 0
            source = " · from results CSV" if trace and trace.from_csv else ""
            title.update(f"{what} by step ({points:,} points{source})   " + "  ".join(drawn))
        elif loading:
            title.update("Loading the job's events…")
        else:
            title.update(f"{what}: no metrics yet. They appear once training starts.")
