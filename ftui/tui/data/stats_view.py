"""Stats and the cost estimate for the chosen model."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Select, Static

from ftui.data.catalog import load_catalog
from ftui.data.validate import Report
from ftui.words import plural

_LABELS = {
    "messages_per_example": "messages",
    "tokens_per_example": "tokens",
    "assistant_tokens_per_example": "assistant tokens",
}


def model_options() -> list[tuple[str, str]]:
    return [(name, name) for name in load_catalog().models]


def render_stats(report: Report | None, progress: float) -> RenderableType:
    if report is None:
        return Text(f"Validating… {progress:.0%}", style="dim")
    info = report.model_info
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("per example")
    for col in ("min", "p5", "median", "mean", "p95", "max"):
        table.add_column(col, justify="right")
    for key, label in _LABELS.items():
        d = report.stats.get(key)
        if d is None:
            table.add_row(label, *["–"] * 6)
        else:
            table.add_row(
                label,
                *(
                    f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
                    for v in (d.min, d.p5, d.median, d.mean, d.p95, d.max)
                ),
            )
    over = sum(1 for f in report.findings if f.code == "too_many_tokens")
    est = report.estimate
    lines = Text()
    lines.append(f"{plural(report.examples, 'example')} ({report.parsed:,} parsed), format {report.format or '–'}\n")
    lines.append(f"{info.encoding}, {info.token_limit:,}-token limit; {over:,} over it\n")
    lines.append(
        f"{plural(est.epochs, 'epoch')} × {est.billing_tokens:,} billing tokens = {est.charged_tokens:,} charged\n"
    )
    if est.cost_usd is not None and est.price_per_1m is not None:
        lines.append("Cost ", style="bold")
        lines.append(f"${est.cost_usd:,.2f}", style="bold green")
        lines.append(f" at ${est.price_per_1m:.2f}/1M (prices of {report.prices_captured})\n")
    elif info.training_per_hour:
        lines.append(f"Billed per training hour (${info.training_per_hour:.2f}/h)\n")
    else:
        lines.append("No training price known for this model\n", style="yellow")
    if info.shutdown_date:
        lines.append(f"{info.name} shuts down on {info.shutdown_date}\n", style="yellow")
    return Group(lines, table)


class StatsView(VerticalScroll):
    """Model picker on top, numbers below."""

    HELP = """
## Stats and estimate
Token distributions and what training would cost. Pick another base model to see its
tokenizer, limit and price; the file is checked again for that model.

- `m` picks the base model (or `Tab` to the model box, then `Enter`)
- `j`/`k` scroll
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "pick_model", "Model", id="stats.model"),
        Binding("j", "scroll_down", "Down", show=False, id="stats.down"),
        Binding("k", "scroll_up", "Up", show=False, id="stats.up"),
    ]

    def __init__(self, model: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._model = model

    def compose(self):
        yield Select(
            model_options(), value=self._model, allow_blank=False, id="model-select", prompt="Model", compact=True
        )
        yield Static(id="stats-body")

    def action_pick_model(self) -> None:
        select = self.query_one("#model-select", Select)
        select.focus()
        select.action_show_overlay()

    def show(self, report: Report | None, progress: float) -> None:
        self.query_one("#stats-body", Static).update(render_stats(report, progress))
