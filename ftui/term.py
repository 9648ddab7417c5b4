"""Small helpers for plain terminal output: colour only on a TTY, honouring NO_COLOR."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_CODES = {"red": "31", "yellow": "33", "green": "32", "dim": "2", "bold": "1", "cyan": "36"}


class Style:
    """Wraps text in ANSI colours when the stream is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def fail(message: str, code: int = 2) -> int:
    """Print one clear sentence to stderr and return the exit code (control characters in it,
    say from a server's error body or a file name, are shown escaped, never obeyed; every
    credential ftui knows of, and anything shaped like one, is redacted)."""
    from ftui.credentials import redact
    from ftui.textsafe import safe

    print(f"ftui: {safe(redact(message))}", file=sys.stderr)
    return code
