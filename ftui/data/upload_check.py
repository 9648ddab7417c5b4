"""The check before an upload, the same in the Files tab and ``ftui files upload``.

An uploaded file has no model yet: what depends on one (whether a model trains on the file's
format, its token limit) is said as a warning, never a refusal; the model is checked when a job
uses the file (the new-job form, ``ftui jobs create``). Everything else the API would refuse
(bad JSON, a malformed example, too few examples) stops the upload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ftui.data.report import FORMAT_NAMES
from ftui.data.validate import validate_file

# Findings that depend on the model a job trains: not known at upload time.
MODEL_CODES = frozenset({"format_not_supported", "too_many_tokens"})


@dataclass(frozen=True)
class UploadCheck:
    """``problem``: why the file must not be uploaded (None: go on); ``note``: what to know."""

    problem: str | None
    note: str | None


def needs_check(path: Path, purpose: str) -> bool:
    """Only fine-tune JSONL files are checked (other purposes have other rules)."""
    return purpose == "fine-tune" and path.suffix.lower() == ".jsonl"


def check_for_upload(path: Path, *, nice: bool = False, cancelled: Callable[[], bool] | None = None) -> UploadCheck:
    """Validate ``path`` as a training file of any model; raises what ``validate_file`` raises."""
    report = validate_file(path, None, nice=nice, cancelled=cancelled)
    errors = [f for f in report.errors if f.code not in MODEL_CODES]
    if errors:
        first = next((f for f in errors if f.line is not None), errors[0])
        where = f"line {first.line}" if first.line is not None else "the file"
        n = len(errors)
        problem = (
            f"{path.name} has {n:,} error{'s' if n != 1 else ''}; {where}: {first.message} ({first.code}). "
            f"`ftui validate {path}` lists every finding. Nothing was uploaded."
        )
        return UploadCheck(problem, None)
    note = None
    if any(f.code in MODEL_CODES for f in report.errors + report.warnings):
        held = FORMAT_NAMES.get(report.format or "", report.format or "its")
        note = (
            f"{path.name} holds {held} examples; not every model trains on them (or takes examples this long): "
            "the model is checked when a job uses the file."
        )
    return UploadCheck(None, note)
