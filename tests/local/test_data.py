"""The assistant-only loss mask (which token positions train) and the DPO rows, on the tiny tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from ftui.local.data import IGNORE, DataError, load_chat, load_preferences, tokenize_chat


@pytest.fixture(scope="module")
def tok(tiny_model: Path):  # type: ignore[no-untyped-def]
    return AutoTokenizer.from_pretrained(tiny_model)


def trained_text(tok, example) -> str:  # type: ignore[no-untyped-def]
    return tok.decode([i for i, label in zip(example.input_ids, example.labels, strict=True) if label != IGNORE])


def test_only_the_assistant_turn_and_its_end_token_train(tok) -> None:  # type: ignore[no-untyped-def]
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Rome?"},
        {"role": "assistant", "content": "Rome: sunny."},
    ]
    example, truncated = tokenize_chat(tok, messages)
    assert trained_text(tok, example) == "Rome: sunny.<|end|>\n"
    assert not truncated
    # labels equal the ids where trained; the prompt (system, user, the assistant header) is masked
    first = next(i for i, label in enumerate(example.labels) if label != IGNORE)
    assert tok.decode(example.input_ids[:first]).endswith("<|assistant|>")
    assert all(label == IGNORE for label in example.labels[:first])


def test_weight_zero_turns_get_no_loss_in_a_multi_turn_chat(tok) -> None:  # type: ignore[no-untyped-def]
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello there.", "weight": 0},
        {"role": "user", "content": "Rain in Oslo?"},
        {"role": "assistant", "content": "Yes, rain."},
    ]
    example, _ = tokenize_chat(tok, messages)
    assert trained_text(tok, example) == "Yes, rain.<|end|>\n"
    messages[1]["weight"] = 1
    example, _ = tokenize_chat(tok, messages)
    assert trained_text(tok, example) == "Hello there.<|end|>\nYes, rain.<|end|>\n"


def test_tool_calls_train_as_the_template_renders_them_and_tool_results_do_not(tok) -> None:  # type: ignore[no-untyped-def]
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}
    messages = [
        {"role": "user", "content": "Weather in Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "22C and clear"},
        {"role": "assistant", "content": "Rome: 22C and clear."},
    ]
    example, _ = tokenize_chat(tok, messages)
    text = trained_text(tok, example)
    assert "get_weather" in text and "Rome: 22C and clear.<|end|>" in text
    assert "22C and clear<|end|>" not in text.replace("Rome: 22C and clear.<|end|>", "")


def test_truncation_keeps_the_start_and_drops_examples_left_without_loss(tok, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    long_prompt = {"messages": [{"role": "user", "content": "rain " * 80}, {"role": "assistant", "content": "Yes."}]}
    short = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there, sunny."}]}
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(long_prompt) + "\n" + json.dumps(short) + "\n")
    data = load_chat(path, tok, max_length=12)
    assert (len(data.examples), data.dropped, data.truncated) == (1, 1, 2)
    assert len(data.examples[0].input_ids) == 12


def test_a_bad_line_is_named_in_one_sentence(tok, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}\n{oops\n')
    with pytest.raises(DataError, match=r"bad\.jsonl:2: the line is not JSON\."):
        load_chat(path, tok)


def test_openai_preference_rows_become_prompt_chosen_rejected(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "dpo.jsonl"
    rows = load_preferences(sample)
    first = json.loads(sample.read_text().splitlines()[0])
    assert rows[0]["prompt"] == first["input"]["messages"]
    assert rows[0]["chosen"] == first["preferred_output"]
    assert rows[0]["rejected"] == first["non_preferred_output"]
    bad = tmp_path / "p.jsonl"
    bad.write_text(json.dumps({"input": {"messages": []}, "preferred_output": [], "non_preferred_output": []}) + "\n")
    with pytest.raises(DataError, match=r"p\.jsonl:1: input\.messages must be a non-empty list"):
        load_preferences(bad)
