"""On an OpenAI profile the top bar and the new-job form say when new jobs stop and how many
days are left (Pilot, against a fixed OpenAI-shaped API on loopback)."""

from __future__ import annotations

import pytest

from ftui.config import Profile, Settings
from ftui.data.catalog import load_catalog
from ftui.tui.app import FtuiApp
from ftui.tui.jobs.new_job import NewJobScreen
from tests.recorded_api import RecordedApi
from tests.tui.conftest import screen_text, wait_connected, wait_for


@pytest.fixture
def openai_settings(monkeypatch: pytest.MonkeyPatch):
    """A profile of OpenAI itself (no base_url); the SDK's own OPENAI_BASE_URL sends it to loopback."""
    api = RecordedApi(jobs=[])
    monkeypatch.setenv("OPENAI_BASE_URL", api.start())
    monkeypatch.setenv("FTUI_SUNSET_KEY", "sk-sunset-0000")
    profile = Profile(name="work", provider="openai", api_key_env="FTUI_SUNSET_KEY")
    yield Settings(profiles={"work": profile}, default_profile="work")
    api.stop()


async def test_top_bar_and_new_job_form_count_the_days(sample_copy, openai_settings) -> None:
    notice = load_catalog().new_jobs_notice("openai")
    assert notice is not None
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=openai_settings)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_connected(app)
        await wait_for(lambda: notice.long().rstrip(".") in screen_text(app).splitlines()[0])
        await pilot.press("2")
        await wait_for(lambda: app.jobs_tab.loaded)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewJobScreen))
        await wait_for(lambda: notice.long() in screen_text(app))
    async with FtuiApp(sample_copy("weather_jokes.jsonl"), settings=openai_settings).run_test(size=(80, 24)) as pilot:
        app = pilot.app
        await wait_connected(app)  # at 80 columns: the short form, the file name still shown
        # (once the provider answered: "checking openai · profile work…" is longer than its label)
        top = lambda: screen_text(app).splitlines()[0]  # noqa: E731
        await wait_for(lambda: top().rstrip().endswith(notice.short()) and "weather" in top())
