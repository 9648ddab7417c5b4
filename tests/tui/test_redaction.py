"""The TUI never shows a credential: not the password in a base URL, not the profile's key."""

from __future__ import annotations

import pytest

from ftui import credentials
from ftui.config import Profile, Settings
from ftui.tui.app import FtuiApp
from tests.tui.conftest import screen_text, wait_connected, wait_for

KEY = "mykey-" + "t5" * 12
PASSWORD = "hunter2-" + "w3" * 6


async def test_a_password_in_the_base_url_is_never_on_screen(sample_copy, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.forget_all()
    monkeypatch.setenv("FTUI_TEST_KEY", KEY)
    profile = Profile(
        name="p",
        provider="compatible",
        base_url=f"http://scripts:{PASSWORD}@127.0.0.1:9/v1",  # nothing listens on port 9
        api_key_env="FTUI_TEST_KEY",
    )
    settings = Settings(profiles={"p": profile}, default_profile="p")
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=settings)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_connected(app, timeout=30)
        await pilot.press("2")
        await wait_for(lambda: "could not reach" in screen_text(app), timeout=60)
        text = screen_text(app)
        assert "127.0.0.1:9" in text  # the place is said
        for secret in (PASSWORD, "w3w3w3", KEY, "t5t5t5"):
            assert secret not in text, text
    credentials.forget_all()
