"""The event stream never spins on a misbehaving server, and gives up on a dead one when told."""

from __future__ import annotations

import httpx2
import pytest

from ftui.provider.events import EventStream, WatchGaveUp
from tests.provider.test_mock_transport import JOB, mock_client


class FakeTime:
    """A clock and a sleep that advance simulated time only."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _event(i: int) -> dict:
    return {
        "id": f"ftevent-{i}",
        "object": "fine_tuning.job.event",
        "created_at": 1_700_000_000 + i,
        "level": "info",
        "message": f"event {i}",
        "type": "message",
        "data": {},
    }


async def test_a_server_that_ignores_after_and_always_has_more_is_polled_calmly() -> None:
    """Today: 3,000 requests in 10 s and growing memory. Now: a few requests a second."""
    time = FakeTime()
    requests: list[str] = []
    page = [_event(i) for i in range(5, 0, -1)]  # newest first, the same page whatever `after` says

    def handler(req: httpx2.Request) -> httpx2.Response:
        requests.append(req.url.path)
        if req.url.path.endswith("/events"):
            return httpx2.Response(200, json={"object": "list", "data": page, "has_more": True})
        if time.now > 60:
            return httpx2.Response(200, json={**JOB, "status": "succeeded"})
        return httpx2.Response(200, json={**JOB, "status": "running"})

    stream = EventStream(mock_client(handler), "ftjob-abc", sleep=time.sleep, clock=time.clock)
    seen = [e.id async for e in stream]
    assert seen == [f"ftevent-{i}" for i in range(1, 6)]  # each once, oldest first
    rate = len(requests) / max(time.now, 1)
    assert rate < 5, f"{len(requests)} requests in {time.now:.0f} simulated seconds"
    assert len(stream._pending) == 0


async def test_a_long_history_is_still_read_in_full() -> None:
    time = FakeTime()
    events = [_event(i) for i in range(12_000, 0, -1)]  # 120 pages of 100

    def handler(req: httpx2.Request) -> httpx2.Response:
        if req.url.path.endswith("/events"):
            after = req.url.params.get("after")
            start = next(i for i, e in enumerate(events) if e["id"] == after) + 1 if after else 0
            data = events[start : start + 100]
            return httpx2.Response(200, json={"object": "list", "data": data, "has_more": start + 100 < len(events)})
        return httpx2.Response(200, json={**JOB, "status": "succeeded"})

    stream = EventStream(mock_client(handler), "ftjob-abc", sleep=time.sleep, clock=time.clock)
    got = [e.id async for e in stream]
    assert got == [f"ftevent-{i}" for i in range(1, 12_001)]


async def test_a_dead_url_gives_up_after_the_bound_with_a_clear_sentence() -> None:
    time = FakeTime()
    calls = 0

    def handler(req: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        raise httpx2.ConnectError("connection refused", request=req)

    states: list[str | None] = []
    stream = EventStream(
        mock_client(handler),
        "ftjob-abc",
        give_up_after=120,
        sleep=time.sleep,
        clock=time.clock,
        on_state=lambda st: states.append(st.reconnecting),
    )
    with pytest.raises(WatchGaveUp, match=r"stopped watching ftjob-abc.*ftui jobs show ftjob-abc"):
        async for _ in stream:
            pass
    assert 120 <= time.now < 200
    assert calls < 40  # backs off (the SDK retries each call twice itself)
    assert any(s and s.startswith("reconnecting in") for s in states)
    assert max(float(s.split()[2]) for s in states if s) <= 30  # the wait never grows past 30 s


async def test_errors_between_answers_never_make_it_give_up_only_silence_does() -> None:
    """Extreme faults: every job lookup fails for 10 simulated minutes, but the events keep coming.
    Before, the watcher counted from the first error and gave up at 120 s; now only silence counts."""
    time = FakeTime()
    served = 0

    def handler(req: httpx2.Request) -> httpx2.Response:
        nonlocal served
        if req.url.path.endswith("/events"):
            served += 1
            page = [_event(i) for i in range(served, 0, -1)]  # one new event per answer
            return httpx2.Response(200, json={"object": "list", "data": page, "has_more": False})
        if time.now < 600:
            return httpx2.Response(500, json={"error": {"message": "busy", "type": "server_error"}})
        return httpx2.Response(200, json={**JOB, "status": "succeeded"})

    stream = EventStream(mock_client(handler), "ftjob-abc", give_up_after=120, sleep=time.sleep, clock=time.clock)
    got = [e.id async for e in stream]
    assert time.now >= 600 and stream.state.job is not None and stream.state.job.status == "succeeded"
    assert got == [f"ftevent-{i}" for i in range(1, served + 1)]  # every event, once, in order

    silent = FakeTime()
    answers = 0

    def goes_silent(req: httpx2.Request) -> httpx2.Response:
        nonlocal answers
        if silent.now < 300:  # answers for five minutes, then nothing at all
            answers += 1
            return httpx2.Response(
                200,
                json={**JOB, "status": "running"}
                if "events" not in req.url.path
                else {"object": "list", "data": [], "has_more": False},
            )
        raise httpx2.ConnectError("connection refused", request=req)

    quiet = EventStream(
        mock_client(goes_silent), "ftjob-abc", give_up_after=120, sleep=silent.sleep, clock=silent.clock
    )
    with pytest.raises(WatchGaveUp, match=r"No answer from the provider for 1\d\d s; stopped watching ftjob-abc"):
        async for _ in quiet:
            pass
    assert answers > 10 and 420 <= silent.now < 520  # 120 s of silence after the last answer at ~300 s
