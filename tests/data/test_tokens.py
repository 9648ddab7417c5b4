"""Token counts: bundled encodings load offline and match the cookbook formula."""

from __future__ import annotations

import json
import socket

import pytest

from ftui.data import tokens
from ftui.data.catalog import load_catalog
from ftui.data.tokens import TokenCounter, get_encoding


def cookbook_count(encoding_name: str, messages: list[dict]) -> int:
    """The cookbook's num_tokens_from_messages, verbatim in logic."""
    enc = get_encoding(encoding_name)
    num = 0
    for message in messages:
        num += 3
        for key, value in message.items():
            num += len(enc.encode(value))
            if key == "name":
                num += 1
    return num + 3


def test_encodings_load_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    tokens._load_encoding.cache_clear()
    for name in ("o200k_base", "cl100k_base"):
        enc = get_encoding(name)
        assert enc.decode(enc.encode_ordinary("hello world")) == "hello world"


def test_known_token_ids() -> None:
    assert get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]
    assert get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_plain_chat_matches_cookbook(encoding: str) -> None:
    messages = [
        {"role": "system", "content": "You are Sunny, a weather assistant."},
        {"role": "user", "content": "北京今天天气怎么样？", "name": "li"},
        {"role": "assistant", "content": "晴，18°C。Why did the sun go to school? To get brighter!"},
    ]
    total, assistant = TokenCounter(encoding).count_messages(messages)
    assert total == cookbook_count(encoding, messages)
    enc = get_encoding(encoding)
    assert assistant == len(enc.encode(messages[2]["content"]))


def test_non_string_values_count_as_compact_json() -> None:
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    counter = TokenCounter("o200k_base")
    total, _ = counter.count_messages([{"role": "assistant", "content": None, "tool_calls": calls, "weight": 1}])
    enc = get_encoding("o200k_base")
    expected = 3 + 3 + len(enc.encode("assistant")) + len(enc.encode(json.dumps(calls, separators=(",", ":")))) + 1
    assert total == expected


@pytest.mark.parametrize(
    ("model", "encoding", "limit"),
    [
        ("gpt-4o-mini", "o200k_base", 65536),
        ("gpt-4.1-nano-2025-04-14", "o200k_base", 32768),
        ("ft:gpt-4o-mini-2024-07-18:acme:weather:7p4lURel", "o200k_base", 65536),
        ("gpt-4.1-2025-04-14.ft-0123456789abcdef", "o200k_base", 65536),
        ("gpt-35-turbo-0125", "cl100k_base", 16385),
        ("gpt-3.5-turbo-0613", "cl100k_base", 4096),
        ("babbage-002", "cl100k_base", 16384),
        ("ft:davinci-002:org::abc", "cl100k_base", 16384),
    ],
)
def test_model_to_encoding_and_limit(model: str, encoding: str, limit: int) -> None:
    info = load_catalog().lookup(model)
    assert (info.encoding, info.token_limit) == (encoding, limit)


def test_unknown_model_is_marked_unknown() -> None:
    info = load_catalog().lookup("my-own-model")
    assert not info.known and info.training_price is None and info.encoding == "o200k_base"
