"""What ftui knows about one job while watching it: events as log lines, metric series, checkpoints.

Plain Python (no Textual): the Jobs tab's handlers own one ``JobTrace`` per job and the
widgets draw from it. Series are kept in compact float arrays so 100k points cost little,
and are downsampled (min/max per bucket, so spikes survive) before drawing.
"""

from __future__ import annotations

import csv
import io
import math
import time
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftui.provider.events import EventKind, MetricPoint, event_kind, metric_point
from ftui.textsafe import safe

if TYPE_CHECKING:
    import numpy as np

# Series drawn on the two chart views: (key in MetricPoint / CSV, legend label).
LOSS_SERIES = (("train_loss", "train"), ("valid_loss", "valid"), ("full_valid_loss", "full valid"))
ACCURACY_SERIES = (
    ("train_mean_token_accuracy", "train"),
    ("valid_mean_token_accuracy", "valid"),
    ("full_valid_mean_token_accuracy", "full valid"),
)
_SERIES_KEYS = tuple(key for key, _ in (*LOSS_SERIES, *ACCURACY_SERIES))
_CSV_ALIASES = {"train_accuracy": "train_mean_token_accuracy"}


def clock(ts: int | float | None, now: float | None = None) -> str:
    """A timestamp in at most 12 columns: HH:MM:SS today, 'Jan 05 14:02' this year, else the date."""
    if not ts:
        return "—"
    now = time.time() if now is None else now
    when, today = time.localtime(ts), time.localtime(now)
    if when[:3] == today[:3]:
        pattern = "%H:%M:%S"
    elif when.tm_year == today.tm_year:
        pattern = "%b %d %H:%M"
    else:
        pattern = "%Y-%m-%d"
    return time.strftime(pattern, when)


class _Clock:
    """``clock`` for a stream of timestamps: events share seconds, so remember the last answer."""

    def __init__(self) -> None:
        self._last: tuple[int, str] = (-1, "")
        self._now = time.time()

    def __call__(self, ts: int | float | None) -> str:
        if not ts:
            return "—"
        second = int(ts)
        if second != self._last[0]:
            self._last = (second, clock(second, self._now))
        return self._last[1]


def event_line(event: Any, point: MetricPoint | None = None, when: str | None = None) -> str:
    """One log line for an event: time, level, message (metrics compact).

    The message is the server's text: control characters are escaped (``safe``) so it can
    neither drive the terminal nor break out of its line."""
    if point is None:
        point = metric_point(event)
    if when is None:
        when = clock(event.created_at)
    if point is None:
        level = safe(getattr(event, "level", "info") or "info", one_line=True)
        return f"{when} {level:<5} {safe(event.message or '', one_line=True)}"
    return f"{when} train " + point.summary()


@dataclass
class Series:
    """One metric over steps, appended in arrival order."""

    steps: array[float] = field(default_factory=lambda: array("d"))
    values: array[float] = field(default_factory=lambda: array("d"))

    def add(self, step: float, value: float) -> None:
        self.steps.append(step)
        self.values.append(value)

    def __len__(self) -> int:
        return len(self.steps)

    def downsampled(self, max_points: int) -> tuple[np.ndarray, np.ndarray]:
        """At most ~``max_points`` points: each bucket keeps its lowest and highest value."""
        import numpy as np  # here, not at start-up: numpy takes ~0.1 s to load and only charts need it

        x = np.frombuffer(self.steps, dtype=np.float64) if self.steps else np.empty(0)
        y = np.frombuffer(self.values, dtype=np.float64) if self.values else np.empty(0)
        n = len(x)
        if n <= max_points or max_points < 4:
            return x.copy(), y.copy()
        bucket = math.ceil(n / (max_points // 2))
        whole = (n // bucket) * bucket
        yb = y[:whole].reshape(-1, bucket)
        base = np.arange(0, whole, bucket)
        lo, hi = base + yb.argmin(axis=1), base + yb.argmax(axis=1)
        idx = np.sort(np.concatenate([lo, hi, np.arange(whole, n)]))
        return x[idx], y[idx]


@dataclass
class JobTrace:
    """Everything shown for one job: its latest state, log lines, metric series, checkpoints."""

    job_id: str
    job: Any = None
    lines: list[str] = field(default_factory=list)
    kinds: bytearray = field(default_factory=bytearray)  # one EventKind per line, for styling
    series: dict[str, Series] = field(default_factory=dict)
    last_point: MetricPoint | None = None
    checkpoints: list[Any] = field(default_factory=list)
    reconnecting: str | None = None
    reconnects: int = 0  # times the connection was lost while watching (each recovered or still trying)
    retry_at: float | None = None  # wall time of the next try after watching failed (None: not waiting)
    retry_attempt: int = 0  # how many times watching failed in a row
    retry_reason: str = ""  # why the last try failed (one sentence, already safe)
    from_csv: bool = False
    complete: bool = False  # every event of a finished job is here; no need to follow again
    event_ids: set[str] = field(default_factory=set)
    version: int = 0  # bumped on every change; views redraw when it moved

    def add_events(self, events: list[Any]) -> int:
        """Append events (oldest first); an event already here is skipped. Returns how many of
        the new events announce a checkpoint (the checkpoint list is then worth asking for)."""
        stamp = _Clock()
        seen, lines, kinds = self.event_ids, self.lines, self.kinds
        checkpoints = 0
        for event in events:
            if event.id in seen:
                continue
            seen.add(event.id)
            point = metric_point(event)
            kind = event_kind(event, point)
            lines.append(event_line(event, point, stamp(event.created_at)))
            kinds.append(kind)
            if point is not None:
                self.add_point(point)
            elif kind == EventKind.CHECKPOINT:
                checkpoints += 1
        self.version += 1
        return checkpoints

    def add_point(self, point: MetricPoint) -> None:
        series = self.series
        for key in _SERIES_KEYS:
            value = getattr(point, key)
            if value is not None and math.isfinite(value):
                target = series.get(key)
                if target is None:
                    target = series[key] = Series()
                target.steps.append(point.step)
                target.values.append(value)
        if self.last_point is None or point.step >= self.last_point.step:
            self.last_point = point

    @property
    def points(self) -> int:
        return len(self.series.get("train_loss", ()))

    def fill_from_csv(self, text: str) -> int:
        """Replace the series with the results CSV when it holds more points; returns rows read."""
        reader = csv.DictReader(io.StringIO(text))
        fresh: dict[str, Series] = {}
        rows = 0
        last_step = 0
        for row in reader:
            try:
                step = int(float(row.get("step") or ""))
            except ValueError:
                continue
            rows += 1
            last_step = max(last_step, step)
            for name, raw in row.items():
                key = _CSV_ALIASES.get(name or "", name or "")
                if key == "step" or not raw:
                    continue
                try:
                    value = float(raw)
                except ValueError:
                    continue
                if math.isfinite(value):
                    fresh.setdefault(key, Series()).add(step, value)
        if len(fresh.get("train_loss", ())) > self.points:
            # Full-validation points only come from events; keep them.
            for key in ("full_valid_loss", "full_valid_mean_token_accuracy"):
                if key in self.series and key not in fresh:
                    fresh[key] = self.series[key]
            self.series = fresh
            self.from_csv = True
            if self.last_point is None or self.last_point.step < last_step:
                self.last_point = MetricPoint(step=last_step, total_steps=last_step)
            self.version += 1
        return rows
