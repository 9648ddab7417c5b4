"""The Jobs and Chat tabs under stress: hostile text, a paused job, a failed connection, an
outage, a watcher that fails for good, and footers that must fit 80 columns in every state."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path

import httpx2
import openai
from openai._models import construct_type
from openai.types.fine_tuning import FineTuningJob
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ftui.config import Settings
from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job
from ftui.tui.app import FtuiApp
from ftui.tui.chat.model_picker import ModelPickerScreen
from ftui.tui.jobs.messages import CheckpointsListed, JobEvents, JobsListed
from tests.tui.conftest import sandbox_settings, screen_text, wait_connected, wait_for, wait_validated
from tests.tui.fixed_jobs import JOB_OBJECTS as JOBS
from tests.tui.fixed_jobs import event_objects as events
from tests.tui.fixed_jobs import job_object as job

HOSTILE = ("\x1b]52;c;aGk=\x07", "\x1b[2J", "\x9b31m", "\u202e")


def assert_clean(app: FtuiApp) -> str:
    """Nothing on the composed screen can drive a terminal: no ESC, no BEL, no C1, no bidi override."""
    strips = app.screen._compositor.render_strips()
    for strip in strips:
        for segment in strip:
            assert not segment.control
            for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
                assert bad not in segment.text, f"{bad!r} reached the screen in {segment.text!r}"
    text = screen_text(app)
    assert not any(bad in text for bad in ("\x1b", "\x07", "\x9b", "\u202e"))
    return text


def footer_keys(app: FtuiApp) -> list[FooterKey]:
    return [k for k in app.screen.query_one(Footer).query(FooterKey) if not k.has_class("-command-palette")]


def footer_words(app: FtuiApp) -> list[str]:
    return [k.description for k in footer_keys(app)]


def cut_off(app: FtuiApp) -> list[str]:
    """Footer keys that do not fit left of the palette key (cut, or hidden by scrolling)."""
    footer = app.screen.query_one(Footer)
    palette = [k for k in footer.query(FooterKey) if k.has_class("-command-palette")]
    edge = palette[0].virtual_region.x if palette else footer.size.width
    return [f"{k.key_display} {k.description}" for k in footer_keys(app) if k.virtual_region.right > edge]


def footer_laid_out(app: FtuiApp) -> bool:
    keys = list(app.screen.query_one(Footer).query(FooterKey))
    return bool(keys) and all(k.virtual_region.width > 0 for k in keys)


async def footer_shows(app: FtuiApp, *words: str) -> None:
    """Wait until the footer (recomposed after a refresh) shows these words, then check it fits."""
    await wait_for(lambda: all(w in footer_words(app) for w in words) and footer_laid_out(app))
    assert cut_off(app) == [], footer_words(app)


def header(app: FtuiApp) -> str:
    return str(app.jobs_tab.query_one("#job-header").render())


async def fixed_jobs(app: FtuiApp, pilot, jobs=JOBS) -> None:
    await wait_validated(app)
    await pilot.press("2")
    app.jobs_tab.post_message(JobsListed(list(jobs), more=False, first=True))
    await wait_for(lambda: app.jobs_tab.table.row_count == len(jobs))
    await wait_for(lambda: "…" + jobs[-1].id[-8:] in screen_text(app))  # drawn, not only held


async def open_fixed(app: FtuiApp, pilot, job_id: str, steps: int = 60) -> None:
    tab = app.jobs_tab
    trace = tab.model.trace(job_id)
    trace.complete = True  # fixed data: nothing to follow
    tab.post_message(JobEvents(job_id, events(job_id)[: steps + 1]))
    await wait_for(lambda: len(trace.lines) == steps + 1)
    tab.open_job(job_id)
    await wait_for(lambda: job_id in header(app))


# -- item 3: hostile text ------------------------------------------------------------------------


def hostile_dataset(tmp_path: Path) -> Path:
    """Examples whose assistant replies (what a fine-tuned sandbox model answers) hold terminal controls."""
    rows = []
    for i in range(12):
        reply = f"Forecast {i}: {HOSTILE[0]}sunny{HOSTILE[1]} [red]not markup[/red] {HOSTILE[2]}{HOSTILE[3]} **bold**"
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": f"You are {HOSTILE[1]}[b]Sunny[/b]."},
                    {"role": "user", "content": f"What is the weather in city {i}?"},
                    {"role": "assistant", "content": reply},
                ]
            }
        )
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_hostile_text_from_the_server_and_a_model_never_reaches_the_terminal(tmp_path) -> None:
    app = FtuiApp(hostile_dataset(tmp_path), settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        client = app.provider.client
        file = await upload_file(client, app.data_tab.dataset.path)
        # The sandbox refuses a suffix with control characters, as the API does; hostile model names
        # from a server are covered by the fixed-server test below.
        suffix = "evil"
        created = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id, suffix=suffix))
        await pilot.press("2")
        tab = app.jobs_tab
        await pilot.press("ctrl+r")
        await wait_for(lambda: created.id in tab.model.jobs)
        tab.open_job(created.id)
        await wait_for(
            lambda: tab.model.traces[created.id].complete and tab.model.jobs[created.id].fine_tuned_model, timeout=30
        )
        model = tab.model.jobs[created.id].fine_tuned_model
        assert "evil" in model
        await wait_for(lambda: "evil" in header(app))
        assert_clean(app)
        await pilot.press("e")
        await wait_for(lambda: "New fine-tuned model created" in screen_text(app))
        assert_clean(app)
        await pilot.press("c")
        await wait_for(lambda: "ckpt-step-" in screen_text(app), timeout=15)
        assert_clean(app)
        await pilot.press("escape")
        await wait_for(lambda: tab.has_class("list-mode"))
        assert_clean(app)
        # The chat: the model's name in the bar and panes, its streamed Markdown reply, the system prompt.
        tab.open_job(created.id)
        await pilot.press("o")
        await wait_for(lambda: app.query_one("#tabs").active == "chat")
        assert_clean(app)
        app.chat_tab.open_model(model, "gpt-4o-mini")
        for ch in "weather in city 3":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await wait_for(lambda: not app.chat_tab.exchanges[-1].busy, timeout=15)
        pane = app.chat_tab.exchanges[-1].panes[0]
        assert HOSTILE[0] in pane.text  # the reply itself is kept as sent (a saved example holds it)
        await wait_for(lambda: "[red]not markup[/red]" in screen_text(app))
        text = assert_clean(app)
        assert "Forecast 3: \\x1b]52;c;aGk=\\x07sunny\\x1b[2J" in text and "[red]not markup[/red]" in text
        await pilot.press("ctrl+l")
        await wait_for(lambda: isinstance(app.screen, ModelPickerScreen))
        await pilot.press("e", "v", "i", "l")
        await wait_for(lambda: "evil" in screen_text(app))
        assert_clean(app)
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, ModelPickerScreen))
        # An error line quoting hostile text (the server names the unknown model).
        app.chat_tab.open_model(f"nope{HOSTILE[1]}[b]x")
        await pilot.press("h", "i", "enter")
        await wait_for(lambda: app.chat_tab.exchanges[-1].panes[0].state == "failed", timeout=15)
        await wait_for(lambda: "✗ Chat with nope\\x1b[2J[b]x" in screen_text(app))
        assert_clean(app)


async def test_hostile_event_messages_and_errors_from_a_fixed_server(sample_copy) -> None:
    """Event messages, a job's error and its model name, straight into the tab (no network)."""
    bad = job(
        7,
        "failed",
        model=f"gpt-4o-mini{HOSTILE[1]}[b]x",
        error={"code": "x", "message": f"Line 3: {HOSTILE[0]}[red]boom[/red]", "param": None},
    )
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await fixed_jobs(app, pilot, [bad, *JOBS])
        assert_clean(app)
        tab = app.jobs_tab
        evil = events(bad.id, steps=3)
        evil[-1] = evil[-1].model_copy(update={"message": f"Done {HOSTILE[1]}{HOSTILE[0]}", "level": "error"})
        tab.model.trace(bad.id).complete = True
        tab.post_message(JobEvents(bad.id, evil))
        await wait_for(lambda: len(tab.model.trace(bad.id).lines) == len(evil))
        tab.open_job(bad.id)
        await wait_for(lambda: "Failed: Line 3: \\x1b]52;c;aGk=\\x07[red]boom[/red]" in header(app))
        assert_clean(app)
        await pilot.press("e")
        await wait_for(lambda: "Done \\x1b[2J" in screen_text(app))
        assert_clean(app)


