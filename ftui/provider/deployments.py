"""Which Azure deployment serves which model, asked of the control plane and cached.

On Azure, chat goes to a deployment's name, never to a model id. ``DeploymentDirectory`` lists
the resource's deployments once, answers "which deployment serves this model?" from that list,
and lists again when asked about a model it has no deployment for and its list is more than a
few seconds old (someone may have deployed it in the portal meanwhile). The profile's
hand-written ``deployments`` mapping always wins, so it keeps working without a control plane.

    directory = DeploymentDirectory(ControlPlane.for_provider(provider))
    name = await directory.serving("gpt-4.1-2025-04-14.ft-abc")  # "weather-bot", or None
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from ftui.provider.azure_deploy import ControlPlane, Deployment

FRESH_FOR = 60.0  # a list younger than this answers a hit without asking again
RECHECK_AFTER = 5.0  # a miss lists again when the list is older than this


def serving(deployments: Iterable[Deployment], model: str) -> Deployment | None:
    """The deployment that serves ``model`` now (Succeeded), by name order; None when none does."""
    ready = sorted((d for d in deployments if d.model == model and d.state == "Succeeded"), key=lambda d: d.name)
    return ready[0] if ready else None


class DeploymentDirectory:
    """A cached list of one resource's deployments (``plane`` stays open until ``aclose``)."""

    def __init__(self, plane: ControlPlane, clock: Callable[[], float] = time.monotonic) -> None:
        self.plane = plane
        self._clock = clock
        self._items: list[Deployment] | None = None
        self._fetched_at = 0.0

    @property
    def items(self) -> list[Deployment] | None:
        """The last list (None until listed once)."""
        return None if self._items is None else list(self._items)

    async def refresh(self) -> list[Deployment]:
        """List again (DeployError / ConfigError propagate)."""
        self._items = await self.plane.list_deployments()
        self._fetched_at = self._clock()
        return list(self._items)

    async def serving(self, model: str) -> str | None:
        """The name of the deployment serving ``model``, listing again when the cache cannot say."""
        age = self._clock() - self._fetched_at
        if self._items is None or age > FRESH_FOR:
            await self.refresh()
        elif (found := serving(self._items, model)) is not None:
            return found.name
        elif age > RECHECK_AFTER:
            await self.refresh()
        found = serving(self._items or [], model)
        return found.name if found is not None else None

    def note(self, deployment: Deployment) -> None:
        """Remember a deployment ftui just made or watched (its newest state)."""
        items = [d for d in self._items or [] if d.name != deployment.name]
        self._items = [*items, deployment]

    def forget(self, name: str) -> None:
        """A deployment ftui just deleted."""
        if self._items is not None:
            self._items = [d for d in self._items if d.name != name]

    async def aclose(self) -> None:
        await self.plane.aclose()


__all__ = ["DeploymentDirectory", "serving"]
