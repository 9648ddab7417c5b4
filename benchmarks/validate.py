"""Benchmark: `ftui validate --json` against the cookbook's data check on a 100k-example file.

Usage: python benchmarks/validate.py [--examples N] [--regenerate]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"

SYSTEMS = [
    "You are Sunny, a weather assistant. Give the forecast in one sentence, then a short joke.",
    "You are a concise support agent for a bicycle shop. Answer politely and suggest one product.",
    "You are a careful medical-information assistant. Never diagnose; suggest seeing a doctor.",
    "你是一个乐于助人的中文助手，回答要简洁、准确。",
]
WORDS = (
    "the a of to and in is it you that for on with as are this be at have from or one had by word but not what all "
    "were we when your can said there use an each which she do how their if will up other about out many then them "
    "these so some her would make like him into time has look two more write go see number no way could people my "
    "than first water been call who oil its now find long down day did get come made may part forecast rain sunny "
    "cloud wind storm temperature degrees humidity pressure front snow weekend tomorrow tonight morning evening "
    "bicycle brake chain gear tyre saddle helmet pedal frame wheel order refund delivery warranty symptom doctor"
).split()
HANZI = "天气晴雨云风雪温度明天今天周末早上晚上城市北京上海广州可能有会是的了不我你他们这那很好大小"


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def chinese(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HANZI) for _ in range(n)) + "。"


def make_example(rng: random.Random, i: int) -> str:
    zh = rng.random() < 0.15
    system = SYSTEMS[3] if zh else rng.choice(SYSTEMS[:3])
    messages = [{"role": "system", "content": system}]
    for _turn in range(1 if rng.random() < 0.8 else rng.randint(2, 3)):
        if zh:
            messages.append({"role": "user", "content": chinese(rng, rng.randint(15, 60))})
            messages.append({"role": "assistant", "content": chinese(rng, rng.randint(60, 220))})
        else:
            messages.append(
                {
                    "role": "user",
                    "content": " ".join(sentence(rng, rng.randint(6, 18)) for _ in range(rng.randint(1, 4))),
                }
            )
            messages.append(
                {
                    "role": "assistant",
                    "content": " ".join(sentence(rng, rng.randint(8, 22)) for _ in range(rng.randint(4, 11))),
                }
            )
    example: dict = {"messages": messages}
    if rng.random() < 0.05:
        call_id = f"call_{i}"
        messages.insert(
            2,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": "lookup", "arguments": json.dumps({"q": rng.choice(WORDS)})},
                    }
                ],
            },
        )
        messages.insert(3, {"role": "tool", "tool_call_id": call_id, "content": sentence(rng, 10)})
        example["tools"] = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    line = json.dumps(example, ensure_ascii=False)
    if rng.random() < 0.002:
        line = line[: len(line) // 2]  # a truncated, broken line
    return line


def generate(path: Path, n: int) -> None:
    rng = random.Random(20261122)
    DATA.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(make_example(rng, i) + "\n")
    tmp.replace(path)


# The cookbook's check, kept close to what users paste and run (with get_encoding swapped for
# ftui's bundled loader because this machine has no network).
BASELINE = textwrap.dedent(
    """
    import json, sys, time, resource, statistics
    from collections import defaultdict
    from ftui.data.tokens import get_encoding

    path = sys.argv[1]
    t0 = time.perf_counter()
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        dataset = []
        for line in f:
            try:
                dataset.append(json.loads(line))
            except ValueError:
                dataset.append(None)
    format_errors = defaultdict(int)
    for ex in dataset:
        if not isinstance(ex, dict):
            format_errors["data_type"] += 1
            continue
        messages = ex.get("messages", None)
        if not messages:
            format_errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                format_errors["message_missing_key"] += 1
            if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                format_errors["message_unrecognized_key"] += 1
            if message.get("role", None) not in ("system", "user", "assistant", "function"):
                format_errors["unrecognized_role"] += 1
            content = message.get("content", None)
            function_call = message.get("function_call", None)
            if (not content and not function_call) or not isinstance(content, str):
                format_errors["missing_content"] += 1
        if not any(message.get("role", None) == "assistant" for message in messages):
            format_errors["example_missing_assistant_message"] += 1

    encoding = get_encoding("o200k_base")

    def value_tokens(value):
        # The cookbook crashes on non-strings; serialise them so the run can finish.
        return len(encoding.encode(value if isinstance(value, str) else json.dumps(value)))

    def num_tokens_from_messages(messages, tokens_per_message=3, tokens_per_name=1):
        num_tokens = 0
        for message in messages:
            num_tokens += tokens_per_message
            for key, value in message.items():
                num_tokens += value_tokens(value)
                if key == "name":
                    num_tokens += tokens_per_name
        num_tokens += 3
        return num_tokens

    def num_assistant_tokens_from_messages(messages):
        num_tokens = 0
        for message in messages:
            if message["role"] == "assistant":
                num_tokens += value_tokens(message["content"])
        return num_tokens

    n_missing_system = n_missing_user = 0
    n_messages, convo_lens, assistant_message_lens = [], [], []
    for ex in dataset:
        if not isinstance(ex, dict) or not ex.get("messages"):
            continue
        messages = ex["messages"]
        if not any(message["role"] == "system" for message in messages):
            n_missing_system += 1
        if not any(message["role"] == "user" for message in messages):
            n_missing_user += 1
        n_messages.append(len(messages))
        convo_lens.append(num_tokens_from_messages(messages))
        assistant_message_lens.append(num_assistant_tokens_from_messages(messages))

    def dist(values):
        q = statistics.quantiles(values, n=10)
        return min(values), max(values), statistics.mean(values), statistics.median(values), q[0], q[-1]

    stats = [dist(v) for v in (n_messages, convo_lens, assistant_message_lens)]
    n_too_long = sum(l > 65536 for l in convo_lens)
    n = len(convo_lens)
    n_epochs = 3
    if n * 3 < 100:
        n_epochs = min(25, 100 // n)
    elif n * 3 > 25000:
        n_epochs = max(1, 25000 // n)
    billing = sum(min(65536, l) for l in convo_lens)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_kb": peak, "examples": len(dataset), "billing": billing,
                      "errors": dict(format_errors)}))
    """
)

FTUI = textwrap.dedent(
    """
    import io, json, sys, time, resource, contextlib
    from ftui.cli import main
    t0 = time.perf_counter()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["validate", sys.argv[1], "--json"])
    elapsed = time.perf_counter() - t0
    report = json.loads(buf.getvalue())
    print(json.dumps({"seconds": elapsed, "exit": code,
                      "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "workers_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                      "examples": report["examples"], "billing": report["estimate"]["billing_tokens"],
                      "errors": len(report["errors"])}))
    """
)


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return out


def _pss_kb(pids: list[int]) -> int:
    """Proportional set size of processes: shared pages are split between their sharers."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def run(script: str, path: Path) -> dict:
    """Run one contender in a child process, sampling its process tree's memory as it runs."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_pss = 0
    while proc.poll() is None:
        peak_pss = max(peak_pss, _pss_kb(_tree(proc.pid)))
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"benchmark child failed:\n{stderr}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wall"] = wall
    result["tree_pss_kb"] = peak_pss
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    path = DATA / f"chat_{args.examples}.jsonl"
    if args.regenerate or not path.exists():
        print(f"generating {args.examples:,} examples -> {path} ...", flush=True)
        generate(path, args.examples)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path.name}, {size_mb:.0f} MB, {os.cpu_count()} cores")

    base = run(BASELINE, path)
    print(
        f"baseline (cookbook check): {base['wall']:6.1f} s wall, peak RSS {base['peak_kb'] / 1024:4.0f} MB, "
        f"peak PSS {base['tree_pss_kb'] / 1024:4.0f} MB"
    )
    ours = run(FTUI, path)
    print(
        f"ftui validate --json:      {ours['wall']:6.1f} s wall, peak RSS {ours['peak_kb'] / 1024:4.0f} MB main + "
        f"{ours['workers_peak_kb'] / 1024:.0f} MB largest worker, peak PSS of all processes "
        f"{ours['tree_pss_kb'] / 1024:.0f} MB"
    )
    ratio = base["wall"] / ours["wall"]
    print(f"speed-up: {ratio:.2f}x (target >= 3x)")
    print(f"ftui peak memory, all processes together (PSS): {ours['tree_pss_kb'] / 1024:.0f} MB (target < 400 MB)")
    print(
        f"(baseline billing tokens {base['billing']:,}, ftui {ours['billing']:,}; ftui found {ours['errors']} errors)"
    )


if __name__ == "__main__":
    main()
