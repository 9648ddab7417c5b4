"""W&B integration and metadata in the new-job form: checked like the CLI's options, sent with
the job, and shown in the job's header (Pilot, against the embedded sandbox)."""

from __future__ import annotations

import pytest

from ftui.tui.app import FtuiApp
from ftui.tui.widgets.dialogs import ConfirmScreen
from tests.tui.conftest import sandbox_settings, screen_text, wait_for
from tests.tui.test_new_job_form import nothing_uploaded, open_form, refused


async def test_wandb_and_metadata_go_with_the_job_and_show_in_its_header(sample_copy, tmp_path) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.query_one("#wandb-project").value = "weather"
        form.query_one("#wandb-tags").value = "jokes, v2"
        form.query_one("#metadata").value = "team=nlp, run=3"
        await pilot.press("ctrl+s")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
        body = str(app.screen.query_one(".dialog-body").render())
        assert "W&B project weather (tags jokes, v2)" in body and "Metadata: team=nlp, run=3" in body
        await pilot.press("y")
        tab = app.jobs_tab
        await wait_for(lambda: tab.current is not None, timeout=20)
        job = await app.provider.client.fine_tuning.jobs.retrieve(tab.current)
        assert job.integrations[0].wandb.project == "weather" and job.integrations[0].wandb.tags == ["jokes", "v2"]
        assert job.metadata["team"] == "nlp" and job.metadata["run"] == "3"
        await wait_for(lambda: "W&B project weather (tags jokes, v2) · team=nlp, run=3" in screen_text(app), timeout=20)


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("metadata", "team", "Metadata: 'team' is not key=value"),
        ("metadata", ", ".join(f"k{i}=v" for i in range(16)), "Metadata: 16 pairs; at most 15"),
        ("wandb-entity", "acme", "W&B: an entity, run name or tags need a project too"),
    ],
)
async def test_bad_wandb_or_metadata_is_refused_before_uploading(sample_copy, tmp_path, field, value, needle) -> None:
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=sandbox_settings(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(app, pilot)
        form.query_one(f"#{field}").value = value
        await refused(app, pilot, needle)
        await nothing_uploaded(app)
