"""`ftui files ...`: upload, list, download, delete."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ftui.commands.api import EXIT_OK, dump, print_safe, when
from ftui.provider.files import upload_file
from ftui.term import fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider


async def files_upload(p: Provider, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        return fail(f"{path}: no such file.")
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        if tty:
            pct = 100 * done // total if total else 100
            sys.stderr.write("\r" + safe(f"uploading {path.name}: {pct}% ({done:,}/{total:,} bytes)", one_line=True))
            sys.stderr.flush()

    file = await upload_file(p.client, path, args.purpose, show)
    if tty:
        sys.stderr.write("\n")
    if args.json:
        dump(file)
    else:
        print_safe(f"{file.id}  {file.filename}  {file.bytes:,} bytes  {file.status}")
    return EXIT_OK


async def files_list(p: Provider, args: argparse.Namespace) -> int:
    page = await p.client.files.list()
    files = list(page.data)
    if args.json:
        dump(files)
        return EXIT_OK
    if not files:
        print("no files")
    for f in files:
        print_safe(f"{f.id}  {when(f.created_at)}  {f.purpose:<18} {f.bytes:>12,}  {f.filename}")
    return EXIT_OK
