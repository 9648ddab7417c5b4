"""OpenAI stops new self-serve fine-tuning jobs on 2027-01-06 and its base models (with their
fine-tunes) stop serving on 2027-01-14: the dates live in models.toml, `ftui models list` says
when each fine-tuned model stops, and the TUI's top bar and new-job form count the days."""

from __future__ import annotations

from datetime import date

import pytest

from ftui.cli import main
from ftui.data.catalog import load_catalog
from ftui.tui.app import topbar_text
from tests.recorded_api import RecordedApi


def test_the_dates_come_from_models_toml() -> None:
    catalog = load_catalog()
    assert catalog.new_jobs_stop == {"openai": "2027-01-06"}
    assert catalog.new_jobs_notice("azure") is None and catalog.new_jobs_notice("sandbox") is None
    assert catalog.shutdown_of("ft:gpt-4o-mini-2024-07-18:org:bot:abc") == "2027-01-14"
    assert catalog.shutdown_of("gpt-4.1-2025-04-14.ft-0123abcd") == "2027-01-14"  # Azure's names too
    assert catalog.shutdown_of("ft:gpt-4.1-nano-2025-04-14:org::x") is None  # no date announced


@pytest.mark.parametrize(
    ("today", "long", "short"),
    [
        (date(2026, 12, 8), "OpenAI stops new fine-tuning jobs on 2027-01-06: 29 days left.", "new jobs stop in 29 d"),
        (date(2027, 1, 5), "OpenAI stops new fine-tuning jobs on 2027-01-06: 1 day left.", "new jobs stop in 1 d"),
        (
            date(2027, 1, 6),
            "OpenAI stops new fine-tuning jobs today (2027-01-06); jobs already started go on.",
            "new jobs stop today",
        ),
        (
            date(2027, 2, 1),
            "OpenAI stopped new fine-tuning jobs on 2027-01-06; a new job will be refused.",
            "no new jobs since 2027-01-06",
        ),
    ],
)
def test_days_left_before_on_and_after_the_day(today: date, long: str, short: str) -> None:
    notice = load_catalog().new_jobs_notice("openai", today)
    assert notice is not None and notice.long() == long and notice.short() == short


def test_the_top_bar_says_it_long_when_there_is_room_and_short_when_not() -> None:
    notice = ("OpenAI stops new fine-tuning jobs on 2027-01-06: 29 days left", "new jobs stop in 29 d")
    wide = topbar_text("OpenAI · default", "data.jsonl", "40 examples", 160, notice).plain
    assert wide.endswith("OpenAI stops new fine-tuning jobs on 2027-01-06: 29 days left")
    narrow = topbar_text("OpenAI · default", "data.jsonl", "40 examples", 78, notice).plain
    assert narrow.endswith("new jobs stop in 29 d") and len(narrow) <= 78 and "data" in narrow
    assert topbar_text("sandbox", "data.jsonl", "", 78).plain == "ftui │ sandbox │ data.jsonl"


def test_models_list_says_when_each_fine_tuned_model_stops_serving(capsys: pytest.CaptureFixture[str]) -> None:
    models = ["gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini-2024-07-18:org:bot:abc123", "ft:gpt-4.1-nano-2025-04-14:o::x"]
    api = RecordedApi(jobs=[], models=models)
    url = api.start()
    try:
        code = main(["models", "list", "--base-url", url])
    finally:
        api.stop()
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    tuned = next(i for i, line in enumerate(lines) if "ft:gpt-4o-mini" in line)
    said = lines[tuned] + (lines[tuned + 1] if tuned + 1 < len(lines) else "")
    assert "STOPS SERVING" in lines[0] and "2027-01-14 (its base model's)" in said
    nano = next(i for i, line in enumerate(lines) if "gpt-4.1-nano" in line)
    assert "(its base model's)" not in lines[nano] + (lines[nano + 1] if nano + 1 < len(lines) else "")


def test_a_local_server_on_an_openai_profile_is_not_openai() -> None:
    catalog = load_catalog()
    assert catalog.new_jobs_notice("openai", base_url="http://127.0.0.1:8000/v1") is None
    assert catalog.new_jobs_notice("openai", base_url="https://gateway.example.com/v1") is not None
    assert catalog.new_jobs_notice("openai") is not None
