"""Keeping a chat exchange: the example is checked, appended atomically, and never breaks the file."""

from __future__ import annotations

import json
import os

import pytest

from ftui.data.atomic import append_line_atomic, write_atomic
from ftui.data.keep import KeepError, append_example, exchange_example
from ftui.data.validate import validate_file
from tests.conftest import SAMPLES


def test_append_adds_a_newline_the_file_lacked(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"a": 1}')  # no final newline
    assert append_line_atomic(path, '{"b": 2}') == 2
    assert path.read_bytes() == b'{"a": 1}\n{"b": 2}\n'


def test_write_atomic_keeps_the_mode_and_leaves_no_temp_files(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    write_atomic(path, b"new\n")
    assert path.read_text() == "new\n" and (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["d.jsonl"]


def test_kept_exchange_validates_with_the_rest(tmp_path) -> None:
    path = tmp_path / "weather.jsonl"
    path.write_bytes((SAMPLES / "weather_jokes.jsonl").read_bytes())
    example = exchange_example("You are Sunny.", "Snow in Oslo?", "Oslo: snow all day. Why did the snowman smile?")
    line = append_example(path, example, "gpt-4o-mini")
    report = validate_file(path, "gpt-4o-mini")
    assert line == report.lines == 15 and report.errors == []
    assert json.loads(path.read_text().splitlines()[-1]) == example


def test_an_example_with_errors_is_refused_and_the_file_untouched(tmp_path) -> None:
    path = tmp_path / "weather.jsonl"
    original = (SAMPLES / "weather_jokes.jsonl").read_bytes()
    path.write_bytes(original)
    with pytest.raises(KeepError, match="error"):
        append_example(path, exchange_example(None, "hi", ""), "gpt-4o-mini")  # empty assistant reply
    assert path.read_bytes() == original


def test_a_dataset_of_another_format_is_refused(tmp_path) -> None:
    path = tmp_path / "dpo.jsonl"
    path.write_bytes((SAMPLES / "dpo.jsonl").read_bytes())
    with pytest.raises(KeepError, match="dpo"):
        append_example(path, exchange_example(None, "hi", "hello"), "gpt-4o-mini")


def test_a_new_file_is_created_but_never_a_folder(tmp_path) -> None:
    path = tmp_path / "kept.jsonl"
    assert append_example(path, exchange_example(None, "hi", "hello"), "gpt-4o-mini") == 1
    assert validate_file(path, "gpt-4o-mini").examples == 1
    with pytest.raises(KeepError, match="does not exist"):
        append_example(tmp_path / "new" / "kept.jsonl", exchange_example(None, "hi", "hello"), "gpt-4o-mini")
    assert not (tmp_path / "new").exists()
