"""Next-step commands printed by the CLI, written so they run as printed.

A hint such as ``ftui chat --model NAME`` is only true when it talks to the same provider as
the command that printed it: ``ftui_command`` adds the ``--profile`` / ``--base-url`` this run
used, and quotes each word for a POSIX shell (names from a server are escaped for the screen).
"""

from __future__ import annotations

import argparse
import shlex

from ftui.textsafe import safe


def ftui_command(args: argparse.Namespace | None, *words: str) -> str:
    """``ftui WORDS…`` plus the provider options of ``args``, each word quoted as a shell needs."""
    parts = ["ftui", *(shlex.quote(safe(w, one_line=True)) for w in words)]
    for flag, value in (("--profile", getattr(args, "profile", None)), ("--base-url", getattr(args, "base_url", None))):
        if value:
            parts += [flag, shlex.quote(safe(str(value), one_line=True))]
    return " ".join(parts)
