"""`ftui files ...`: list (with the jobs that use each file and duplicates marked), upload (an
identical earlier upload is reused), download (atomic), delete (asks; refuses while a running
job uses the file)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftui import state
from ftui.commands.api import EXIT_MISUSE, EXIT_OK, as_json, dump, print_safe, when
from ftui.data.atomic import full_disk_text, is_disk_full
from ftui.provider.files import (
    delete_file,
    download_file,
    duplicates,
    file_sha256,
    find_duplicate,
    jobs_using,
    list_files,
    local_name,
    upload_file,
    uses_by_file,
)
from ftui.provider.jobs import list_jobs
from ftui.term import fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider
    from ftui.provider.files import FileObject, FileUse

JOBS_LOOKED_AT = 500  # the newest jobs read to tell which use a file


def confirm(question: str, yes: bool) -> bool | None:
    """True to go on. ``--yes`` answers for scripts; on a terminal the user is asked; with
    neither, None (the caller refuses: deleting is never done unasked)."""
    if yes:
        return True
    if not sys.stdin or not sys.stdin.isatty():
        return None
    sys.stderr.write(f"{safe(question, one_line=True)} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


async def upload_once(
    p: Provider, path: Path, purpose: str = "fine-tune", progress: Any = None, *, again: bool = False
) -> tuple[FileObject, bool]:
    """Upload ``path`` unless the provider already holds the same content from an earlier ftui
    upload (same size and sha256); returns (file, reused). Every upload's sha256 is kept."""
    digest = await asyncio.to_thread(file_sha256, path)
    if not again:
        uploaded = state.uploaded_files()
        if uploaded:
            files = await list_files(p.client, purpose)
            same = await asyncio.to_thread(find_duplicate, path, files, uploaded, digest)
            if same is not None:
                return same, True
    file = await upload_file(p.client, path, purpose, progress)
    try:
        state.remember_upload(file.id, digest, path.stat().st_size, path)
    except OSError as exc:  # the upload is done: say what is lost, never fail over it
        unremembered(exc)
    return file, False


def unremembered(
    exc: OSError, what: str = "this upload (a later upload of the same content is not spotted as a copy)"
) -> None:
    """One sentence on stderr when ftui's state file cannot be written (the command goes on)."""
    where = safe(exc.filename or str(state.state_path()), one_line=True)
    print(
        f"ftui: note: cannot write {where} ({exc.strerror or exc}), so ftui will not remember {what}.", file=sys.stderr
    )


def reused_note(file: FileObject, path: Path) -> str:
    return (
        f"{safe(path.name, one_line=True)} has the same content as {file.id} ({safe(file.filename, one_line=True)}, "
        f"uploaded {when(file.created_at)}): using that file (--again uploads a new copy)"
    )


