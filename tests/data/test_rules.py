"""Each validation rule: an example that trips it and one that does not."""

from __future__ import annotations

import json

import pytest

from ftui.data.rules import ExampleChecker
from ftui.data.tokens import TokenCounter
from tests.conftest import chat


@pytest.fixture(scope="module")
def checker() -> ExampleChecker:
    return ExampleChecker(TokenCounter("o200k_base"), token_limit=65536)


def codes(checker: ExampleChecker, example: object) -> list[tuple[str, str | None]]:
    raw = example if isinstance(example, bytes) else json.dumps(example).encode()
    return [(f.code, f.field) for f in checker.check_line(7, raw).findings]


SYS = {"role": "system", "content": "s"}
USER = {"role": "user", "content": "u"}
ASSIST = {"role": "assistant", "content": "a"}


def test_clean_example_has_no_findings(checker: ExampleChecker) -> None:
    assert codes(checker, chat()) == []


def test_findings_carry_the_line_number(checker: ExampleChecker) -> None:
    found = checker.check_line(42, b"{not json").findings
    assert [(f.line, f.code) for f in found] == [(42, "invalid_json")]


FAILING = [
    (b'{"messages": [', "invalid_json", None),
    (b'{"messages": "caf\xe9"}', "invalid_utf8", None),
    ([1, 2], "data_type", None),
    ("just a string", "data_type", None),
    ({"messages": [SYS, USER, {"role": "assistant", "content": 5}]}, "data_type", "messages[2].content"),
    ({"messages": [SYS, {"role": "user", "content": "u", "name": 3}, ASSIST]}, "data_type", "messages[1].name"),
    ({"messages": [SYS, "hello", ASSIST]}, "data_type", "messages[1]"),
    ({"chat": []}, "missing_messages_list", "messages"),
    ({"messages": {"role": "user"}}, "missing_messages_list", "messages"),
    ({"messages": []}, "missing_messages_list", "messages"),
    ({"messages": [SYS, {"content": "u"}, ASSIST]}, "message_missing_key", "messages[1].role"),
    ({"messages": [SYS, {"role": "user"}, ASSIST]}, "message_missing_key", "messages[1].content"),
    (
        {"messages": [SYS, USER, ASSIST, {"role": "tool", "content": "x"}]},
        "message_missing_key",
        "messages[3].tool_call_id",
    ),
    ({"messages": [SYS, {**USER, "lang": "en"}, ASSIST]}, "message_unrecognized_key", "messages[1].lang"),
    ({"messages": [SYS, {**USER, "tool_calls": []}, ASSIST]}, "message_unrecognized_key", "messages[1].tool_calls"),
    ({"messages": [SYS, {"role": "human", "content": "u"}, ASSIST]}, "unrecognized_role", "messages[1].role"),
    ({"messages": [SYS, {"role": 3, "content": "u"}, ASSIST]}, "unrecognized_role", "messages[1].role"),
    ({"messages": [SYS, USER, {"role": "assistant", "content": None}]}, "missing_content", "messages[2].content"),
    ({"messages": [SYS, {"role": "user", "content": ""}, ASSIST]}, "missing_content", "messages[1].content"),
    ({"messages": [SYS, {"role": "user", "content": []}, ASSIST]}, "missing_content", "messages[1].content"),
    ({"messages": [SYS, USER]}, "example_missing_assistant_message", "messages"),
    ({"messages": [SYS, USER, {**ASSIST, "weight": 2}]}, "invalid_weight", "messages[2].weight"),
    ({"messages": [SYS, USER, {**ASSIST, "weight": 0.5}]}, "invalid_weight", "messages[2].weight"),
    ({"messages": [SYS, USER, {**ASSIST, "weight": True}]}, "invalid_weight", "messages[2].weight"),
    ({"messages": [SYS, USER, {**ASSIST, "weight": "1"}]}, "invalid_weight", "messages[2].weight"),
    ({"messages": [SYS, {**USER, "weight": 1}, ASSIST]}, "invalid_weight", "messages[1].weight"),
    (
        {
            "messages": [
                SYS,
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}],
                },
            ]
        },
        "invalid_tool_call",
        "messages[2].tool_calls[0].function.arguments",
    ),
    (
        {
            "messages": [
                SYS,
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}],
                },
            ]
        },
        "invalid_tool_call",
        "messages[2].tool_calls[0].function.arguments",
    ),
    (
        {
            "messages": [
                SYS,
                USER,
                {
                    "role": "assistant",
                    "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}],
                },
            ]
        },
        "invalid_tool_call",
        "messages[2].tool_calls[0].id",
    ),
    ({"messages": [SYS, USER, {"role": "assistant", "tool_calls": []}]}, "invalid_tool_call", "messages[2].tool_calls"),
    (
        {"messages": [SYS, USER, ASSIST, {"role": "tool", "tool_call_id": "nope", "content": "x"}]},
        "invalid_tool_call",
        "messages[3].tool_call_id",
    ),
    ({"messages": [SYS, USER, ASSIST], "tools": [{"type": "function"}]}, "invalid_tool_call", "tools[0].function.name"),
    (
        {
            "messages": [
                SYS,
                USER,
                {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
            ]
        },
        "image_in_assistant_message",
        "messages[2].content[0]",
    ),
    ({"input": {"messages": [USER]}, "preferred_output": [ASSIST]}, "invalid_preference_pair", "non_preferred_output"),
    (
        {"input": {"messages": [USER]}, "preferred_output": [ASSIST, ASSIST], "non_preferred_output": [ASSIST]},
        "invalid_preference_pair",
        "preferred_output",
    ),
    (
        {"input": {"messages": [USER]}, "preferred_output": [ASSIST], "non_preferred_output": [ASSIST]},
        "invalid_preference_pair",
        "non_preferred_output",
    ),
    (
        {
            "input": {"messages": [USER, ASSIST]},
            "preferred_output": [ASSIST],
            "non_preferred_output": [{"role": "assistant", "content": "b"}],
        },
        "invalid_preference_pair",
        "input.messages[1]",
    ),
    (
        {"input": {}, "preferred_output": [ASSIST], "non_preferred_output": [ASSIST]},
        "missing_messages_list",
        "input.messages",
    ),
    ({"prompt": "p"}, "missing_prompt_or_completion", "completion"),
    ({"completion": 3}, "missing_prompt_or_completion", "prompt"),
    (
        {
            "messages": [{"role": "developer", "content": "d"}, USER, {"role": "developer", "content": "d"}],
            "grader": "x",
        },
        "rft_last_message_not_user",
        "messages[2]",
    ),
]


