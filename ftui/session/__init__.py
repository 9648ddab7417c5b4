"""What the app knows now, in plain Python (no Textual): the provider, the open dataset and
its report, the provider's jobs and models. The app owns one ``Session``; tabs read it and
react to messages, so no tab reaches into another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ftui.session.jobs import JobsModel

if TYPE_CHECKING:
    from ftui.data.validate import Report
    from ftui.provider.azure_deploy import Deployment
    from ftui.provider.client import Provider


@dataclass
class Session:
    """The state every tab may read; only the app's handlers change it."""

    model: str  # the base model the open dataset is checked against
    provider: Provider | None = None
    provider_error: str | None = None  # why connecting failed, once it has
    dataset_path: Path | None = None
    report: Report | None = None  # the open dataset's full report, once checked
    jobs: JobsModel = field(default_factory=JobsModel)
    provider_models: list[str] = field(default_factory=list)  # ids from GET /models
    models_error: str | None = None  # why the models list failed (an auth error, say)
    deployments: list[Deployment] | None = None  # the Azure resource's deployments, once listed
    deployments_error: str | None = None  # why listing them failed (no sign-in, say)

    @property
    def connected(self) -> bool:
        return self.provider is not None

    @property
    def connection_label(self) -> str:
        """How the top bar names the provider now."""
        if self.provider is not None:
            return self.provider.label
        if self.provider_error is not None:
            return "not connected"
        return "connecting…"

    @property
    def dataset_format(self) -> str | None:
        return self.report.format if self.report is not None else None

    @property
    def dataset_system_message(self) -> str | None:
        return self.report.most_common_system_message if self.report is not None else None

    def open_dataset(self, path: Path) -> None:
        """A new file is open: its report is not known yet."""
        if self.dataset_path != path:
            self.report = None
        self.dataset_path = path

    def trained_models(self) -> dict[str, str]:
        """Fine-tuned models and checkpoints known now (the jobs' and GET /models'): model ->
        'fine-tuned' | 'checkpoint'. The new-job form offers them for continued fine-tuning."""
        out = self.jobs.trained_models()
        for model in self.provider_models:
            if ":ckpt-step-" in model:
                out.setdefault(model, "checkpoint")
            elif model.startswith("ft:") or ".ft-" in model:
                out.setdefault(model, "fine-tuned")
        return out

    @property
    def manages_deployments(self) -> bool:
        """Deploying applies: an Azure profile that names its resource."""
        return self.provider is not None and self.provider.manages_deployments

    def deployment_of(self, model: str | None) -> Deployment | None:
        """The deployment of ``model`` to show: one that serves it, else one being provisioned, else any."""
        if not model or not self.deployments:
            return None
        mine = sorted((d for d in self.deployments if d.model == model), key=lambda d: d.name)
        rank = {"Succeeded": 0, "Creating": 1, "Accepted": 1, "Updating": 1}
        return min(mine, key=lambda d: rank.get(d.state, 2)) if mine else None

    def deployment_notes(self) -> dict[str, str]:
        """Deployment name -> what the chat picker says of it ('→ model', and its state unless Succeeded)."""
        notes = {}
        for d in self.deployments or []:
            state = "" if d.state == "Succeeded" else f" ({d.state})"
            notes[d.name] = f"→ {d.model}{state}"
        return notes

    def chat_choices(self, catalog_models: list[str], known: set[str]) -> dict[str, str]:
        """Every model the chat picker offers, with its group: fine-tuned, checkpoint, deployment,
        provider or base. ``catalog_models`` are the base models ftui knows; ``known`` tells a
        provider model that is a known base model."""
        out = self.jobs.trained_models()
        if self.provider is not None:
            for model, deployment in self.provider.profile.deployments.items():
                out.setdefault(deployment, "deployment")
                out.setdefault(model, "fine-tuned")
        for d in self.deployments or []:
            out.setdefault(d.name, "deployment")
        for model in self.provider_models:
            if ":ckpt-step-" in model:
                group = "checkpoint"
            elif model.startswith("ft:"):
                group = "fine-tuned"
            else:
                group = "base" if model in known else "provider"
            out.setdefault(model, group)
        for name in catalog_models:
            out.setdefault(name, "base")
        return out


__all__ = ["JobsModel", "Session"]
