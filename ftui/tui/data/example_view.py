"""The selected example drawn as a conversation (or as raw JSON).

Everything here comes from the dataset: it is shown through ``safe`` (control characters
escaped) and only ever as ``Text`` (never parsed as markup), so a line can neither drive the
terminal nor restyle the screen.
"""

from __future__ import annotations

import io
import json
from typing import Any

from pydantic_core import from_json
from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.syntax import Syntax
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ftui.data.findings import Finding, Severity
from ftui.textsafe import safe

ROLE_STYLES = {
    "system": "bold magenta",
    "developer": "bold magenta",
    "user": "bold cyan",
    "assistant": "bold green",
    "tool": "bold yellow",
    "function": "bold yellow",
}
MAX_CHARS = 4000
MAX_MESSAGES = 200  # messages drawn of one example; the rest are counted (a line may hold millions)
SHOW_BYTES = 1 << 20  # of a longer line, only this much is parsed and drawn (the rest is said)


def _parse_shown(raw: bytes) -> tuple[Any, str]:
    """The line parsed for showing, and a note when only its start was: a line of hundreds of MB
    is never parsed whole on the way to the screen (it would hold the UI for seconds)."""
    text = raw[:SHOW_BYTES].decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    if len(raw) <= SHOW_BYTES:
        return json.loads(text), ""
    note = f"(the line is {len(raw) / 1e6:,.1f} MB; its first {SHOW_BYTES // (1 << 20)} MB is shown)"
    return from_json(text, allow_partial="trailing-strings"), note


def _clip(text: str) -> str:
    """At most MAX_CHARS of ``text``, terminal-safe."""
    if len(text) <= MAX_CHARS:
        return safe(text)
    return safe(text[:MAX_CHARS]) + f"\n… ({len(text) - MAX_CHARS:,} more characters)"


def _one(value: object) -> str:
    """A short value (a role, a name, an id) on one line, terminal-safe."""
    return safe(value, one_line=True)


def _image(part: dict[str, Any]) -> str:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str):
        return "[image: no url]"
    if url.startswith("data:"):
        mime = url[5:].split(";", 1)[0]
        return f"[image: {_one(mime) or 'data'}, {len(url) * 3 // 4 // 1024:,} KB inline]"
    return f"[image: {_one(url[:80])}]"


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
                out.append(_one(json.dumps(part, ensure_ascii=False)[:200]), style="dim")
            out.append("\n")
        out.rstrip()
        return out
    return Text(_clip(json.dumps(content, ensure_ascii=False)), style="dim")


def render_message(m: Any) -> RenderableType:
    """One turn: role header, content, tool calls, weight marks."""
    if not isinstance(m, dict):
        return Text(f"(not a message: {_one(json.dumps(m)[:80])})", style="red")
    role = m.get("role")
    header = Text(_one(role or "(no role)").upper(), style=ROLE_STYLES.get(str(role), "bold red"))
    if m.get("name"):
        header.append(f"  {_one(m['name'])}", style="dim")
    if m.get("role") == "tool" and m.get("tool_call_id"):
        header.append(f"  ← result of {_one(m['tool_call_id'])}", style="yellow")
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
            parts.append(Text(f"→ {_one(name)}({_clip(str(shown))})  [{_one(call.get('id', '?'))}]", style="yellow"))
    if isinstance(m.get("function_call"), dict):
        fc = m["function_call"]
        parts.append(
            Text(f"→ {_one(fc.get('name'))}({_clip(str(fc.get('arguments')))})  (legacy function_call)", style="yellow")
        )
    parts.append(Text(""))
    return Group(*parts)


