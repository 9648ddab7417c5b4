"""Build the async SDK client for a profile; start the embedded sandbox when it is the provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import openai
from openai import AsyncAzureOpenAI, AsyncOpenAI

from ftui.config import ConfigError, Profile, Settings, load_settings, resolve_profile
from ftui.sandbox.server import SandboxServer, default_data_dir


@dataclass
class Provider:
    """An open connection to one provider: the SDK client plus, for the sandbox, its server."""

    profile: Profile
    client: AsyncOpenAI
    sandbox: SandboxServer | None = None
    secrets: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return self.profile.label

    def chat_model(self, model: str) -> str:
        """The name to send as ``model`` in chat: Azure chats by deployment name."""
        if self.profile.provider != "azure":
            return model
        if model in self.profile.deployments:
            return self.profile.deployments[model]
        if ".ft-" in model or model.startswith("ft:"):
            raise ConfigError(
                f"{model} has no deployment in profile {self.profile.name!r}: deploy it in Azure, then add "
                f'deployments = {{ "{model}" = "<deployment name>" }} to the profile.'
            )
        return model

    async def close(self) -> None:
        await self.client.close()
        if self.sandbox is not None:
            await self.sandbox.stop()


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


async def open_provider(
    profile_name: str | None = None,
    base_url: str | None = None,
    settings: Settings | None = None,
    sandbox_dir: Path | None = None,
) -> Provider:
    """Resolve the profile and connect; with no credentials, start the sandbox in this loop."""
    settings = settings or load_settings()
    profile = resolve_profile(settings, profile_name, base_url)
    if profile.provider == "sandbox":
        data = sandbox_dir or (Path(settings.sandbox.data_dir) if settings.sandbox.data_dir else default_data_dir())
        server = SandboxServer(data, speed=settings.sandbox.speed)
        url = await server.start()
        client = AsyncOpenAI(base_url=url, api_key="sandbox", max_retries=2)
        return Provider(profile, client, server)
    client = build_client(profile)
    key = profile.api_key()
    return Provider(profile, client, secrets=(key,) if key else ())
