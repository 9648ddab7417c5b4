"""Key parsing fixes applied once, before the app reads its first key.

Terminals send Alt+digit as ESC followed by the digit. Textual maps ESC 1 … ESC 4 to the
characters a macOS keyboard types with Option+digit (¡ ™ £ ¢), so ftui's Alt+1 … Alt+4
("switch tabs even while typing") never fired in a terminal and a ™ landed in the message
box instead. Dropping those four mappings lets the parser report them as alt+1 … alt+4.
A real ™ or £ typed by the user arrives as that character, not as ESC+digit, and is untouched.
"""

from __future__ import annotations

from typing import Any, cast

from textual import _ansi_sequences


def enable_alt_digits() -> None:
    """Make ESC 1 … ESC 4 arrive as alt+1 … alt+4."""
    for digit in "1234":
        cast(dict[str, Any], _ansi_sequences.ANSI_SEQUENCES_KEYS).pop(f"\x1b{digit}", None)  # a dict at run time