# -- item 5: small but real -------------------------------------------------------------------------


async def test_a_paused_job_shows_no_eta_that_keeps_growing(sample_copy) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await fixed_jobs(app, pilot)
        await open_fixed(app, pilot, "ftjob-snapshot0005", steps=30)  # paused half way
        text = header(app)
        assert "step 30/60" in text and "paused: no ETA" in text and "ETA " not in text.replace("no ETA", "")
        await open_fixed(app, pilot, "ftjob-snapshot0006", steps=30)  # running: an ETA
        assert "ETA " in header(app)


async def test_one_epoch_is_one_epoch_and_the_list_tells_jobs_apart_at_80_columns(sample_copy) -> None:
    one = job(8, "running", method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1}}})
    twin = construct_type(type_=FineTuningJob, value={**one.model_dump(), "id": "ftjob-snapshot0009"})
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await fixed_jobs(app, pilot, [one, twin, *JOBS])
        text = screen_text(app)
        for j in (one, twin, *JOBS):  # same model, same minute: the id's tail tells them apart
            assert "…" + j.id[-8:] in text
        assert "…shot0004 weather-4" in text, text  # the suffix, from the fine-tuned model's name
        await open_fixed(app, pilot, one.id, steps=10)
        text = header(app)
        assert "supervised · 1 epoch · batch auto" in text and "1 epochs" not in text


