"""Make hostile text safe for a terminal: control characters are shown, never obeyed.

Anything that came from a file, a server or a model may hold ESC sequences (clear the
screen, set the title, OSC 52 to write the clipboard), BEL, C1 controls or bidi overrides.
``safe`` replaces each with a visible escape such as ``\\x1b`` so the user sees what the
data holds and the terminal stays the user's. Used by every CLI printer and every TUI view.
"""

from __future__ import annotations

import unicodedata

_KEEP_MULTILINE = {"\n", "\t"}
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _table(keep: set[str]) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI, 0x2028, 0x2029):
        if chr(code) not in keep:
            table[code] = _escape(code)
    return table


_MULTILINE = _table(_KEEP_MULTILINE)
_ONE_LINE = _table(set())


def safe(text: object, *, one_line: bool = False) -> str:
    """``text`` with every terminal control character replaced by a visible escape.

    Newlines and tabs are kept unless ``one_line`` (then they are escaped too, so a value
    can never break out of its row). Non-strings are converted with ``str`` first.
    """
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():  # the common case: nothing to do (isprintable is False for \n, \t, ESC …)
        return s
    return s.translate(_ONE_LINE if one_line else _MULTILINE)


def has_controls(text: str) -> bool:
    """True when ``safe`` would change ``text`` (newlines and tabs allowed)."""
    return text.translate(_MULTILINE) != text


def is_control(ch: str) -> bool:
    """True for a character that a terminal may act on."""
    return unicodedata.category(ch) == "Cc" or ord(ch) in _BIDI or ord(ch) in (0x2028, 0x2029)


__all__ = ["has_controls", "is_control", "safe"]
