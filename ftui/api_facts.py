"""Facts about the fine-tuning API that several layers check: job statuses, hyperparameter
ranges, suffix and seed rules. One place, so the CLI, the TUI form and the sandbox agree.

Plain Python: no Textual, no network, no SDK.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
"""A job in one of these will never change again."""

PAUSABLE_STATUSES = frozenset({"running"})
RESUMABLE_STATUSES = frozenset({"paused", "pausing"})

SUFFIX_MAX = 64
AZURE_SUFFIX_MAX = 18
SUFFIX_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
SEED_MAX = 2_147_483_647

Auto = Literal["auto"]


class HyperparameterError(ValueError):
    """A value the API would refuse; the message names the field and the allowed range."""


@dataclass(frozen=True, slots=True)
class Range:
    """The allowed values of one hyperparameter (besides ``auto``)."""

    name: str  # the API's key
    label: str  # what the CLI / form calls it
    integer: bool
    lo: float
    hi: float
    lo_open: bool = False

    def describe(self) -> str:
        """'a whole number from 1 to 50', 'a number above 0', …"""
        kind = "a whole number" if self.integer else "a number"
        if math.isinf(self.hi):
            return f"{kind} {'above' if self.lo_open else 'of at least'} {self.lo:g}"
        if self.lo_open:
            return f"{kind} above {self.lo:g} and at most {self.hi:g}"
        return f"{kind} from {self.lo:g} to {self.hi:g}"

    def check(self, raw: object) -> int | float | Auto:
        """'auto' (also None or ''), or the value in range; raises HyperparameterError."""
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "auto")):
            return "auto"
        value: float
        if isinstance(raw, bool):
            raise HyperparameterError(f"{self.label}: {raw!r} is not {self.describe()}, or auto.")
        if isinstance(raw, int | float):
            value = raw
        else:
            text = str(raw).strip()
            try:
                value = int(text) if self.integer else float(text)
            except ValueError:
                raise HyperparameterError(f"{self.label}: {text!r} is not {self.describe()}, or auto.") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise HyperparameterError(f"{self.label}: {value!r} is not {self.describe()}, or auto.")
        if self.integer and not float(value).is_integer():
            raise HyperparameterError(f"{self.label}: {value:g} is not {self.describe()}, or auto.")
        low_ok = value > self.lo if self.lo_open else value >= self.lo
        if not low_ok or value > self.hi:
            raise HyperparameterError(
                f"{self.label}: {value:g} is out of range; it must be {self.describe()}, or auto."
            )
        return int(value) if self.integer else float(value)


HYPERPARAMETERS: dict[str, Range] = {
    "n_epochs": Range("n_epochs", "Epochs", True, 1, 50),
    "batch_size": Range("batch_size", "Batch size", True, 1, 256),
    "learning_rate_multiplier": Range("learning_rate_multiplier", "LR multiplier", False, 0, math.inf, lo_open=True),
    "beta": Range("beta", "DPO beta", False, 0, 2, lo_open=True),
}


def check_suffix(raw: str | None, *, azure: bool = False) -> str | None:
    """None for no suffix, or the suffix; raises HyperparameterError naming the rule broken."""
    if raw is None or raw.strip() == "":
        return None
    limit = AZURE_SUFFIX_MAX if azure else SUFFIX_MAX
    if len(raw) > limit:
        where = " on Azure" if azure else ""
        raise HyperparameterError(f"Suffix: {len(raw)} characters; at most {limit} are allowed{where}.")
    if not SUFFIX_PATTERN.fullmatch(raw):
        raise HyperparameterError(
            f"Suffix: {raw!r} has characters a model name cannot hold; use letters, digits, '.', '_' and '-'."
        )
    return raw


def check_seed(raw: object) -> int | None:
    """None for no seed, or the seed; raises HyperparameterError."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool):
        raise HyperparameterError(f"Seed: {raw!r} is not a whole number.")
    try:
        seed = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        raise HyperparameterError(f"Seed: {str(raw).strip()!r} is not a whole number.") from None
    if not 0 <= seed <= SEED_MAX:
        raise HyperparameterError(f"Seed: it must be a whole number from 0 to {SEED_MAX}.")
    return seed


def epochs_word(n: int) -> str:
    """'1 epoch', '3 epochs'."""
    from ftui.words import plural

    return plural(n, "epoch")


__all__ = [
    "HYPERPARAMETERS",
    "PAUSABLE_STATUSES",
    "RESUMABLE_STATUSES",
    "SEED_MAX",
    "SUFFIX_MAX",
    "TERMINAL_STATUSES",
    "HyperparameterError",
    "Range",
    "check_seed",
    "check_suffix",
    "epochs_word",
]
