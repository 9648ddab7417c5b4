"""What each model can train on: a file in another format is an error naming both."""

from __future__ import annotations

import pytest

from ftui.commands.validate import run
from ftui.data.catalog import load_catalog
from ftui.data.validate import validate_file
from tests.conftest import SAMPLES


@pytest.mark.parametrize(
    ("sample", "model", "ok"),
    [
        ("completion.jsonl", "gpt-4o-mini", False),
        ("completion.jsonl", "gpt-4.1", False),
        ("completion.jsonl", "davinci-002", True),
        ("weather_jokes.jsonl", "babbage-002", False),
        ("dpo.jsonl", "davinci-002", False),
        ("dpo.jsonl", "gpt-4o-mini", True),
        ("weather_jokes.jsonl", "gpt-4.1-mini", True),
        ("weather_jokes.jsonl", "o4-mini", False),
    ],
)
def test_format_against_model(sample: str, model: str, ok: bool) -> None:
    report = validate_file(SAMPLES / sample, model)
    found = [f for f in report.errors if f.code == "format_not_supported"]
    assert (not found) is ok
    if not ok:
        assert report.format is not None
        assert load_catalog().lookup(model).name in found[0].message and "format" in found[0].message


def test_the_cli_exits_1_for_a_completion_file_on_a_chat_model(capsys) -> None:
    assert run(str(SAMPLES / "completion.jsonl"), "gpt-4o-mini", as_json=True) == 1


def test_unknown_models_accept_any_format() -> None:
    assert load_catalog().lookup("my-own-model").accepts("completion")
