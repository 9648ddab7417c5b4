"""Findings: one problem in a dataset, with its stable code, line and field."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is: errors make the API reject the file, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


# Stable codes (DESIGN.md). Add more, never rename.
ERROR_CODES: dict[str, str] = {
    "invalid_json": "The line is not valid JSON",
    "invalid_utf8": "The line is not valid UTF-8",
    "data_type": "A value has the wrong type",
    "missing_messages_list": "The example has no messages list",
    "message_missing_key": "A message lacks a required key",
    "message_unrecognized_key": "A message has a key the API does not accept",
    "unrecognized_role": "A message has an unknown role",
    "missing_content": "A message has no content",
    "example_missing_assistant_message": "The example has no assistant message",
    "invalid_weight": "A weight is not 0 or 1, or is not on an assistant message",
    "invalid_tool_call": "A tool call or tool result is malformed",
    "image_in_assistant_message": "An assistant message contains an image",
    "too_few_examples": "The file has fewer than 10 examples",
    "mixed_formats": "The file mixes training formats",
    "invalid_preference_pair": "A DPO preference pair is malformed",
    "missing_prompt_or_completion": "A legacy example lacks prompt or completion",
    "rft_last_message_not_user": "An RFT example does not end with a user message",
    "format_not_supported": "The model cannot train on the file's format",
}

WARNING_CODES: dict[str, str] = {
    "missing_system_message": "The example has no system message",
    "missing_user_message": "The example has no user message",
    "too_many_tokens": "The example is longer than the model's limit and will be truncated",
    "duplicate_example": "The example repeats an earlier line",
    "developer_role_in_sft": "The developer role is meant for reinforcement fine-tuning",
    "blank_line": "A blank line between examples",
    "deprecated_key": "A deprecated key or role",
}


def severity_of(code: str) -> Severity:
    """The severity a code always has."""
    return Severity.WARNING if code in WARNING_CODES else Severity.ERROR


@dataclass(slots=True, frozen=True)
class Finding:
    """One problem: ``line`` is the 1-based physical line (None for file-level findings)."""

    line: int | None
    code: str
    message: str
    field: str | None = None

    @property
    def severity(self) -> Severity:
        return severity_of(self.code)

    def shifted(self, offset: int) -> Finding:
        """The same finding with its line moved by ``offset`` (used to merge file chunks)."""
        if self.line is None or offset == 0:
            return self
        return Finding(self.line + offset, self.code, self.message, self.field)

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "code": self.code, "message": self.message, "field": self.field}
