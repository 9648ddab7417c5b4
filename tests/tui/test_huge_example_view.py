"""A huge line is shown from its start, never parsed whole on the way to the screen (issue 23):
the example view of a line of 300,000 messages draws the first ones and says how many more."""

from __future__ import annotations

import json

from rich.console import Group

from ftui.tui.data.example_view import MAX_MESSAGES, SHOW_BYTES, render_example, render_raw


def _texts(group: Group) -> list[str]:
    return [str(r) for r in group.renderables]


def test_a_line_of_many_messages_draws_its_first_messages_and_says_the_rest() -> None:
    one = json.dumps({"role": "user", "content": "hi there"})
    raw = ('{"messages": [' + ", ".join([one] * 300_000) + "]}").encode()
    assert len(raw) > SHOW_BYTES
    shown = render_example(raw, [], 1)
    assert isinstance(shown, Group)
    texts = _texts(shown)
    assert any(t.startswith(f"(the line is {len(raw) / 1e6:,.1f} MB") for t in texts)
    assert texts[-1].endswith("more messages (at least) not shown")
    assert len(shown.renderables) < MAX_MESSAGES + 10


def test_a_short_line_with_many_messages_says_exactly_how_many_more() -> None:
    one = json.dumps({"role": "user", "content": "hi"})
    raw = ('{"messages": [' + ", ".join([one] * (MAX_MESSAGES + 5)) + "]}").encode()
    assert _texts(render_example(raw, [], 1))[-1] == "… 5 more messages not shown"


def test_the_raw_view_of_a_huge_line_shows_its_start() -> None:
    raw = json.dumps({"messages": [{"role": "user", "content": "x" * (2 * SHOW_BYTES)}]}).encode()
    assert "more characters" in str(render_raw(raw))
