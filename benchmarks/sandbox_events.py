"""Benchmark: the sandbox's events endpoint, server CPU per request against a bare aiohttp handler.

Usage: python benchmarks/sandbox_events.py [--requests 1000] [--limit 20]

The sandbox runs as the TUI runs it: a child process (``ftui sandbox serve``). A finished job
(98 steps) is made through the SDK; then ``--requests`` event pages (``--limit`` events each,
the newest page, as a poll asks) are fetched over one keep-alive connection. The **baseline**
is a bare aiohttp server in its own process answering the same path with the very same bytes
(one constant body: what any server must at least do to send it). The figure is each
server's CPU time (user + system, from /proc) divided by the number of requests.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ftui.sandbox.child import ChildSandbox  # noqa: E402

SAMPLE = HERE.parent / "sample_data" / "weather_jokes.jsonl"
TICK = os.sysconf("SC_CLK_TCK")

BARE = """
import sys
from aiohttp import web
body = open(sys.argv[1], "rb").read()
async def handler(request):
    return web.Response(body=body, content_type="application/json")
app = web.Application()
app.router.add_get(sys.argv[2], handler)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[3]), print=lambda *a: print("ready", flush=True),
            access_log=None)
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HEADERS: dict[str, str] = {}  # the sandbox's key, once it has started


def get(conn: http.client.HTTPConnection, target: str) -> bytes:
    conn.request("GET", target, headers=HEADERS)
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"{target}: {answer.status} {body[:200]!r}")
    return body


def per_request(pid: int, url: str, n: int) -> float:
    """Server CPU seconds per GET of ``url`` (one keep-alive connection)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        for _ in range(20):  # warm up: connection, caches
            get(conn, target)
        before = cpu_seconds(pid)
        for _ in range(n):
            get(conn, target)
        return (cpu_seconds(pid) - before) / n
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ftui-bench-events-"))
    sandbox = ChildSandbox(work / "sandbox", speed=2000)
    base = sandbox.start()
    HEADERS["Authorization"] = f"Bearer {sandbox.api_key}"
    try:
        from openai import OpenAI

        client = OpenAI(base_url=base, api_key=sandbox.api_key)
        with SAMPLE.open("rb") as fh:
            file = client.files.create(file=fh, purpose="fine-tune")
        job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
        while client.fine_tuning.jobs.retrieve(job.id).status not in ("succeeded", "failed", "cancelled"):
            time.sleep(0.1)
        path = f"/v1/fine_tuning/jobs/{job.id}/events"
        root = base.rstrip("/").removesuffix("/v1")
        query = f"?limit={args.limit}"
        conn = http.client.HTTPConnection(urllib.parse.urlsplit(root).hostname, urllib.parse.urlsplit(root).port)
        body = get(conn, path + query)
        conn.close()
        (work / "body").write_bytes(body)
        port = free_port()
        bare = subprocess.Popen(
            [sys.executable, "-c", BARE, str(work / "body"), path, str(port)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert bare.stdout is not None and bare.stdout.readline().strip() == "ready"
            ours, floor = [], []
            for _ in range(3):  # interleaved
                ours.append(per_request(sandbox.pid, root + path + query, args.requests))
                floor.append(per_request(bare.pid, f"http://127.0.0.1:{port}{path}{query}", args.requests))
        finally:
            bare.terminate()
            bare.wait(10)
    finally:
        sandbox.stop()
    o, f = sorted(ours)[1], sorted(floor)[1]
    print(f"event page ({args.limit} events, {len(body):,} bytes), server CPU per request, median of 3:")
    print(f"  sandbox {o * 1e6:7.0f} µs   bare aiohttp {f * 1e6:7.0f} µs   {o / f:4.2f}x (goal 2x)")


if __name__ == "__main__":
    main()
