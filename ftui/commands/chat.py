"""`ftui chat`: stream a reply (or two, side by side with --compare); the prompt comes from the
argument or, without one (or with ``-``), from stdin."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from ftui.commands.api import EXIT_MISUSE, EXIT_OK, dump
from ftui.provider.chat import ChatResult, stream_chat
from ftui.term import fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider

MAX_STDIN_BYTES = 10 * 1024 * 1024


class PromptError(ValueError):
    """The prompt could not be read (empty, not UTF-8, too big)."""


def read_prompt(arg: str | None) -> str:
    """The prompt argument, or stdin when it is missing or ``-``; raises PromptError."""
    if arg is not None and arg != "-":
        text = arg
    else:
        if sys.stdin is None:
            raise PromptError("no prompt: give it as an argument or on stdin.")
        if sys.stdin.isatty():
            print("type the prompt, then ctrl+d on a line of its own:", file=sys.stderr)
        raw = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
        if len(raw) > MAX_STDIN_BYTES:
            raise PromptError(f"the prompt on stdin is over {MAX_STDIN_BYTES // (1024 * 1024)} MB.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PromptError(f"stdin is not UTF-8 text (byte {exc.start}).") from None
        # `echo hi | ftui chat` and a file ending in a newline: the line ending is not part of the prompt
        text = text.removesuffix("\n").removesuffix("\r")
    if not text.strip():
        raise PromptError("the prompt is empty: give it as an argument or on stdin.")
    return text


async def _one_reply(
    p: Provider, model: str, prompt: str, args: argparse.Namespace, out: list[str] | None
) -> ChatResult:
    messages: list[dict[str, Any]] = [{"role": "system", "content": args.system}] if args.system else []
    messages.append({"role": "user", "content": prompt})
    result = ChatResult(model=model)
    pieces = stream_chat(
        p.client, await p.chat_name(model), messages, result, temperature=args.temperature, max_tokens=args.max_tokens
    )
    async for piece in pieces:
        if out is None:
            sys.stdout.write(safe(piece))
            sys.stdout.flush()
        else:
            out.append(safe(piece))
    return result


def _numbers(r: ChatResult) -> str:
    ttft = f"{r.first_token_s * 1000:.0f} ms" if r.first_token_s is not None else "—"
    total = f"{r.total_s:.2f} s" if r.total_s is not None else "—"
    toks = f"{r.completion_tokens} tokens" if r.completion_tokens is not None else "? tokens"
    return f"[{toks} · first token {ttft} · total {total}]"


def _as_json(r: ChatResult) -> dict[str, Any]:
    return {
        "model": r.model,
        "text": r.text,
        "finish_reason": r.finish_reason,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "first_token_ms": round(r.first_token_s * 1000, 1) if r.first_token_s is not None else None,
        "total_ms": round(r.total_s * 1000, 1) if r.total_s is not None else None,
    }


async def chat(p: Provider, args: argparse.Namespace) -> int:
    try:
        prompt = read_prompt(args.prompt)
    except PromptError as exc:
        return fail(str(exc), EXIT_MISUSE)
    models = [args.model] + ([args.compare] if args.compare else [])
    if args.json:
        results = await asyncio.gather(*(_one_reply(p, m, prompt, args, []) for m in models))
        dump(
            {
                "prompt": prompt,
                "system": args.system,
                "temperature": args.temperature,
                "max_tokens": args.max_tokens,
                "replies": [_as_json(r) for r in results],
            }
        )
        return EXIT_OK
    if not args.compare:
        result = await _one_reply(p, args.model, prompt, args, None)
        sys.stdout.write("\n")
        print(_numbers(result), file=sys.stderr)
        return EXIT_OK
    bufs: tuple[list[str], list[str]] = ([], [])
    pair = await asyncio.gather(
        _one_reply(p, args.model, prompt, args, bufs[0]),
        _one_reply(p, args.compare, prompt, args, bufs[1]),
    )
    for result, buf in zip(pair, bufs, strict=True):
        print(f"── {safe(result.model, one_line=True)} ──")
        print("".join(buf))
        print(_numbers(result))
    return EXIT_OK
