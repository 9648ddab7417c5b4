"""The whole Azure loop by keys, at 80x24, against the sandbox playing Azure (its own process):
start a job, watch it succeed, deploy its model (asked twice, the hourly bill said), chat with it
through the deployment the control plane names, then delete the deployment in the Files tab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ftui.config import Profile, Settings
from ftui.sandbox.child import ChildSandbox
from ftui.tui.app import FtuiApp
from ftui.tui.jobs.deploy import DeployScreen
from ftui.tui.jobs.new_job import NewJobScreen
from ftui.tui.widgets.dialogs import ConfirmScreen
from tests.tui.conftest import screen_text, settle, wait_connected, wait_for, wait_validated

KEY = "azure-data-plane-key-123"  # the sandbox's key, chosen with $FTUI_SANDBOX_KEY


@pytest.fixture
def azure_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FTUI_SANDBOX_KEY", KEY)
    sandbox = ChildSandbox(tmp_path / "sandbox", speed=200)
    root = sandbox.start().removesuffix("/v1")
    assert sandbox.api_key == KEY
    try:
        yield root
    finally:
        sandbox.stop()


def azure_settings(root: str, **fields: str) -> Settings:
    resource = {"subscription_id": "sub-1", "resource_group": "rg-1", "account": "res"}
    profile = Profile(
        name="az",
        provider="azure",
        base_url=root,
        api_version="2024-10-21",
        api_key_env="FTUI_AZ_TEST_KEY",
        management_url=f"{root}/management",
        **{**resource, **fields},
    )
    return Settings(profiles={"az": profile}, default_profile="az")


async def train(app: FtuiApp, pilot) -> str:
    """n, ctrl+s, y in the Jobs tab; wait until the job succeeded; its fine-tuned model."""
    await wait_connected(app, timeout=30)
    await wait_validated(app)
    await pilot.press("2")
    await wait_for(lambda: app.jobs_tab.loaded)
    await pilot.press("n")
    await wait_for(lambda: isinstance(app.screen, NewJobScreen))
    await pilot.press("ctrl+s")
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
    await pilot.press("y")
    tab = app.jobs_tab
    await wait_for(lambda: tab.current is not None, timeout=20)
    job_id = tab.current
    await wait_for(lambda: tab.model.jobs[job_id].status == "succeeded", timeout=60)
    model = tab.model.jobs[job_id].fine_tuned_model
    assert model
    await wait_for(lambda: "✓ succeeded" in screen_text(app))
    return model


async def test_deploy_chat_and_delete_on_azure(sample_copy, azure_root: str, monkeypatch) -> None:
    from ftui.provider import jobs

    monkeypatch.setenv("FTUI_AZ_TEST_KEY", KEY)
    sent: list[dict] = []
    real_create = jobs.create_job

    async def create_job(client, request, **kwargs):
        sent.append(request.body(azure=kwargs.get("azure", False)))  # the body as it goes to the server
        return await real_create(client, request, **kwargs)

    monkeypatch.setattr(jobs, "create_job", create_job)  # start_job imports it when it runs
    app = FtuiApp(sample_copy("weather_jokes.jsonl"), settings=azure_settings(azure_root))
    async with app.run_test(size=(80, 24)) as pilot:
        model = await train(app, pilot)
        assert "metadata" not in sent[0]  # Azure keeps none; "auto" hyperparameters are left out
        assert "method" not in sent[0] and "hyperparameters" not in sent[0]  # Azure's body: the form's "auto"s not sent
        assert ".ft-" in model  # Azure's name for it: <base>.ft-<job hex>
        await wait_for(lambda: app.session.deployments == [])  # listed at start: none yet

        await pilot.press("D")
        await wait_for(lambda: isinstance(app.screen, DeployScreen))
        await settle(pilot)
        text = screen_text(app)
        assert "Deploy on res" in text and "bills by the hour" in text and "SKU Standard, capacity 1" in text
        name_box = app.screen.query_one("#deploy-name")
        assert name_box.value  # a free name is offered
        name_box.value = "weather bot"  # not a deployment name: said at once, nothing goes on
        await pilot.press("enter")
        await wait_for(lambda: "is not a deployment name" in screen_text(app))
        assert isinstance(app.screen, DeployScreen)
        name_box.value = "weather-bot"
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        text = screen_text(app)
        assert "It bills hourly" in text and "weather-bot" in text
        assert app.session.deployments == []  # nothing spent before the second yes
        await pilot.press("y")
        await wait_for(lambda: "Deployed as weather-bot · Standard ×1 · Succeeded" in screen_text(app), timeout=30)

        await pilot.press("o")  # open in chat: the fine-tuned model, through its deployment
        await wait_for(lambda: app.chat_tab.models[:1] == [model])
        assert len(app.chat_tab.models) == 1  # the base model has no deployment: no compare pane that cannot answer
        for ch in "Will it snow in Denver on Friday?":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        panes = app.chat_tab.exchanges[-1].panes
        await wait_for(lambda: panes[0].state in ("done", "failed"), timeout=30)
        assert panes[0].state == "done", screen_text(app)
        await wait_for(lambda: "snowflake" in screen_text(app))
        assert KEY not in screen_text(app)

        await pilot.press("escape", "4")  # Files: the model says where it is deployed, and cannot go first
        await wait_for(lambda: app.files_tab.files_loaded)
        await pilot.press("m")
        files = app.files_tab
        await wait_for(lambda: files.models_loaded and files.selected is not None)
        await wait_for(lambda: "Deployed as weather-bot (Succeeded)" in screen_text(app))
        await pilot.press("x")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        assert "Deployed as weather-bot: Azure refuses to delete a deployed model" in screen_text(app)
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, ConfirmScreen))

        await pilot.press("m")  # the deployments
        await wait_for(lambda: "Azure deployments (1)" in screen_text(app))
        text = screen_text(app)
        assert "weather-bot" in text and "Standard ×1" in text and "Succeeded" in text
        await pilot.press("x")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
        assert "the hourly charge stops" in screen_text(app)
        await pilot.press("y")
        await wait_for(lambda: app.session.deployments == [])
        await wait_for(lambda: "No deployments" in screen_text(app))
        await pilot.press("m")
        await wait_for(lambda: files.mode == "files")

        await pilot.press("3")  # the model has no deployment any more: chat says what to do
        for ch in "hello":
            await pilot.press(ch)
        await pilot.press("enter")
        panes = app.chat_tab.exchanges[-1].panes
        await wait_for(lambda: panes[0].state == "failed", timeout=30)
        await wait_for(lambda: "is not deployed on res" in " ".join(screen_text(app).split()))  # long names wrap

        await pilot.press("alt+2")  # from the message box
        await wait_for(lambda: app.jobs_tab.query_one("#job-view").has_focus or app.jobs_tab.table.has_focus)
        await pilot.press("c")  # a checkpoint deploys too: D on its row
        trace = app.jobs_tab.model.traces[app.jobs_tab.current]
        await wait_for(lambda: len(trace.checkpoints) == 3 and "ckpt-step-" in screen_text(app))
        await pilot.press("D")
        await wait_for(lambda: isinstance(app.screen, DeployScreen))
        assert ":ckpt-step-" in app.screen.model and "step" in app.screen.query_one("#deploy-name").value
        await pilot.press("escape")
        await wait_for(lambda: not isinstance(app.screen, DeployScreen))

        # Deployed and deleted behind the app's back (as `ftui deployments create|delete` would):
        # opening the job reads the deployments again, and so does the open job while shown.
        plane = app.provider.deployment_directory().plane
        await plane.create_deployment("cli-bot", model, sku="Standard", capacity=1)
        await plane.wait_until_provisioned("cli-bot")
        await pilot.press("2", "escape", "enter")
        tab = app.jobs_tab
        await wait_for(lambda: "Deployed as cli-bot" in screen_text(app), timeout=30)
        await plane.delete_deployment("cli-bot")
        for _ in range(3):  # 30 s of the tab's timer
            tab._refresh_tick()
        await wait_for(lambda: "cli-bot" not in screen_text(app), timeout=30)
        assert tab.current == app.jobs_tab.table.selected  # the list's cursor is on the open job
