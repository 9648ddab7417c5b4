"""Build the async SDK client for a profile, and the Provider that holds it.

This layer knows nothing of the built-in sandbox: ``ftui.connect.open_provider`` picks the
provider and, when it is the sandbox, starts it and hands its server over as ``local_server``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import openai
from openai import AsyncAzureOpenAI, AsyncOpenAI

from ftui.config import ConfigError, Profile

if TYPE_CHECKING:
    from ftui.provider.deployments import DeploymentDirectory


class LocalServer(Protocol):
    """A server ftui started for this connection (the sandbox); it stops when the provider closes."""

    base_url: str

    async def aclose(self) -> None: ...


@dataclass
class Provider:
    """An open connection to one provider: the SDK client plus any local server it talks to."""

    profile: Profile
    client: AsyncOpenAI
    local_server: LocalServer | None = None
    secrets: tuple[str, ...] = field(default=())
    _directory: DeploymentDirectory | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.profile.label

    @property
    def manages_deployments(self) -> bool:
        """An Azure profile that names its resource, so ftui can deploy and find deployments."""
        p = self.profile
        return p.provider == "azure" and bool(p.subscription_id and p.resource_group and p.account)

    def deployment_directory(self) -> DeploymentDirectory | None:
        """The resource's deployments (cached), when the profile names an Azure resource."""
        if not self.manages_deployments:
            return None
        if self._directory is None:
            from ftui.provider.azure_deploy import ControlPlane
            from ftui.provider.deployments import DeploymentDirectory

            self._directory = DeploymentDirectory(ControlPlane.for_provider(self))
        return self._directory

    async def chat_name(self, model: str) -> str:
        """The name to send as ``model`` in chat. Azure chats by deployment name: the profile's
        ``deployments`` mapping, else the deployment the control plane says serves the model."""
        if self.profile.provider != "azure":
            return model
        if model in self.profile.deployments:
            return self.profile.deployments[model]
        fine_tuned = ".ft-" in model or model.startswith(("ft:", "ftchkpt-"))
        directory = self.deployment_directory()
        if directory is not None:
            from ftui.provider.azure_deploy import DeployError

            try:
                name = await directory.serving(model)
            except (DeployError, ConfigError) as exc:
                if not fine_tuned:
                    return model  # perhaps a deployment's own name: let the server say
                raise ConfigError(f"Cannot find the deployment that serves {model}: {exc}") from None
            if name is not None:
                return name
            if fine_tuned:
                raise ConfigError(
                    f"{model} is not deployed on {self.profile.account}: deploy it with D in the Jobs tab, or "
                    f"`ftui deployments create {model} --name NAME`."
                )
        if fine_tuned:
            raise ConfigError(
                f"{model} has no deployment in profile {self.profile.name!r}: name the Azure resource "
                "(subscription_id, resource_group, account) so ftui can deploy it and find its deployment, or add "
                f'deployments = {{ "{model}" = "<deployment name>" }} to the profile.'
            )
        return model

    async def close(self) -> None:
        try:
            await self.client.close()
            if self._directory is not None:
                await self._directory.aclose()
        finally:
            if self.local_server is not None:
                server, self.local_server = self.local_server, None
                await server.aclose()


def is_azure_client(client: object) -> bool:
    """True for the Azure data plane's client (``/openai/...?api-version=``): Azure's spec then
    says what a request may carry. The ``/openai/v1`` surface is OpenAI-shaped (AsyncOpenAI)."""
    return isinstance(client, AsyncAzureOpenAI)


def build_client(
    profile: Profile, *, http_client: openai.DefaultAsyncHttpxClient | None = None, max_retries: int = 2
) -> AsyncOpenAI:
    """An AsyncOpenAI / AsyncAzureOpenAI for a non-sandbox profile."""
    key = profile.api_key()
    if profile.provider == "azure":
        base = (profile.base_url or "").rstrip("/")
        if base.endswith("/openai/v1"):
            return AsyncOpenAI(base_url=base + "/", api_key=key, max_retries=max_retries, http_client=http_client)
        if not profile.api_version:
            raise ConfigError(f"Azure profile {profile.name!r} needs api_version (or use the /openai/v1 base URL).")
        return AsyncAzureOpenAI(
            azure_endpoint=base,
            api_version=profile.api_version,
            api_key=key,
            max_retries=max_retries,
            http_client=http_client,
        )
    return AsyncOpenAI(
        api_key=key or "not-needed",
        base_url=profile.base_url,
        organization=profile.organization,
        project=profile.project,
        max_retries=max_retries,
        http_client=http_client,
    )


def sandbox_client(base_url: str, key: str, max_retries: int = 2) -> AsyncOpenAI:
    """The client for ftui's own sandbox (or local server) at ``base_url``, sending its key."""
    return AsyncOpenAI(base_url=base_url, api_key=key, max_retries=max_retries)


def with_event_hooks(client: AsyncOpenAI, hooks: dict[str, list[Any]]) -> AsyncOpenAI:
    """A copy of ``client`` whose HTTP client calls ``hooks`` (httpx event hooks) on each request."""
    http = openai.DefaultAsyncHttpxClient(event_hooks=hooks)
    return client.with_options(http_client=http)


def connect_profile(profile: Profile) -> Provider:
    """A Provider for a profile that names a real (or compatible) server."""
    client = build_client(profile)
    key = profile.api_key()
    return Provider(profile, client, secrets=(key,) if key else ())
