"""Every lister stops with one sentence when a server repeats a page or its cursor never advances:
an aiohttp server on loopback that ignores ``after`` (or leads back to its first page), driven
through the real command line and the real SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ftui.cli import main
from tests.looping_api import LoopingApi


@pytest.fixture(params=["same", "cycle"])
def looping_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server on loopback whose every list says ``has_more`` and never ends."""
    api = LoopingApi(request.param)
    yield api.start()
    api.stop()


@pytest.mark.parametrize(
    ("command", "what"),
    [
        (["jobs", "list", "--limit", "0"], "Listing jobs stopped after "),
        (["files", "list"], "Listing files stopped after "),
        (["jobs", "events", "ftjob-1", "--limit", "0"], "Listing the events of ftjob-1 stopped after "),
        (["jobs", "checkpoints", "ftjob-1"], "Listing the checkpoints of ftjob-1 stopped after "),
        (["models", "list", "--fine-tuned"], "Listing jobs stopped after "),
        (["files", "delete", "file-0", "--yes"], "Listing jobs stopped after "),
    ],
)
def test_a_server_that_repeats_pages_gets_one_sentence_and_exit_3(
    looping_server: str, command: list[str], what: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*command, "--base-url", looping_server])
    err = capsys.readouterr().err
    assert code == 3, err
    assert what in err and "ftui stops rather than loop" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_limit_ends_the_list_before_the_server_repeats(looping_server: str, capsys) -> None:
    """--limit N reads only the newest N: the repeat is never reached, so the list is fine."""
    code = main(["jobs", "list", "--limit", "2", "--base-url", looping_server])
    out = capsys.readouterr().out
    assert code == 0 and out.count("ftjob-") == 2


def test_export_stops_too(looping_server: str, tmp_path, capsys) -> None:
    code = main(["export", str(tmp_path / "out"), "--base-url", looping_server])
    err = capsys.readouterr().err
    assert code == 3 and "Listing files stopped after " in err and "ftui stops rather than loop" in err