def render_example(raw: bytes, findings: list[Finding], line: int) -> RenderableType:
    """A whole example: its findings, then each turn (chat, DPO, RFT or prompt/completion)."""
    parts: list[RenderableType] = [Text(f"Line {line}", style="bold")]
    for f in findings:
        style = "red" if f.severity is Severity.ERROR else "yellow"
        where = f" [{_one(f.field)}]" if f.field else ""
        mark = "✗" if style == "red" else "⚠"
        parts.append(Text(f"{mark} {_one(f.code)}{where}: {safe(f.message)}", style=style))
    parts.append(Text(""))
    text = raw[:SHOW_BYTES].decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    try:
        obj, note = _parse_shown(raw)
    except ValueError:
        parts.append(Text(_clip(text) or "(blank line)", style="dim"))
        return Group(*parts)
    if note:
        parts.append(Text(note, style="dim"))
    if not isinstance(obj, dict):
        parts.append(Text(_clip(text), style="dim"))
        return Group(*parts)
    if isinstance(obj.get("input"), dict):
        for m in (obj["input"].get("messages") or [])[:MAX_MESSAGES]:
            parts.append(render_message(m))
        for key, label in (("preferred_output", "PREFERRED"), ("non_preferred_output", "NOT PREFERRED")):
            for m in obj.get(key) or []:
                parts.append(Text(label, style="bold green" if label == "PREFERRED" else "bold red"))
                parts.append(render_message(m))
    elif isinstance(obj.get("messages"), list):
        if obj.get("tools"):
            names = [t.get("function", {}).get("name", "?") for t in obj["tools"] if isinstance(t, dict)]
            parts.append(Text(f"tools: {', '.join(_one(n) for n in names)}", style="dim"))
        for m in obj["messages"][:MAX_MESSAGES]:
            parts.append(render_message(m))
        if len(obj["messages"]) > MAX_MESSAGES:
            more = len(obj["messages"]) - MAX_MESSAGES
            parts.append(Text(f"… {more:,} more messages{' (at least)' if note else ''} not shown", style="dim"))
    elif "prompt" in obj or "completion" in obj:
        parts.append(Text("PROMPT", style="bold cyan"))
        parts.append(_content(obj.get("prompt")))
        parts.append(Text("COMPLETION", style="bold green"))
        parts.append(_content(obj.get("completion")))
    else:
        parts.append(Text(_clip(text), style="dim"))
    return Group(*parts)


def render_raw(raw: bytes) -> RenderableType:
    text = raw[:SHOW_BYTES].decode("utf-8", errors="replace").removeprefix("\ufeff").strip()
    if len(raw) > SHOW_BYTES:  # only MAX_CHARS would be shown: never parse and indent it all
        return Text(_clip(text), style="dim")
    try:
        pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return Text(_clip(text), style="dim")
    # json.dumps escapes C0 controls in strings but not C1 (U+0080-U+009F) or bidi marks: _clip does.
    return Syntax(_clip(pretty), "json", word_wrap=True, theme="ansi_dark", background_color="default")


def render_lines(renderable: RenderableType, width: int) -> list[Strip]:
    """``renderable`` laid out ``width`` cells wide, as lines ready to draw. Safe to call in a
    thread (its own console): the UI thread then only copies the lines on screen."""
    console = Console(
        width=width,
        color_system="truecolor",
        file=io.StringIO(),
        markup=False,
        highlight=False,
        emoji=False,
        legacy_windows=False,
        force_terminal=True,
        safe_box=False,
    )
    segments = console.render(renderable, console.options)
    lines = list(Segment.split_and_crop_lines(segments, width, pad=False, include_new_lines=False))
    return Strip.from_lines(lines) if lines else [Strip.blank(width)]


class ExampleView(ScrollView, can_focus=True):
    """Shows one example; `r` toggles the raw JSON.

    A Line-API view over lines laid out off the UI thread (``render_lines`` in the Data tab's
    worker): showing a new example copies only the rows on screen, however long it is."""

    HELP = """
## Example
The selected line drawn as a conversation: roles in colour, tool calls and results,
images as placeholders, weight-0 turns marked as not trained, and the line's findings on top.

- `r` toggles the raw JSON
- `Esc` goes back to the list
"""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.renderable: RenderableType = Text("")  # what is shown (tests read it)
        self._lines: list[Strip] = []
        self._width = 0

    @property
    def text_width(self) -> int:
        """How wide the lines are laid out: the view's width inside its padding and scrollbar."""
        return max(20, self.scrollable_content_region.width)  # the gutter is kept (CSS): stable

    def show(self, renderable: RenderableType, lines: list[Strip] | None = None, width: int | None = None) -> None:
        """Show a renderable (laid out here unless ``lines`` come with it), or a plain sentence
        (a string is never read as markup)."""
        if isinstance(renderable, str):
            renderable = Text(safe(renderable))
        self.renderable = renderable
        if lines is None or width != self.text_width:
            width = self.text_width
            lines = render_lines(renderable, width)
        self._lines, self._width = lines, width
        self.virtual_size = Size(width, len(lines))
        # At once, not after the next refresh: a deferred scroll costs a frame or two per key.
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        if self._lines and self.text_width != self._width:
            self.show(self.renderable)  # laid out again for the new width (a resize is rare)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        return self._lines[index].crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(self.rich_style)
