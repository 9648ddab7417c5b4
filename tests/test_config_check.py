"""config.toml: an unknown key is one warning naming it, the file and the key probably meant;
`ftui config check` prints the settings in effect with where each came from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ftui.cli import main
from ftui.config import load_settings
from tests.conftest import SAMPLES

TYPOS = """\
bel = false
[sandbox]
sped = 3
[profiles.work]
provider = "compatible"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "WORK_KEY"
bse_url = "http://elsewhere"
[colours]
x = 1
"""


def write_config(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "ftui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_each_unknown_key_is_named_with_the_file_and_the_key_meant() -> None:
    path = write_config(TYPOS)
    warnings = load_settings().warnings
    assert len(warnings) == 4, warnings
    joined = "\n".join(warnings)
    assert all(str(path) in w for w in warnings)
    assert "'bel' (did you mean 'bell'?)" in joined
    assert "[sandbox]: 'sped' (did you mean 'speed'?)" in joined
    assert "[profiles.work]: 'bse_url' (did you mean 'base_url'?)" in joined
    assert "'colours'" in joined and "did you mean" not in next(w for w in warnings if "colours" in w)


def test_a_command_warns_once_per_unknown_key_and_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    write_config("bel = false\n")
    code, out, err = run(capsys, "models", "list")
    assert code == 0, err
    assert err.count("ftui: warning:") == 1 and "'bel' (did you mean 'bell'?)" in err
    assert "gpt-4o-mini" in out


def test_config_check_shows_each_setting_and_its_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config('default_profile = "work"\nbell = false\n' + TYPOS.split("\n", 1)[1].split("[colours]")[0])
    monkeypatch.setenv("WORK_KEY", "sk-very-secret-value")
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "7")
    code, out, err = run(capsys, "config", "check")
    assert code == 1  # unknown keys: a check that fails, each named on stderr
    assert "'sped'" in err and "'bse_url'" in err
    lines = {line.split(" = ")[0]: line for line in out.splitlines() if " = " in line}
    assert lines["sandbox.speed"].endswith("$FTUI_SANDBOX_SPEED") and "7.0" in lines["sandbox.speed"]
    assert lines["bell"].endswith(str(path)) and "false" in lines["bell"]
    assert '"WORK_KEY" (set)' in lines["profiles.work.api_key_env"]
    assert "profile in use: work (compatible), from default_profile" in out
    assert "sk-very-secret-value" not in out + err  # the key variable's value is never shown


def test_config_check_json_and_a_clean_file_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    write_config("bell = false\n")
    code, out, err = run(capsys, "config", "check", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["exists"] is True and doc["warnings"] == []
    assert {"key": "bell", "value": False, "source": doc["path"], "note": ""} in doc["settings"]
    assert doc["profile"] == "sandbox (sandbox)"


def test_config_check_on_an_unusable_file_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config("[sandbox]\nspeed = 0\n")
    code, out, err = run(capsys, "config", "check")
    assert code == 2 and out == ""
    assert err.startswith("ftui: ") and str(path) in err and len(err.strip().splitlines()) == 1


async def test_the_tui_shows_each_unknown_key_as_a_notice(tmp_path: Path) -> None:
    import shutil

    from ftui.tui.app import FtuiApp

    write_config("bel = false\n")
    data = tmp_path / "weather_jokes.jsonl"
    shutil.copy(SAMPLES / "weather_jokes.jsonl", data)
    app = FtuiApp(data, settings=load_settings(), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("'bel' (did you mean 'bell'?)" in n for n in notes), notes
