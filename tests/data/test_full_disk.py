"""Keeping a chat exchange onto a full disk: the dataset keeps its bytes, no torn line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftui.data.atomic import append_line
from ftui.data.keep import KeepError, append_example, exchange_example
from tests.fullfs import fill, small_fs


def test_keeping_an_exchange_on_a_full_disk_leaves_the_dataset_as_it_was(tmp_path: Path) -> None:
    with small_fs(tmp_path / "fs") as fs:
        dataset = fs / "kept.jsonl"
        append_example(dataset, exchange_example("sys", "first question", "first answer"), "gpt-4o-mini")
        before = dataset.read_bytes()
        fill(fs)
        # Longer than what is left of the file's last page: the kernel takes part of it.
        long_reply = "a very long answer " * 1000
        with pytest.raises(KeepError) as caught:
            append_example(dataset, exchange_example("sys", "second question", long_reply), "gpt-4o-mini")
        assert dataset.read_bytes() == before  # no torn line: the part that fit was cut off again
        message = str(caught.value)
        assert f"the disk holding {fs} is full" in message and "needed" in message
        (fs / "filler").unlink()
        assert append_example(dataset, exchange_example("sys", "q", "a"), "gpt-4o-mini") == 2  # still a clean file
        assert [json.loads(line)["messages"][1]["content"] for line in dataset.read_text().splitlines()] == [
            "first question",
            "q",
        ]


def test_append_line_cuts_back_an_unfinished_last_line_it_tried_to_finish(tmp_path: Path) -> None:
    with small_fs(tmp_path / "fs") as fs:
        path = fs / "data.jsonl"
        path.write_bytes(b'{"a": 1}\n{"b": 2}')  # no newline at the end: the append adds one first
        fill(fs)
        with pytest.raises(OSError):
            append_line(path, "x" * 20000)
        assert path.read_bytes() == b'{"a": 1}\n{"b": 2}'
