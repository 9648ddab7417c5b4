"""A line far over the token limit is known to be over long before it is fully counted:
counting stops there, the finding says "over N" with N a true lower bound, and the
example-level findings stay right (issue 23, "Bad input never stalls")."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ftui.data.scan import iter_range
from ftui.data.tokens import TokenCounter, get_encoding
from ftui.data.validate import validate_file

MODEL = "gpt-4o-mini"


def _over(report_findings: list, line: int) -> tuple[int, str]:
    found = [f for f in report_findings if f.code == "too_many_tokens" and f.line == line]
    assert len(found) == 1, found
    match = re.search(r"has over ([\d,]+) tokens", found[0].message)
    assert match, found[0].message
    return int(match.group(1).replace(",", "")), found[0].message


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def _filler(n: int) -> list[dict]:
    return [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]} for i in range(n)
    ]


def test_a_line_of_many_messages_stops_counting_past_the_limit(tmp_path: Path) -> None:
    """300k short messages: the count stops just past the limit; the assistant message at the
    very end still counts (no false "no assistant message"), the missing system message is
    still said, and the finding says how many messages were not checked one by one."""
    many = [{"role": "user", "content": "hi there"}] * 300_000 + [{"role": "assistant", "content": "ok"}]
    path = _write(tmp_path / "many.jsonl", [{"messages": many}, *_filler(12)])
    report = validate_file(path, MODEL, processes=1)
    n, message = _over(report.warnings + report.errors, 1)
    limit = 65_536
    exact = 3 + 300_000 * (3 + 1 + 2) + 3 + 1 + 1  # what a full count would give (a lower bound is asked)
    assert limit < n < limit + 100 < exact
    assert "not checked one by one" in message
    codes = {f.code for f in report.errors + report.warnings if f.line == 1}
    assert "example_missing_assistant_message" not in codes
    assert "missing_system_message" in codes


def test_an_unknown_role_past_the_limit_still_quiets_the_role_findings(tmp_path: Path) -> None:
    """As with a full check, a message with no known role may be the missing one."""
    many = [{"role": "user", "content": "hi there"}] * 20_000 + [
        {"content": "who?"},
        {"role": "assistant", "content": "ok"},
    ]
    path = _write(tmp_path / "unknown.jsonl", [{"messages": many}, *_filler(12)])
    report = validate_file(path, MODEL, processes=1)
    _over(report.warnings + report.errors, 1)
    codes = {f.code for f in report.errors + report.warnings if f.line == 1}
    assert "missing_system_message" not in codes
    assert "example_missing_assistant_message" not in codes


def test_a_long_string_says_a_true_lower_bound(tmp_path: Path) -> None:
    """A 1.5 MB string (tokenized in pieces, stopping past the limit): "over N" with N at most
    the real count, never a wrong number."""
    text = "The weather in Rome is sunny and warm today. " * 35_000
    path = _write(
        tmp_path / "long.jsonl",
        [{"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]}, *_filler(12)],
    )
    report = validate_file(path, MODEL, processes=1)
    n, _ = _over(report.warnings + report.errors, 1)
    exact = len(get_encoding("o200k_base").encode_ordinary(text))
    assert 65_536 < n <= exact + 20  # (pieces may add a token at a seam)
    assert n < exact // 2  # it stopped: it did not tokenize the whole string


def test_an_example_under_the_limit_keeps_its_exact_count() -> None:
    counter = TokenCounter("o200k_base", stop_over=65_536)
    text = "The weather in Rome is sunny. " * 5_000  # 150k characters, about 35k tokens
    exact = len(get_encoding("o200k_base").encode_ordinary(text))
    assert exact <= counter.count(text) <= exact + 3
    assert not counter.bounded


def test_a_line_longer_than_many_blocks_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    lines = [b"a" * 10, b"b" * 1000, b"", b"c" * 37 + b"\r", b"d" * 5]
    path.write_bytes(b"\n".join(lines))
    got = list(iter_range(path, 0, path.stat().st_size, block=16))
    assert got == [(1, b"a" * 10), (2, b"b" * 1000), (3, b""), (4, b"c" * 37), (5, b"d" * 5)]