async def test_a_failed_connection_is_said_in_the_jobs_and_chat_tabs(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), profile="nope", settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_validated(app)
        await pilot.press("2")
        await wait_for(lambda: "Not connected to a provider" in screen_text(app))
        text = screen_text(app)
        assert "No profile named 'nope'" in text and "Connecting to the provider" not in text
        await pilot.press("n")  # no form to fill in for nothing
        await wait_for(lambda: any("no job can start" in n.message for n in app._notifications))
        await pilot.press("3")
        await wait_for(lambda: "Not connected to a provider: No profile named 'nope'" in screen_text(app))
        for ch in "hi":
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_for(lambda: app.chat_tab.exchanges and app.chat_tab.exchanges[-1].panes[0].state == "failed")
        await wait_for(lambda: "✗ Not connected to a provider: No profile named 'nope'" in screen_text(app))


async def test_multiline_chat_says_ctrl_j_sends_and_keep_means_one_thing(sample_copy, tmp_path) -> None:
    from ftui.tui.chat.dialogs import ChatSettingsScreen

    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await pilot.press("3")
        assert "Enter sends" in screen_text(app)
        await pilot.press("ctrl+t")
        await wait_for(lambda: "multi-line: ctrl+j sends" in screen_text(app))
        text = screen_text(app)
        assert "Message · ctrl+j sends · Enter: new line" in text
        assert "Enter sends" not in text and "press Enter" not in text and "ctrl+j sends" in text
        await pilot.press("h", "i", "enter", "y", "o")  # Enter is a new line here …
        assert app.chat_tab.prompt.text == "hi\nyo" and not app.chat_tab.exchanges
        await pilot.press("ctrl+j")  # … and ctrl+j sends
        await wait_for(lambda: app.chat_tab.exchanges and not app.chat_tab.exchanges[-1].busy)
        await footer_shows(app, "Save")
        assert "Keep" not in footer_words(app)
        await pilot.press("ctrl+g")
        await wait_for(lambda: isinstance(app.screen, ChatSettingsScreen))
        text = screen_text(app)
        assert "ctrl+s apply" in text and "Apply (ctrl+s)" in text and "Keep" not in text


