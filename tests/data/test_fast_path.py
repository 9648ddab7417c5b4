"""The one-pass fast path for plain chat lines agrees with the full checker, line by line and file-wide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import from_json

from ftui.data import report as report_module
from ftui.data.rules import ExampleChecker
from ftui.data.tokens import TokenCounter
from ftui.data.validate import validate_file
from tests.conftest import chat

CHECKER = ExampleChecker(TokenCounter("o200k_base"), token_limit=80)

texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "Sunny.", "天气晴", "a" * 300, "line\nbreak", "<|endoftext|>"]),
)
plain_message = st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant"]), "content": texts})
odd_message = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "user", "assistant", "developer", "tool", "bogus", 3, None])},
        optional={"content": st.none() | texts | st.just([{"type": "text", "text": "hi"}]), "name": texts},
    ),
    st.fixed_dictionaries({"role": st.just("assistant"), "content": texts, "weight": st.sampled_from([0, 1, 0.5])}),
    st.just("not a message"),
)
messages = st.lists(st.one_of(plain_message, plain_message, plain_message, odd_message), max_size=6)
examples = st.one_of(
    st.fixed_dictionaries({"messages": messages}),
    st.fixed_dictionaries({"messages": messages}, optional={"tools": st.just([]), "extra": st.just(1)}),
    st.fixed_dictionaries({"messages": st.none() | st.just("x") | st.just([])}),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(examples)
def test_fast_path_agrees_with_the_full_checker(example: dict) -> None:
    obj = from_json(json.dumps(example, ensure_ascii=False))
    fast = CHECKER.plain_chat(7, obj)
    full = CHECKER.check_object(7, obj)
    if fast is None:
        return  # declined: the full checker's answer is the answer
    assert full.format is not None and full.format.value == "chat" and full.parsed
    assert fast.findings == full.findings
    assert (fast.messages, fast.tokens, fast.assistant_tokens, fast.system_message) == (
        full.messages,
        full.tokens,
        full.assistant_tokens,
        full.system_message,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(plain_message, min_size=1, max_size=6))
def test_plain_lines_take_the_fast_path_unless_they_have_errors(msgs: list[dict]) -> None:
    obj = from_json(json.dumps({"messages": msgs}))
    fast = CHECKER.plain_chat(1, obj)
    full = CHECKER.check_object(1, obj)
    has_error = any(f.severity.value == "error" for f in full.findings)
    too_long = any(f.code == "too_many_tokens" for f in full.findings)
    assert (fast is None) == (has_error or too_long)


def _lines(seed: int, n: int) -> list[bytes]:
    import random

    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.6:
            row = chat(user=f"q{i} " + "word " * rng.randint(0, 30), answer="ok " * rng.randint(1, 20))
        elif kind < 0.7:
            row = chat(user="same")  # duplicates
        elif kind < 0.75:
            row = chat(system=None)
        elif kind < 0.8:
            row = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "", "weight": 1}]}
        elif kind < 0.85:
            row = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a" * 70_000}]}
        elif kind < 0.9:
            out.append(b"{broken")
            continue
        elif kind < 0.93:
            out.append(b"")
            continue
        else:
            row = {"prompt": "p", "completion": f"c{i}"}
        out.append(json.dumps(row).encode())
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_a_file_checked_with_and_without_the_fast_path_gives_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(_lines(seed, 1500)) + b"\n")
    taken = []
    plain_chat = ExampleChecker.plain_chat

    def spy(self: ExampleChecker, line: int, obj: object):
        answer = plain_chat(self, line, obj)
        taken.append(answer is not None)
        return answer

    monkeypatch.setattr(ExampleChecker, "plain_chat", spy)
    fast = validate_file(path, "gpt-4o-mini", processes=1)
    assert sum(taken) > 900  # most lines took the fast path
    monkeypatch.setattr(ExampleChecker, "plain_chat", lambda self, line, obj: None)
    full = validate_file(path, "gpt-4o-mini", processes=1)
    assert fast.to_json() == full.to_json()
    assert fast.system_messages == full.system_messages and fast.format_counts == full.format_counts


def test_packed_duplicates_sorted_agree_with_the_dict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "dups.jsonl"
    path.write_bytes(b"\n".join(_lines(5, 3000)) + b"\n")
    by_dict = validate_file(path, processes=1)
    monkeypatch.setattr(report_module, "_DICT_DUPLICATES", 0)  # sort the packed digests instead
    by_sort = validate_file(path, processes=1)
    assert by_sort.to_json() == by_dict.to_json()
    assert by_dict.count("duplicate_example") > 100
