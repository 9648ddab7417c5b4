"""`ftui models ...`: list (with shutdown dates), delete a fine-tuned model."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ftui.commands.api import EXIT_OK, dump, print_safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider


async def models_list(p: Provider, args: argparse.Namespace) -> int:
    page = await p.client.models.list()
    models = list(page.data)
    if args.json:
        dump(models)
        return EXIT_OK
    width = max((len(m.id) for m in models), default=0)
    for m in models:
        shutdown = getattr(m, "shutdown_date", None)
        extra = f"{m.owned_by}" + (f", shuts down {shutdown}" if shutdown else "")
        if width + len(extra) + 2 <= 80:
            print_safe(f"{m.id:<{width}}  {extra}")
        else:  # long fine-tune names: attributes on their own line, so nothing wraps mid-word
            print_safe(f"{m.id}")
            print_safe(f"    {extra}")
    return EXIT_OK