@pytest.mark.parametrize(("example", "code", "field"), FAILING, ids=[f"{c}-{i}" for i, (_, c, _) in enumerate(FAILING)])
def test_rule_fires(checker: ExampleChecker, example: object, code: str, field: str | None) -> None:
    assert (code, field) in codes(checker, example)


WARNING_CASES = [
    ({"messages": [USER, ASSIST]}, "missing_system_message"),
    ({"messages": [SYS, ASSIST]}, "missing_user_message"),
    ({"messages": [{"role": "developer", "content": "d"}, USER, ASSIST]}, "developer_role_in_sft"),
    ({"messages": [SYS, USER, ASSIST], "functions": [{"name": "f"}]}, "deprecated_key"),
    (
        {
            "input": {"messages": [USER]},
            "preferred_completion": [ASSIST],
            "non_preferred_completion": [{"role": "assistant", "content": "b"}],
        },
        "deprecated_key",
    ),
]


@pytest.mark.parametrize(("example", "code"), WARNING_CASES)
def test_warning_fires_and_is_not_an_error(checker: ExampleChecker, example: object, code: str) -> None:
    raw = json.dumps(example).encode()
    findings = checker.check_line(1, raw).findings
    assert code in [f.code for f in findings]
    assert all(f.severity == "warning" for f in findings)


def test_too_many_tokens_uses_the_model_limit() -> None:
    small = ExampleChecker(TokenCounter("cl100k_base"), token_limit=50)
    long = chat(answer="word " * 200)
    found = small.check_line(3, json.dumps(long).encode())
    assert [f.code for f in found.findings] == ["too_many_tokens"]
    assert f"{found.tokens:,} tokens" in found.findings[0].message


MODERN_VALID = [
    # tool calls with null content, then the tool role, then the answer
    {
        "messages": [
            SYS,
            USER,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get", "arguments": '{"c": 1}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": '{"t": 3}'},
            ASSIST,
        ],
        "tools": [{"type": "function", "function": {"name": "get", "parameters": {"type": "object"}}}],
        "parallel_tool_calls": False,
    },
    # tool call with content absent altogether
    {
        "messages": [
            SYS,
            USER,
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c", "content": ""},
            ASSIST,
        ]
    },
    # weights 0 and 1
    {"messages": [SYS, USER, {**ASSIST, "weight": 0}, USER, {**ASSIST, "weight": 1}]},
    # image parts with detail, and a text part
    {
        "messages": [
            SYS,
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cloud.jpg"}},
                ],
            },
            ASSIST,
        ]
    },
    # names on messages
    {"messages": [{**SYS, "name": "policy"}, {**USER, "name": "ana"}, {**ASSIST, "name": "bot"}]},
    # assistant content as text parts
    {"messages": [SYS, USER, {"role": "assistant", "content": [{"type": "text", "text": "hi"}]}]},
]


@pytest.mark.parametrize("example", MODERN_VALID)
def test_modern_valid_examples_get_no_error(checker: ExampleChecker, example: dict) -> None:
    assert codes(checker, example) == []


def test_bom_and_crlf_line_is_valid(checker: ExampleChecker) -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(chat()).encode()
    assert codes(checker, raw) == []


def test_valid_rft_dpo_and_completion_examples(checker: ExampleChecker) -> None:
    rft = {"messages": [{"role": "developer", "content": "d"}, USER], "reference": "42"}
    dpo = {
        "input": {"messages": [SYS, USER]},
        "preferred_output": [ASSIST],
        "non_preferred_output": [{"role": "assistant", "content": "worse"}],
    }
    legacy = {"prompt": "p ->", "completion": " c"}
    for example in (rft, dpo, legacy):
        assert codes(checker, example) == []


def test_messages_name_the_problem_in_words(checker: ExampleChecker) -> None:
    found = checker.check_line(1, json.dumps({"messages": [SYS, USER, {**ASSIST, "weight": 0.5}]}).encode()).findings
    assert found[0].message == "Weight must be 0 or 1, not 0.5."
