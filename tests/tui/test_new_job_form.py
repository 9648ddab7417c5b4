"""The new-job form checks everything locally before any upload; the start screen never says
"failed" for a job that may exist (Pilot, against the embedded sandbox)."""

from __future__ import annotations

import httpx2
import openai
import pytest

from ftui.tui.app import FtuiApp
from ftui.tui.jobs.new_job import NewJobScreen
from ftui.tui.jobs.start_job import StartJobScreen
from ftui.tui.widgets.dialogs import ConfirmScreen
from tests.tui.conftest import sandbox_settings, screen_text, wait_connected, wait_for, wait_validated


async def open_form(app: FtuiApp, pilot) -> NewJobScreen:
    await wait_connected(app)
    await wait_validated(app)
    await pilot.press("2")
    await wait_for(lambda: app.jobs_tab.loaded)
    await pilot.press("n")
    await wait_for(lambda: isinstance(app.screen, NewJobScreen))
    return app.screen  # type: ignore[return-value]


def summary(app: FtuiApp) -> str:
    return str(app.screen.query_one("#newjob-summary").render())


async def refused(app: FtuiApp, pilot, needle: str) -> str:
    """Press ctrl+s and wait for the sentence; it must be a refusal, not the confirm."""
    await pilot.press("ctrl+s")
    await wait_for(lambda: needle in summary(app), timeout=20)
    assert not isinstance(app.screen, ConfirmScreen)
    return summary(app)


async def nothing_uploaded(app: FtuiApp) -> None:
    client = app.provider.client
    assert (await client.files.list()).data == []
    assert (await client.fine_tuning.jobs.list()).data == []


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("suffix", "my model", "Suffix: 'my model' has characters"),
        ("suffix", "x" * 65, "Suffix: 65 characters; at most 64"),
        ("seed", "-1", "Seed: it must be a whole number from 0 to 2147483647"),
        ("seed", "2147483648", "Seed: it must be a whole number from 0 to 2147483647"),
        ("epochs", "51", "Epochs: 51 is out of range"),
        ("epochs", "2.5", "Epochs: '2.5' is not a whole number"),
        ("batch", "257", "Batch size: 257 is out of range"),
        ("lr", "0", "LR multiplier: 0 is out of range"),
        ("lr", "nan", "LR multiplier: nan is not a number"),
    ],
)
async def test_form_refuses_values_the_api_would_refuse(sample_copy, tmp_path, field, value, needle) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.query_one(f"#{field}").value = value
        await refused(app, pilot, needle)
        await nothing_uploaded(app)


async def test_form_refuses_a_dpo_beta_out_of_range_and_accepts_auto_everywhere(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("dpo.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        assert form.query_one("#method").value == "dpo"  # from the open file
        form.query_one("#beta").value = "2.5"
        await refused(app, pilot, "DPO beta: 2.5 is out of range")
        for field in ("beta", "epochs", "batch", "lr"):
            form.query_one(f"#{field}").value = "AUTO"
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        await pilot.press("escape")
        await nothing_uploaded(app)


async def test_form_refuses_a_dpo_file_for_supervised_training(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("dpo.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.query_one("#method").value = "supervised"
        await pilot.pause()
        text = await refused(app, pilot, "nothing was uploaded")
        assert "The training file holds DPO preference pairs" in text and "supervised (SFT)" in text
        await nothing_uploaded(app)


async def test_form_refuses_a_chat_file_for_dpo(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.query_one("#method").value = "dpo"
        await pilot.pause()
        text = await refused(app, pilot, "nothing was uploaded")
        assert "The training file holds chat examples" in text and "the method is DPO" in text
        # A DPO validation file with a chat training file: the validation file is named too.
        form.query_one("#method").value = "supervised"
        form.query_one("#validation").value = str(sample_copy("dpo.jsonl"))
        await pilot.pause()
        text = await refused(app, pilot, "nothing was uploaded")
        assert "The validation file holds DPO preference pairs" in text
        await nothing_uploaded(app)


async def test_cost_line_uses_the_epochs_asked_for_in_words(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        billing = app.data_tab.dataset.report.estimate.billing_tokens
        form.query_one("#epochs").value = "1"
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        body = str(app.screen.query_one(".dialog-body").render())
        assert f"~{billing:,} training tokens = 1 epoch × {billing:,}" in body
        assert "1 epochs" not in body and "(auto)" not in body
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        form.query_one("#epochs").value = "3"
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        assert f"~{3 * billing:,} training tokens = 3 epochs × " in str(app.screen.query_one(".dialog-body").render())


@pytest.mark.parametrize(
    "exc",
    [
        openai.APITimeoutError(request=httpx2.Request("POST", "http://127.0.0.1/v1/fine_tuning/jobs")),
        openai.APIConnectionError(request=httpx2.Request("POST", "http://127.0.0.1/v1/fine_tuning/jobs")),
    ],
    ids=["timeout", "connection"],
)
async def test_start_screen_says_a_job_may_exist_when_the_create_answer_is_lost(
    sample_copy, tmp_path, monkeypatch, exc
) -> None:
    from ftui.provider import jobs

    calls: list[str] = []

    async def lost(client, request, **kwargs):
        calls.append(request.training_file)
        raise exc

    monkeypatch.setattr(jobs, "create_job", lost)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(app, pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        tab = app.jobs_tab
        refreshed: list[int] = []
        refresh = tab.action_refresh
        tab.action_refresh = lambda: (refreshed.append(1), refresh())  # type: ignore[method-assign]
        await pilot.press("y")
        await wait_for(lambda: isinstance(app.screen, StartJobScreen) and app.screen.failed, timeout=20)
        await wait_for(lambda: "A job may have been created" in screen_text(app))
        text = screen_text(app)
        assert calls and calls[0].startswith("file-")  # uploaded, then the create answer was lost
        assert "A job may have been created" in text and "ftui jobs list" in text and "Jobs list" in text
        assert "No job was started" not in text and "failed" not in text
        assert refreshed  # the Jobs list looks again at once
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, StartJobScreen))


async def test_start_screen_still_says_no_job_when_the_upload_fails(sample_copy, tmp_path, monkeypatch) -> None:
    from ftui.provider import files

    async def refused_upload(client, path, **kwargs):
        raise openai.APIConnectionError(request=httpx2.Request("POST", "http://127.0.0.1/v1/files"))

    monkeypatch.setattr(files, "upload_file", refused_upload)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_form(app, pilot)
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        await pilot.press("y")
        await wait_for(lambda: isinstance(app.screen, StartJobScreen) and app.screen.failed, timeout=20)
        await wait_for(lambda: "No job was started" in screen_text(app))
        text = screen_text(app)
        assert "No job was started" in text and "may have been created" not in text
