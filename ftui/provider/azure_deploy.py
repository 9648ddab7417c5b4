"""Azure OpenAI deployments through the control plane (Azure Resource Manager), over httpx2.

On Azure a fine-tuned model serves only once it is *deployed*, and the data-plane key cannot
deploy: that takes a bearer token for ``https://management.azure.com``. The token comes from,
in order: the variable the profile's ``management_token_env`` names; a fixed token when the
control plane is on this machine (the built-in sandbox); azure-identity's
DefaultAzureCredential (``pip install 'ftui[azure]'``); ``az account get-access-token``.

    plane = await ControlPlane.open(provider)
    d = await plane.create_deployment("weather-bot", model, sku="Standard", capacity=1)
    d = await plane.wait_until_provisioned("weather-bot", on_state=print)
    await plane.aclose()

Every failure is a DeployError with one sentence; when a create's outcome is unknown it is a
DeploymentMayExist, which says the deployment may exist and how to check, never "failed".
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

from ftui.config import ConfigError, Profile
from ftui.credentials import remember
from ftui.provider.errors import redact
from ftui.provider.pages import LinkGuard, PagingStuck
from ftui.textsafe import safe

if TYPE_CHECKING:
    import httpx2

    from ftui.provider.client import Provider

ARM_URL = "https://management.azure.com"
ARM_SCOPE = "https://management.azure.com/.default"
API_VERSION = "2024-10-01"
SANDBOX_TOKEN = "sandbox"  # sent only when the sandbox's key is unknown (it then answers 401)
SKUS = {"developer": "Developer", "standard": "Standard", "globalstandard": "GlobalStandard"}
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
NAME_HINT = "2 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"
DONE_STATES = ("Succeeded", "Failed", "Canceled")
TOKEN_MARGIN = 300.0  # refresh a token this many seconds before it expires


class DeployError(Exception):
    """A control-plane failure as one sentence; ``exit_code`` 1 (it failed) or 3 (unreachable/refused)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class DeploymentMayExist(DeployError):
    """The outcome is unknown: the deployment may exist (and bill). The sentence says how to check."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 3)


def _dict(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Deployment:
    """One deployment as ftui shows it (``raw`` keeps Azure's whole object)."""

    name: str
    model: str
    model_version: str
    sku: str
    capacity: int | None
    state: str
    created_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_arm(cls, obj: Any) -> Deployment:
        """Read Azure's object, tolerating missing parts (they become empty, never a crash)."""
        obj = obj if isinstance(obj, dict) else {}
        props = _dict(obj.get("properties"))
        model = _dict(props.get("model"))
        sku = _dict(obj.get("sku"))
        system = _dict(obj.get("systemData"))
        capacity = sku.get("capacity")
        return cls(
            name=str(obj.get("name") or ""),
            model=str(model.get("name") or ""),
            model_version=str(model.get("version") or ""),
            sku=str(sku.get("name") or ""),
            capacity=capacity if isinstance(capacity, int) and not isinstance(capacity, bool) else None,
            state=str(props.get("provisioningState") or "Unknown"),
            created_at=str(system["createdAt"]) if system.get("createdAt") else None,
            raw=obj,
        )

    @property
    def id(self) -> str:
        """What lists key it by (and `y` copies): its name."""
        return self.name

    def as_json(self) -> dict[str, Any]:
        """The stable JSON of ``ftui deployments ... --json``."""
        return {
            "name": self.name,
            "model": self.model,
            "model_version": self.model_version,
            "sku": self.sku,
            "capacity": self.capacity,
            "state": self.state,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Resource:
    """Where the Azure OpenAI resource lives in Resource Manager."""

    subscription_id: str
    resource_group: str
    account: str
    management_url: str = ARM_URL

    @property
    def deployments_url(self) -> str:
        parts = (self.subscription_id, self.resource_group, self.account)
        sub, rg, account = (quote(p, safe="") for p in parts)
        return (
            f"{self.management_url.rstrip('/')}/subscriptions/{sub}/resourceGroups/{rg}"
            f"/providers/Microsoft.CognitiveServices/accounts/{account}/deployments"
        )

    @property
    def local(self) -> bool:
        """On this machine (the sandbox, or a test double): never Azure itself."""
        host = (urlsplit(self.management_url).hostname or "").lower()
        return host in ("localhost", "::1") or host.startswith("127.")


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be a deployment name, or None when it can."""
    return None if NAME_RULE.match(name) else f"--name {name!r} is not a deployment name: use {NAME_HINT}."


def suggest_name(model: str, taken: Iterable[str] = ()) -> str:
    """A free deployment name for ``model``: its fine-tune id (``ft-0e20…``), ``-step-N`` for a
    checkpoint, the suffix of an ``ft:`` model; ``-2``, ``-3`` … when the name is taken."""
    base = model
    if ".ft-" in model:
        base = "ft-" + model.split(".ft-", 1)[1]
    elif model.startswith("ft:"):
        parts = model.split(":")
        tail = [p for p in parts[3:] if p and not p.startswith("ckpt-step-")]
        base = "-".join(tail) or parts[1]
        if parts[-1].startswith("ckpt-step-"):
            base += ":" + parts[-1]
    base = base.replace(":ckpt-step-", "-step-")
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-._")[:56] or "ft-model"
    if len(clean) < 2:
        clean = f"ft-{clean}"
    used = set(taken)
    name, n = clean, 2
    while name in used:
        name, n = f"{clean}-{n}", n + 1
    return name


def resource_for(profile: Profile, local_base_url: str | None = None) -> Resource:
    """The profile's Azure resource; ``local_base_url`` is the built-in sandbox's ``/v1`` URL when it is the provider.

    ConfigError names the missing settings and where they go.
    """
    if profile.provider == "sandbox":
        if not local_base_url:
            raise ConfigError("The sandbox is not running, so its deployments cannot be reached.")
        root = local_base_url.rstrip("/").removesuffix("/v1")
        return Resource("sandbox", "sandbox", "sandbox", profile.management_url or root + "/management")
    if profile.provider != "azure":
        raise ConfigError(
            f"Profile {profile.name!r} is an {profile.provider} profile: deployments exist only on Azure OpenAI "
            "(or the sandbox)."
        )
    missing = [k for k in ("subscription_id", "resource_group", "account") if not getattr(profile, k)]
    if missing:
        raise ConfigError(
            f"Profile {profile.name!r} needs {', '.join(missing)} to manage deployments (the Azure OpenAI "
            f"resource's subscription, resource group and name): add them to [profiles.{profile.name}] in config.toml."
        )
    assert profile.subscription_id and profile.resource_group and profile.account
    return Resource(profile.subscription_id, profile.resource_group, profile.account, profile.management_url or ARM_URL)


# -- tokens ---------------------------------------------------------------------------------
Token = tuple[str, float | None]  # (bearer token, expires at: epoch seconds or None)


def get_token(profile: Profile, resource: Resource, local_key: str | None = None) -> Token:
    """A bearer token for the control plane (blocking: may run ``az`` or azure-identity); a
    control plane on this machine (the sandbox) takes its key, ``local_key``, as the token."""
    if profile.management_token_env:
        value = os.environ.get(profile.management_token_env, "").strip()
        if not value:
            raise ConfigError(
                f"Profile {profile.name!r} reads its control-plane token from ${profile.management_token_env}, "
                "which is not set."
            )
        return value, None
    if profile.provider == "sandbox" or resource.local:
        return local_key or SANDBOX_TOKEN, None
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        pass
    else:
        return _identity_token(DefaultAzureCredential)
    az = shutil.which("az")
    if az:
        return _cli_token(az)
    raise ConfigError(
        "Managing Azure deployments needs a sign-in to Azure Resource Manager: pip install 'ftui[azure]' "
        "(azure-identity), or install the Azure CLI and run `az login`, or set management_token_env in "
        f"profile {profile.name!r} to a variable that holds a bearer token."
    )


def _identity_token(credential_class: Any) -> Token:
    try:
        credential = credential_class(exclude_interactive_browser_credential=True)
        token = credential.get_token(ARM_SCOPE)
    except Exception as exc:  # azure-identity raises several kinds; none carries a secret we print
        raise ConfigError(
            "azure-identity found no Azure sign-in (environment, managed identity, Azure CLI): run `az login` "
            "(`az login --use-device-code` over SSH), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            f"AZURE_CLIENT_SECRET ({type(exc).__name__})."
        ) from None
    return token.token, float(token.expires_on)


def _cli_token(az: str) -> Token:
    command = [az, "account", "get-access-token", "--resource", ARM_URL + "/", "--output", "json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"`az account get-access-token` could not run ({type(exc).__name__}).") from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "no message")
        raise ConfigError(
            f"`az account get-access-token` failed ({safe(first.strip(), one_line=True)[:200]}): run `az login` "
            "(`az login --use-device-code` over SSH) and try again."
        )
    try:
        data = json.loads(done.stdout)
        token = data["accessToken"]
        expires = data.get("expires_on")
        return str(token), float(expires) if expires is not None else None
    except (ValueError, KeyError, TypeError):
        raise ConfigError("`az account get-access-token` answered with something that is not a token.") from None


# -- the client -----------------------------------------------------------------------------
class ControlPlane:
    """Deployments of one Azure OpenAI resource. Blocking token work runs in a thread."""

    def __init__(
        self,
        resource: Resource,
        token: Callable[[], Token],
        *,
        http: httpx2.AsyncClient | None = None,
        api_version: str = API_VERSION,
    ) -> None:
        import httpx2

        self.resource = resource
        self.api_version = api_version
        self._token_source = token
        self._token: Token | None = None
        self._http = http or httpx2.AsyncClient(timeout=httpx2.Timeout(30.0, connect=10.0))

    @classmethod
    def for_provider(cls, provider: Provider, **kwargs: Any) -> ControlPlane:
        """The control plane of the provider's profile (ConfigError when it names no Azure resource)."""
        local = str(provider.client.base_url) if provider.local_server is not None else None
        resource = resource_for(provider.profile, local)
        key = provider.client.api_key if provider.profile.provider == "sandbox" or resource.local else None
        return cls(resource, lambda: get_token(provider.profile, resource, key or None), **kwargs)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be shown (the token in use)."""
        return (self._token[0],) if self._token else ()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- requests ----------------------------------------------------------------------
    async def _bearer(self, refresh: bool = False) -> str:
        token = self._token
        if refresh or token is None or (token[1] is not None and token[1] - TOKEN_MARGIN < time.time()):
            token = self._token = await asyncio.to_thread(self._token_source)
            if token[0] != SANDBOX_TOKEN:
                remember(token[0])  # never shown: every error sentence and log redacts it
        return token[0]

    def _url(self, name: str | None = None) -> str:
        base = self.resource.deployments_url
        return base if name is None else f"{base}/{quote(name, safe='')}"

    async def _request(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        """One call (a 401 refreshes the token once). Transport errors propagate (httpx2's)."""
        response = None
        # A nextLink carries its own query (a skip token, the api-version): keep it, since
        # httpx2 replaces a URL's query with ``params`` rather than adding to it.
        base, _, query = url.partition("?")
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.setdefault("api-version", self.api_version)
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {await self._bearer(refresh=attempt > 0)}"}
            response = await self._http.request(method, base, params=params, json=body, headers=headers)
            if response.status_code != 401:
                break
        assert response is not None
        return response

    def _error(self, response: Any, action: str) -> DeployError:
        """Azure's error body as one sentence (exit 3 when refused or the server failed)."""
        code, message = "", ""
        try:
            err = response.json().get("error") or {}
            code, message = str(err.get("code") or ""), str(err.get("message") or "")
        except (ValueError, AttributeError):
            pass
        status = response.status_code
        said = redact(safe(f"{code}: {message}" if code else message or response.reason_phrase, one_line=True))
        said = said[:400]
        where = self.resource.account
        if status == 401:
            return DeployError(f"{action} failed: Azure refused the sign-in (401, {said}). Sign in again.", 3)
        if status == 403:
            return DeployError(
                f"{action} failed: not allowed on account {where} (403, {said}); it takes a role such as "
                "Cognitive Services OpenAI Contributor.",
                3,
            )
        if status == 404 and not code.startswith("Deployment"):
            return DeployError(
                f"{action} failed: Azure does not know the resource {where} in resource group "
                f"{self.resource.resource_group} (404, {said}); check subscription_id, resource_group and account.",
                1,
            )
        return DeployError(f"{action} failed ({status}, {said}).", 3 if status >= 500 or status == 429 else 1)

    def _unreachable(self, exc: Exception, action: str) -> DeployError:
        return DeployError(
            f"{action} failed: the Azure control plane at {self.resource.management_url} could not be reached "
            f"({type(exc).__name__}).",
            3,
        )

    def _json(self, response: Any, action: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise DeployError(
                f"{action} failed: {self.resource.management_url} answered with something that is not Azure's JSON; "
                "check management_url and any proxy in between.",
                3,
            ) from None

    # -- the operations ----------------------------------------------------------------
    async def list_deployments(self) -> list[Deployment]:
        """Every deployment of the resource (following nextLink)."""
        import httpx2

        action = "Listing deployments"
        url: str | None = self._url()
        out: list[Deployment] = []
        guard = LinkGuard("deployments")
        names: set[str] = set()
        while url:
            try:
                response = await self._request("GET", url)
            except httpx2.TransportError as exc:
                raise self._unreachable(exc, action) from None
            if response.status_code != 200:
                raise self._error(response, action)
            data = self._json(response, action)
            value = data.get("value") if isinstance(data, dict) else None
            if not isinstance(value, list):
                raise DeployError(f"{action} failed: the answer has no list of deployments.", 3)
            page = [Deployment.from_arm(v) for v in value]
            fresh = [d for d in page if d.name not in names]
            names.update(d.name for d in fresh)
            out += fresh
            url = data.get("nextLink") if isinstance(data.get("nextLink"), str) else None
            if url:
                try:
                    guard.check(url, len(fresh), len(out))
                except PagingStuck as exc:
                    raise DeployError(str(exc), 3) from None
        return out

    async def get_deployment(self, name: str) -> Deployment | None:
        """The deployment, or None when there is none of that name."""
        import httpx2

        action = f"Reading deployment {name}"
        try:
            response = await self._request("GET", self._url(name))
        except httpx2.TransportError as exc:
            raise self._unreachable(exc, action) from None
        if response.status_code == 404 and _error_code(response).startswith("Deployment"):
            return None
        if response.status_code == 404 and not _error_code(response):
            return None
        if response.status_code != 200:
            raise self._error(response, action)
        return Deployment.from_arm(self._json(response, action))

    async def delete_deployment(self, name: str) -> bool:
        """Delete it; False when there was no such deployment."""
        import httpx2

        action = f"Deleting deployment {name}"
        try:
            response = await self._request("DELETE", self._url(name))
        except httpx2.TransportError as exc:
            raise DeployError(
                f"{action}: no answer from {self.resource.management_url} ({type(exc).__name__}); it may be deleted "
                f"or not: check with `ftui deployments list`.",
                3,
            ) from None
        if response.status_code in (200, 202):
            return True
        if response.status_code in (204, 404):
            return False
        raise self._error(response, action)

    async def create_deployment(self, name: str, model: str, sku: str = "Standard", capacity: int = 1) -> Deployment:
        """PUT the deployment (it starts Creating). An unknown outcome is DeploymentMayExist."""
        import httpx2

        action = f"Creating deployment {name}"
        body = {
            "sku": {"name": sku, "capacity": capacity},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
        }
        try:
            response = await self._request("PUT", self._url(name), body)
        except httpx2.ConnectError as exc:  # nothing was sent
            raise self._unreachable(exc, action) from None
        except httpx2.TransportError as exc:
            return await self._settle_unknown(name, model, type(exc).__name__)
        if response.status_code in (200, 201):
            try:
                return Deployment.from_arm(response.json())
            except ValueError:
                return await self._settle_unknown(name, model, "an unreadable answer")
        if response.status_code >= 500:
            return await self._settle_unknown(name, model, f"status {response.status_code}")
        raise self._error(response, action)

    async def _settle_unknown(self, name: str, model: str, why: str) -> Deployment:
        """After a create with no clear answer: look once; found -> it; else say it may exist."""
        check = (
            "check with `ftui deployments list` (or the Azure portal) before trying again: a deployment bills hourly"
        )
        try:
            found = await self.get_deployment(name)
        except DeployError:
            raise DeploymentMayExist(
                f"Deployment {name} may have been created: the control plane gave no clear answer ({why}); {check}."
            ) from None
        if found is not None and found.model == model:
            return found
        if found is None:
            raise DeployError(
                f"Creating deployment {name} got no clear answer ({why}), and no deployment of that name exists: "
                "nothing was created; try again.",
                3,
            )
        raise DeployError(f"Deployment {name} exists but serves {found.model}, not {model}.", 1)

    async def wait_until_provisioned(
        self,
        name: str,
        on_state: Callable[[Deployment], object] | None = None,
        *,
        timeout: float = 3600.0,
        give_up_after: float = 120.0,
        first_interval: float = 0.25,
        max_interval: float = 10.0,
    ) -> Deployment:
        """Poll until Succeeded and return it. Failed -> DeployError; lost or too slow -> DeploymentMayExist."""
        start = time.monotonic()
        lost_since: float | None = None
        interval = first_interval
        last_state: str | None = None
        state = "Creating"
        while True:
            try:
                deployment = await self.get_deployment(name)
                lost_since = None
            except DeployError as exc:
                if exc.exit_code != 3:
                    raise
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since >= give_up_after:
                    raise DeploymentMayExist(
                        f"Lost contact with the control plane while deployment {name} was {state}: it may still "
                        f"finish (and bill hourly once it does); check with `ftui deployments list`."
                    ) from None
                deployment = _LOST
            if deployment is None:
                raise DeployError(f"Deployment {name} is gone: it was deleted while it was being provisioned.", 1)
            if deployment is not _LOST:
                state = deployment.state
                if state != last_state and on_state is not None:
                    on_state(deployment)
                last_state = state
                if state == "Succeeded":
                    return deployment
                if state in DONE_STATES:
                    raise DeployError(
                        f"Deployment {name} did not provision: Azure says {state}. It serves nothing; remove it with "
                        f"`ftui deployments delete {name}`.",
                        1,
                    )
            if time.monotonic() - start >= timeout:
                raise DeploymentMayExist(
                    f"Deployment {name} is still {state} after {timeout / 60:.0f} min: it may yet succeed (and bill "
                    "hourly once it does); check with `ftui deployments list`."
                )
            await asyncio.sleep(interval)
            interval = min(max_interval, interval * 1.5)


_LOST = Deployment("", "", "", "", None, "")  # a poll that got no answer


def _error_code(response: Any) -> str:
    try:
        return str((response.json().get("error") or {}).get("code") or "")
    except (ValueError, AttributeError):
        return ""


__all__ = [
    "SKUS",
    "ControlPlane",
    "DeployError",
    "Deployment",
    "DeploymentMayExist",
    "Resource",
    "check_name",
    "get_token",
    "resource_for",
    "suggest_name",
]
