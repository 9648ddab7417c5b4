"""Settings and provider profiles: TOML in the XDG config dir, plus environment overrides.

The file names the *environment variable* that holds a key, never the key itself::

    default_profile = "work"

    [profiles.work]
    provider = "openai"              # openai | azure | compatible | sandbox
    api_key_env = "WORK_OPENAI_KEY"
    organization = "org-..."

    [profiles.azure]
    provider = "azure"
    base_url = "https://my-resource.openai.azure.com"
    api_version = "2024-10-21"
    api_key_env = "AZURE_OPENAI_API_KEY"
    deployments = { "gpt-4.1-2025-04-14.ft-abc" = "weather-bot" }
    # the control plane, for `ftui deployments` (token: management_token_env, azure-identity, or `az`)
    subscription_id = "00000000-0000-0000-0000-000000000000"
    resource_group = "my-group"
    account = "my-resource"

With no file: OPENAI_API_KEY selects OpenAI; AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_API_KEY +
OPENAI_API_VERSION select Azure; nothing selects the built-in sandbox.
"""

from __future__ import annotations

import difflib
import math
import os
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from ftui.credentials import remember, remember_url

ProviderKind = Literal["openai", "azure", "compatible", "sandbox"]


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


class Profile(BaseModel):
    """One way to reach a provider."""

    name: str = "default"
    provider: ProviderKind = "sandbox"
    base_url: str | None = None
    api_version: str | None = None
    organization: str | None = None
    project: str | None = None
    api_key_env: str | None = None
    deployments: dict[str, str] = Field(default_factory=dict)
    # Azure control plane (deployments): the resource, where ARM is, and an optional token variable.
    subscription_id: str | None = None
    resource_group: str | None = None
    account: str | None = None
    management_url: str | None = None
    management_token_env: str | None = None

    @property
    def label(self) -> str:
        """How the header names this provider."""
        if self.provider == "sandbox":
            return "sandbox (local)"
        where = f" · {self.base_url}" if self.base_url and self.provider == "compatible" else ""
        return f"{self.provider}{where} · profile {self.name}"

    def api_key(self) -> str | None:
        """The key from the environment variable the profile names (None for the sandbox)."""
        if self.provider == "sandbox":
            return None
        var = self.api_key_env or ("AZURE_OPENAI_API_KEY" if self.provider == "azure" else "OPENAI_API_KEY")
        key = os.environ.get(var)
        remember(key)
        if not key and self.provider != "compatible":
            raise ConfigError(f"Profile {self.name!r} reads its API key from ${var}, which is not set.")
        return key


SPEED_MIN = 0.001
SPEED_MAX = 1_000_000.0
SPEED_RULE = f"a number from {SPEED_MIN:g} to {SPEED_MAX:.0f}"
MAX_CONFIG_BYTES = 1024 * 1024  # a settings file, not a data set: bigger is a mistake (or /dev/zero)

Speed = Annotated[float, Field(ge=SPEED_MIN, le=SPEED_MAX, allow_inf_nan=False)]
"""Simulated seconds per real second: from SPEED_MIN (a job's timeline still fits a date) to SPEED_MAX."""


