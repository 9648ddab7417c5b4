"""Profiles: the config file, the environment, and what wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftui.config import ConfigError, config_path, load_settings, resolve_profile


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nothing_configured_means_the_sandbox() -> None:
    profile = resolve_profile(load_settings())
    assert profile.provider == "sandbox" and profile.label == "sandbox (local)"
    assert profile.api_key() is None


def test_env_selects_openai_then_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert resolve_profile(load_settings()).provider == "openai"
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az")
    monkeypatch.setenv("OPENAI_API_VERSION", "2025-04-01-preview")
    profile = resolve_profile(load_settings())
    assert (profile.provider, profile.api_version) == ("azure", "2025-04-01-preview")


def test_file_profiles_name_the_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(
        'default_profile = "work"\n[profiles.work]\nprovider = "openai"\napi_key_env = "WORK_KEY"\n'
        '[profiles.local]\nprovider = "compatible"\nbase_url = "http://127.0.0.1:9/v1"\n'
    )
    settings = load_settings()
    profile = resolve_profile(settings)
    assert profile.name == "work"
    with pytest.raises(ConfigError, match=r"\$WORK_KEY, which is not set"):
        profile.api_key()
    monkeypatch.setenv("WORK_KEY", "sk-work")
    assert profile.api_key() == "sk-work"
    assert resolve_profile(settings, "local").base_url == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("FTUI_PROFILE", "local")
    assert resolve_profile(settings).name == "local"
    with pytest.raises(ConfigError, match="No profile named 'nope'"):
        resolve_profile(settings, "nope")


def test_base_url_flag_makes_a_compatible_profile() -> None:
    profile = resolve_profile(load_settings(), base_url="http://127.0.0.1:8000/v1")
    assert (profile.provider, profile.base_url) == ("compatible", "http://127.0.0.1:8000/v1")


def test_bad_config_is_one_sentence() -> None:
    write_config('[profiles.x]\nprovider = "bogus"\n')
    with pytest.raises(ConfigError, match=r"profiles\.x\.provider"):
        load_settings()
    write_config("this is = = not toml")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings()
