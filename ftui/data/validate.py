"""The validation pipeline: one way to check a JSONL file, for the CLI, the Data tab and the new-job form.

A file is cut into byte ranges at line starts; each range is scanned (``ftui.data.scan``) here
or in worker processes, and the results are merged in file order (``ftui.data.report``).
Callers follow along through callbacks: ``on_chunk`` gets each range's result in file order
(with the number of lines before it), ``progress`` the bytes done. A ``Validation`` keeps its
ranges' results, so after an append it re-checks only the new tail (``recheck``).

Interactive callers pass ``nice``: the workers then run at lowered priority on every core,
and the caller's own process (the UI) keeps the CPU whenever it needs it.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import os
import sys
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ftui.data.catalog import Catalog, ModelInfo, load_catalog
from ftui.data.formats import DataFormat
from ftui.data.index import line_boundaries, range_boundaries
from ftui.data.report import FORMAT_NAMES, MIN_EXAMPLES, Report, duplicates, load_duplicates_sorter, merge
from ftui.data.scan import (
    KEEP_PER_CODE,
    ChunkResult,
    DatasetChanged,
    DatasetReadError,
    check_readable,
    fingerprint_range,
    iter_range,
    make_checker,
    scan_lines,
    scan_range,
    worker_init,
    worker_scan,
)

PARALLEL_THRESHOLD = 8 * 1024 * 1024  # files above this are scanned by worker processes
RANGE_BYTES = 2 << 20  # about this much per range: progress steps, and what a re-check re-reads
MIN_RANGE_BYTES = 1 << 20  # no range is cut smaller than this
NICE = 10  # how much interactive callers lower their workers' priority

Progress = Callable[[int, int], None]
OnChunk = Callable[[ChunkResult, int], None]
Cancelled = Callable[[], bool]


class Stopped(Exception):
    """The caller cancelled the run (``cancelled()`` said so)."""


# -- worker pools ---------------------------------------------------------------------
_POOLS: set[ProcessPoolExecutor] = set()  # pools running now
_pools_lock = threading.Lock()


def stop_workers() -> None:
    """Kill the processes of every validation pool at once (the program is leaving: no worker
    may outlive it, and none may make it wait)."""
    with _pools_lock:
        pools = list(_POOLS)
        _POOLS.clear()
    for pool in pools:
        _kill(pool)


def _niceness() -> int:
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):  # no priorities here (Windows)
        return 0


def _lower_priority(pids: Iterable[int], niceness: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, pid, niceness)


def _kill(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.kill()
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    # fork shares the loaded tokenizer with the workers for free; it is only safe without threads.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _start_resource_tracker() -> None:
    """multiprocessing's resource tracker hands ``sys.stderr.fileno()`` to its process when it
    starts; under a TUI that stream may be a capture object with no real descriptor, so start
    the tracker with the real stderr in place."""
    from multiprocessing import resource_tracker

    saved = sys.stderr
    try:
        sys.stderr = sys.__stderr__ or open(os.devnull, "w")  # noqa: SIM115
        resource_tracker.ensure_running()
    finally:
        sys.stderr = saved


# -- the pipeline -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Known:
    """What the last run saw of the file: its identity and its ranges' results."""

    inode: int
    size: int
    chunks: tuple[ChunkResult, ...]


