"""Training data formats and how to tell them apart (REFERENCE section 3)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class DataFormat(StrEnum):
    """The four line formats the fine-tuning API accepts."""

    CHAT = "chat"
    DPO = "dpo"
    RFT = "rft"
    COMPLETION = "completion"


CHAT_TOP_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
DPO_KEYS = frozenset(
    {"input", "preferred_output", "non_preferred_output", "preferred_completion", "non_preferred_completion"}
)
COMPLETION_KEYS = frozenset({"prompt", "completion"})


def is_rft_model(model: str | None) -> bool:
    """Reinforcement fine-tuning runs on o-series reasoning models."""
    if not model:
        return False
    name = model.removeprefix("ft:")
    return name.startswith(("o4-mini", "o3", "o1"))


def detect_format(example: dict[str, Any], rft_model: bool = False) -> DataFormat:
    """Guess the format of one parsed example.

    Unrecognisable objects count as chat, so they get chat's "no messages list" error.
    """
    keys = example.keys()
    if not keys.isdisjoint(DPO_KEYS):
        return DataFormat.DPO
    if "messages" not in example and not keys.isdisjoint(COMPLETION_KEYS):
        return DataFormat.COMPLETION
    messages = example.get("messages")
    if isinstance(messages, list):
        # only string roles: a role that is a list or an object (hostile input) cannot go in a set
        roles = {r for m in messages if isinstance(m, dict) and isinstance(r := m.get("role"), str)}
        if "assistant" not in roles:
            extra_keys = not (keys <= CHAT_TOP_KEYS)
            if rft_model or "developer" in roles or extra_keys:
                return DataFormat.RFT
    return DataFormat.CHAT
