"""Distributions and the cost estimate (cookbook epoch rule, billing and charged tokens)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ftui.data.catalog import ModelInfo

MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25
DEFAULT_EPOCHS = 3


@dataclass(frozen=True, slots=True)
class Dist:
    """min, max, mean, median and true 5th / 95th percentiles (linear interpolation)."""

    min: float
    max: float
    mean: float
    median: float
    p5: float
    p95: float

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def percentile(sorted_values: Sequence[int | float], q: float) -> float:
    """The q-th quantile (0..1) of sorted data by linear interpolation between ranks."""
    n = len(sorted_values)
    if n == 0:
        return 0.0
    pos = (n - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac)


def distribution(values: Sequence[int | float]) -> Dist | None:
    """Summarise values; None when there are none."""
    if not values:
        return None
    data = sorted(values)
    return Dist(
        min=float(data[0]),
        max=float(data[-1]),
        mean=round(sum(data) / len(data), 2),
        median=percentile(data, 0.5),
        p5=round(percentile(data, 0.05), 2),
        p95=round(percentile(data, 0.95), 2),
    )


def default_epochs(n_examples: int) -> int:
    """The cookbook's default epoch count for a dataset of n examples."""
    if n_examples <= 0:
        return DEFAULT_EPOCHS
    if n_examples * DEFAULT_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * DEFAULT_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return DEFAULT_EPOCHS


@dataclass(frozen=True, slots=True)
class Estimate:
    """What training would cost: epochs x billing tokens at the model's training price."""

    epochs: int
    billing_tokens: int
    charged_tokens: int
    price_per_1m: float | None
    cost_usd: float | None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def estimate(token_counts: Sequence[int], model: ModelInfo, epochs: int | None = None) -> Estimate:
    """Billing tokens cap each example at the model's limit; charged = epochs x billing."""
    n_epochs = epochs if epochs is not None else default_epochs(len(token_counts))
    limit = model.token_limit
    billing = sum(min(limit, t) for t in token_counts)
    charged = n_epochs * billing
    price = model.training_price
    cost = round(charged * price / 1_000_000, 4) if price is not None else None
    return Estimate(n_epochs, billing, charged, price, cost)
