"""Deploy a fine-tuned model (or a checkpoint) on Azure from the Jobs tab: the form, and the
messages the deploy worker posts while Azure provisions it.

The form checks what it can before anything is spent (a valid name that no deployment has, a
capacity from 1 to 1,000); the tab then asks once more, saying that a deployment bills by the
hour, and only then sends the create request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ftui.provider.azure_deploy import SKUS, Deployment, check_name, suggest_name
from ftui.textsafe import safe

MAX_CAPACITY = 1000
SKU_HELP = {
    "Standard": "in this resource's region",
    "GlobalStandard": "served from any region",
    "Developer": "for trying it out; no uptime promise",
}


@dataclass(frozen=True)
class DeployPlan:
    """What the user asked for: deploy ``model`` as ``name``."""

    model: str
    name: str
    sku: str
    capacity: int

    def cost_sentence(self) -> str:
        return (
            f"SKU {self.sku}, capacity {self.capacity}. A deployment bills by the hour for as long as it exists, "
            "used or not (Azure deletes one that is idle for 15 days)."
        )


class DeployState(Message):
    """A deployment ftui is watching has a new provisioning state."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__()
        self.deployment = deployment


class DeployEnded(Message):
    """The deploy worker is done: ``deployment`` serves, or ``error`` says why not; ``unknown``
    when the outcome could not be known (it may exist and bill: never called "failed")."""

    def __init__(
        self, plan: DeployPlan, deployment: Deployment | None, error: str | None = None, unknown: bool = False
    ) -> None:
        super().__init__()
        self.plan, self.deployment, self.error, self.unknown = plan, deployment, error, unknown


class DeployScreen(ModalScreen[DeployPlan | None]):
    """Name, SKU and capacity of a new deployment; Enter goes on (to a confirmation), Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="deploy.cancel")]
    HELP = (
        "## Deploy\nOn Azure a fine-tuned model answers only once it is deployed. Give the deployment a name "
        "(2 to 64 letters, digits, `_`, `.` or `-`), pick the SKU and capacity, and press `Enter`: ftui asks "
        "once more before anything is spent, then watches Azure provision it. The Chat tab uses it as soon as "
        "it serves."
    )

    def __init__(self, model: str, taken: set[str], account: str) -> None:
        super().__init__()
        self.model, self.taken, self.account = model, taken, account

    def compose(self) -> ComposeResult:
        with Vertical(id="deploy-dialog", classes="dialog"):
            yield Label(Text(f"Deploy on {safe(self.account, one_line=True)}", style="bold"))
            yield Static(Text(safe(self.model, one_line=True), no_wrap=True, overflow="ellipsis"), id="deploy-model")
            with Horizontal(classes="deploy-row"):
                yield Label("Name", classes="deploy-label")
                yield Input(suggest_name(self.model, self.taken), id="deploy-name", max_length=64, compact=True)
            with Horizontal(classes="deploy-row"):
                yield Label("SKU", classes="deploy-label")
                options = [(f"{sku}  {SKU_HELP[sku]}", sku) for sku in ("Standard", "GlobalStandard", "Developer")]
                yield Select(options, value="Standard", allow_blank=False, id="deploy-sku", compact=True)
            with Horizontal(classes="deploy-row"):
                yield Label("Capacity", classes="deploy-label")
                yield Input("1", id="deploy-capacity", type="integer", max_length=4, compact=True)
            yield Static("", id="deploy-cost", classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Deploy… (Enter)", variant="primary", id="deploy-go", compact=True)
                yield Button("Cancel (Esc)", id="deploy-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#deploy-name", Input).focus()
        self._show()

    def _plan(self) -> DeployPlan | str:
        """The plan, or why it cannot be (one sentence)."""
        name = self.query_one("#deploy-name", Input).value.strip()
        if problem := check_name(name):
            return problem.replace("--name ", "")
        if name in self.taken:
            return f"A deployment named {name} exists already: choose another name."
        raw = self.query_one("#deploy-capacity", Input).value.strip()
        capacity = int(raw) if raw.isdigit() else 0
        if not 1 <= capacity <= MAX_CAPACITY:
            return f"Capacity must be a whole number from 1 to {MAX_CAPACITY:,}."
        sku = self.query_one("#deploy-sku", Select).value
        return DeployPlan(self.model, name, str(sku) if sku in SKUS.values() else "Standard", capacity)

    def _show(self) -> None:
        plan = self._plan()
        cost = self.query_one("#deploy-cost", Static)
        if isinstance(plan, str):
            cost.update(Text(safe(plan), style="red"))
        else:
            cost.update(Text(plan.cost_sentence(), style="yellow"))

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._show()

    @on(Input.Submitted)
    @on(Button.Pressed, "#deploy-go")
    def _go(self) -> None:
        plan = self._plan()
        if isinstance(plan, DeployPlan):
            self.dismiss(plan)
        else:
            self._show()

    @on(Button.Pressed, "#deploy-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["DeployEnded", "DeployPlan", "DeployScreen", "DeployState"]
