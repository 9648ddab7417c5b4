"""Property tests: no input, however broken, makes the validator raise."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftui.data.rules import ExampleChecker
from ftui.data.tokens import TokenCounter
from ftui.data.validate import validate_file

CHECKER = ExampleChecker(TokenCounter("o200k_base"), token_limit=100)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
roles = st.sampled_from(["system", "user", "assistant", "tool", "function", "developer", "bogus"])
message = st.fixed_dictionaries(
    {"role": roles},
    optional={
        "content": json_values,
        "name": json_values,
        "weight": json_values,
        "tool_calls": json_values,
        "tool_call_id": json_values,
        "function_call": json_values,
    },
)
examples = st.one_of(
    st.fixed_dictionaries({"messages": st.lists(message | json_values, max_size=5)}, optional={"tools": json_values}),
    st.fixed_dictionaries(
        {}, optional={"input": json_values, "preferred_output": json_values, "non_preferred_output": json_values}
    ),
    st.fixed_dictionaries({}, optional={"prompt": json_values, "completion": json_values}),
    json_values,
)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(raw: bytes) -> None:
    CHECKER.check_line(1, raw)


@settings(max_examples=600, deadline=None)
@given(examples)
def test_random_json_never_raises(example: object) -> None:
    result = CHECKER.check_line(1, json.dumps(example).encode())
    for f in result.findings:
        assert f.line == 1 and f.code and f.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=60) | examples.map(lambda e: json.dumps(e).encode()), max_size=15))
def test_random_files_never_raise(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.jsonl"
        path.write_bytes(b"\n".join(lines))
        report = validate_file(path, processes=1)
        json.dumps(report.to_json())
