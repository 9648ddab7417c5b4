"""The live metrics chart: loss or token accuracy over steps, downsampled to what the screen can show."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from ftui.session.trace import ACCURACY_SERIES, LOSS_SERIES, JobTrace
from ftui.tui.jobs.overlay import legend_line, overlay_series, short_id, total_steps

if TYPE_CHECKING:
    from textual_plot import PlotWidget

COLOURS = {"train": "#5fafff", "valid": "#ffaf00", "full valid": "#ff5f87"}


@cache
def _plot_class() -> type[PlotWidget]:
    """textual-plot's widget, without focus (the Jobs tab's keys stay the Jobs tab's) and slim
    margins. Imported with the first chart: textual-plot loads numpy (~0.1 s), not needed to start."""
    from textual_plot import PlotWidget

    class _Plot(PlotWidget, can_focus=False):
        margin_top = reactive(0)
        margin_bottom = reactive(2)
        margin_left = reactive(7)

    return _Plot


class LossChart(Vertical):
    """A title line and the plot. ``show`` redraws from a trace; cheap enough to call a few times a second."""

    DEFAULT_CSS = """
    LossChart { height: 1fr; }
    LossChart #chart-title { height: 1; color: $text-muted; }
    LossChart #chart-plot { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = "loss"
        self._drawn: tuple[Any, ...] | None = None
        self._plot: Any = None  # the plot widget, mounted on the first show
        self._pending: tuple[JobTrace | None, bool, JobTrace | None] | None = None  # to show once laid out
        self.overlaid: list[str] = []  # the overlay's series drawn last time (labels), for tests and help
        self._waits = 0  # refreshes waited for the new plot to be laid out

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-title")

    def _show_pending(self) -> None:
        if self._pending is not None:
            trace, loading, overlay = self._pending
            self._pending = None
            self.show(trace, loading=loading, overlay=overlay)

    def show(
        self,
        trace: JobTrace | None,
        view: str | None = None,
        *,
        loading: bool = False,
        overlay: JobTrace | None = None,
    ) -> None:
        """Draw ``trace``'s loss (or accuracy) series, and ``overlay``'s (another job) over them on
        the same step axis; skips work when nothing changed."""
        if view is not None:
            self.view = view
        if self._plot is None:
            self._plot = _plot_class()(allow_pan_and_zoom=False, id="chart-plot")
            self.mount(self._plot)
        laid_out = self._plot.is_mounted and self._plot.size.width > 0
        if (not laid_out and self._waits < 10) or self._pending is not None:
            if self._pending is None:
                self._waits += 1
                self.call_after_refresh(self._show_pending)
            self._pending = (trace, loading, overlay)
            return
        plot = self._plot
        width = max(10, plot.size.width)
        key: tuple[Any, ...] = (
            trace.job_id if trace else "",
            self.view,
            trace.version if trace else -1,
            width,
            loading,
        )
        key += (overlay.job_id, overlay.version) if overlay is not None else ()
        if key == self._drawn:
            return
        self._drawn = key
        plot.clear()
        title = self.query_one("#chart-title", Static)
        title.styles.height = 2 if overlay is not None and trace is not None else 1  # a legend line per job
        specs = LOSS_SERIES if self.view == "loss" else ACCURACY_SERIES
        drawn = []
        if trace is not None:
            max_points = width * 2  # a low and a high point per cell column: all braille can show
            for series_key, label in specs:
                series = trace.series.get(series_key)
                if series is None or not len(series):
                    continue
                x, y = series.downsampled(max_points)
                from textual_plot import HiResMode

                plot.plot(x, y, line_style=COLOURS[label], hires_mode=HiResMode.BRAILLE)
                drawn.append(f"[{COLOURS[label]}]━ {label}[/] {series.values[-1]:.3f}")
        self.overlaid = []
        if trace is not None and overlay is not None:
            from textual_plot import HiResMode

            mine = [(label, COLOURS[label], trace.series[k].values[-1]) for k, label in specs if _has(trace, k)]
            theirs = []
            for series, label, colour in overlay_series(overlay, specs):
                x, y = series.downsampled(width * 2)
                plot.plot(x, y, line_style=colour, hires_mode=HiResMode.BRAILLE)
                self.overlaid.append(label)
                theirs.append((label, colour, series.values[-1]))
            steps = total_steps(trace, overlay)  # one step axis: the longer run's
            plot.set_xlimits(0, steps) if steps else plot.set_xlimits(None, None)
            head = "Loss" if self.view == "loss" else "Acc."
            title.update(
                f"{head:<5} {legend_line(short_id(trace.job_id), mine)}\n"
                f"{'vs':<5} {legend_line(short_id(overlay.job_id), theirs)}"
            )
            return
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


def _has(trace: JobTrace, key: str) -> bool:
    series = trace.series.get(key)
    return series is not None and len(series) > 0