class Validation:
    """Checks one file for one model; ``run`` checks it all, ``recheck`` only what changed.

    ``processes``: None picks by file size (worker processes over 8 MB, one per core),
    1 scans in the calling thread. ``nice``: lower the workers' priority (interactive callers).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        model: str | None = None,
        *,
        catalog: Catalog | None = None,
        processes: int | None = None,
        nice: bool = False,
    ) -> None:
        self.path = Path(path)
        self.catalog = catalog or load_catalog()
        self.model = model or self.catalog.default_model
        self.info: ModelInfo = self.catalog.lookup(self.model)
        self.processes = processes
        self.nice = nice
        self.rechecked_from = 0  # the byte the last run started checking at (0: all of it)
        self._known: _Known | None = None
        self._prefix: tuple[tuple[int, int, int], list[ChunkResult]] | None = None  # the last prefix check

    # -- running ---------------------------------------------------------------------
    def run(
        self,
        *,
        on_chunk: OnChunk | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Report:
        """Check the whole file. Raises DatasetReadError (one sentence) or Stopped."""
        self._known = None
        return self.recheck(on_chunk=on_chunk, progress=progress, cancelled=cancelled)

    def recheck(
        self,
        *,
        on_chunk: OnChunk | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Report:
        """Check the file again, scanning only from the first range that changed since the last
        run (after an append: the last range and the new tail). ``on_chunk`` is called for the
        re-scanned ranges only; the report covers the whole file."""
        p = check_readable(self.path)
        try:
            st = p.stat()
            kept = self._unchanged_prefix(st)
            start = kept[-1].end if kept else 0
            self.rechecked_from = start
            offset = sum(c.lines for c in kept)
            chunks = list(kept)
            for chunk in self._scan(p, start, st.st_size, progress, cancelled):
                chunks.append(chunk)
                if on_chunk is not None:
                    on_chunk(chunk, offset)
                offset += chunk.lines
        except DatasetReadError:
            raise
        except OSError as exc:
            raise DatasetReadError(f"{p} cannot be read: {exc.strerror or exc}.") from exc
        self._known = _Known(st.st_ino, st.st_size, tuple(chunks))
        self._prefix = None
        return merge(str(self.path), self.model, self.info, chunks, self.catalog)

    def line_tokens(self) -> array[int]:
        """Tokens per physical line (-1: no countable example) of the last run, in file order."""
        out = array("q")
        for chunk in self._known.chunks if self._known else ():
            out.extend(chunk.line_tokens)
        return out

    def line_messages(self) -> array[int]:
        """Messages per physical line (-1: none) of the last run, in file order."""
        out = array("i")
        for chunk in self._known.chunks if self._known else ():
            out.extend(chunk.line_messages)
        return out

    def changed_from(self) -> int:
        """The byte ``recheck`` would start checking at now: 0 when the file is new, was replaced
        or shrank; after an append, the start of the last range of the last run."""
        try:
            kept = self._unchanged_prefix(self.path.stat())
        except OSError:
            return 0
        return kept[-1].end if kept else 0

    def _unchanged_prefix(self, st: os.stat_result) -> list[ChunkResult]:
        """The leading ranges of the last run whose bytes are still the same (never the last
        range: an append may have finished its last line)."""
        known = self._known
        if known is None or known.inode != st.st_ino or st.st_size < known.size:
            return []
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._prefix is not None and self._prefix[0] == key:
            return self._prefix[1]
        kept: list[ChunkResult] = []
        for chunk in known.chunks[:-1]:
            if fingerprint_range(self.path, chunk.start, chunk.end) != chunk.fingerprint:
                break
            kept.append(chunk)
        self._prefix = (key, kept)
        return kept

    @staticmethod
    def _ranges(p: Path, start: int, end: int, parts: int) -> list[tuple[int, int]]:
        if start == 0:
            return line_boundaries(p, parts, min_size=MIN_RANGE_BYTES)
        return range_boundaries(p, start, end, parts, MIN_RANGE_BYTES)

    def _scan(
        self, p: Path, start: int, size: int, progress: Progress | None, cancelled: Cancelled | None
    ) -> Iterator[ChunkResult]:
        """Range results from ``start`` to the end of the file, in file order."""
        todo = size - start
        processes = self.processes
        if processes is None:
            processes = 1 if todo < PARALLEL_THRESHOLD else min(os.cpu_count() or 1, 8)
        parts = max(processes * 6 if processes > 1 else 1, math.ceil(todo / RANGE_BYTES))
        ranges = self._ranges(p, start, size, parts) if todo > 0 else []
        if processes <= 1 or len(ranges) <= 1:
            checker = make_checker(self.info, self.model)
            for a, b in ranges:
                if cancelled is not None and cancelled():
                    raise Stopped
                chunk = scan_range(p, a, b, checker)
                if progress:
                    progress(b - start, todo)
                yield chunk
            return
        yield from self._scan_parallel(p, ranges, start, todo, processes, progress, cancelled)

    def _scan_parallel(
        self,
        p: Path,
        ranges: list[tuple[int, int]],
        start: int,
        todo: int,
        processes: int,
        progress: Progress | None,
        cancelled: Cancelled | None,
    ) -> Iterator[ChunkResult]:
        ctx = _context()
        if ctx.get_start_method() == "fork":
            from ftui.data.tokens import get_encoding

            get_encoding(self.info.encoding)  # load once before fork so the workers share it
            gc.freeze()  # keep the collector from touching (and so copying) the shared pages
        else:
            _start_resource_tracker()
        niceness = _niceness() + NICE if self.nice else None
        pool = ProcessPoolExecutor(
            min(processes, len(ranges)),
            mp_context=ctx,
            initializer=worker_init,
            initargs=(self.info, self.model, niceness, os.getpid()),
        )
        with _pools_lock:
            _POOLS.add(pool)
        done = 0
        try:
            futures: list[Future[ChunkResult]] = [pool.submit(worker_scan, (str(p), a, b)) for a, b in ranges]
            if niceness is not None:  # a spawned worker starts Python at our priority: lower it now
                _lower_priority((getattr(pool, "_processes", None) or {}).keys(), niceness)
            # the workers exist now (a later thread cannot upset a fork): the merge's sorter
            # loads while they scan, not after them
            threading.Thread(target=load_duplicates_sorter, name="load-sorter", daemon=True).start()
            for future in futures:
                while True:
                    if cancelled is not None and cancelled():
                        raise Stopped
                    try:
                        chunk = future.result(timeout=0.1)
                    except TimeoutError:
                        continue
                    break
                done += chunk.end - chunk.start
                if progress:
                    progress(done, todo)
                yield chunk
        finally:
            with _pools_lock:
                _POOLS.discard(pool)
            _kill(pool)
            if ctx.get_start_method() == "fork":
                gc.unfreeze()


def validate_file(
    path: str | os.PathLike[str],
    model: str | None = None,
    *,
    processes: int | None = None,
    progress: Progress | None = None,
    catalog: Catalog | None = None,
    nice: bool = False,
    cancelled: Cancelled | None = None,
) -> Report:
    """Validate a JSONL training file for a target model (see ``Validation``).

    ``progress(done_bytes, total_bytes)`` reports as ranges finish.
    """
    return Validation(path, model, catalog=catalog, processes=processes, nice=nice).run(
        progress=progress, cancelled=cancelled
    )


__all__ = [
    "FORMAT_NAMES",
    "KEEP_PER_CODE",
    "MIN_EXAMPLES",
    "ChunkResult",
    "DataFormat",
    "DatasetChanged",
    "DatasetReadError",
    "Report",
    "Stopped",
    "Validation",
    "check_readable",
    "duplicates",
    "iter_range",
    "make_checker",
    "merge",
    "scan_lines",
    "scan_range",
    "stop_workers",
    "validate_file",
]
