"""The session's Azure deployments: which one a model's header shows, and what the picker offers."""

from __future__ import annotations

from ftui.provider.azure_deploy import Deployment
from ftui.session import Session


def dep(name: str, model: str, state: str) -> Deployment:
    return Deployment(name=name, model=model, model_version="1", sku="Standard", capacity=1, state=state)


def test_the_serving_deployment_is_shown_first_then_one_being_provisioned() -> None:
    session = Session(model="gpt-4o-mini")
    assert session.deployment_of("m1") is None  # not listed yet
    session.deployments = [dep("zz-old", "m1", "Failed"), dep("new", "m1", "Creating"), dep("other", "m2", "Succeeded")]
    assert session.deployment_of("m1").name == "new"
    session.deployments.append(dep("bot", "m1", "Succeeded"))
    assert session.deployment_of("m1").name == "bot"
    assert session.deployment_of("m3") is None and session.deployment_of(None) is None


def test_the_picker_offers_deployments_by_name_with_their_model() -> None:
    session = Session(model="gpt-4o-mini")
    session.deployments = [dep("bot", "gpt-4.1-2025-04-14.ft-abc", "Succeeded"), dep("new", "m2", "Creating")]
    choices = session.chat_choices(["gpt-4o-mini"], set())
    assert choices["bot"] == "deployment" and choices["new"] == "deployment"
    assert session.deployment_notes() == {"bot": "→ gpt-4.1-2025-04-14.ft-abc", "new": "→ m2 (Creating)"}
