"""Event pages are read from their JSON (not through the SDK's models): as lenient as the SDK,
and a body that is no event list is one clear error."""

from __future__ import annotations

import json

import pytest

from ftui.provider.events import EventKind, event_kind, metric_point, parse_event_page


def test_a_page_reads_like_the_sdk_events_and_dumps_as_sent() -> None:
    sent = [
        {"id": "e2", "object": "fine_tuning.job.event", "created_at": 2, "level": "info", "message": "Step 2/9: x",
         "type": "metrics", "data": {"step": 2, "total_steps": 9, "train_loss": 0.5}},
        {"id": "e1", "object": "fine_tuning.job.event", "created_at": 1, "level": "warn", "message": "hm",
         "type": "message", "data": {}},
    ]  # fmt: skip
    events, more = parse_event_page(json.dumps({"object": "list", "data": sent, "has_more": True}))
    assert more and [e.id for e in events] == ["e2", "e1"]
    assert metric_point(events[0]).train_loss == 0.5 and event_kind(events[1]) == EventKind.WARN
    assert [e.model_dump(mode="json") for e in events] == sent


def test_odd_entries_are_read_leniently_and_unusable_ones_left_out() -> None:
    body = {"data": [{"id": "a"}, {"message": "no id"}, "text", {"id": 5}, {"id": "b", "created_at": "x"}]}
    events, more = parse_event_page(json.dumps(body))
    assert [e.id for e in events] == ["a", "b"] and not more
    assert events[0].message == "" and events[1].created_at == 0 and metric_point(events[0]) is None


@pytest.mark.parametrize("body", [b"<html>login</html>", b'{"data": null}', b"[]"])
def test_a_body_that_is_no_event_list_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_event_page(body)
