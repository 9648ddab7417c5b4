"""Per-example validation rules: one parsed line in, findings and token counts out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple, TypeGuard

from pydantic_core import from_json

from ftui.data.findings import Finding
from ftui.data.formats import DataFormat, detect_format
from ftui.data.tokens import TokenCounter

ROLES = ("system", "user", "assistant", "tool", "function", "developer")
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "system": frozenset({"role", "content", "name"}),
    "developer": frozenset({"role", "content", "name"}),
    "user": frozenset({"role", "content", "name"}),
    "assistant": frozenset({"role", "content", "name", "weight", "tool_calls", "function_call", "refusal"}),
    "tool": frozenset({"role", "content", "tool_call_id", "name"}),
    "function": frozenset({"role", "content", "name"}),
}
IMAGE_DETAILS = ("low", "high", "auto")
IMAGE_MIME = ("image/jpeg", "image/jpg", "image/png", "image/webp")
MAX_IMAGES = 10
_BOM = b"\xef\xbb\xbf"
_ROLE_BITS = {"system": 1, "user": 2, "assistant": 4}  # the roles of the fast path
_NO_SYSTEM = "The example has no system message."
_NO_USER = "The example has no user message."
_JSON_POS = re.compile(r" at line \d+ column (\d+)$")


def json_type(value: Any) -> str:
    """A JSON type name with its article, for messages ('a number', 'null', ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _note_roles(messages: list[Any], start: int, roles: set[str], ctx: _Ctx) -> None:
    """Add the known roles of the unchecked messages (from ``start`` on) to ``roles``; an
    unknown or missing one sets ``ctx.unknown_roles``, as the per-message check would."""
    try:
        seen = {m.get("role") for m in islice(messages, start, None) if m.__class__ is dict}
    except TypeError:  # an unhashable role (a list, an object): unknown, like any non-string
        ctx.unknown_roles = True
        seen = {
            r for m in islice(messages, start, None) if m.__class__ is dict and (r := m.get("role")).__class__ is str
        }
    for role in seen:
        if role.__class__ is str and role in ROLES:
            roles.add(role)
        else:
            ctx.unknown_roles = True


@dataclass(slots=True)
class ExampleResult:
    """What one non-blank line yielded. ``parsed`` is False when it was not a JSON object."""

    findings: list[Finding]
    format: DataFormat | None = None
    parsed: bool = False
    messages: int = 0
    tokens: int = 0
    assistant_tokens: int = 0
    system_message: str | None = None
    unchecked: int = 0  # messages past the token limit that were not checked one by one


class PlainChat(NamedTuple):
    """What the fast path learned about a plain chat line (its format is chat, it parsed)."""

    findings: list[Finding]
    messages: int
    tokens: int
    assistant_tokens: int
    system_message: str | None


@dataclass(slots=True)
class _Ctx:
    line: int
    findings: list[Finding] = field(default_factory=list)
    images: int = 0
    unknown_roles: bool = False
    tool_call_ids: set[str] = field(default_factory=set)

    def add(self, code: str, message: str, where: str | None = None) -> None:
        self.findings.append(Finding(self.line, code, message, where))


class ExampleChecker:
    """Checks single lines against the format rules for one target model."""

    def __init__(self, counter: TokenCounter, token_limit: int, rft_model: bool = False) -> None:
        self.counter = counter
        self.token_limit = token_limit
        self.rft_model = rft_model
        self._role_tokens = {bit: counter.count(role) for role, bit in _ROLE_BITS.items()}
        if counter.stop_over is None:
            counter.stop_over = token_limit  # a string past the limit need not be tokenized to its end

    # -- entry points ------------------------------------------------------------------
    def check_line(self, line: int, raw: bytes) -> ExampleResult:
        """Validate one non-blank physical line (``raw`` without its line ending)."""
        if raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        try:
            obj = from_json(raw)
        except ValueError as exc:
            ctx = _Ctx(line)
            self._parse_failure(ctx, raw, exc)
            return ExampleResult(ctx.findings)
        return self.check_object(line, obj)

    def plain_chat(self, line: int, obj: Any) -> PlainChat | None:
        """The one-pass fast path for the common line: a chat example holding only ``messages``,
        each exactly ``role`` (system, user or assistant) and non-empty string ``content``, with
        an assistant message and within the token limit.

        Each content is tokenized once and the assistant sum is taken from that count; no field
        path is built. Anything else (and any line that would get an error) returns None: the
        full checker (``check_object``) sees it. Both give the same findings and counts (a
        property test checks that on generated lines).
        """
        if obj.__class__ is not dict or len(obj) != 1:
            return None
        messages = obj.get("messages")
        if messages.__class__ is not list or not messages:
            return None
        role_tokens = self._role_tokens
        count = self.counter.count
        fresh = self.counter.count_fresh
        limit = self.token_limit
        total = 3
        assistant = 0
        roles = 0
        system = None
        for m in messages:
            if m.__class__ is not dict or len(m) != 2:
                return None
            role = m.get("role")
            content = m.get("content")
            if role.__class__ is not str or content.__class__ is not str or not content:
                return None
            bit = _ROLE_BITS.get(role)
            if bit is None:
                return None
            roles |= bit
            if bit == 4:
                n = fresh(content)
                assistant += n
            elif bit == 1:
                n = count(content)  # system prompts repeat: the cache answers
                if system is None:
                    system = content
            else:
                n = fresh(content)
            total += 3 + role_tokens[bit] + n
            if total > limit:
                return None  # over the limit: the full checker says so, and stops counting there
        if not roles & 4:
            return None
        if roles == 7:
            findings: list[Finding] = []
        else:
            findings = []
            if not roles & 1:
                findings.append(Finding(line, "missing_system_message", _NO_SYSTEM, "messages"))
            if not roles & 2:
                findings.append(Finding(line, "missing_user_message", _NO_USER, "messages"))
        return PlainChat(findings, len(messages), total, assistant, system)

    def check_object(self, line: int, obj: Any) -> ExampleResult:
        """Validate one parsed line with every rule (the full checker)."""
        ctx = _Ctx(line)
        self.counter.bounded = False
        if not isinstance(obj, dict):
            ctx.add("data_type", f"Each line must be a JSON object, but this one is {json_type(obj)}.")
            return ExampleResult(ctx.findings)
        fmt = detect_format(obj, self.rft_model)
        result = ExampleResult(ctx.findings, format=fmt)
        if fmt is DataFormat.CHAT:
            self._check_chat(obj, ctx, result)
        elif fmt is DataFormat.RFT:
            self._check_rft(obj, ctx, result)
        elif fmt is DataFormat.DPO:
            self._check_dpo(obj, ctx, result)
        else:
            self._check_completion(obj, ctx, result)
        if result.tokens > self.token_limit:
            many = f"over {result.tokens:,}" if self.counter.bounded else f"{result.tokens:,}"
            skipped = ""
            if result.unchecked:
                those = "message after it was" if result.unchecked == 1 else "messages after it were"
                skipped = f" Counting stopped there: the {result.unchecked:,} {those} not checked one by one."
            ctx.add(
                "too_many_tokens",
                f"The example has {many} tokens; the model takes {self.token_limit:,} "
                f"per example, so training will cut off the rest.{skipped}",
            )
        return result

    @staticmethod
    def _parse_failure(ctx: _Ctx, raw: bytes, exc: ValueError) -> None:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            ctx.add(
                "invalid_utf8",
                f"Byte {bad.start + 1} (0x{raw[bad.start]:02x}) is not valid UTF-8; save the file as UTF-8.",
            )
            return
        detail = str(exc).split("\n", 1)[0]
        detail = _JSON_POS.sub(lambda m: f" at column {m.group(1)}", detail)
        ctx.add("invalid_json", f"The line is not valid JSON: {detail}.")

    # -- chat (supervised) -------------------------------------------------------------
    def _check_chat(self, obj: dict[str, Any], ctx: _Ctx, result: ExampleResult) -> None:
        messages = obj.get("messages")
        if not self._messages_present(messages, ctx, "messages"):
            return
        self._check_tools(obj, ctx)
        self._count_chat(obj, messages, result)
        roles = self._check_messages(messages, ctx, "messages", sft=True, upto=self.counter.counted)
        if "assistant" not in roles:
            ctx.add(
                "example_missing_assistant_message",
                "The example has no assistant message, so there is nothing to learn from it.",
                "messages",
            )
        if ctx.unknown_roles:
            pass  # a message without a known role may be the missing one; its error says enough
        else:
            if "system" not in roles and "developer" not in roles:
                ctx.add("missing_system_message", _NO_SYSTEM, "messages")
            if "user" not in roles:
                ctx.add("missing_user_message", _NO_USER, "messages")
        result.unchecked = len(messages) - self.counter.counted

    def _check_rft(self, obj: dict[str, Any], ctx: _Ctx, result: ExampleResult) -> None:
        messages = obj.get("messages")
        if not self._messages_present(messages, ctx, "messages"):
            return
        self._check_tools(obj, ctx)
        self._count_chat(obj, messages, result)
        result.unchecked = len(messages) - self.counter.counted
        self._check_messages(messages, ctx, "messages", sft=False, upto=self.counter.counted)
        last = messages[-1]
        if not (isinstance(last, dict) and last.get("role") == "user"):
            ctx.add(
                "rft_last_message_not_user",
                "A reinforcement fine-tuning example must end with a user message.",
                f"messages[{len(messages) - 1}]",
            )

    def _count_chat(self, obj: dict[str, Any], messages: list[Any], result: ExampleResult) -> None:
        total, assistant = self.counter.count_messages(messages, self.token_limit)
        for key in ("tools", "functions"):
            if obj.get(key) is not None:
                total += self.counter.count_value(obj[key])
        result.parsed = True
        result.messages = len(messages)
        result.tokens = total
        result.assistant_tokens = assistant
        for m in islice(messages, self.counter.counted):  # (past the limit: not looked at)
            if isinstance(m, dict) and m.get("role") == "system":
                content = m.get("content")
                result.system_message = content if isinstance(content, str) else None
                break

    @staticmethod
    def _messages_present(messages: Any, ctx: _Ctx, where: str) -> TypeGuard[list[Any]]:
        if messages is None:
            ctx.add("missing_messages_list", f'The example has no "{where}" list.', where)
            return False
        if not isinstance(messages, list):
            ctx.add(
                "missing_messages_list",
                f'"{where}" must be a list of messages, not {json_type(messages)}.',
                where,
            )
            return False
        if not messages:
            ctx.add("missing_messages_list", f'"{where}" is an empty list.', where)
            return False
        return True

    def _check_tools(self, obj: dict[str, Any], ctx: _Ctx) -> None:
        if "functions" in obj:
            ctx.add(
                "deprecated_key",
                '"functions" is deprecated; describe them in "tools" instead.',
                "functions",
            )
        if "parallel_tool_calls" in obj and not isinstance(obj["parallel_tool_calls"], bool):
            ctx.add(
                "data_type",
                f'"parallel_tool_calls" must be true or false, not {json_type(obj["parallel_tool_calls"])}.',
                "parallel_tool_calls",
            )
        tools = obj.get("tools")
        if tools is None:
            return
        if not isinstance(tools, list):
            ctx.add("data_type", f'"tools" must be a list, not {json_type(tools)}.', "tools")
            return
        for i, tool in enumerate(tools):
            where = f"tools[{i}]"
            if not isinstance(tool, dict):
                ctx.add("invalid_tool_call", f"A tool definition must be an object, not {json_type(tool)}.", where)
                continue
            if tool.get("type") != "function":
                ctx.add("invalid_tool_call", 'A tool definition needs "type": "function".', f"{where}.type")
            fn = tool.get("function")
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn.get("name"):
                ctx.add(
                    "invalid_tool_call", "A tool definition needs a function with a name.", f"{where}.function.name"
                )

    def _check_messages(
        self, messages: list[Any], ctx: _Ctx, prefix: str, sft: bool, upto: int | None = None
    ) -> set[str]:
        """Check each message (only the first ``upto``: the rest lie past the token limit, and
        for them only the roles are noted, so the example-level findings stay right)."""
        roles: set[str] = set()
        for i, message in enumerate(islice(messages, upto)):
            where = f"{prefix}[{i}]"
            if not isinstance(message, dict):
                ctx.add("data_type", f"A message must be an object, not {json_type(message)}.", where)
                continue
            if "role" not in message:
                ctx.add("message_missing_key", 'The message has no "role".', f"{where}.role")
                ctx.unknown_roles = True
                continue
            role = message["role"]
            if not isinstance(role, str) or role not in ROLES:
                shown = json.dumps(role, ensure_ascii=False)[:40]
                ctx.add(
                    "unrecognized_role",
                    f"Role {shown} is not one of system, user, assistant, tool.",
                    f"{where}.role",
                )
                ctx.unknown_roles = True
                continue
            roles.add(role)
            self._check_message(message, role, where, ctx, sft)
        if upto is not None and upto < len(messages):
            _note_roles(messages, upto, roles, ctx)
        if ctx.images > MAX_IMAGES:
            ctx.add(
                "data_type",
                f"The example has {ctx.images} images; at most {MAX_IMAGES} are allowed.",
                prefix,
            )
        return roles

    def _check_message(self, m: dict[str, Any], role: str, where: str, ctx: _Ctx, sft: bool) -> None:
        allowed = ALLOWED_KEYS[role]
        for key in m:
            if key == "weight" and role != "assistant":
                ctx.add("invalid_weight", "Only assistant messages can carry a weight.", f"{where}.weight")
            elif key not in allowed:
                ctx.add(
                    "message_unrecognized_key",
                    f'A {role} message cannot have the key "{key}".',
                    f"{where}.{key}",
                )
        if role == "developer" and sft:
            ctx.add(
                "developer_role_in_sft",
                'The "developer" role is for reinforcement fine-tuning; use "system" here.',
                f"{where}.role",
            )
        if role == "function":
            ctx.add("deprecated_key", 'The "function" role is deprecated; use "tool".', f"{where}.role")
            if not isinstance(m.get("name"), str):
                ctx.add("message_missing_key", 'A function message needs a "name".', f"{where}.name")
        if "name" in m and not isinstance(m["name"], str):
            ctx.add("data_type", f'"name" must be a string, not {json_type(m["name"])}.', f"{where}.name")
        has_calls = False
        if role == "assistant":
            has_calls = self._check_tool_calls(m, where, ctx)
            if "weight" in m:
                w = m["weight"]
                if isinstance(w, bool) or not isinstance(w, int | float) or w not in (0, 1):
                    shown = json.dumps(w)[:40]
                    ctx.add("invalid_weight", f"Weight must be 0 or 1, not {shown}.", f"{where}.weight")
        if role == "tool":
            self._check_tool_result(m, where, ctx)
        self._check_content(m, role, where, ctx, has_calls)

    def _check_tool_calls(self, m: dict[str, Any], where: str, ctx: _Ctx) -> bool:
        has_calls = False
        if m.get("function_call") is not None:
            has_calls = True
            ctx.add(
                "deprecated_key",
                '"function_call" is deprecated; use "tool_calls".',
                f"{where}.function_call",
            )
            fc = m["function_call"]
            if not isinstance(fc, dict) or not isinstance(fc.get("name"), str):
                ctx.add("invalid_tool_call", 'A function_call needs a "name".', f"{where}.function_call")
            else:
                self._check_arguments(fc.get("arguments"), f"{where}.function_call.arguments", ctx)
        calls = m.get("tool_calls")
        if calls is None:
            return has_calls
        if not isinstance(calls, list) or not calls:
            ctx.add(
                "invalid_tool_call",
                f'"tool_calls" must be a non-empty list, not {json_type(calls)}'
                + (" (empty)." if calls == [] else "."),
                f"{where}.tool_calls",
            )
            return has_calls
        for k, call in enumerate(calls):
            cw = f"{where}.tool_calls[{k}]"
            if not isinstance(call, dict):
                ctx.add("invalid_tool_call", f"A tool call must be an object, not {json_type(call)}.", cw)
                continue
            call_id = call.get("id")
            if not isinstance(call_id, str) or not call_id:
                ctx.add("invalid_tool_call", 'The tool call has no "id".', f"{cw}.id")
            else:
                ctx.tool_call_ids.add(call_id)
            if call.get("type") != "function":
                ctx.add("invalid_tool_call", 'The tool call needs "type": "function".', f"{cw}.type")
            fn = call.get("function")
            if not isinstance(fn, dict):
                ctx.add("invalid_tool_call", 'The tool call has no "function" object.', f"{cw}.function")
                continue
            if not isinstance(fn.get("name"), str) or not fn.get("name"):
                ctx.add("invalid_tool_call", "The tool call's function has no name.", f"{cw}.function.name")
            self._check_arguments(fn.get("arguments"), f"{cw}.function.arguments", ctx)
        return True

    @staticmethod
    def _check_arguments(args: Any, where: str, ctx: _Ctx) -> None:
        if not isinstance(args, str):
            ctx.add(
                "invalid_tool_call",
                f"Arguments must be a string holding JSON, not {json_type(args)}.",
                where,
            )
            return
        try:
            json.loads(args)
        except ValueError:
            ctx.add("invalid_tool_call", "Arguments are not valid JSON.", where)

    @staticmethod
    def _check_tool_result(m: dict[str, Any], where: str, ctx: _Ctx) -> None:
        if "tool_call_id" not in m:
            ctx.add("message_missing_key", 'A tool message needs a "tool_call_id".', f"{where}.tool_call_id")
            return
        call_id = m["tool_call_id"]
        if not isinstance(call_id, str):
            ctx.add("data_type", f'"tool_call_id" must be a string, not {json_type(call_id)}.', f"{where}.tool_call_id")
        elif call_id not in ctx.tool_call_ids:
            ctx.add(
                "invalid_tool_call",
                f'tool_call_id "{call_id[:40]}" does not match any earlier tool call.',
                f"{where}.tool_call_id",
            )

    def _check_content(self, m: dict[str, Any], role: str, where: str, ctx: _Ctx, has_calls: bool) -> None:
        cw = f"{where}.content"
        if "content" not in m:
            if not has_calls:
                ctx.add("message_missing_key", f'The {role} message has no "content".', cw)
            return
        content = m["content"]
        if content is None or content == "":
            if has_calls or (role == "tool" and content == ""):
                return
            state = "null" if content is None else "empty"
            ctx.add("missing_content", f"The {role} message's content is {state}.", cw)
            return
        if isinstance(content, str):
            return
        if not isinstance(content, list):
            ctx.add(
                "data_type",
                f"Content must be a string or a list of parts, not {json_type(content)}.",
                cw,
            )
            return
        if not content:
            ctx.add("missing_content", f"The {role} message's content is an empty list.", cw)
            return
        for j, part in enumerate(content):
            self._check_part(part, role, f"{cw}[{j}]", ctx)

    @staticmethod
    def _check_part(part: Any, role: str, where: str, ctx: _Ctx) -> None:
        if not isinstance(part, dict):
            ctx.add("data_type", f"A content part must be an object, not {json_type(part)}.", where)
            return
        kind = part.get("type")
        if kind == "text":
            if not isinstance(part.get("text"), str):
                ctx.add("data_type", 'A text part needs a string "text".', f"{where}.text")
            return
        if kind != "image_url":
            shown = json.dumps(kind, ensure_ascii=False)[:40]
            ctx.add("data_type", f'Unknown content part type {shown}; use "text" or "image_url".', f"{where}.type")
            return
        ctx.images += 1
        if role == "assistant":
            ctx.add("image_in_assistant_message", "Assistant messages cannot contain images.", where)
            return
        if role != "user":
            ctx.add("data_type", "Only user messages can contain images.", where)
            return
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(image, dict) or not isinstance(url, str) or not url:
            ctx.add("data_type", 'An image part needs "image_url": {"url": ...}.', f"{where}.image_url.url")
            return
        if url.startswith("data:"):
            mime = url[5:].split(";", 1)[0].split(",", 1)[0].lower()
            if mime not in IMAGE_MIME:
                shown = mime or "an unknown type"
                ctx.add("data_type", f"Images must be JPEG, PNG or WEBP, not {shown}.", f"{where}.image_url.url")
        detail = image.get("detail")
        if detail is not None and detail not in IMAGE_DETAILS:
            ctx.add("data_type", 'Image "detail" must be low, high or auto.', f"{where}.image_url.detail")

    # -- DPO ---------------------------------------------------------------------------
    def _check_dpo(self, obj: dict[str, Any], ctx: _Ctx, result: ExampleResult) -> None:
        inp = obj.get("input")
        messages: list[Any] = []
        if not isinstance(inp, dict):
            what = "has no" if inp is None else f"has {json_type(inp)} as its"
            ctx.add("missing_messages_list", f'The DPO example {what} "input" object with messages.', "input")
        elif self._messages_present(inp.get("messages"), ctx, "input.messages"):
            messages = inp["messages"]
            self._check_tools(inp, ctx)
            self._check_messages(messages, ctx, "input.messages", sft=True)
            last = messages[-1]
            if not (isinstance(last, dict) and last.get("role") == "user"):
                ctx.add(
                    "invalid_preference_pair",
                    "The DPO input must end with a user message.",
                    f"input.messages[{len(messages) - 1}]",
                )
        outputs: dict[str, str | None] = {}
        for key, legacy in (
            ("preferred_output", "preferred_completion"),
            ("non_preferred_output", "non_preferred_completion"),
        ):
            name = key
            if key not in obj and legacy in obj:
                name = legacy
                ctx.add("deprecated_key", f'"{legacy}" is the old name; use "{key}".', legacy)
            outputs[key] = self._dpo_output(obj.get(name), name, ctx)
        pref, nonpref = outputs["preferred_output"], outputs["non_preferred_output"]
        if pref is not None and pref == nonpref:
            ctx.add(
                "invalid_preference_pair",
                "The preferred and non-preferred outputs are identical; the pair teaches nothing.",
                "non_preferred_output",
            )
        extra = [{"role": "assistant", "content": text} for text in (pref, nonpref) if text is not None]
        if not messages and not extra:
            return
        total, _ = self.counter.count_messages([*messages, *extra], self.token_limit)
        result.parsed = True
        result.messages = len(messages) + 1
        result.tokens = total
        result.assistant_tokens = self.counter.count(pref) if pref else 0

    @staticmethod
    def _dpo_output(value: Any, name: str, ctx: _Ctx) -> str | None:
        if value is None:
            ctx.add("invalid_preference_pair", f'The DPO example has no "{name}".', name)
            return None
        if not isinstance(value, list) or len(value) != 1:
            ctx.add(
                "invalid_preference_pair",
                f'"{name}" must be a list holding exactly one assistant message.',
                name,
            )
            return None
        message = value[0]
        where = f"{name}[0]"
        if not isinstance(message, dict) or message.get("role") != "assistant":
            ctx.add("invalid_preference_pair", f'"{name}" must hold an assistant message.', f"{where}.role")
            return None
        content = message.get("content")
        if not isinstance(content, str) or not content:
            ctx.add(
                "invalid_preference_pair",
                f'"{name}" needs text content (DPO is text only).',
                f"{where}.content",
            )
            return None
        return content

    # -- legacy prompt/completion -----------------------------------------------------
    def _check_completion(self, obj: dict[str, Any], ctx: _Ctx, result: ExampleResult) -> None:
        for key in ("prompt", "completion"):
            value = obj.get(key)
            if not isinstance(value, str):
                what = "no" if value is None and key not in obj else json_type(value) + " as its"
                ctx.add("missing_prompt_or_completion", f'The example has {what} "{key}" (text expected).', key)
        prompt = obj.get("prompt") if isinstance(obj.get("prompt"), str) else ""
        completion = obj.get("completion") if isinstance(obj.get("completion"), str) else ""
        result.parsed = True
        result.messages = 2
        result.assistant_tokens = self.counter.count(completion) if completion else 0
        result.tokens = (self.counter.count(prompt) if prompt else 0) + result.assistant_tokens
