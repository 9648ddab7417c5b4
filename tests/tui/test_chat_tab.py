"""Pilot tests for the Chat tab against the embedded sandbox."""

from __future__ import annotations

from ftui.data.validate import validate_file
from ftui.provider.files import upload_file
from ftui.provider.jobs import JobRequest, create_job
from ftui.tui.app import FtuiApp
from ftui.tui.chat.dialogs import SaveExampleScreen
from ftui.tui.chat.model_picker import ModelPickerScreen
from ftui.tui.commands import FtuiCommands
from tests.tui.conftest import sandbox_settings, screen_text, settle, wait_connected, wait_for, wait_validated


async def train(app: FtuiApp, timeout: float = 30.0) -> str:
    """Fine-tune on the open dataset in the sandbox; returns the fine-tuned model."""
    client = app.provider.client
    file = await upload_file(client, app.data_tab.dataset.path)
    job = await create_job(client, JobRequest(model="gpt-4o-mini", training_file=file.id))
    model: list[str] = []

    async def done() -> bool:
        current = await client.fine_tuning.jobs.retrieve(job.id)
        if current.fine_tuned_model:
            model.append(current.fine_tuned_model)
        return bool(model)

    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await done():
        assert loop.time() < deadline, "the sandbox job did not finish"
        await asyncio.sleep(0.1)
    return model[0]


async def ready(app: FtuiApp, pilot) -> None:
    await wait_connected(app)
    await wait_validated(app)
    await pilot.press("3")


def replies(app: FtuiApp):
    return app.chat_tab.exchanges[-1].panes


async def send(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.press("enter")


async def test_fine_tuned_model_replies_in_the_trained_style(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        model = await train(app)
        assert "You are Sunny" in screen_text(app)  # system prompt from the dataset
        app.chat_tab.open_model(model)
        await send(pilot, "Will it snow in Denver?")
        await wait_for(lambda: replies(app)[0].state == "done", timeout=15)
        await settle(pilot)
        pane = replies(app)[0]
        assert "snow" in pane.text and "Denver" in pane.text  # the trained answer, joke included
        text = screen_text(app)
        assert "You: Will it snow in Denver?" in text
        assert "tokens" in text and "first token" in text and "total" in text


async def test_compare_shows_both_replies_with_their_numbers(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        model = await train(app)
        app.chat_tab.open_model(model, "gpt-4o-mini")
        await send(pilot, "Should I plan a picnic in Sydney on Sunday?")
        await wait_for(lambda: all(p.state == "done" for p in replies(app)), timeout=15)
        await settle(pilot)
        a, b = replies(app)
        assert "Sydney" in a.text and "picnic" in a.text
        assert "base model" in b.text
        assert a.region.y == b.region.y and a.region.x < b.region.x  # side by side at 120 columns
        text = screen_text(app)
        assert text.count("first token") == 2 and f"A · {model}" in text and "B · gpt-4o-mini" in text


async def test_compare_stacks_at_80_columns_and_picker_sets_model_b(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+b")
        await wait_for(lambda: isinstance(app.screen, ModelPickerScreen))
        for ch in "gpt-4.1-nano":
            await pilot.press(ch)
        await pilot.press("enter")
        await wait_for(lambda: len(app.chat_tab.models) > 1 and app.chat_tab.models[1] == "gpt-4.1-nano")
        await send(pilot, "hello")
        await wait_for(lambda: all(p.state == "done" for p in replies(app)), timeout=15)
        a, b = replies(app)
        assert a.region.x == b.region.x and b.region.y > a.region.y  # stacked


async def test_escape_stops_a_reply_mid_stream(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=0.5))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await send(pilot, "Tell me about the weather in Paris")
        await wait_for(lambda: replies(app)[0].text, timeout=10)
        await pilot.press("escape")
        await wait_for(lambda: replies(app)[0].state == "stopped")
        pane = replies(app)[0]
        partial = pane.text
        # Once the reply's worker has ended nothing more can arrive; then the screen settles.
        await wait_for(lambda: not [w for w in app.workers if w.group == "chat-reply" and not w.is_finished])
        await settle(pilot)
        assert pane.text == partial and "⏹ stopped" in screen_text(app)
        assert app.chat_tab.tracks[0][-1] == {"role": "assistant", "content": partial}


async def test_errors_are_one_line_and_the_next_message_works(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        app.chat_tab.open_model("no-such-model")
        await send(pilot, "hi")
        await wait_for(lambda: replies(app)[0].state == "failed")
        await settle(pilot)
        text = screen_text(app)
        assert "✗" in text and "no-such-model" in text and "Traceback" not in text
        app.chat_tab.open_model("gpt-4o-mini")
        await send(pilot, "hi again")
        await wait_for(lambda: replies(app)[0].state == "done")
        assert app.chat_tab.tracks[0][0] == {"role": "user", "content": "hi again"}


async def test_history_with_up_and_down(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await send(pilot, "first")
        await wait_for(lambda: replies(app)[0].state == "done")
        await send(pilot, "second")
        await wait_for(lambda: replies(app)[0].state == "done")
        prompt = app.chat_tab.prompt
        await pilot.press("up")
        assert prompt.text == "second"
        await pilot.press("up")
        assert prompt.text == "first"
        await pilot.press("down", "down")
        assert prompt.text == ""


async def test_keep_an_exchange_then_the_file_validates(sample_copy, tmp_path) -> None:
    path = sample_copy("weather_jokes.jsonl")
    before = path.read_text().count("\n")
    app = FtuiApp(path, settings=sandbox_settings(tmp_path, speed=300))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        model = await train(app)
        app.chat_tab.open_model(model, "gpt-4o-mini")
        await send(pilot, "Will it snow in Denver?")
        await wait_for(lambda: all(p.state == "done" for p in replies(app)), timeout=15)
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, SaveExampleScreen))
        assert app.screen.query_one("#save-path").value == str(path)
        await pilot.press("enter")
        await wait_for(lambda: not isinstance(app.screen, SaveExampleScreen))
        assert path.read_text().count("\n") == before + 1
        report = validate_file(path, "gpt-4o-mini")
        assert report.errors == [] and report.examples == before + 1
        assert "Will it snow in Denver?" in path.read_text().splitlines()[-1]
        await wait_for(lambda: app.data_tab.dataset.line_count == before + 1, timeout=10)
        assert app.query_one("#tabs").active == "chat"


async def test_keep_refuses_a_file_of_another_format(sample_copy, tmp_path) -> None:
    dpo = sample_copy("dpo.jsonl")
    original = dpo.read_bytes()
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await send(pilot, "hello")
        await wait_for(lambda: replies(app)[0].state == "done")
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, SaveExampleScreen))
        assert "Chat: save the last exchange as an example…" in [n for n, _, _ in FtuiCommands(app.screen)._commands()]
        app.screen.query_one("#save-path").value = str(dpo)
        await pilot.press("enter")
        await wait_for(lambda: "holds dpo examples" in screen_text(app))
        assert dpo.read_bytes() == original


async def test_settings_change_the_prompt_and_the_bar_and_replies_stick_to_the_bottom(sample_copy, tmp_path) -> None:
    from ftui.tui.chat.dialogs import ChatSettingsScreen

    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path, speed=1000))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+g")
        await wait_for(lambda: isinstance(app.screen, ChatSettingsScreen))
        app.screen.query_one("#system").load_text("You are terse.")
        app.screen.query_one("#temp").value = "3"
        await pilot.press("ctrl+s")
        await wait_for(lambda: "Temperature: it must be between 0 and 2" in screen_text(app))
        app.screen.query_one("#temp").value = "0.2"
        app.screen.query_one("#max").value = "64"
        await pilot.press("ctrl+s")
        await settle(pilot)
        chat = app.chat_tab
        assert chat.settings.system == "You are terse." and not chat.system_from_dataset
        text = screen_text(app)
        assert "temp 0.2 · max 64" in text and "system: You are terse." in text
        for i in range(4):
            await send(pilot, f"question {i}")
            await wait_for(lambda: replies(app)[0].state == "done")
        await settle(pilot)
        transcript = app.query_one("#transcript")
        assert transcript.max_scroll_y > 0 and transcript.scroll_y == transcript.max_scroll_y
        assert "question 3" in screen_text(app)


