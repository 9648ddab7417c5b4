"""The exporter against answers the sandbox never gives (httpx2.MockTransport): hostile ids and
names with control characters, a size that does not match the list, a connection dropped
mid-download, a list that repeats its pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import httpx2
import pytest

from ftui.export.manifest import ExportDir, component, file_name
from ftui.export.run import Exporter
from ftui.provider.pages import PagingStuck
from tests.provider.test_mock_transport import JOB, mock_client


def file_obj(file_id: str, filename: str, size: int) -> dict:
    return {"id": file_id, "object": "file", "bytes": size, "created_at": 1, "filename": filename,
            "purpose": "fine-tune", "status": "processed"}  # fmt: skip


def server(
    files: list[dict], content: Callable[[str], httpx2.Response], jobs: list[dict] | None = None, repeat: bool = False
) -> Callable[[httpx2.Request], httpx2.Response]:
    def handler(request: httpx2.Request) -> httpx2.Response:
        path = unquote(request.url.raw_path.decode().split("?")[0])
        if path == "/v1/files":
            return httpx2.Response(200, json={"object": "list", "data": files, "has_more": repeat})
        if path.endswith("/content"):
            return content(path.removeprefix("/v1/files/").removesuffix("/content"))
        if path == "/v1/fine_tuning/jobs":
            return httpx2.Response(200, json={"object": "list", "data": jobs or [], "has_more": False})
        if path.endswith(("/events", "/checkpoints")):
            return httpx2.Response(200, json={"object": "list", "data": [], "has_more": False})
        if path == "/v1/models":
            return httpx2.Response(200, json={"object": "list", "data": []})
        return httpx2.Response(404, json={"error": {"message": "no such thing", "type": "invalid_request_error"}})

    return handler


async def export(tmp_path: Path, handler: Callable[[httpx2.Request], httpx2.Response]) -> tuple[Path, object]:
    root = tmp_path / "inner" / "out"
    result = await Exporter(mock_client(handler), root, profile="mock", provider="compatible").run()
    return root, result


async def test_hostile_ids_and_names_stay_inside_the_folder(tmp_path: Path) -> None:
    hostile = [
        ("../../escape", "../../../../etc/cron.d/x"),
        ("...", "a\x1b]0;title\x07b.jsonl"),
        ("file-ok", "\u202egnp.exe"),
        ("..", "dots.jsonl"),  # no request path can name it: missing, said so
        ("/abs", "\x00\x01"),
    ]
    files = [file_obj(i, n, 3) for i, n in hostile]
    root, result = await export(tmp_path, server(files, lambda _id: httpx2.Response(200, content=b"abc")))
    reasons = [(m.id, m.reason) for m in result.manifest.missing]
    assert reasons == [("..", "the server gave it an id no request can name")]
    assert sorted(p.name for p in (tmp_path / "inner").iterdir()) == ["out"]
    opened = ExportDir.open(root)
    folders = set()
    for file_id, _ in [h for h in hostile if h[0] != ".."]:
        path = opened.file_path(file_id)
        assert path is not None and path.parent.parent == (root / "files").resolve() and path.read_bytes() == b"abc"
        assert all(ch.isprintable() for ch in path.name) and not path.parent.name.startswith(".")
        folders.add(path.parent.name)
    assert len(folders) == len(hostile) - 1  # ids never share a folder
    jobbed = {**JOB, "id": "../../../jobs-escape", "status": "succeeded"}
    root, result = await export(tmp_path / "j", server([], lambda _id: httpx2.Response(404), [jobbed]))
    (entry,) = ExportDir.open(root).manifest.jobs
    assert (root / entry.path).resolve().is_relative_to(root.resolve())


def test_components_and_names() -> None:
    assert component("file-abc_1.2") == "file-abc_1.2"
    assert component("..") != component("...") and "/" not in component("../x") and not component(".x").startswith(".")
    assert file_name("../../x.jsonl", "f") == "x.jsonl" and file_name("..", "f") == "f"
    assert file_name("a\\b", "f") == "b"
    long = file_name("é" * 300 + ".jsonl", "f")
    assert long.endswith(".jsonl") and len(long.encode()) <= 200


async def test_a_size_that_never_matches_the_list_is_missing_with_why(tmp_path: Path) -> None:
    files = [file_obj("file-short", "a.jsonl", 10), file_obj("file-good", "b.jsonl", 3)]
    root, result = await export(tmp_path, server(files, lambda _id: httpx2.Response(200, content=b"abc")))
    assert not result.complete
    (missing,) = result.manifest.missing
    assert missing.id == "file-short" and "sent 3 bytes but lists 10" in missing.reason
    assert not list((root / "files").glob("file-short*/*"))  # nothing half-checked is in place
    assert sorted(p.name for p in (root / ".partial").iterdir()) == ["lock"]


async def test_a_dropped_download_is_tried_again(tmp_path: Path) -> None:
    calls = {"n": 0}

    def content(_id: str) -> httpx2.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx2.ReadError("connection reset")
        return httpx2.Response(200, content=b"abc")

    root, result = await export(tmp_path, server([file_obj("file-1", "a.jsonl", 3)], content))
    assert result.complete and calls["n"] == 2
    assert (root / result.manifest.files[0].path).read_bytes() == b"abc"


async def test_an_export_stops_when_the_files_list_repeats(tmp_path: Path) -> None:
    handler = server([file_obj("file-1", "a.jsonl", 3)], lambda _id: httpx2.Response(200, content=b"abc"), repeat=True)
    with pytest.raises(PagingStuck, match="Listing files stopped after 1"):
        await export(tmp_path, handler)
