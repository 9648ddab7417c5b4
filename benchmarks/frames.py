"""Shared by the TUI benchmarks: the time of every frame the app draws."""

from __future__ import annotations

import time
from typing import Any


def record_frames(app: Any) -> list[float]:
    """Wrap the app's display so each drawn frame appends its ``perf_counter`` time to the list.

    Times are taken to the frame that shows a result, as a person would see it (Pilot's own
    press/pause round trip would add ~90 ms of waiting to each).
    """
    frames: list[float] = []
    original_display = app._display

    def display(*args: Any, **kwargs: Any) -> Any:
        frames.append(time.perf_counter())
        return original_display(*args, **kwargs)

    app._display = display
    return frames
