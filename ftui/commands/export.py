"""`ftui export DIR`: every file's bytes, every job (JSON, events, checkpoints), the fine-tuned
models and, on Azure, the deployments, with DIR/manifest.json (layout: ``ftui.export.manifest``).

Progress goes to stderr (items, bytes and a rate), the ``--json`` summary to stdout. Exit 0 when
everything is there, 1 with the list of what is missing and why, 2 when DIR cannot be used, 3
when the provider cannot be reached (or repeats its pages)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ftui.commands.api import EXIT_FAILED, EXIT_MISUSE, EXIT_OK, dump
from ftui.export.run import Exporter, ExportError, Progress, human_bytes
from ftui.term import fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider

EVERY = 0.5  # seconds between progress lines when stderr is not a terminal


class ProgressLine:
    """Progress on stderr: one line redrawn in place on a terminal, a line every so often elsewhere."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._phase = ""

    def __call__(self, state: Progress) -> None:
        now = time.monotonic()
        if state.phase == self._phase and now - self._last < (0.1 if self.tty else EVERY):
            return
        self._last, self._phase = now, state.phase
        text = safe(state.line(), one_line=True)
        if self.tty:
            sys.stderr.write(f"\r\033[K{text}")
        else:
            sys.stderr.write(f"export: {text}\n")
        sys.stderr.flush()

    def end(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


async def export(p: Provider, args: argparse.Namespace) -> int:
    root = Path(args.dir).expanduser()
    directory = p.deployment_directory()
    progress = ProgressLine()
    exporter = Exporter(
        p.client,
        root,
        profile=p.profile.name,
        provider=p.profile.provider,
        deployments=directory.refresh if directory is not None else None,
        progress=progress,
    )
    try:
        result = await exporter.run()
    except ExportError as exc:
        progress.end()
        return fail(str(exc), EXIT_MISUSE)
    progress.end()
    m = result.manifest
    shown = safe(str(root), one_line=True)
    for item in m.missing:
        what = f"{item.kind} {item.id}" if item.id else item.kind
        print(safe(f"missing: {what}: {item.reason}", one_line=True), file=sys.stderr)
    if args.json:
        dump(result.as_json())
    else:
        state = "complete" if m.complete else f"incomplete: {len(m.missing)} missing (listed above)"
        fetched = human_bytes(result.fetched_bytes)
        print(f"{shown}: {result.counts()}; {len(result.written)} written, {fetched} fetched; {state}")
    return EXIT_OK if m.complete else EXIT_FAILED
