"""The shared facts: terminal-safe text and the API's hyperparameter rules."""

from __future__ import annotations

import pytest

from ftui.api_facts import HYPERPARAMETERS, HyperparameterError, check_seed, check_suffix, epochs_word
from ftui.textsafe import has_controls, safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # clear screen
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # set the title
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),  # write the clipboard
        ("\x9b31m", "\\x9b31m"),  # C1 CSI
        ("abc\u202edef", "abc\\u202edef"),  # bidi override
        ("plain 文字 ok", "plain 文字 ok"),
    ],
)
def test_control_characters_are_shown_not_obeyed(raw: str, shown: str) -> None:
    assert safe(raw) == shown
    assert "\x1b" not in safe(raw) and "\x07" not in safe(raw)


def test_newlines_kept_unless_one_line() -> None:
    assert safe("a\nb\tc") == "a\nb\tc"
    assert safe("a\nb\rc", one_line=True) == "a\\x0ab\\x0dc"
    assert not has_controls("a\nb") and has_controls("a\x1bb")


@pytest.mark.parametrize("value", ["auto", "", None, "AUTO"])
def test_auto_is_accepted(value: object) -> None:
    for rng in HYPERPARAMETERS.values():
        assert rng.check(value) == "auto"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("n_epochs", "3", 3), ("batch_size", 256, 256), ("learning_rate_multiplier", "0.05", 0.05), ("beta", 2, 2.0)],
)
def test_values_in_range(name: str, value: object, expected: object) -> None:
    assert HYPERPARAMETERS[name].check(value) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n_epochs", 0),
        ("n_epochs", 51),
        ("n_epochs", "2.5"),
        ("batch_size", 257),
        ("learning_rate_multiplier", 0),
        ("learning_rate_multiplier", "nan"),
        ("learning_rate_multiplier", "inf"),
        ("beta", 0),
        ("beta", 2.01),
        ("n_epochs", True),
    ],
)
def test_values_out_of_range_name_the_field(name: str, value: object) -> None:
    with pytest.raises(HyperparameterError, match=HYPERPARAMETERS[name].label):
        HYPERPARAMETERS[name].check(value)


def test_suffix_and_seed_rules() -> None:
    assert check_suffix("weather-bot_v1.2") == "weather-bot_v1.2"
    assert check_suffix("  ") is None
    with pytest.raises(HyperparameterError, match="characters"):
        check_suffix("my bot")
    with pytest.raises(HyperparameterError, match="at most 64"):
        check_suffix("x" * 65)
    with pytest.raises(HyperparameterError, match="Azure"):
        check_suffix("x" * 19, azure=True)
    assert check_seed("7") == 7 and check_seed(None) is None
    with pytest.raises(HyperparameterError):
        check_seed(-1)
    assert epochs_word(1) == "1 epoch" and epochs_word(2) == "2 epochs"
