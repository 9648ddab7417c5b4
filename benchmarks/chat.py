"""Benchmark: drawing a streamed chat reply (a 9 KB Markdown answer) in the Chat tab's reply pane.

Usage: python benchmarks/chat.py [--kb 9] [--rate 500] [--runs 3]

Headless at 80x24. The reply arrives in 12-character pieces at ``--rate`` pieces a second (a
fast model). Measured in the same run for two ways of drawing it:

- **baseline**: what ftui did before: keep the text and re-render the whole document
  (``Markdown.update``) every 50 ms while it grows;
- **ftui**: the reply pane (``ftui.tui.chat.views.ReplyPane``): pieces go through Textual's
  ``MarkdownStream``, which re-parses only the last block and joins pieces that arrive
  faster than it draws.

For each: the time from the last piece to the whole reply drawn, the busy time of the UI loop
while the reply streamed (the time the loop could not answer a 5 ms ticker), and its worst
single stall (what a key pressed then would wait).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ftui.provider.chat import ChatResult
from ftui.tui.chat.views import ReplyPane

PARAGRAPH = (
    "The forecast for **Chicago** is windy: gusts of 40 km/h from the west, a dry afternoon and "
    "a cool evening. Pack a light jacket, and hold on to your hat at the lake front.\n\n"
)
LIST = "".join(f"- item {i}: `code {i}` and *emphasis* for the tenth time\n" for i in range(8)) + "\n"
CODE = "```python\n" + "".join(f"print('line {i}', {i} * 2)\n" for i in range(10)) + "```\n\n"


def reply(kb: int) -> str:
    parts, text = [f"## Part {n}\n\n" + PARAGRAPH + LIST + CODE for n in range(200)], ""
    for part in parts:
        if len(text) >= kb * 1024:
            break
        text += part
    return text[: kb * 1024]


class Bench(App):
    def __init__(self) -> None:
        super().__init__()
        self.pane: ReplyPane | None = None

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="t")


async def ticker(stalls: list[float], stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        stalls.append(max(0.0, now - last - 0.005))
        last = now


async def run_once(text: str, rate: float, ours: bool) -> tuple[float, float, float]:
    app = Bench()
    pieces = [text[i : i + 12] for i in range(0, len(text), 12)]
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.query_one("#t", VerticalScroll)
        stalls: list[float] = []
        stop = asyncio.Event()
        if ours:
            pane = ReplyPane("gpt-4o-mini", 0)
            await box.mount(pane)
            body = pane.query_one(Markdown)
        else:
            body = Markdown("")
            await box.mount(body)
        shown = ""

        def update_baseline() -> None:
            nonlocal shown
            if body.source != shown:
                body.update(shown)

        timer = None if ours else app.set_interval(0.05, update_baseline)
        tick = asyncio.ensure_future(ticker(stalls, stop))
        start = time.perf_counter()
        for n, piece in enumerate(pieces):
            if ours:
                await pane.add(piece)
            else:
                shown += piece
            delay = start + (n + 1) / rate - time.perf_counter()
            await asyncio.sleep(max(0.0, delay))
        last_piece = time.perf_counter()
        if ours:
            await pane.finish(ChatResult(model="m", text=text), stopped=False)
        else:
            timer.stop()
            await body.update(shown)
        while body.source != text:
            await asyncio.sleep(0.001)
        await pilot.pause()
        drawn = time.perf_counter() - last_piece
        stop.set()
        await tick
    return drawn, sum(stalls), max(stalls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kb", type=int, default=9)
    parser.add_argument("--rate", type=float, default=500.0, help="pieces per second")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text = reply(args.kb)
    results: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    for _ in range(args.runs):
        for ours in (False, True):
            results[ours].append(asyncio.run(run_once(text, args.rate, ours)))
    print(f"{len(text):,} characters in 12-character pieces at {args.rate:.0f} pieces/s, median of {args.runs}")
    for ours, name in ((False, "baseline (update every 50 ms)"), (True, "ftui (MarkdownStream)")):
        drawn, busy, worst = (statistics.median(r[i] for r in results[ours]) for i in range(3))
        print(
            f"{name:32} drawn {drawn * 1000:6.0f} ms after the last piece   "
            f"loop busy {busy:5.2f} s   worst stall {worst * 1000:5.0f} ms"
        )


if __name__ == "__main__":
    main()