async def test_footers_fit_80_columns_in_every_jobs_state(sample_copy) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await fixed_jobs(app, pilot)
        await footer_shows(app, "New job")
        tab = app.jobs_tab
        for job_id, words in (
            ("ftjob-snapshot0006", ("Cancel job", "Pause")),  # running
            ("ftjob-snapshot0005", ("Cancel job", "Resume")),  # paused
            ("ftjob-snapshot0004", ("Save CSV", "Chat")),  # succeeded
            ("ftjob-snapshot0003", ("New job",)),  # failed
            ("ftjob-snapshot0000", ("Cancel job",)),  # a status ftui does not know
        ):
            await open_fixed(app, pilot, job_id, steps=30)
            await footer_shows(app, *words)
            # With a checkpoint under the cursor, "o Chat" joins (a running or paused job too).
            tab.post_message(CheckpointsListed(job_id, [_checkpoint(job_id)]))
            await pilot.press("c")
            await wait_for(lambda: tab._checkpoint_under_cursor() is not None)
            await footer_shows(app, *words, "Chat")
            await pilot.press("l")
            await pilot.press("escape")
            await wait_for(lambda: tab.has_class("list-mode"))


def _checkpoint(job_id: str):
    from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

    return construct_type(
        type_=FineTuningJobCheckpoint,
        value={
            "id": "ftckpt_1",
            "object": "fine_tuning.job.checkpoint",
            "created_at": 1767261600,
            "fine_tuned_model_checkpoint": f"ft:gpt-4o-mini-2024-07-18:acme::{job_id[-4:]}:ckpt-step-20",
            "fine_tuning_job_id": job_id,
            "step_number": 20,
            "metrics": {"step": 20, "train_loss": 0.5},
        },
    )


async def test_footers_fit_80_columns_in_every_chat_state(sample_copy, tmp_path) -> None:
    # Slow replies (0.3 s a piece): a loaded machine must still see the reply streaming.
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=0.1))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await pilot.press("3")
        chat = app.chat_tab
        await footer_shows(app, "Send", "Model", "Compare")  # typing
        app.chat_tab.open_model("gpt-4o-mini-2024-07-18", "gpt-4.1-nano-2025-04-14")
        for ch in "weather":
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_for(lambda: chat.exchanges and chat.exchanges[-1].panes[0].text, timeout=10)
        await footer_shows(app, "Send", "Stop")  # a reply streaming
        await pilot.press("escape")
        await wait_for(lambda: not chat.busy)
        await footer_shows(app, "Send", "Model", "Compare", "Save")  # a reply to save
        await pilot.press("escape")  # out of the box
        await footer_shows(app, "Write", "Model", "Compare", "Save", "Quit")
        await pilot.press("ctrl+t")
        await footer_shows(app, "Write", "Save")
        await pilot.press("i")
        await footer_shows(app, "Send", "Save")


# -- item 6: never spins, never silent -------------------------------------------------------------


async def test_a_watch_that_fails_for_good_retries_slowly_and_says_so(sample_copy, tmp_path, monkeypatch) -> None:
    from ftui.tui.jobs import follow

    monkeypatch.setattr(follow, "WATCH_RETRY_FIRST", 0.4)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        client = app.provider.client
        file = await upload_file(client, app.data_tab.dataset.path)
        created = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        resource = client.fine_tuning.jobs.with_raw_response  # what the watcher reads pages through
        real = resource.list_events
        calls: list[float] = []

        class Garbage:  # a server that answers 200 with nonsense
            content = b'{"object": "list", "data": null, "has_more": true}'

        async def misbehaving(*args, **kwargs):
            calls.append(asyncio.get_running_loop().time())
            return Garbage()

        monkeypatch.setattr(resource, "list_events", misbehaving)
        await pilot.press("2")
        tab = app.jobs_tab
        await pilot.press("ctrl+r")
        await wait_for(lambda: created.id in tab.model.jobs)
        tab.open_job(created.id)
        trace = tab.model.traces[created.id]
        await wait_for(lambda: trace.retry_attempt >= 3, timeout=15)
        await wait_for(lambda: "⟳ reconnecting in" in header(app) or "⟳ reconnecting now" in header(app))
        text = header(app)
        assert "(attempt" in text and "Watching stopped:" in text and "stopped watching" not in text
        assert all(b - a >= 0.35 for a, b in itertools.pairwise(calls))  # a wait between tries
        assert created.id in tab.model.following  # still on it
        monkeypatch.setattr(resource, "list_events", real)  # the server behaves again
        await pilot.press("ctrl+r")  # tries again now
        await wait_for(lambda: trace.lines and trace.retry_at is None, timeout=15)
        await wait_for(lambda: "reconnecting" not in header(app))