async def files_upload(p: Provider, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        return fail(f"{safe(str(path), one_line=True)}: no such file.")
    from ftui.data.upload_check import check_for_upload, needs_check
    from ftui.data.validate import DatasetReadError

    if needs_check(path, args.purpose):  # the Files tab's check: what needs no model stops it, the rest is said
        try:
            checked = await asyncio.to_thread(check_for_upload, path)
        except DatasetReadError as exc:
            return fail(f"{safe(str(path), one_line=True)} cannot be read: {safe(str(exc))}. Nothing was uploaded.")
        if checked.problem:
            return fail(safe(checked.problem))
        if checked.note:
            print(f"ftui: note: {safe(checked.note)}", file=sys.stderr)
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            pct = 100 * done // total if total else 100
            sys.stderr.write("\r" + safe(f"uploading {path.name}: {pct}% ({done:,}/{total:,} bytes)", one_line=True))
            sys.stderr.flush()

    file, reused = await upload_once(p, path, args.purpose, show, again=args.again)
    if reused:
        print(reused_note(file, path), file=sys.stderr)
    elif tty:
        sys.stderr.write("\n")
    if args.json:
        dump({**as_json(file), "reused": reused})
    else:
        print_safe(f"{file.id}  {file.filename}  {file.bytes:,} bytes  {file.status}")
    return EXIT_OK


def _uses(uses: list[FileUse]) -> list[dict[str, str]]:
    return [{"job_id": u.job_id, "role": u.role, "status": u.status} for u in uses]


async def files_list(p: Provider, args: argparse.Namespace) -> int:
    files, jobs = await asyncio.gather(list_files(p.client), list_jobs(p.client, JOBS_LOOKED_AT))
    used = uses_by_file(jobs)
    copies = duplicates(files, state.uploaded_files())
    if args.json:
        dump([{**as_json(f), "used_by": _uses(used.get(f.id, [])), "duplicate_of": copies.get(f.id)} for f in files])
        return EXIT_OK
    if not files:
        print("no files")
    for f in files:
        print_safe(f"{f.id}  {when(f.created_at)}  {f.purpose:<18} {f.bytes:>12,}  {f.status:<9}  {f.filename}")
        notes = [f"{u.role} file of {u.job_id} ({u.status})" for u in used.get(f.id, [])]
        if f.id in copies:
            notes.append(f"same content as {copies[f.id]}")
        details = getattr(f, "status_details", None)
        if f.status == "error" and details:
            notes.append(f"error: {details}")
        for note in notes:
            print_safe(f"    {note}")
    return EXIT_OK


def _download_path(args: argparse.Namespace, file_id: str, filename: str | None) -> Path:
    """Where to write: -o PATH (into it when it is a folder), or here under the file's own name."""
    name = local_name(filename, file_id)
    if args.output:
        dest = Path(args.output).expanduser()
        return dest / name if dest.is_dir() else dest
    return Path(name)


async def files_download(p: Provider, args: argparse.Namespace) -> int:
    file = await p.client.files.retrieve(args.id)
    dest = _download_path(args, args.id, file.filename)
    shown = safe(str(dest), one_line=True)
    if dest.exists() and not args.force:
        return fail(f"{shown} already exists; add --force to replace it, or choose another -o PATH.")
    try:
        size = await download_file(p.client, args.id, dest)
    except OSError as exc:
        if is_disk_full(exc):
            return fail(f"Cannot write {shown}: {full_disk_text(dest, file.bytes)}.")
        return fail(f"Cannot write {shown}: {exc.strerror or exc}.")
    if args.json:
        dump({"id": args.id, "path": str(dest), "bytes": size})
    else:
        print_safe(f"{args.id} -> {dest} ({size:,} bytes)")
    return EXIT_OK


async def files_delete(p: Provider, args: argparse.Namespace) -> int:
    uses = jobs_using(args.id, await list_jobs(p.client, JOBS_LOOKED_AT))
    running = [u for u in uses if u.active]
    if running and not args.force:
        names = ", ".join(f"{u.job_id} ({u.status})" for u in running)
        return fail(
            f"{args.id} is the {running[0].role} file of {names}, which has not ended; deleting it may fail "
            "that job. Add --force to delete it anyway.",
        )
    for u in uses:
        print(safe(f"note: {args.id} was the {u.role} file of {u.job_id} ({u.status})", one_line=True), file=sys.stderr)
    answer = confirm(f"Delete {args.id}?", args.yes)
    if answer is None:
        return fail(f"Deleting {args.id} needs an answer: add --yes (there is no terminal to ask on).", EXIT_MISUSE)
    if not answer:
        print("nothing deleted", file=sys.stderr)
        return EXIT_OK
    deleted = await delete_file(p.client, args.id)
    if deleted:
        try:
            state.forget_upload(args.id)
        except OSError as exc:
            unremembered(exc, "that the file is gone")
    if args.json:
        dump({"id": args.id, "deleted": deleted, "used_by": _uses(uses)})
    else:
        print_safe(f"{args.id} {'deleted' if deleted else 'not deleted (the provider said no)'}")
    return EXIT_OK if deleted else 1
