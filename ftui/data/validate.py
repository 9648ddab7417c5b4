"""Validate a whole JSONL file: scan byte ranges (in parallel for big files) and merge.

Each range is scanned independently with line numbers relative to the range; merging
shifts them, finds duplicates across ranges and adds the file-level findings. No parsed
example outlives its line, so memory stays flat however big the file is.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
import stat
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ftui.data.catalog import Catalog, ModelInfo, load_catalog
from ftui.data.findings import Finding, Severity, severity_of
from ftui.data.formats import DataFormat, is_rft_model
from ftui.data.index import line_boundaries
from ftui.data.rules import ExampleChecker
from ftui.data.stats import Dist, Estimate, distribution, estimate
from ftui.data.tokens import TokenCounter

MIN_EXAMPLES = 10
KEEP_PER_CODE = 1000  # findings kept per code (in a chunk, and in the report); the rest are counted
FORMAT_NAMES = {
    "chat": "chat (messages)",
    "dpo": "DPO (preference pairs)",
    "rft": "RFT (reinforcement)",
    "completion": "prompt/completion",
}
PARALLEL_THRESHOLD = 8 * 1024 * 1024
_SYSTEM_MESSAGE_KEEP = 1000

Progress = Callable[[int, int], None]


class DatasetReadError(Exception):
    """The file cannot be read at all (missing, a directory, no permission, not a regular file)."""


class DatasetChanged(DatasetReadError):
    """The file changed (shrank) while it was being read."""


@dataclass(slots=True)
class ChunkResult:
    """What scanning one byte range found; line numbers are relative to the range."""

    start: int
    end: int
    lines: int = 0
    examples: int = 0
    clean: int = 0  # examples without errors
    findings: list[Finding] = field(default_factory=list)
    messages: array = field(default_factory=lambda: array("i"))
    tokens: array = field(default_factory=lambda: array("q"))
    assistant_tokens: array = field(default_factory=lambda: array("q"))
    line_tokens: array = field(default_factory=lambda: array("q"))  # per physical line; -1: none
    formats: dict[str, list[int]] = field(default_factory=dict)  # format -> [count, first line]
    first_seen: dict[bytes, int] = field(default_factory=dict)  # digest -> first line
    repeats: list[tuple[int, bytes]] = field(default_factory=list)  # (line, digest) of later copies
    system_messages: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)  # findings kept per code
    omitted: Counter[str] = field(default_factory=Counter)  # findings past KEEP_PER_CODE, counted only


def _keep(result: ChunkResult, found: list[Finding]) -> None:
    """Keep findings up to KEEP_PER_CODE per code; count the rest (memory stays flat)."""
    kept, findings = result.kept, result.findings
    for f in found:
        if kept[f.code] < KEEP_PER_CODE:
            kept[f.code] += 1
            findings.append(f)
        else:
            result.omitted[f.code] += 1


def make_checker(model: ModelInfo, model_name: str) -> ExampleChecker:
    """An ExampleChecker for a model, with its tokenizer and limit."""
    return ExampleChecker(TokenCounter(model.encoding), model.token_limit, is_rft_model(model_name))


def scan_lines(lines: Iterable[tuple[int, bytes]], checker: ExampleChecker, result: ChunkResult) -> ChunkResult:
    """Check (relative line number, raw bytes) pairs into ``result``."""
    first_seen = result.first_seen
    for line, raw in lines:
        result.lines = line
        body = raw.strip()
        if not body or body == b"\xef\xbb\xbf":
            _keep(result, [Finding(line, "blank_line", "Blank line; the API expects one example per line.")])
            result.line_tokens.append(-1)
            continue
        result.examples += 1
        outcome = checker.check_line(line, raw)
        _keep(result, outcome.findings)
        if not any(f.severity is Severity.ERROR for f in outcome.findings):
            result.clean += 1
        digest = hashlib.blake2b(body, digest_size=8).digest()
        if digest in first_seen:
            result.repeats.append((line, digest))
        else:
            first_seen[digest] = line
        if not outcome.parsed or outcome.format is None:
            result.line_tokens.append(-1)
            continue
        result.line_tokens.append(outcome.tokens)
        slot = result.formats.get(outcome.format)
        if slot is None:
            result.formats[outcome.format] = [1, line]
        else:
            slot[0] += 1
        result.messages.append(outcome.messages)
        result.tokens.append(outcome.tokens)
        result.assistant_tokens.append(outcome.assistant_tokens)
        if outcome.system_message is not None:
            sm = result.system_messages
            if outcome.system_message in sm or len(sm) < _SYSTEM_MESSAGE_KEEP:
                sm[outcome.system_message] += 1
    return result


def _duplicate(line: int, first: int) -> Finding:
    return Finding(line, "duplicate_example", f"This example is identical to line {first}.")


def iter_range(path: str | os.PathLike[str], start: int, end: int, block: int = 4 << 20) -> Iterator[tuple[int, bytes]]:
    """(relative line number, raw bytes) for each physical line in a byte range.

    Reads in blocks rather than mapping the file, so memory holds one block at a time.
    """
    if end <= start:
        return
    n = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = end - start
        carry = b""
        while remaining > 0:
            data = fh.read(min(block, remaining))
            if not data:
                break
            remaining -= len(data)
            buf = carry + data if carry else data
            lines = buf.split(b"\n")
            carry = lines.pop()
            for raw in lines:
                n += 1
                yield n, raw[:-1] if raw.endswith(b"\r") else raw
        if remaining > 0:
            raise DatasetChanged(f"{path} changed while it was being read (it is shorter now); check it again.")
        if carry:
            yield n + 1, carry[:-1] if carry.endswith(b"\r") else carry


def scan_range(path: str | os.PathLike[str], start: int, end: int, checker: ExampleChecker) -> ChunkResult:
    """Scan one byte range of a file (which must start at a line start)."""
    return scan_lines(iter_range(path, start, end), checker, ChunkResult(start, end))


# -- worker processes ------------------------------------------------------------------
_worker_checker: ExampleChecker | None = None


def _worker_init(model: ModelInfo, model_name: str) -> None:
    global _worker_checker
    _worker_checker = make_checker(model, model_name)


def worker_init_niced(model: ModelInfo, model_name: str) -> None:
    """Worker set-up for interactive callers: lower priority so the UI process stays responsive."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    _worker_init(model, model_name)


