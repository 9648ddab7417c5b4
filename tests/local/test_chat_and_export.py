"""The chat engine over a trained adapter (streaming, stop, n, usage, LRU) and export."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from ftui.local.chat import ChatEngine
from ftui.local.export import export_adapter, export_merged

ASK = [{"role": "user", "content": "Weather in Rome?"}]


def test_the_adapter_changes_the_answer(tiny_model: Path, trained_adapter: Path) -> None:
    engine = ChatEngine()
    base = engine.complete(tiny_model, ASK, max_tokens=10, temperature=0)
    tuned = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=10, temperature=0)
    assert base.choices[0].text != tuned.choices[0].text
    sampled = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=10, temperature=1, seed=5)
    again = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=10, temperature=1, seed=5)
    assert again.choices[0].text == sampled.choices[0].text  # the seed makes sampling repeatable


def test_streamed_pieces_join_to_the_whole_answer(tiny_model: Path, trained_adapter: Path) -> None:
    engine = ChatEngine()
    whole = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=12, temperature=0)
    usage: dict[str, int] = {}
    pieces = list(engine.stream(tiny_model, ASK, trained_adapter, max_tokens=12, temperature=0, usage=usage))
    assert len(pieces) > 1
    assert "".join(pieces) == whole.choices[0].text
    assert usage == {"prompt_tokens": whole.prompt_tokens, "completion_tokens": whole.completion_tokens}
    # the adapter learned to end its turn: it stops before the limit
    assert whole.completion_tokens < 12 and whole.choices[0].finish_reason == "stop"


def test_stop_strings_cut_the_answer_streamed_or_not(tiny_model: Path, trained_adapter: Path) -> None:
    engine = ChatEngine()
    text = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=12, temperature=0).choices[0].text
    stop = text[len(text) // 2 : len(text) // 2 + 3]
    cut = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=12, temperature=0, stop=[stop])
    assert cut.choices[0].text == text[: text.find(stop)]
    assert cut.choices[0].finish_reason == "stop"
    streamed = "".join(engine.stream(tiny_model, ASK, trained_adapter, max_tokens=12, temperature=0, stop=[stop]))
    assert streamed == cut.choices[0].text


def test_n_answers_and_a_memory_bound_on_loaded_models(tiny_model: Path, trained_adapter: Path) -> None:
    engine = ChatEngine()
    three = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=6, temperature=1.0, n=3, seed=1)
    assert len(three.choices) == 3 and three.completion_tokens <= 18
    one_model = engine.load(tiny_model).nbytes
    small = ChatEngine(max_bytes=one_model + 1)
    small.load(tiny_model)
    small.load(tiny_model, trained_adapter)
    assert small.loaded() == [(str(tiny_model), str(trained_adapter))]


def test_merged_export_loads_alone_and_answers_like_the_adapter(
    tiny_model: Path, trained_adapter: Path, tmp_path: Path
) -> None:
    engine = ChatEngine()
    with_adapter = engine.complete(tiny_model, ASK, trained_adapter, max_tokens=10, temperature=0).choices[0].text
    merged = export_merged(trained_adapter, tmp_path / "merged")
    model = AutoModelForCausalLM.from_pretrained(merged)
    tok = AutoTokenizer.from_pretrained(merged)
    enc = tok.apply_chat_template(ASK, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=10, do_sample=False, pad_token_id=tok.pad_token_id)
    assert tok.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True) == with_adapter
    copied = export_adapter(trained_adapter, tmp_path / "adapter")
    assert (copied / "adapter_model.safetensors").is_file() and not (copied / "optimizer.pt").exists()
