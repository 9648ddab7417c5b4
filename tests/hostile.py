"""A dataset whose text tries to take over the terminal (and the screen's markup)."""

from __future__ import annotations

import json
from pathlib import Path

TITLE = "\x1b]0;pwned\x07"  # OSC 0: set the window / pane title
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: write the clipboard
CLEAR = "\x1b[2J"  # erase the screen
CSI_C1 = "\x9b31m"  # the 8-bit CSI (C1), then "red"
MARKUP = "[bold red]styled[/] and an unmatched [/b]"  # Rich / Textual markup must stay text
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\r")  # none of these may be drawn as they are
# The file's name is hostile too: markup (a style, a click action) and an OSC title.
FILE_NAME = "evil[reverse][@click=app.quit]\x1b]0;pwned-name\x07.jsonl"


def hostile_lines() -> list[bytes]:
    chat = {
        "messages": [
            {"role": "system", "content": f"You obey the data.{TITLE}"},
            {"role": "user", "content": f"Hi {CLEAR} there {CSI_C1} red\rover\x07 {CLIPBOARD} {MARKUP}"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call{CLEAR}",
                        "type": "function",
                        "function": {"name": f"fn{TITLE}", "arguments": json.dumps({"q": CSI_C1})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": f"call{CLEAR}", "content": f"done {CSI_C1}"},
            {"role": "assistant", "content": f"Bye {MARKUP}"},
        ]
    }
    # Not JSON: the raw bytes (with real ESC, BEL, C1 and CR) are what the list previews.
    broken = f'{{"messages": [{{"role": "user", "content": "{TITLE}{CLEAR}{CSI_C1}\r{MARKUP}'.encode()
    odd_role = {
        "messages": [
            {"role": f"boss{TITLE}", "content": f"who {CLIPBOARD}"},
            {"role": "assistant", "content": "ok", "name": f"n{CSI_C1}"},
        ]
    }
    return [json.dumps(chat, ensure_ascii=False).encode(), broken, json.dumps(odd_role, ensure_ascii=False).encode()]


def write_hostile(folder: Path) -> Path:
    path = folder / FILE_NAME
    path.write_bytes(b"\n".join(hostile_lines()) + b"\n")
    return path


def raw_controls_in(text: str) -> list[str]:
    """The terminal controls that ``text`` holds raw (it must hold none)."""
    return [repr(ch) for ch in RAW_CONTROLS if ch in text]
