"""Distributions, epochs and the cost estimate, checked against numbers worked out by hand."""

from __future__ import annotations

import pytest

from ftui.data.catalog import load_catalog
from ftui.data.stats import default_epochs, distribution, estimate, percentile


def test_true_percentiles_not_deciles() -> None:
    values = list(range(1, 101))  # 1..100
    # linear interpolation: position (n-1)*q -> 99*0.05 = 4.95 -> 5 + 0.95*1 = 5.95
    assert percentile(values, 0.05) == pytest.approx(5.95)
    assert percentile(values, 0.95) == pytest.approx(95.05)
    d = distribution(values)
    assert d is not None
    assert (d.min, d.max, d.mean, d.median) == (1, 100, 50.5, 50.5)


def test_distribution_of_nothing_is_none() -> None:
    assert distribution([]) is None


@pytest.mark.parametrize(
    ("n", "epochs"),
    [(1, 25), (3, 25), (4, 25), (10, 10), (14, 7), (33, 3), (34, 3), (100, 3), (8333, 3), (8334, 2), (30000, 1)],
)
def test_cookbook_default_epochs(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


def test_estimate_arithmetic() -> None:
    model = load_catalog().lookup("gpt-4o-mini-2024-07-18")  # $3.00 / 1M, limit 65,536
    tokens = [1000, 2000, 70000] + [500] * 17  # 20 examples
    est = estimate(tokens, model)
    # 20 examples -> 20*3=60 < 100 -> min(25, 100 // 20) = 5 epochs
    # billing = 1000 + 2000 + 65536 (capped) + 17*500 = 77036
    assert est.epochs == 5
    assert est.billing_tokens == 77036
    assert est.charged_tokens == 385180
    assert est.price_per_1m == 3.0
    assert est.cost_usd == pytest.approx(1.1555, abs=1e-4)  # 385180 * 3 / 1e6 = 1.15554


def test_estimate_for_hourly_model_has_no_token_cost() -> None:
    est = estimate([100] * 10, load_catalog().lookup("o4-mini"))
    assert est.price_per_1m is None and est.cost_usd is None
