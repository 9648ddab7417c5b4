"""The local trainer against plain TRL and plain transformers, in one process.

    python benchmarks/local_train.py [--device cpu|cuda] [--model HF_FOLDER] [--steps N]

Training: ftui.local.train.run (metrics callback, validation batch per step off) versus a
plain TRL SFTTrainer script with the same model, LoRA, data, batch size and steps; the ratio
is ftui's seconds over plain's. Chat: ChatEngine.complete versus model.generate on the same
adapter (greedy, fixed length), tokens per second. Needs the train extra. Without --model it
builds the tiny test model (the same as tests/local use).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CITIES = ("London", "Paris", "Rome", "Oslo", "Madrid", "Berlin", "Dublin", "Vienna")


def rows(n: int) -> list[dict]:
    return [
        {
            "messages": [
                {"role": "user", "content": f"Weather in {CITIES[i % 8]}?"},
                {"role": "assistant", "content": f"{CITIES[i % 8]}: sunny, 20 degrees."},
            ]
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--model", type=Path, help="a Hugging Face model folder (default: the tiny model)")
    parser.add_argument("--examples", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()

    import torch
    from datasets import Dataset
    from peft import LoraConfig, PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from ftui.local.chat import ChatEngine
    from ftui.local.spec import Spec
    from ftui.local.tiny import build_tiny_model, corpus_lines
    from ftui.local.train import run

    work = Path(tempfile.mkdtemp(prefix="ftui-local-bench-"))
    model_dir = args.model or build_tiny_model(
        work / "tiny", corpus_lines(sorted((ROOT / "sample_data").glob("*.jsonl")))
    )
    data = work / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows(args.examples)))
    hp = {"n_epochs": 1, "batch_size": args.batch_size, "learning_rate_multiplier": 10}
    steps = args.examples // args.batch_size

    t0 = time.perf_counter()
    spec = Spec(str(model_dir), str(data), str(work / "ftui"), hyperparameters=hp, device=args.device, max_length=256)
    outcome = run(spec)
    ftui_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(model_dir)
    plain_args = SFTConfig(
        output_dir=str(work / "plain"),
        num_train_epochs=1,
        per_device_train_batch_size=args.batch_size,
        learning_rate=1e-3,
        logging_steps=1,
        save_strategy="epoch",
        report_to=[],
        use_cpu=args.device == "cpu",
        max_length=256,
        assistant_only_loss=False,
        disable_tqdm=True,
    )
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(model_dir),
        args=plain_args,
        train_dataset=Dataset.from_list(rows(args.examples)),
        processing_class=tok,
        peft_config=LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    trainer.train()
    plain_s = time.perf_counter() - t0
    print(
        f"training, {steps} steps on {args.device}: ftui {ftui_s:.2f} s, plain TRL {plain_s:.2f} s, "
        f"ratio {ftui_s / plain_s:.2f}"
    )

    ask = [{"role": "user", "content": "Weather in Rome?"}]
    n_tokens = 64
    engine = ChatEngine(device=args.device)
    engine.complete(model_dir, ask, outcome.adapter, max_tokens=4, temperature=0)  # load + warm up
    t0 = time.perf_counter()
    done = 0
    for _ in range(5):
        done += engine.complete(model_dir, ask, outcome.adapter, max_tokens=n_tokens, temperature=0).completion_tokens
    ftui_tps = done / (time.perf_counter() - t0)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(model_dir), outcome.adapter).to(args.device)
    model.eval()
    enc = tok.apply_chat_template(ask, add_generation_prompt=True, return_tensors="pt", return_dict=True).to(
        args.device
    )
    with torch.no_grad():
        model.generate(**enc, max_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id)
        t0 = time.perf_counter()
        done = 0
        for _ in range(5):
            out = model.generate(**enc, max_new_tokens=n_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
            done += out.shape[1] - enc["input_ids"].shape[1]
    plain_tps = done / (time.perf_counter() - t0)
    print(
        f"chat, greedy: ftui {ftui_tps:.0f} tokens/s, plain generate {plain_tps:.0f} tokens/s, "
        f"ratio {ftui_tps / plain_tps:.2f}"
    )


if __name__ == "__main__":
    main()
