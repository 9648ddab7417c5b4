"""Base model discovery (folders, NAME=PATH, the Hugging Face cache), the extra check, spec resolution."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

import ftui.local
from ftui.local.models import UnknownModel, discover, parse_pair, resolve
from ftui.local.spec import Spec, SpecError, resolve_hyperparameters


def test_every_model_folder_is_a_base_model_named_after_it(tiny_model: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_model, models / "weather-7b")
    (models / "not-a-model").mkdir()
    (models / "not-a-model" / "notes.txt").write_text("x")
    no_template = models / "no-template"
    shutil.copytree(tiny_model, no_template)
    (no_template / "chat_template.jinja").unlink()
    found = discover([models])
    assert list(found) == ["weather-7b"]
    model = found["weather-7b"]
    assert (model.architecture, model.context_length, model.source) == ("LlamaForCausalLM", 512, "folder")


def test_explicit_pairs_and_the_hub_cache_layout(tiny_model: Path, tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    snap = cache / "models--acme--tiny-chat" / "snapshots" / "abc123"
    shutil.copytree(tiny_model, snap)
    (cache / "models--acme--tiny-chat" / "refs").mkdir()
    (cache / "models--acme--tiny-chat" / "refs" / "main").write_text("abc123")
    name, path = parse_pair(f"mine={tiny_model}")
    found = discover([], {name: path}, hf_cache=cache)
    assert found["mine"].source == "explicit"
    assert found["acme/tiny-chat"].path == snap.resolve()
    assert found["acme/tiny-chat"].source == "hf-cache"


def test_an_unknown_model_names_the_folders_searched(tmp_path: Path) -> None:
    with pytest.raises(UnknownModel) as err:
        resolve("gpt-oss-9000", [tmp_path / "a", tmp_path / "b"], hf_cache=tmp_path / "hub")
    assert (
        str(err.value)
        == f"No base model named 'gpt-oss-9000': searched {tmp_path / 'a'}, {tmp_path / 'b'}, {tmp_path / 'hub'}."
    )


def test_the_extra_check_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "trl" else real(name))
    with pytest.raises(ImportError) as err:
        ftui.local.require_train_extra()
    assert str(err.value) == (
        "The local trainer needs the train extra (trl missing): "
        "install torch for your device, then run pip install 'ftui[train]'."
    )


def test_auto_hyperparameters_resolve_like_the_sandbox() -> None:
    assert resolve_hyperparameters({}, 10, "supervised") == {
        "n_epochs": 10,
        "batch_size": 1,
        "learning_rate_multiplier": 1.8,
    }
    hp = resolve_hyperparameters({"n_epochs": 2, "batch_size": 8, "beta": 0.3}, 5000, "dpo")
    assert hp == {"n_epochs": 2, "batch_size": 8, "learning_rate_multiplier": 1.8, "beta": 0.3}
    assert resolve_hyperparameters({}, 5000, "supervised")["batch_size"] == 10


def test_a_bad_spec_names_its_field(tmp_path: Path) -> None:
    good = {"base_model": "m", "training_file": "t", "output_dir": "o"}
    with pytest.raises(SpecError, match="unknown spec field 'lora_rnak'"):
        Spec.from_dict(good | {"lora_rnak": 8})
    with pytest.raises(SpecError, match="precision must be one of"):
        Spec.from_dict(good | {"precision": "int3"})
    with pytest.raises(SpecError, match=r"hyperparameters.n_epochs must be between 1 and 50"):
        resolve_hyperparameters({"n_epochs": 0}, 10, "supervised")
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(good))
    assert Spec.load(path).lora_rank == 8