def speed_ok(value: object) -> bool:
    """Whether ``value`` is a sandbox speed that works (a real number in [SPEED_MIN, SPEED_MAX])."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and SPEED_MIN <= value <= SPEED_MAX
    )


class SandboxSettings(BaseModel):
    """How the embedded sandbox runs."""

    speed: Speed = 1.0
    data_dir: str | None = None


class Settings(BaseModel):
    """Everything in config.toml."""

    default_profile: str | None = None
    profiles: dict[str, Profile] = Field(default_factory=dict)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    keymap: dict[str, str] = Field(default_factory=dict)
    bell: bool = True
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """One sentence per key or table in the file that ftui does not know (a typo does nothing)."""
        return self._warnings


def _unknown(keys: Any, model: type[BaseModel], where: str, path: Path) -> list[str]:
    """A warning for each key of ``keys`` that ``model`` has no field for, with the likely meant one."""
    known = [name for name in model.model_fields if name != "name" or model is not Profile]
    out = []
    for key in keys:
        if key in model.model_fields:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        out.append(f"{path}: unknown key {where}{key!r}{hint}; ftui ignores it.")
    return out


def config_warnings(data: dict, path: Path) -> list[str]:
    """Unknown keys and tables in a parsed config.toml, each one sentence naming the key and the file."""
    out = _unknown(data, Settings, "", path)
    if isinstance(data.get("sandbox"), dict):
        out += _unknown(data["sandbox"], SandboxSettings, "in [sandbox]: ", path)
    if isinstance(data.get("profiles"), dict):
        for name, prof in data["profiles"].items():
            if isinstance(prof, dict):
                out += _unknown(prof, Profile, f"in [profiles.{name}]: ", path)
    return out


def config_dir() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "ftui"


def data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "ftui"


def config_path() -> Path:
    return Path(os.environ.get("FTUI_CONFIG") or config_dir() / "config.toml")


def load_settings(path: Path | None = None) -> Settings:
    """Read config.toml (missing file = defaults); env FTUI_SANDBOX_SPEED overrides the speed."""
    path = path or config_path()
    data: dict = {}
    raw = _read_config(path)
    if raw is not None:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{path} cannot be read: it is not UTF-8 text (byte {exc.start}); save it as UTF-8."
            ) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} cannot be read: it is not valid TOML ({exc}).") from exc
    profiles = data.get("profiles")
    if isinstance(profiles, dict):
        for name, prof in profiles.items():
            if isinstance(prof, dict):
                prof.setdefault("name", name)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ConfigError(f"{path}: {where}: {first['msg']}.") from exc
    settings.warnings.extend(config_warnings(data, path))
    if (speed := os.environ.get("FTUI_SANDBOX_SPEED")) is not None and speed.strip():
        try:
            value = float(speed)
        except ValueError:
            value = math.nan
        if not speed_ok(value):
            raise ConfigError(f"FTUI_SANDBOX_SPEED must be {SPEED_RULE}, not {speed[:40]!r}.")
        settings.sandbox.speed = value
    return settings


def _read_config(path: Path) -> bytes | None:
    """The file's bytes (None when there is none); only a regular file of at most
    MAX_CONFIG_BYTES is read, so a FIFO cannot hang ftui and /dev/zero cannot fill its memory."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a FIFO with no writer returns at once
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{path} cannot be read: it is not a regular file (a pipe, device or folder).")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path} cannot be read: it is {info.st_size:,} bytes; a config file is at most "
                f"{MAX_CONFIG_BYTES:,} bytes."
            )
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_CONFIG_BYTES:  # a file that grows while we read stops at the cap too
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path} cannot be read: it is over {MAX_CONFIG_BYTES:,} bytes.")
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    finally:
        os.close(fd)


def resolve_profile(settings: Settings, name: str | None = None, base_url: str | None = None) -> Profile:
    """Pick the profile: --profile, then $FTUI_PROFILE, then the file's default, then the environment."""
    name = name or os.environ.get("FTUI_PROFILE") or settings.default_profile
    if name:
        if name == "sandbox" and name not in settings.profiles:
            profile = Profile(name="sandbox", provider="sandbox")
        elif name not in settings.profiles:
            known = ", ".join(sorted(settings.profiles)) or "none"
            raise ConfigError(f"No profile named {name!r} in {config_path()} (profiles: {known}).")
        else:
            profile = settings.profiles[name]
    elif os.environ.get("AZURE_OPENAI_ENDPOINT") and os.environ.get("AZURE_OPENAI_API_KEY"):
        profile = Profile(
            name="azure (env)",
            provider="azure",
            base_url=os.environ["AZURE_OPENAI_ENDPOINT"],
            api_version=os.environ.get("OPENAI_API_VERSION"),
            api_key_env="AZURE_OPENAI_API_KEY",
        )
    elif os.environ.get("OPENAI_API_KEY"):
        profile = Profile(name="openai (env)", provider="openai", base_url=os.environ.get("OPENAI_BASE_URL"))
    else:
        profile = Profile(name="sandbox", provider="sandbox")
    if base_url:
        kind: ProviderKind = profile.provider if profile.provider in ("azure", "openai") else "compatible"
        if profile.provider == "openai" and not os.environ.get(profile.api_key_env or "OPENAI_API_KEY"):
            kind = "compatible"
        profile = profile.model_copy(update={"base_url": base_url, "provider": kind})
    remember_url(profile.base_url)
    remember_url(profile.management_url)
    if profile.provider == "azure" and not profile.base_url:
        raise ConfigError(f"Profile {profile.name!r} is an Azure profile without base_url (the resource endpoint).")
    if profile.provider == "compatible" and not profile.base_url:
        raise ConfigError(f"Profile {profile.name!r} is 'compatible' but has no base_url.")
    return profile