async def test_list_refresh_during_an_outage_is_one_request_at_a_time(sample_copy, tmp_path, monkeypatch) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await pilot.press("2")
        tab = app.jobs_tab
        await wait_for(lambda: tab.loaded)
        resource = app.provider.client.fine_tuning.jobs
        out = {"now": 0, "most": 0, "calls": 0}
        answer = asyncio.Event()
        request = httpx2.Request("GET", "http://127.0.0.1/v1/fine_tuning/jobs")

        async def hung(*args, **kwargs):  # a server that takes its time, then drops the line
            out["calls"] += 1
            out["now"] += 1
            out["most"] = max(out["most"], out["now"])
            try:
                await answer.wait()
                raise openai.APIConnectionError(request=request)
            finally:
                out["now"] -= 1

        monkeypatch.setattr(resource, "list", hung)
        await pilot.press("ctrl+r")
        await wait_for(lambda: out["calls"] == 1)
        for _ in range(3):
            await pilot.press("ctrl+r")
            await pilot.press("1", "2")  # every visit to the tab asks too
        await pilot.pause()
        assert out == {"now": 1, "most": 1, "calls": 1}  # neither stacked nor restarted
        tab._refresh_tick()  # what the timer does
        await pilot.pause()
        assert out == {"now": 1, "most": 1, "calls": 1}
        answer.set()
        await wait_for(lambda: "Asking again in" in screen_text(app))
        text = screen_text(app)
        assert "Listing jobs failed" in text and "(attempt 2)" in text and "ctrl+r asks at once" in text
        tab._refresh_tick()  # the timer waits out the back-off …
        await pilot.pause()
        assert out["calls"] == 1
        await pilot.press("ctrl+r")  # … the user need not
        await wait_for(lambda: out["calls"] == 2)


async def test_a_dead_base_url_says_so_and_keeps_asking_slowly(sample_copy) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), base_url="http://127.0.0.1:9/v1", settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await pilot.press("2")
        await wait_for(lambda: "Asking again in" in screen_text(app), timeout=30)
        text = screen_text(app)
        assert "could not reach 127.0.0.1:9" in text and "(attempt 2)" in text
        assert "Connecting to the provider" not in text


async def test_the_list_refreshes_by_itself(sample_copy, tmp_path, monkeypatch) -> None:
    from ftui.tui.jobs import tab as jobs_tab

    monkeypatch.setattr(jobs_tab, "REFRESH_SECONDS", 0.3)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        await pilot.press("2")
        tab = app.jobs_tab
        await wait_for(lambda: tab.loaded)
        client = app.provider.client
        file = await upload_file(client, app.data_tab.dataset.path)
        created = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
        await wait_for(lambda: created.id in tab.model.jobs)  # no key pressed: the timer asked
        await wait_for(lambda: "…" + created.id[-8:] in screen_text(app))


async def test_a_refresh_never_cancels_loading_older_jobs(sample_copy, tmp_path, monkeypatch) -> None:
    from types import SimpleNamespace

    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_connected(app)
        await wait_validated(app)
        resource = app.provider.client.fine_tuning.jobs
        asked = {"newest": 0, "older": 0}
        slow = asyncio.Event()

        async def pages(*args, **kwargs):
            if "after" not in kwargs:
                asked["newest"] += 1
                return SimpleNamespace(data=JOBS[:3], has_more=True)
            asked["older"] += 1
            await slow.wait()  # an older page that takes its time
            return SimpleNamespace(data=JOBS[3:], has_more=False)

        monkeypatch.setattr(resource, "list", pages)
        await pilot.press("2")
        tab = app.jobs_tab
        await wait_for(lambda: tab.table.row_count == 4)  # three jobs and the row that loads more
        await pilot.press("G")
        await wait_for(lambda: asked["older"] == 1)
        before = asked["newest"]
        await pilot.press("ctrl+r")  # a refresh while the older page is out …
        await wait_for(lambda: asked["newest"] == before + 1)
        slow.set()
        await wait_for(lambda: all(j.id in tab.model.jobs for j in JOBS))  # … did not cancel it
        assert asked["older"] == 1
