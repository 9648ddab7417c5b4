"""Benchmark: `ftui validate` against the physical floor (and the cookbook check), memory, start-up.

Usage: python benchmarks/validate.py [--examples N] [--rounds R] [--data-dir DIR] [--cookbook] [--flat] [--startup]

Every figure is a ratio to a baseline measured in the same run on the same machine:
  - the floor: a script that only parses each line with pydantic_core and tokenizes each
    content once, in one forked process per core (what any validator must at least do)
  - ftui: `python -m ftui validate FILE --json`, as a user runs it
  - (--cookbook) the OpenAI cookbook's data check, as users paste and run it
  - (--flat) ftui's peak memory (summed PSS of its process tree) on 10k and 300k examples
  - (--startup) `ftui validate` on a 14-line file against loading tiktoken with one bundled encoding
Contenders run alternately, R rounds each; the machine is shared, so the best round of each
is compared (noise only ever adds time) and the median is shown beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
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
    path.parent.mkdir(parents=True, exist_ok=True)
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

# The floor: parse every line and tokenize every content once, one forked process per core.
FLOOR = textwrap.dedent(
    """
    import json, os, sys, resource
    from multiprocessing import get_context
    from pydantic_core import from_json
    from ftui.data.index import line_boundaries
    from ftui.data.tokens import get_encoding

    path = sys.argv[1]
    encode = get_encoding("o200k_base").encode_ordinary  # loaded before the fork: shared

    def work(span):
        start, end = span
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        examples = tokens = 0
        for raw in data.split(b"\\n"):
            try:
                obj = from_json(raw)
            except ValueError:
                continue
            examples += 1
            for m in obj.get("messages", ()):
                content = m.get("content")
                if isinstance(content, str):
                    tokens += len(encode(content))
        return examples, tokens

    procs = os.cpu_count() or 1
    with get_context("fork").Pool(procs) as pool:
        results = pool.map(work, line_boundaries(path, procs * 6), chunksize=1)
    print(json.dumps({"examples": sum(r[0] for r in results), "tokens": sum(r[1] for r in results),
                      "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """
)

FTUI = [sys.executable, "-m", "ftui", "validate"]  # + FILE --json

# The start-up baseline: tiktoken with one encoding loaded from ftui's bundled file.
TIKTOKEN = textwrap.dedent(
    """
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    from ftui.data.tokens import ENCODINGS_DIR, _PATTERNS, _SPECIAL
    path = ENCODINGS_DIR / "o200k_base.tiktoken"
    enc = tiktoken.Encoding(name="o200k_base", pat_str=_PATTERNS["o200k_base"],
                            mergeable_ranks=load_tiktoken_bpe(str(path)), special_tokens=_SPECIAL["o200k_base"])
    print(len(enc.encode_ordinary("hello world")))
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


def run(argv: list[str]) -> dict:
    """Run one contender as a child process, sampling its process tree's memory as it runs."""
    # Output goes to files, not pipes: a child writing more than a pipe holds would wait for a
    # reader while this loop waits for it to end.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True, env=_env())
        peak_pss = 0
        while proc.poll() is None:
            peak_pss = max(peak_pss, _pss_kb(_tree(proc.pid)))
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        sys.exit(f"benchmark child failed ({' '.join(argv[:4])}):\n{stderr}")
    return {"wall": wall, "tree_pss_kb": peak_pss, "stdout": stdout}


PYCACHE = Path(tempfile.mkdtemp(prefix="ftui-bench-pycache-"))  # see terminal.bytecode_env


def _env() -> dict[str, str]:
    from terminal import bytecode_env

    env = bytecode_env(PYCACHE)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH", "")]))
    return env


def script(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def best(results: list[dict], key: str = "wall") -> float:
    return min(r[key] for r in results)


def median(results: list[dict], key: str = "wall") -> float:
    return statistics.median(r[key] for r in results)


def dataset(data: Path, n: int, regenerate: bool = False) -> Path:
    path = data / f"chat_{n}.jsonl"
    if regenerate or not path.exists():
        print(f"generating {n:,} examples -> {path} ...", flush=True)
        generate(path, n)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DATA, help="where the generated files are kept")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--cookbook", action="store_true", help="also run the cookbook check (slow)")
    parser.add_argument("--flat", action="store_true", help="memory on 10k and 300k examples")
    parser.add_argument("--startup", action="store_true", help="only the start-up comparison")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; {args.rounds} rounds each, alternating; best (median)")
    startup()
    if args.startup:
        return
    path = dataset(args.data_dir, args.examples, args.regenerate)
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB")
    contenders = {"floor": script(FLOOR), "ftui": FTUI}
    if args.cookbook:
        contenders["cookbook"] = script(BASELINE)
    res: dict[str, list[dict]] = {name: [] for name in contenders}
    for _ in range(args.rounds):  # alternating, so load on the shared machine hits each alike
        for name, argv in contenders.items():
            res[name].append(run([*argv, str(path), *(["--json"] if name == "ftui" else [])]))
    floor, ours = res["floor"], res["ftui"]
    report = json.loads(ours[-1]["stdout"])
    floor_doc = json.loads(floor[-1]["stdout"].strip().splitlines()[-1])
    for name, label in (
        ("floor", "floor (parse + tokenize once)"),
        ("ftui", "ftui validate --json"),
        ("cookbook", "cookbook check"),
    ):
        if name in res:
            r = res[name]
            print(
                f"{label:<30} {best(r):6.2f} s ({median(r):5.2f} s) wall, "
                f"peak PSS of all its processes {best(r, 'tree_pss_kb') / 1024:4.0f} MB"
            )
    print(
        f"ftui / floor: {best(ours) / best(floor):.2f}x (median {median(ours) / median(floor):.2f}x; target <= 1.25x)"
    )
    if "cookbook" in res:
        print(f"ftui is {best(res['cookbook']) / best(ours):.1f}x faster than the cookbook check")
    print(
        f"ftui peak memory, all processes together (PSS): {best(ours, 'tree_pss_kb') / 1024:.0f} MB (target < 250 MB)"
    )
    listed, parsed = len(report["errors"]), floor_doc["examples"]
    print(f"(ftui: {report['examples']:,} examples, {listed} errors listed; floor: {parsed:,} parsed)")
    if args.flat:
        for n in (10_000, 300_000):
            p = dataset(args.data_dir, n)
            r = [run([*FTUI, str(p), "--json"]) for _ in range(max(1, args.rounds - 1))]
            print(f"ftui on {n:>7,} examples: peak PSS {best(r, 'tree_pss_kb') / 1024:4.0f} MB, {best(r):5.1f} s")


def startup() -> None:
    """`ftui validate` on the 14-line sample vs loading tiktoken with one bundled encoding."""
    sample = HERE.parent / "sample_data" / "weather_jokes.jsonl"
    res = {"tiktoken": [], "ftui": []}
    run(script(TIKTOKEN)), run([*FTUI, str(sample)])  # warm-up: the page cache and the bytecode
    for _ in range(5):
        res["tiktoken"].append(run(script(TIKTOKEN)))
        res["ftui"].append(run([*FTUI, str(sample)]))
    tk, ours = res["tiktoken"], res["ftui"]
    print(
        f"start-up: ftui validate (14 lines) {best(ours):.2f} s ({median(ours):.2f} s), "
        f"tiktoken with one encoding {best(tk):.2f} s ({median(tk):.2f} s): "
        f"{best(ours) / best(tk):.2f}x (target <= 1.6x)"
    )


if __name__ == "__main__":
    main()
