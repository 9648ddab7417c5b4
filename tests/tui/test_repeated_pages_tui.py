"""The TUI's listers stop with one sentence when a server repeats its pages: the Files tab's
list and the Jobs tab's older pages (Pilot, against a looping server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ftui.config import Profile, Settings
from ftui.tui.app import FtuiApp
from tests.looping_api import LoopingApi
from tests.tui.conftest import screen_text, wait_connected, wait_for


@pytest.fixture(params=["same", "cycle"])
def looping(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, LoopingApi]]:
    api = LoopingApi(request.param)
    url = api.start()
    monkeypatch.setenv("FTUI_LOOP_KEY", "k")
    profile = Profile(name="loop", provider="compatible", base_url=url, api_key_env="FTUI_LOOP_KEY")
    yield Settings(profiles={"loop": profile}, default_profile="loop"), api
    api.stop()


async def test_files_and_older_jobs_stop_with_one_sentence(sample_copy, looping) -> None:
    settings, api = looping
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_connected(app)
        await pilot.press("4")
        await wait_for(lambda: "Listing files stopped after" in screen_text(app), timeout=20)
        await pilot.press("2")
        await wait_for(lambda: app.jobs_tab.loaded)
        model = app.jobs_tab.model
        for _ in range(6):  # down to the "more" row, again after each older page
            if model.paging_stuck:
                break
            count = len(model.order)
            await pilot.press("G")
            await wait_for(lambda count=count: model.paging_stuck or len(model.order) > count, timeout=20)
        assert model.paging_stuck and not model.more and api.requests < 20
        await wait_for(lambda: "Listing jobs stopped after" in screen_text(app))
        await pilot.press("G")
        await pilot.pause()
        assert not app.jobs_tab.table.on_more_row  # nothing left to ask for
