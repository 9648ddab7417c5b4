"""What the command line prints is easy to use: options before the command, errors in the user's
words, exit codes in every --help, a prompt as typed, and one record per line under a header."""

from __future__ import annotations

import io
import json
import sys

import pytest

from ftui.cli import hoist_global_options
from ftui.commands.chat import read_prompt
from tests.conftest import SAMPLES
from tests.test_cli_headless import run

JOKES = SAMPLES / "weather_jokes.jsonl"


@pytest.fixture(autouse=True)
def fast_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTUI_SANDBOX_SPEED", "200")


def test_global_options_before_the_command(capsys) -> None:
    code, _, err = run(capsys, "--base-url", "http://127.0.0.1:9/v1", "jobs", "list")
    assert code == 3 and "could not reach 127.0.0.1:9" in err  # taken, not "unrecognized arguments"
    code, _, err = run(capsys, "--profile=missing", "models", "list")
    assert code == 2 and "missing" in err and "unrecognized" not in err
    assert hoist_global_options(["--profile", "p", "chat", "--model", "m", "--", "-x"]) == [
        "chat", "--profile", "p", "--model", "m", "--", "-x",
    ]  # fmt: skip
    assert hoist_global_options(["--debug", "--base-url", "u", "jobs", "list"]) == [
        "jobs", "list", "--debug", "--base-url", "u",
    ]  # fmt: skip
    assert hoist_global_options(["--profile", "p", "data.jsonl"]) == ["--profile", "p", "data.jsonl"]  # the TUI's


@pytest.mark.parametrize(
    ("argv", "group"), [(["jobs", "bogus"], "jobs"), (["files"], "files"), (["models", "x"], "models")]
)
def test_a_wrong_subcommand_is_named_in_the_users_words(capsys, argv: list[str], group: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "COMMAND" in err and "_command" not in err, err


def test_sandbox_serve_help_has_the_exit_codes(capsys) -> None:
    code, out, _ = run(capsys, "sandbox", "serve", "--help")
    assert code == 0 and "exit codes: 0 stopped by Ctrl+C" in " ".join(out.split())


def test_a_prompt_from_stdin_loses_only_its_line_ending(monkeypatch: pytest.MonkeyPatch) -> None:
    for data, prompt in ((b"Weather in Rome?\n", "Weather in Rome?"), (b"two\nlines\r\n", "two\nlines")):
        fake = io.TextIOWrapper(io.BytesIO(data))
        monkeypatch.setattr(sys, "stdin", fake)
        assert read_prompt(None) == prompt
    assert read_prompt("as typed\n") == "as typed\n"  # an argument is the user's own, untouched


def test_models_and_jobs_list_one_line_each_under_a_header(capsys) -> None:
    code, out, err = run(capsys, "jobs", "create", "--model", "gpt-4o-mini", "--training-file", str(JOKES), "--json")
    assert code == 0, err
    job = json.loads(out)
    code, out, _ = run(capsys, "jobs", "list")
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "CREATED", "STATUS", "MODEL", "FINE-TUNED", "MODEL"]
    assert len(rows) == 1 and rows[0].startswith(job["id"] + "  ")
    code, out, _ = run(capsys, "models", "list")
    header, *rows = out.splitlines()
    assert header.split() == ["ID", "OWNED", "BY", "STOPS", "SERVING"]
    ids = [row.split()[0] for row in rows]
    assert "gpt-4o-mini-2024-07-18" in ids and all(row.strip() and not row.startswith(" ") for row in rows)
    later = {m["id"] for m in json.loads(run(capsys, "models", "list", "--json")[1])}  # (the job may add models)
    assert len(set(ids)) == len(ids) and set(ids) <= later  # one line per model, each a whole record


def test_tables_escape_what_servers_send(capsys) -> None:
    from ftui.commands.api import print_table

    print_table(("ID", "NAME"), [("a\x1b[2J", "b")])
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.splitlines()[1].startswith("a\\x1b[2J")


def test_words_agree_with_their_count() -> None:
    from ftui.words import plural

    assert (
        plural(1, "epoch") == "1 epoch"
        and plural(3, "epoch") == "3 epochs"
        and plural(1200, "example") == ("1,200 examples")
    )
