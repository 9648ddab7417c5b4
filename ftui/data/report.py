"""The report on one file: chunk results merged, duplicates found, file-level findings added."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ftui.data.catalog import Catalog, ModelInfo
from ftui.data.findings import Finding, Severity, severity_of
from ftui.data.scan import KEEP_PER_CODE, ChunkResult
from ftui.data.stats import Dist, Estimate, distribution, estimate

MIN_EXAMPLES = 10
FORMAT_NAMES = {
    "chat": "chat (messages)",
    "dpo": "DPO (preference pairs)",
    "rft": "RFT (reinforcement)",
    "completion": "prompt/completion",
}
_DICT_DUPLICATES = 1 << 16  # up to this many examples a dict finds duplicates; above it, a sort


@dataclass(slots=True)
class Report:
    """Everything ``ftui validate`` says about one file."""

    path: str
    model: str
    model_info: ModelInfo
    format: str | None
    lines: int
    examples: int
    parsed: int
    findings: list[Finding]
    stats: dict[str, Dist | None]
    estimate: Estimate
    prices_captured: str
    system_messages: Counter[str]
    format_counts: dict[str, int]
    omitted: dict[str, int] = field(default_factory=dict)  # findings not kept, per code

    def count(self, code: str) -> int:
        """How many findings of ``code`` there are, kept or not."""
        return sum(1 for f in self.findings if f.code == code) + self.omitted.get(code, 0)

    @property
    def error_count(self) -> int:
        """Every error, kept or counted only."""
        omitted = sum(n for code, n in self.omitted.items() if severity_of(code) is Severity.ERROR)
        return len(self.errors) + omitted

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def error_summary(self) -> str | None:
        """One phrase naming the error count and the first bad line, or None when clean."""
        errors = self.errors
        if not errors:
            return None
        first = next((f for f in errors if f.line is not None), errors[0])
        where = f"line {first.line}" if first.line is not None else "the file"
        n = self.error_count
        return f"{n:,} error{'s' if n != 1 else ''}; {where}: {first.message} ({first.code})"

    @property
    def most_common_system_message(self) -> str | None:
        top = self.system_messages.most_common(1)
        return top[0][0] if top else None

    def to_json(self) -> dict[str, object]:
        """The stable ``--json`` shape of DESIGN.md."""
        return {
            "path": self.path,
            "format": self.format,
            "model": self.model,
            "encoding": self.model_info.encoding,
            "examples": self.examples,
            "errors": [f.to_json() for f in self.errors],
            "warnings": [f.to_json() for f in self.warnings],
            "stats": {k: (v.to_json() if v else None) for k, v in self.stats.items()},
            "estimate": self.estimate.to_json(),
            # Additive, and only when it applies: findings past the first 1,000 of a code are counted, not listed.
            **({"omitted": dict(self.omitted)} if self.omitted else {}),
        }


def _duplicate(line: int, first: int) -> Finding:
    return Finding(line, "duplicate_example", f"This example is identical to line {first}.")


def load_duplicates_sorter() -> None:
    """Load what ``duplicates`` sorts a big file's digests with (numpy, ~0.1 s): a caller
    waiting on workers can do it in a thread meanwhile, instead of after the last range."""
    import numpy  # noqa: F401


def duplicates(digests: array[int], lines: array[int]) -> Iterator[tuple[int, int]]:
    """(line, first line with the same digest) for every repeated example, in line order.

    ``digests`` (8-byte ints) and ``lines`` are in file order. Small files use a dict; big ones
    sort the packed digests (numpy), so memory stays a few bytes per example.
    """
    n = len(digests)
    if n < 2:
        return
    if n <= _DICT_DUPLICATES:
        seen: dict[int, int] = {}
        for digest, line in zip(digests, lines, strict=True):
            first = seen.setdefault(digest, line)
            if first != line:
                yield line, first
        return
    import numpy as np

    d = np.frombuffer(digests, dtype=np.uint64)
    order = np.argsort(d, kind="stable")  # equal digests keep file order: the first is the original
    same = d[order[1:]] == d[order[:-1]]
    if not same.any():
        return
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    sizes = np.diff(np.append(starts, n))
    first_of = np.repeat(order[starts], sizes)  # per sorted position: the group's first index
    repeat_pos = np.flatnonzero(np.concatenate(([False], same)))
    repeat_idx = order[repeat_pos]
    first_idx = first_of[repeat_pos]
    by_line = np.argsort(repeat_idx, kind="stable")
    line_of = np.frombuffer(lines, dtype=np.int64)
    for i, j in zip(repeat_idx[by_line].tolist(), first_idx[by_line].tolist(), strict=True):
        yield int(line_of[i]), int(line_of[j])


def merge(path: str, model_name: str, model: ModelInfo, chunks: Sequence[ChunkResult], catalog: Catalog) -> Report:
    """Combine chunk results (in file order) into a Report with file-level findings."""
    findings: list[Finding] = []
    formats: dict[str, list[int]] = {}
    messages: array[int] = array("i")
    tokens: array[int] = array("q")
    assistant: array[int] = array("q")
    digests: array[int] = array("Q")
    digest_lines: array[int] = array("q")
    system_messages: Counter[str] = Counter()
    offset = 0
    examples = 0
    clean = 0
    kept: Counter[str] = Counter()
    omitted: Counter[str] = Counter()

    def add(f: Finding) -> None:
        if kept[f.code] < KEEP_PER_CODE:
            kept[f.code] += 1
            findings.append(f)
        else:
            omitted[f.code] += 1

    for chunk in chunks:
        omitted.update(chunk.omitted)
        for f in chunk.findings:
            add(f.shifted(offset))
        digests.extend(chunk.digests)
        digest_lines.extend(line + offset for line in chunk.digest_lines)
        for fmt, (count, line) in chunk.formats.items():
            slot = formats.setdefault(fmt, [0, line + offset])
            slot[0] += count
        messages.extend(chunk.messages)
        tokens.extend(chunk.tokens)
        assistant.extend(chunk.assistant_tokens)
        system_messages.update(chunk.system_messages)
        examples += chunk.examples
        clean += chunk.clean
        offset += chunk.lines
    for line, first in duplicates(digests, digest_lines):
        add(_duplicate(line, first))
    del digests, digest_lines

    file_level: list[Finding] = []
    majority: str | None = None
    if formats:
        ranked = sorted(formats.items(), key=lambda kv: (-kv[1][0], kv[1][1]))
        majority = ranked[0][0]
        if len(ranked) > 1:
            parts = ", ".join(f"{count} {fmt}" for fmt, (count, _) in ranked)
            minority = ", ".join(f"{fmt} first on line {line}" for fmt, (_, line) in ranked[1:])
            file_level.append(
                Finding(
                    None,
                    "mixed_formats",
                    f"The file mixes formats ({parts}; {minority}); a training file must use one format.",
                )
            )
    if majority is not None and not model.accepts(majority):
        accepted = " or ".join(FORMAT_NAMES.get(f, f) for f in model.formats or ())
        file_level.append(
            Finding(
                None,
                "format_not_supported",
                f"The file is in {FORMAT_NAMES.get(majority, majority)} format, which {model.name} cannot train on; "
                f"it takes {accepted}.",
            )
        )
    if clean < MIN_EXAMPLES:
        have = (
            f"The file has {examples} example{'s' if examples != 1 else ''}"
            if clean == examples
            else f"Only {clean} of the file's {examples} examples are free of errors"
        )
        file_level.append(
            Finding(
                None,
                "too_few_examples",
                f"{have}; the API needs at least {MIN_EXAMPLES} (50 to 100 are recommended).",
            )
        )
    findings.sort(key=lambda f: f.line or 0)
    stats = {
        "messages_per_example": distribution(messages),
        "tokens_per_example": distribution(tokens),
        "assistant_tokens_per_example": distribution(assistant),
    }
    return Report(
        path=path,
        model=model_name,
        model_info=model,
        format=majority,
        lines=offset,
        examples=examples,
        parsed=len(tokens),
        findings=file_level + findings,
        stats=stats,
        estimate=estimate(tokens, model),
        prices_captured=catalog.prices_captured,
        system_messages=system_messages,
        format_counts={fmt: slot[0] for fmt, slot in formats.items()},
        omitted=dict(omitted),
    )
