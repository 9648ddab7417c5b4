"""Downloads: ``kill -9`` mid-download leaves a hidden temp file that the next run removes, and a
server's file name longer than the filesystem takes is shortened (extension kept), never a crash."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ftui.data.atomic import TEMP_MARK, fit_name
from ftui.provider.files import download_file, local_name

ROOT = Path(__file__).resolve().parent.parent.parent
CONTENT = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n' * 80_000
LONG = "résumé-" * 60 + ".jsonl"  # 421 characters, 541 bytes


class FileServer:
    """Serves one file (``file-1``, named ``name``); with ``stall``, the content stops after 1 MB."""

    def __init__(self, name: str) -> None:
        self.name, self.stall = name, threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.endswith("/content"):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(CONTENT)))
                    self.end_headers()
                    if outer.stall.is_set():
                        self.wfile.write(CONTENT[: 1 << 20])
                        self.wfile.flush()
                        outer.release.wait(60)
                        return
                    self.wfile.write(CONTENT)
                    return
                body = json.dumps(
                    {"id": "file-1", "object": "file", "bytes": len(CONTENT), "created_at": 1,
                     "filename": outer.name, "purpose": "fine-tune", "status": "processed"}
                ).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FileServer]:
    srv = FileServer("data.jsonl")
    yield srv
    srv.close()


def ftui(url: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-download", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "ftui", *args, "--base-url", url],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if TEMP_MARK in p.name]


def test_a_download_killed_midway_leaves_nothing_after_the_next_run(tmp_path: Path, server: FileServer) -> None:
    server.stall.set()
    proc = ftui(server.url, "files", "download", "file-1", cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size >= 1 << 20 for p in temps(tmp_path)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the download never got going"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    (left,) = temps(tmp_path)  # what kill -9 leaves: hidden, a megabyte of it
    assert left.name.startswith(".data.jsonl") and not (tmp_path / "data.jsonl").exists()
    server.stall.clear()
    again = ftui(server.url, "files", "download", "file-1", cwd=tmp_path)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert (tmp_path / "data.jsonl").read_bytes() == CONTENT
    assert temps(tmp_path) == []  # the killed run's temp file is gone too


def test_a_name_longer_than_the_filesystem_takes_is_shortened(tmp_path: Path) -> None:
    srv = FileServer(LONG)
    try:
        proc = ftui(srv.url, "files", "download", "file-1", "--json", cwd=tmp_path)
        out, err = proc.communicate(timeout=120)
    finally:
        srv.close()
    assert proc.returncode == 0, err
    saved = tmp_path / json.loads(out)["path"]
    assert saved.read_bytes() == CONTENT
    assert saved.name.endswith(".jsonl") and saved.name.startswith("résumé-")
    assert 250 <= len(saved.name.encode()) <= 255
    assert temps(tmp_path) == []


def test_fit_name_cuts_whole_characters_and_keeps_the_extension() -> None:
    assert fit_name("short.jsonl") == "short.jsonl"
    cut = fit_name("é" * 300 + ".jsonl")
    assert cut == "é" * 124 + ".jsonl" and len(cut.encode()) == 254  # never half a character
    assert len(fit_name("x" * 400).encode()) == 255
    assert local_name("a" * 300 + ".csv", "file-1") == "a" * 251 + ".csv"
    assert local_name(f".x.jsonl{TEMP_MARK}1-0123456789", "file-1") == ".x.jsonl-ftui-tmp-1-0123456789"


def test_the_download_helper_writes_through_a_temp_and_reports_progress(tmp_path: Path) -> None:
    from openai import AsyncOpenAI

    srv = FileServer("d.jsonl")
    seen: list[tuple[int, int]] = []

    async def go() -> int:
        client = AsyncOpenAI(base_url=srv.url, api_key="sk-test", max_retries=0)
        try:
            return await download_file(client, "file-1", tmp_path / "d.jsonl", lambda d, t: seen.append((d, t)))
        finally:
            await client.close()

    try:
        size = asyncio.run(go())
    finally:
        srv.close()
    assert size == len(CONTENT) and (tmp_path / "d.jsonl").read_bytes() == CONTENT
    assert seen[-1] == (len(CONTENT), len(CONTENT)) and temps(tmp_path) == []


def test_a_download_onto_a_full_disk_names_the_disk_and_leaves_nothing(tmp_path: Path, server: FileServer) -> None:
    from tests.fullfs import small_fs

    with small_fs(tmp_path / "fs") as fs:
        proc = ftui(server.url, "files", "download", "file-1", "-o", str(fs), cwd=tmp_path)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err
        assert "Traceback" not in err
        assert f"Cannot write {fs / 'data.jsonl'}: the disk holding {fs} is full (" in err
        assert "MB needed)." in err
        assert list(fs.iterdir()) == []  # neither the file nor its temp
