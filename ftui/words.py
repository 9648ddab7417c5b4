"""Small words for sentences: a count with its noun in the right number."""

from __future__ import annotations


def plural(count: int | float, noun: str, plural_form: str | None = None) -> str:
    """'1 epoch', '3 epochs', '1,200 examples' (counts with thousands separators)."""
    number = f"{count:,}" if isinstance(count, int) else f"{count:g}"
    return f"{number} {noun if count == 1 else plural_form or noun + 's'}"
