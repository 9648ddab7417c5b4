"""Whole-file validation: file-level findings, duplicates, samples, parallel == serial."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from ftui.data.validate import DatasetReadError, validate_file
from tests.conftest import SAMPLES, chat


@pytest.mark.parametrize(
    ("name", "model"),
    [("weather_jokes", None), ("tool_calls", None), ("dpo", None), ("completion", "babbage-002")],
)
def test_clean_samples_have_no_findings(name: str, model: str | None) -> None:
    report = validate_file(SAMPLES / f"{name}.jsonl", model)
    assert [(f.line, f.code) for f in report.findings] == []


def test_sample_formats_are_detected() -> None:
    formats = {
        n: validate_file(SAMPLES / f"{n}.jsonl").format for n in ("weather_jokes", "tool_calls", "dpo", "completion")
    }
    assert formats == {"weather_jokes": "chat", "tool_calls": "chat", "dpo": "dpo", "completion": "completion"}


def test_mistakes_sample_shows_every_error_code() -> None:
    from ftui.data.findings import ERROR_CODES, WARNING_CODES

    report = validate_file(SAMPLES / "mistakes.jsonl", "gpt-3.5-turbo-0613")
    found = {f.code for f in report.findings}
    # format_not_supported is about the model, not a line: completion.jsonl on a chat model shows it.
    found |= {f.code for f in validate_file(SAMPLES / "completion.jsonl", "gpt-3.5-turbo-0613").findings}
    assert set(ERROR_CODES) <= found
    assert set(WARNING_CODES) <= found


def test_mistakes_readme_lists_the_lines_that_show_each_code() -> None:
    readme = (SAMPLES / "README.md").read_text()
    report = validate_file(SAMPLES / "mistakes.jsonl", "gpt-3.5-turbo-0613")
    for f in report.findings:
        if f.line is not None:
            assert f"| {f.line} | `{f.code}`" in readme, (f.line, f.code)


def test_too_few_examples_and_blank_lines(write_jsonl: Callable[..., Path]) -> None:
    path = write_jsonl([chat(), "", chat(user="b")])
    report = validate_file(path)
    assert [(f.line, f.code) for f in report.findings] == [(None, "too_few_examples"), (2, "blank_line")]
    assert report.examples == 2


def test_duplicates_point_at_the_first_copy(write_jsonl: Callable[..., Path]) -> None:
    rows = [chat(user=f"q{i}") for i in range(12)]
    rows.insert(5, chat(user="q1"))
    report = validate_file(write_jsonl(rows))
    dup = [f for f in report.findings if f.code == "duplicate_example"]
    assert [(f.line, f.message) for f in dup] == [(6, "This example is identical to line 2.")]


def test_mixed_formats_is_one_file_level_error(write_jsonl: Callable[..., Path]) -> None:
    rows = [chat(user=f"q{i}") for i in range(11)] + [{"prompt": "p", "completion": "c"}]
    report = validate_file(write_jsonl(rows))
    mixed = [f for f in report.findings if f.code == "mixed_formats"]
    assert len(mixed) == 1 and mixed[0].line is None
    assert "completion first on line 12" in mixed[0].message
    assert report.format == "chat"


def test_crlf_file_is_valid(write_jsonl: Callable[..., Path]) -> None:
    report = validate_file(write_jsonl([chat(user=f"q{i}") for i in range(10)], newline=b"\r\n"))
    assert report.findings == []


def test_unreadable_paths_raise_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(DatasetReadError, match="no such file"):
        validate_file(tmp_path / "missing.jsonl")
    with pytest.raises(DatasetReadError, match="is a directory"):
        validate_file(tmp_path)


def test_parallel_scan_equals_serial_scan(tmp_path: Path) -> None:
    rng = random.Random(3)
    lines = []
    for i in range(3000):
        kind = rng.random()
        if kind < 0.02:
            lines.append(b"{broken")
        elif kind < 0.03:
            lines.append(b"")
        elif kind < 0.05:
            lines.append(json.dumps(chat(user="same")).encode())
        else:
            lines.append(json.dumps(chat(user=f"q{i} " + "word " * rng.randint(1, 40))).encode())
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    serial = validate_file(path, processes=1)
    from ftui.data import validate as v

    ranges_before = v.line_boundaries
    try:  # force many small ranges so duplicates cross range borders
        v.line_boundaries = lambda p, parts, min_size=1: ranges_before(p, 9, min_size=1024)
        parallel = validate_file(path, processes=2)
    finally:
        v.line_boundaries = ranges_before
    assert parallel.to_json() == serial.to_json()
    assert any(f.code == "duplicate_example" for f in serial.findings)
