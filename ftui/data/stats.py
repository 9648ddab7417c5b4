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


def epochs_word(n: int) -> str:
    """'1 epoch', '3 epochs'."""
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def usd_text(usd: float | None) -> str:
    """'~$1.23', '~$0.0070' below a cent, 'unknown cost' without a price."""
    if usd is None:
        return "unknown cost"
    return f"~${usd:,.2f}" if usd >= 0.01 else f"~${usd:.4f}"


def training_cost(tokens: int, price_per_1m: float | None) -> float | None:
    """Dollars for ``tokens`` trained at ``price_per_1m`` (None: no price known)."""
    return None if price_per_1m is None else tokens * price_per_1m / 1_000_000


@dataclass(frozen=True, slots=True)
class JobCost:
    """What one job costs: the epochs it trains (``auto``: the provider's rule of thumb, as
    estimated), each over the billing tokens, at a training price. The CLI, the new-job form
    and Run again on… all price a job with this."""

    epochs: int
    auto: bool
    billing_tokens: int
    price_per_1m: float | None

    @property
    def charged_tokens(self) -> int:
        return self.epochs * self.billing_tokens

    @property
    def usd(self) -> float | None:
        return training_cost(self.charged_tokens, self.price_per_1m)

    @property
    def epochs_text(self) -> str:
        """'3 epochs', '3 epochs (auto)'."""
        return epochs_word(self.epochs) + (" (auto)" if self.auto else "")

    def words(self) -> str:
        """'2 epochs (auto) × 1,169 tokens = 2,338 training tokens, ~$0.0070'."""
        return (
            f"{self.epochs_text} × {self.billing_tokens:,} tokens = {self.charged_tokens:,} training tokens, "
            f"{usd_text(self.usd)}"
        )


def job_cost(est: Estimate, epochs: object = None, price_per_1m: float | None = None) -> JobCost:
    """The job's cost from a file's estimate: ``epochs`` as asked (a number; anything else, such
    as 'auto' or None, is the estimate's own), at ``price_per_1m`` (default: the estimate's)."""
    asked = isinstance(epochs, int) and not isinstance(epochs, bool)
    n = int(epochs) if asked else est.epochs  # type: ignore[call-overload]
    price = est.price_per_1m if price_per_1m is None else price_per_1m
    return JobCost(n, not asked, est.billing_tokens, price)


def estimate(token_counts: Sequence[int], model: ModelInfo, epochs: int | None = None) -> Estimate:
    """Billing tokens cap each example at the model's limit; charged = epochs x billing."""
    n_epochs = epochs if epochs is not None else default_epochs(len(token_counts))
    limit = model.token_limit
    billing = sum(min(limit, t) for t in token_counts)
    charged = n_epochs * billing
    price = model.training_price
    cost = training_cost(charged, price)
    return Estimate(n_epochs, billing, charged, price, None if cost is None else round(cost, 4))
