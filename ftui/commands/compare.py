"""`ftui jobs compare A B [--json]`: two runs side by side (losses, accuracy, steps, tokens,
duration, cost). Exit 0 once both jobs are read."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from ftui.commands.api import EXIT_OK, dump, print_safe
from ftui.provider.compare import ROWS, job_summary

if TYPE_CHECKING:
    from ftui.provider.client import Provider


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def cell(key: str, value: Any) -> str:
    """One value as the table shows it ('—' when the job has none)."""
    if value is None:
        return "—"
    if key == "duration_s":
        return _duration(value)
    if key == "cost_usd":
        return f"${value:,.2f}" if value >= 0.01 else f"${value:.4f}"
    if key == "steps" or key == "trained_tokens":
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def table(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The side-by-side lines: a header with both ids, then one line per row."""
    rows = [("", a["id"], b["id"])]
    for label, key in ROWS:
        left, right = cell(key, a.get(key)), cell(key, b.get(key))
        if key == "steps":
            left += f"/{a['total_steps']:,}" if a.get("total_steps") else ""
            right += f"/{b['total_steps']:,}" if b.get("total_steps") else ""
        rows.append((label, left, right))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return [f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]}".rstrip() for r in rows]


async def jobs_compare(p: Provider, args: argparse.Namespace) -> int:
    a, b = await asyncio.gather(job_summary(p.client, args.a), job_summary(p.client, args.b))
    if args.json:
        dump({"a": a, "b": b})
        return EXIT_OK
    for line in table(a, b):
        print_safe(line)
    return EXIT_OK
