"""The selected example drawn as a conversation (or as raw JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ftui.data.findings import Finding, Severity

ROLE_STYLES = {
    "system": "bold magenta",
    "developer": "bold magenta",
    "user": "bold cyan",
    "assistant": "bold green",
    "tool": "bold yellow",
    "function": "bold yellow",
}
MAX_CHARS = 4000


def _clip(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[:MAX_CHARS] + f"\n… ({len(text) - MAX_CHARS:,} more characters)"


def _image(part: dict[str, Any]) -> str:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        return "[image: no url]"
    if url.startswith("data:"):
        mime = url[5:].split(";", 1)[0]
        return f"[image: {mime or 'data'}, {len(url) * 3 // 4 // 1024:,} KB inline]"
    return f"[image: {url[:80]}]"


def _content(content: Any) -> Text:
    if content is None:
        return Text("(no content)", style="dim italic")
    if isinstance(content, str):
        return Text(_clip(content))
    if isinstance(content, list):
        out = Text()
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                out.append(_clip(str(part.get("text", ""))))
            elif isinstance(part, dict) and part.get("type") == "image_url":
                out.append(_image(part), style="italic blue")
            else:
                out.append(json.dumps(part, ensure_ascii=False)[:200], style="dim")
            out.append("\n")
        out.rstrip()
        return out
    return Text(json.dumps(content, ensure_ascii=False)[:MAX_CHARS], style="dim")


def render_message(m: Any) -> RenderableType:
    """One turn: role header, content, tool calls, weight marks."""
    if not isinstance(m, dict):
        return Text(f"(not a message: {json.dumps(m)[:80]})", style="red")
    role = m.get("role")
    header = Text(str(role or "(no role)").upper(), style=ROLE_STYLES.get(str(role), "bold red"))
    if m.get("name"):
        header.append(f"  {m['name']}", style="dim")
    if m.get("role") == "tool" and m.get("tool_call_id"):
        header.append(f"  ← result of {m['tool_call_id']}", style="yellow")
    if m.get("weight") == 0:
        header.append("  weight 0: not trained", style="reverse yellow")
    parts: list[RenderableType] = [header]
    if m.get("content") is not None or not m.get("tool_calls"):
        parts.append(_content(m.get("content")))
    for call in m.get("tool_calls") or []:
        if isinstance(call, dict):
            fn = call.get("function") or {}
            args = fn.get("arguments") if isinstance(fn, dict) else None
            shown = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
            name = fn.get("name") if isinstance(fn, dict) else "?"
            parts.append(Text(f"→ {name}({shown})  [{call.get('id', '?')}]", style="yellow"))
    if isinstance(m.get("function_call"), dict):
        fc = m["function_call"]
        parts.append(Text(f"→ {fc.get('name')}({fc.get('arguments')})  (legacy function_call)", style="yellow"))
    parts.append(Text(""))
    return Group(*parts)


def render_example(raw: bytes, findings: list[Finding], line: int) -> RenderableType:
    """A whole example: its findings, then each turn (chat, DPO, RFT or prompt/completion)."""
    parts: list[RenderableType] = [Text(f"Line {line}", style="bold")]
    for f in findings:
        style = "red" if f.severity is Severity.ERROR else "yellow"
        where = f" [{f.field}]" if f.field else ""
        parts.append(Text(f"{'✗' if style == 'red' else '⚠'} {f.code}{where}: {f.message}", style=style))
    parts.append(Text(""))
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    try:
        obj = json.loads(text)
    except ValueError:
        parts.append(Text(_clip(text) or "(blank line)", style="dim"))
        return Group(*parts)
    if not isinstance(obj, dict):
        parts.append(Text(_clip(text), style="dim"))
        return Group(*parts)
    if isinstance(obj.get("input"), dict):
        for m in obj["input"].get("messages") or []:
            parts.append(render_message(m))
        for key, label in (("preferred_output", "PREFERRED"), ("non_preferred_output", "NOT PREFERRED")):
            for m in obj.get(key) or []:
                parts.append(Text(label, style="bold green" if label == "PREFERRED" else "bold red"))
                parts.append(render_message(m))
    elif isinstance(obj.get("messages"), list):
        if obj.get("tools"):
            names = [t.get("function", {}).get("name", "?") for t in obj["tools"] if isinstance(t, dict)]
            parts.append(Text(f"tools: {', '.join(map(str, names))}", style="dim"))
        for m in obj["messages"]:
            parts.append(render_message(m))
    elif "prompt" in obj or "completion" in obj:
        parts.append(Text("PROMPT", style="bold cyan"))
        parts.append(_content(obj.get("prompt")))
        parts.append(Text("COMPLETION", style="bold green"))
        parts.append(_content(obj.get("completion")))
    else:
        parts.append(Text(_clip(text), style="dim"))
    return Group(*parts)


def render_raw(raw: bytes) -> RenderableType:
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    try:
        pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return Text(_clip(text), style="dim")
    return Syntax(_clip(pretty), "json", word_wrap=True, theme="ansi_dark", background_color="default")


class ExampleView(VerticalScroll, can_focus=True):
    """Shows one example; `r` toggles the raw JSON."""

    HELP = """
## Example
The selected line drawn as a conversation: roles in colour, tool calls and results,
images as placeholders, weight-0 turns marked as not trained, and the line's findings on top.

- `r` toggles the raw JSON
- `Esc` goes back to the list
"""

    def compose(self):
        yield Static(id="example-body")

    def show(self, renderable: RenderableType) -> None:
        self.query_one("#example-body", Static).update(renderable)
        self.scroll_home(animate=False)