async def test_azure_fine_tuned_model_without_deployment_says_so(sample_copy, monkeypatch) -> None:
    from ftui.config import Profile, Settings

    monkeypatch.setenv("AZ_TEST_KEY", "not-a-real-key")
    profile = Profile(
        name="az",
        provider="azure",
        base_url="https://ftui-test.invalid",  # never resolves; nothing here reaches a server
        api_version="2025-04-01-preview",
        api_key_env="AZ_TEST_KEY",
        deployments={"gpt-4o-mini-2024-07-18.ft-abc": "weather-bot"},
    )
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=Settings(profiles={"az": profile}, default_profile="az"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        choices = app.chat_tab.choices()
        assert choices["weather-bot"] == "deployment" and choices["gpt-4o-mini-2024-07-18.ft-abc"] == "fine-tuned"
        app.chat_tab.open_model("gpt-4o-mini-2024-07-18.ft-def")
        await send(pilot, "hi")
        await wait_for(lambda: replies(app)[0].state == "failed")
        await settle(pilot)
        text = screen_text(app)
        assert "has no deployment in profile 'az'" in text and "not-a-real-key" not in text


async def test_picker_enter_picks_the_highlighted_match_not_the_filter_text(sample_copy, tmp_path) -> None:
    from textual.widgets import OptionList

    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await wait_for(lambda: app.session.provider_models)
        await pilot.press("ctrl+l")
        await wait_for(lambda: isinstance(app.screen, ModelPickerScreen))
        picker = app.screen
        options = picker.query_one(OptionList)
        for ch in "mini":
            await pilot.press(ch)
        matches = [o.id for o in options._options if o.id and not o.disabled and o.id != "__typed__"]
        assert len(matches) >= 2 and all("mini" in m for m in matches)
        assert options.get_option_at_index(options.highlighted).id == matches[0]  # the first match, as you type
        await pilot.press("down")  # the highlight moves; the typing stays
        assert picker.query_one("#picker-input").has_focus
        await pilot.press("enter")
        await wait_for(lambda: not isinstance(app.screen, ModelPickerScreen))
        assert app.chat_tab.models[0] == matches[1]
        assert "A gpt" in screen_text(app) and f"A {matches[1]}" in screen_text(app)
        # A name no list holds is still usable: it is the line above the matches.
        await pilot.press("ctrl+l")
        await wait_for(lambda: isinstance(app.screen, ModelPickerScreen))
        for ch in "mini":
            await pilot.press(ch)
        await pilot.press("up", "enter")
        await wait_for(lambda: not isinstance(app.screen, ModelPickerScreen))
        assert app.chat_tab.models[0] == "mini"
        await pilot.press("ctrl+l")
        await wait_for(lambda: isinstance(app.screen, ModelPickerScreen))
        for ch in "my-deployment":
            await pilot.press(ch)
        await pilot.press("enter")  # nothing matches: Enter uses it as typed
        await wait_for(lambda: not isinstance(app.screen, ModelPickerScreen))
        assert app.chat_tab.models[0] == "my-deployment"
