"""The Jobs tab's "Run again on…" (`R`) by keys at 80x24: a job of an OpenAI-face profile runs
again on an Azure-mode profile (each its own sandbox): the model as Azure names it, the cost
there, a question, then the same bytes, resolved hyperparameters and seed on Azure. A profile
with no model mapping (a compatible server) asks for the model first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI

from ftui.config import Profile, Settings
from ftui.data.catalog import load_catalog
from ftui.provider.rerun import resolved_hyperparameters
from ftui.sandbox.embedded import EmbeddedSandbox
from ftui.tui.app import FtuiApp
from ftui.tui.jobs.rerun import RunAgainScreen
from ftui.tui.jobs.start_job import StartJobScreen
from ftui.tui.widgets.dialogs import ConfirmScreen
from tests.conftest import SAMPLES
from tests.tui.conftest import screen_text, wait_connected, wait_for, wait_validated

KEY = "rerun-tui-key-0123456789"
API_VERSION = "2025-04-01-preview"


@pytest.fixture
def two_sandboxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("FTUI_SANDBOX_KEY", KEY)
    first = EmbeddedSandbox(tmp_path / "sb-openai", speed=400, api_key=KEY, log_to_file=False)
    second = EmbeddedSandbox(tmp_path / "sb-azure", speed=400, api_key=KEY, log_to_file=False)
    oa, az = first.start(), second.start().removesuffix("/v1")
    profiles = {
        "oa": Profile(name="oa", provider="openai", base_url=oa, api_key_env="FTUI_SANDBOX_KEY"),
        "az": Profile(
            name="az", provider="azure", base_url=az, api_version=API_VERSION, api_key_env="FTUI_SANDBOX_KEY"
        ),
        "local": Profile(name="local", provider="compatible", base_url=f"{az}/v1", api_key_env="FTUI_SANDBOX_KEY"),
    }
    try:
        yield Settings(default_profile="oa", profiles=profiles)
    finally:
        first.stop()
        second.stop()


async def original_job(settings: Settings) -> Any:
    """A job on `oa`: gpt-3.5-turbo, auto hyperparameters (resolved by the server), suffix, seed."""
    client = AsyncOpenAI(base_url=settings.profiles["oa"].base_url, api_key=KEY)
    try:
        data = (SAMPLES / "weather_jokes.jsonl").read_bytes()
        file = await client.files.create(file=("weather_jokes.jsonl", data), purpose="fine-tune")
        return await client.fine_tuning.jobs.create(
            model="gpt-3.5-turbo", training_file=file.id, suffix="again", seed=7
        )
    finally:
        await client.close()


def azure(settings: Settings) -> AsyncAzureOpenAI:
    return AsyncAzureOpenAI(azure_endpoint=settings.profiles["az"].base_url, api_key=KEY, api_version=API_VERSION)


async def open_run_again(app: FtuiApp, pilot: Any, job_id: str) -> RunAgainScreen:
    await wait_connected(app)
    await wait_validated(app)
    await pilot.press("2")
    tab = app.jobs_tab
    await wait_for(lambda: tab.loaded and tab.table.row_count == 1)
    await pilot.press("enter")
    await wait_for(lambda: tab.current == job_id)
    await pilot.press("R")
    await wait_for(lambda: isinstance(app.screen, RunAgainScreen))
    return app.screen  # type: ignore[return-value]


async def test_run_again_on_azure(sample_copy, two_sandboxes: Settings) -> None:
    job = await original_job(two_sandboxes)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=two_sandboxes)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run_again(app, pilot, job.id)
        azure_name = load_catalog().lookup(job.model).azure_name
        # The profile picked first is the other one; the model as Azure names it; the cost there.
        await wait_for(lambda: "training tokens" in screen_text(app), timeout=20)
        assert screen.target_name == "az"
        assert screen.query_one("#rerun-model").value == azure_name != job.model
        text = screen_text(app)
        assert "on az" in text and "seed 7" in text and "suffix again" in text
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        assert "Upload and start" in screen_text(app)
        await pilot.press("y")
        await wait_for(lambda: not isinstance(app.screen, RunAgainScreen | StartJobScreen | ConfirmScreen), 30)

    client = azure(two_sandboxes)
    try:
        jobs = [j async for j in client.fine_tuning.jobs.list()]
        assert len(jobs) == 1
        new = jobs[0]
        assert load_catalog().lookup(new.model).name == load_catalog().lookup(job.model).name
        source = AsyncOpenAI(base_url=two_sandboxes.profiles["oa"].base_url, api_key=KEY)
        try:
            _, before = resolved_hyperparameters(await source.fine_tuning.jobs.retrieve(job.id))  # as it trained
        finally:
            await source.close()
        _, after = resolved_hyperparameters(new)
        for key in ("n_epochs", "batch_size", "learning_rate_multiplier"):
            assert isinstance(before[key], int | float) and after[key] == before[key]
        assert new.seed == 7
        content = (await client.files.content(new.training_file)).content
        assert content == (SAMPLES / "weather_jokes.jsonl").read_bytes()
    finally:
        await client.close()


async def test_run_again_where_no_model_name_is_known_asks_for_one(sample_copy, two_sandboxes: Settings) -> None:
    job = await original_job(two_sandboxes)
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=two_sandboxes)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_run_again(app, pilot, job.id)
        await wait_for(lambda: "training tokens" in screen_text(app), timeout=20)
        # Pick `local` (a compatible server: ftui knows none of its model names) by keys.
        await pilot.press("enter", "down", "enter")
        await wait_for(lambda: screen.target_name == "local")
        await wait_for(lambda: "Model is required" in screen_text(app))
        assert screen.query_one("#rerun-model").value == ""
        await pilot.press("ctrl+s")  # refused: still the form
        assert isinstance(app.screen, RunAgainScreen)
        screen.query_one("#rerun-model").focus()
        await pilot.press(*"gpt-4o-mini")
        await wait_for(lambda: "training tokens" in screen_text(app) and "on local" in screen_text(app), 20)
        # A model that cannot train on these bytes is refused before anything is uploaded.
        screen.query_one("#rerun-model").value = ""
        await pilot.press(*"davinci-002")
        await wait_for(lambda: screen.blocked is not None, 20)
        assert "davinci-002" in screen.blocked and "1 error" in screen_text(app)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, RunAgainScreen)
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, RunAgainScreen))
