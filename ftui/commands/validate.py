"""``ftui validate FILE [--model M] [--json]``: exit 0 no errors, 1 errors, 2 unreadable."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections import defaultdict
from typing import TextIO

from ftui.commands.api import dump
from ftui.data.findings import ERROR_CODES, WARNING_CODES, Finding
from ftui.data.stats import Dist
from ftui.data.validate import DatasetReadError, Report, validate_file
from ftui.term import Style, fail
from ftui.textsafe import safe
from ftui.words import plural

SHOWN_PER_CODE = 5
_STAT_LABELS = {
    "messages_per_example": "messages per example",
    "tokens_per_example": "tokens per example",
    "assistant_tokens_per_example": "assistant tokens",
}


def run(path: str, model: str | None, as_json: bool, out: TextIO | None = None) -> int:
    """Validate and print (to ``out``, default the current stdout); returns the exit code."""
    out = out or sys.stdout  # read now: a default bound at import would keep a replaced stdout
    progress = _progress_printer() if not as_json and sys.stderr.isatty() else None
    try:
        report = validate_file(path, model, progress=progress)
    except DatasetReadError as exc:
        if progress:
            sys.stderr.write("\r\x1b[K")
        return fail(str(exc))
    if progress:
        sys.stderr.write("\r\x1b[K")
    if as_json:
        dump(report.to_json(), out)
    else:
        render_text(report, out)
    return 1 if report.errors else 0


def _progress_printer():
    def show(done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"\rValidating… {pct}%")
        sys.stderr.flush()

    return show


def _fmt_num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def render_text(report: Report, out: TextIO) -> None:
    """The human report: summary, findings grouped by code, stats, estimate, verdict."""
    s = Style(out)
    info = report.model_info
    w = out.write
    w(s(safe(report.path, one_line=True), "bold") + "\n")
    fmt = report.format or "no parsable examples"
    w(
        f"{fmt} · {report.examples:,} example{'s' if report.examples != 1 else ''} · "
        f"{report.model} ({info.encoding}, {info.token_limit:,}-token limit)\n"
    )
    if not info.known:
        w(s(f"  {report.model} is not in ftui's model list: assuming {info.encoding}, no price known.\n", "yellow"))
    errors, warnings = report.errors, report.warnings
    n_errors = report.error_count
    n_warnings = len(warnings) + sum(n for c, n in report.omitted.items() if c in WARNING_CODES)
    w(
        "\n"
        + s(f"✗ {n_errors:,} error{'s' if n_errors != 1 else ''}", "red" if errors else "green")
        + "   "
        + s(f"⚠ {n_warnings:,} warning{'s' if n_warnings != 1 else ''}", "yellow" if warnings else "green")
        + "\n"
    )
    for title, findings, names, colour in (
        ("Errors", errors, ERROR_CODES, "red"),
        ("Warnings", warnings, WARNING_CODES, "yellow"),
    ):
        if findings:
            w("\n" + s(title, "bold") + "\n")
            _render_group(findings, names, colour, s, out, report.omitted)

    w("\n" + s(f"Stats ({plural(report.parsed, 'parsed example')})", "bold") + "\n")
    cols = ("min", "p5", "median", "mean", "p95", "max")
    w(f"  {'':22}" + "".join(f"{c:>9}" for c in cols) + "\n")
    for key, label in _STAT_LABELS.items():
        dist: Dist | None = report.stats.get(key)
        if dist is None:
            w(f"  {label:22}{'—':>9}\n")
            continue
        values = (dist.min, dist.p5, dist.median, dist.mean, dist.p95, dist.max)
        w(f"  {label:22}" + "".join(f"{_fmt_num(v):>9}" for v in values) + "\n")

    est = report.estimate
    w("\n" + s("Estimate", "bold") + "\n")
    w(
        f"  {plural(est.epochs, 'epoch')} (default for {plural(report.parsed, 'example')})"
        f" × {est.billing_tokens:,} billing tokens\n"
        f"  = {est.charged_tokens:,} charged tokens\n"
    )
    if est.cost_usd is not None and est.price_per_1m is not None:
        w(
            f"  at ${est.price_per_1m:.2f} per 1M training tokens (prices of {report.prices_captured}): "
            + s(f"${est.cost_usd:,.2f}", "bold")
            + "\n"
        )
    elif info.training_per_hour:
        w(f"  {info.name} is billed per training hour (${info.training_per_hour:.2f}/h), not per token.\n")
    else:
        w("  No training price is known for this model.\n")
    if info.shutdown_date:
        w(s(f"  {info.name} shuts down on {info.shutdown_date}.", "yellow") + "\n")

    w("\n")
    if errors:
        w(s(f"Not ready: fix the {n_errors:,} error{'s' if n_errors != 1 else ''} before uploading.", "red") + "\n")
    else:
        w(s("Ready to upload: no errors.", "green") + "\n")


def _render_group(
    findings: list[Finding], names: dict[str, str], colour: str, s: Style, out: TextIO, omitted: dict[str, int]
) -> None:
    width = shutil.get_terminal_size().columns if out.isatty() else 0
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_code[f.code].append(f)
    for code, items in by_code.items():
        lines = sorted({f.line for f in items if f.line is not None})
        where = ""
        if lines:
            shown = ", ".join(str(n) for n in lines[:12]) + (f", … ({len(lines) - 12} more)" if len(lines) > 12 else "")
            where = f" — line{'s' if len(lines) > 1 else ''} {shown}"
        total = len(items) + omitted.get(code, 0)
        out.write(f"  {s(code, colour)} ×{total:,}{where}\n")
        for f in items[:SHOWN_PER_CODE]:
            loc = f"line {f.line}" if f.line is not None else "file"
            field = f" [{safe(f.field, one_line=True)}]" if f.field else ""
            text = f"{loc}{field}: {safe(f.message, one_line=True)}"
            if width:  # on a terminal: wrap with a hanging indent instead of breaking words at the edge
                wrapped = textwrap.wrap(text, width=width - 6, subsequent_indent="  ", break_long_words=False)
            else:
                wrapped = [text]
            wrapped[0] = s(loc, "dim") + wrapped[0][len(loc) :]
            for line in wrapped:
                out.write(f"      {line}\n")
        if total > SHOWN_PER_CODE:
            out.write(s(f"      … and {total - SHOWN_PER_CODE:,} more ({names.get(code, code)})", "dim") + "\n")