def worker_scan(args: tuple[str, int, int]) -> ChunkResult:
    """Scan one (path, start, end) range in a worker process set up by an init function above."""
    return _worker_scan(args)


def _worker_scan(args: tuple[str, int, int]) -> ChunkResult:
    assert _worker_checker is not None
    path, start, end = args
    return scan_range(path, start, end, _worker_checker)


# -- the report ------------------------------------------------------------------------
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


def merge(path: str, model_name: str, model: ModelInfo, chunks: list[ChunkResult], catalog: Catalog) -> Report:
    """Combine chunk results (in file order) into a Report with file-level findings."""
    findings: list[Finding] = []
    seen: dict[bytes, int] = {}
    formats: dict[str, list[int]] = {}
    messages: array = array("i")
    tokens: array = array("q")
    assistant: array = array("q")
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
        for digest, line in chunk.first_seen.items():
            first = seen.get(digest)
            if first is None:
                seen[digest] = line + offset
            else:
                add(_duplicate(line + offset, first))
        for line, digest in chunk.repeats:
            add(_duplicate(line + offset, seen[digest]))
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


def check_readable(path: str | os.PathLike[str]) -> Path:
    """Raise DatasetReadError with one clear sentence unless ``path`` is a readable regular file.

    FIFOs, devices (``/dev/zero``) and files whose size says nothing (``/proc``) are refused
    before anything is read from them, so validation can never hang or run forever.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DatasetReadError(f"{p}: no such file.") from None
    except OSError as exc:
        raise DatasetReadError(f"{p} cannot be read: {exc.strerror or exc}.") from exc
    if stat.S_ISDIR(st.st_mode):
        raise DatasetReadError(f"{p} is a directory, not a JSONL file.")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a device or special file"
        raise DatasetReadError(f"{p} is {kind}, not a regular file; save the data to a file and check that.")
    try:
        with open(p, "rb") as fh:
            first = fh.read(1)
    except OSError as exc:
        raise DatasetReadError(f"{p} cannot be read: {exc.strerror or exc}.") from exc
    if st.st_size == 0 and first:
        raise DatasetReadError(
            f"{p} says it is empty but has content (a /proc or /sys file?); copy it to a regular file first."
        )
    return p


def _context() -> multiprocessing.context.BaseContext:
    # fork shares the loaded tokenizer with workers for free; only safe without threads.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def validate_file(
    path: str | os.PathLike[str],
    model: str | None = None,
    *,
    processes: int | None = None,
    progress: Progress | None = None,
    catalog: Catalog | None = None,
) -> Report:
    """Validate a JSONL training file for a target model.

    ``processes``: None picks by file size (worker processes for files over 8 MB),
    1 scans in this process. ``progress(done_bytes, total_bytes)`` reports as ranges finish.
    """
    p = check_readable(path)
    catalog = catalog or load_catalog()
    model_name = model or catalog.default_model
    info = catalog.lookup(model_name)
    size = p.stat().st_size
    if processes is None:
        processes = 1 if size < PARALLEL_THRESHOLD else min(os.cpu_count() or 1, 8)
    try:
        if processes <= 1:
            chunks = _scan_here(p, size, info, model_name, progress)
        else:
            chunks = _scan_parallel(p, size, info, model_name, processes, progress)
    except OSError as exc:
        raise DatasetReadError(f"{p} cannot be read: {exc.strerror or exc}.") from exc
    return merge(str(path), model_name, info, chunks, catalog)


def _scan_here(p: Path, size: int, info: ModelInfo, name: str, progress: Progress | None) -> list[ChunkResult]:
    checker = make_checker(info, name)
    chunks = []
    for start, end in line_boundaries(p, max(1, size // (4 << 20))):
        chunks.append(scan_range(p, start, end, checker))
        if progress:
            progress(end, size)
    return chunks


def _scan_parallel(
    p: Path, size: int, info: ModelInfo, name: str, processes: int, progress: Progress | None
) -> list[ChunkResult]:
    from ftui.data.tokens import get_encoding

    get_encoding(info.encoding)  # load once before fork so workers share it
    gc.freeze()  # keep the collector from touching (and so copying) the shared pages
    ranges = line_boundaries(p, processes * 6, min_size=1 << 20)
    ctx = _context()
    results: dict[int, ChunkResult] = {}
    done = 0
    with ctx.Pool(processes, initializer=_worker_init, initargs=(info, name)) as pool:
        jobs = [(str(p), a, b) for a, b in ranges]
        for chunk in pool.imap_unordered(_worker_scan, jobs):
            results[chunk.start] = chunk
            done += chunk.end - chunk.start
            if progress:
                progress(done, size)
    return [results[a] for a, _ in ranges]


__all__ = [
    "ChunkResult",
    "DataFormat",
    "DatasetReadError",
    "Report",
    "make_checker",
    "merge",
    "scan_lines",
    "scan_range",
    "validate_file",
]
