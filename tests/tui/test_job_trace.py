"""The Jobs tab's data: log lines, metric series, downsampling, the results CSV."""

from __future__ import annotations

import numpy as np
from openai.types.fine_tuning import FineTuningJobEvent

from ftui.session.trace import JobTrace, Series


def metric_event(step: int, **data) -> FineTuningJobEvent:
    return FineTuningJobEvent(
        id=f"ev-{step}",
        object="fine_tuning.job.event",
        created_at=1767261600 + step,
        level="info",
        message=f"Step {step}/100: training loss=1.00",
        type="metrics",
        data={"step": step, "total_steps": 100, **data},
    )


def test_events_become_lines_and_series_each_once() -> None:
    trace = JobTrace("j")
    events = [metric_event(s, train_loss=3 - s / 50, valid_loss=None if s % 5 else 3.1 - s / 50) for s in range(1, 11)]
    trace.add_events(events)
    trace.add_events(events[5:])  # a retry that delivers some again
    assert len(trace.lines) == 10 and trace.points == 10
    assert len(trace.series["valid_loss"]) == 2
    assert trace.last_point.step == 10 and trace.last_point.total_steps == 100
    assert "step 5/100 loss 2.9000" in trace.lines[4] and "val_loss 3.0000" in trace.lines[4]


def test_downsampling_keeps_spikes_and_bounds_the_points() -> None:
    s = Series()
    for step in range(100_000):
        s.add(step, 10.0 if step == 54_321 else 1.0 + (step % 7) / 100)
    x, y = s.downsampled(400)
    assert len(x) <= 402 and y.max() == 10.0 and y.min() == 1.0
    assert np.all(np.diff(x) > 0)  # still in step order


def test_results_csv_fills_the_chart_when_it_knows_more() -> None:
    trace = JobTrace("j")
    trace.add_events([metric_event(s, train_loss=2.0, full_valid_loss=2.5) for s in (10, 20)])
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    rows += [f"{s},{2 - s / 100},{0.5 + s / 200},," for s in range(1, 21)]
    assert trace.fill_from_csv("\n".join(rows) + "\n") == 20
    assert trace.from_csv and trace.points == 20
    assert len(trace.series["train_mean_token_accuracy"]) == 20  # train_accuracy is read as accuracy
    assert len(trace.series["full_valid_loss"]) == 2  # only events have these; kept
    before = trace.version
    assert trace.fill_from_csv("step,train_loss\n1,2.0\n") == 1 and trace.version == before  # fewer: ignored
