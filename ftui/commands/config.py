"""`ftui config check`: the settings in effect, where each one came from, and what is wrong.

Exit 0 when config.toml (if any) is read with no unknown key; 1 when it has unknown keys or
tables (each named, with the key probably meant); 2 when it cannot be used at all (one
sentence). Keys themselves are never printed: a profile shows the variable it reads its key
from and whether that variable is set.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ftui.config import ConfigError, Settings, config_path, data_dir, load_settings, resolve_profile
from ftui.term import fail
from ftui.textsafe import safe


@dataclass(frozen=True)
class Setting:
    """One effective setting: its dotted key, its value, where it came from, and a note (for a
    key variable: whether it is set; its value is never read out)."""

    key: str
    value: Any
    source: str
    note: str = ""

    def line(self, width: int) -> str:
        text = f"{self.key} = {_toml(self.value)}" + (f" ({self.note})" if self.note else "")
        return text.ljust(width) + "  " + self.source


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _file_table(path: Path) -> dict[str, Any]:
    """The file's own tables (load_settings has read it once already, so it parses)."""
    if not path.is_file():
        return {}
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def effective(settings: Settings, path: Path) -> list[Setting]:
    """Every setting in effect, with where it came from (the file, an environment variable or the default)."""
    raw = _file_table(path)
    file_src = str(path)
    out: list[Setting] = []
    default_profile = os.environ.get("FTUI_PROFILE")
    if default_profile:
        out.append(Setting("default_profile", default_profile, "$FTUI_PROFILE"))
    elif settings.default_profile:
        out.append(Setting("default_profile", settings.default_profile, file_src))
    sandbox: dict[str, Any] = raw["sandbox"] if isinstance(raw.get("sandbox"), dict) else {}
    speed_env = os.environ.get("FTUI_SANDBOX_SPEED", "").strip()
    speed_src = "$FTUI_SANDBOX_SPEED" if speed_env else (file_src if "speed" in sandbox else "default")
    out.append(Setting("sandbox.speed", settings.sandbox.speed, speed_src))
    if settings.sandbox.data_dir:
        out.append(Setting("sandbox.data_dir", settings.sandbox.data_dir, file_src))
    else:
        xdg = "$XDG_DATA_HOME" if os.environ.get("XDG_DATA_HOME") else "default (~/.local/share)"
        out.append(Setting("sandbox.data_dir", str(data_dir() / "sandbox"), xdg))
    out.append(Setting("bell", settings.bell, file_src if "bell" in raw else "default"))
    for binding, key in sorted(settings.keymap.items()):
        out.append(Setting(f'keymap."{binding}"', key, file_src))
    for name, profile in sorted(settings.profiles.items()):
        given = raw.get("profiles", {}).get(name, {})
        for field, value in profile.model_dump().items():
            if field == "name" or field not in given:
                continue
            if field == "deployments":
                for model, deployment in sorted(value.items()):
                    out.append(Setting(f'profiles.{name}.deployments."{model}"', deployment, file_src))
                continue
            note = ""
            if field in ("api_key_env", "management_token_env"):
                note = "set" if os.environ.get(value) else "not set"
            out.append(Setting(f"profiles.{name}.{field}", value, file_src, note))
    return out


def _in_use(settings: Settings) -> tuple[str, str]:
    """The profile a command would use now, and why."""
    try:
        profile = resolve_profile(settings)
    except ConfigError as exc:
        return "none", str(exc)
    if os.environ.get("FTUI_PROFILE"):
        why = "$FTUI_PROFILE"
    elif settings.default_profile:
        why = "default_profile"
    elif profile.provider == "sandbox":
        why = "nothing configured: the built-in sandbox"
    else:
        why = "environment variables (" + ("AZURE_OPENAI_*" if profile.provider == "azure" else "OPENAI_API_KEY") + ")"
    return f"{profile.name} ({profile.provider})", why


def check(as_json: bool = False) -> int:
    """Print the effective settings and their sources; exit 0 clean, 1 unknown keys, 2 unusable."""
    path = config_path()
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return fail(str(exc))
    rows = effective(settings, path)
    profile, why = _in_use(settings)
    where = "$FTUI_CONFIG" if os.environ.get("FTUI_CONFIG") else "the XDG config dir"
    if as_json:
        from ftui.commands.api import dump

        dump(
            {
                "path": str(path),
                "exists": path.is_file(),
                "profile": profile,
                "profile_from": why,
                "settings": [asdict(row) for row in rows],
                "warnings": settings.warnings,
            }
        )
    else:
        state = "" if path.is_file() else " (not there: defaults)"
        print(safe(f"config file: {path}{state}, from {where}", one_line=True))
        print(safe(f"profile in use: {profile}, from {why}", one_line=True))
        width = max(len(row.line(0)) - len(row.source) - 2 for row in rows)
        for row in rows:
            print(safe(row.line(width), one_line=True))
        for warning in settings.warnings:
            print(safe(f"ftui: warning: {warning}", one_line=True), file=sys.stderr)
    return 1 if settings.warnings else 0


__all__ = ["Setting", "check", "effective"]
