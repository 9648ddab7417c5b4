"""Walking a list's pages without ever looping: every lister in ftui goes through here.

A server that ignores ``after`` answers the same page again; one with a broken cursor sends
pages that bring nothing new, or leads back to a cursor already used. The SDK's own
``async for`` would follow such a server for ever. ``walk`` stops instead, with one sentence
(``PagingStuck``), and hands each item once even when pages overlap.

    async for job in walk(client.fine_tuning.jobs.list(limit=100), "jobs"):
        ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Hashable
from typing import Any

from ftui.provider.errors import ProviderError

MAX_PAGE = 100  # the largest page every list endpoint accepts


class PagingStuck(ProviderError):
    """The server repeated a page or its cursor never advanced: the list stopped there."""


def stuck_sentence(what: str, read: int, why: str) -> str:
    """The one sentence every lister says when a server's pages do not advance."""
    return (
        f"Listing {what} stopped after {read:,}: the server {why}, so the rest cannot be read "
        f"(ftui stops rather than loop); check the base URL or any proxy that caches pages."
    )


def page_limit(limit: int | None, page_size: int = MAX_PAGE) -> int:
    """The page size to ask for when at most ``limit`` items are wanted (0 or None: all of them)."""
    return min(limit, page_size) if limit else page_size


def _cursor(page: Any) -> Hashable | None:
    info = page.next_page_info()
    if info is None:
        return None
    params = getattr(info, "params", None) or {}
    url = getattr(info, "url", None)
    return params.get("after") or (str(url) if url else repr(sorted(params.items())))


async def walk(first: Awaitable[Any], what: str, limit: int | None = None) -> AsyncIterator[Any]:
    """Each item of every page, once (by id), starting from the awaited first page (an SDK page,
    e.g. ``client.files.list(limit=100)`` not yet awaited). Stops after ``limit`` items (0 or
    None: all). Raises ``PagingStuck`` when a next page brings nothing new or its cursor was
    used before."""
    page = await first
    seen: set[Any] = set()
    cursors: set[Hashable] = set()
    given = 0
    while True:
        new = 0
        for item in page.data or []:
            key = getattr(item, "id", None) or id(item)
            if key in seen:
                continue
            seen.add(key)
            new += 1
            yield item
            given += 1
            if limit and given >= limit:
                return
        if not page.has_next_page():
            return
        cursor = _cursor(page)
        if cursor is None:
            return
        if not new:
            raise PagingStuck(stuck_sentence(what, given, "sent the same page again"))
        if cursor in cursors:
            raise PagingStuck(stuck_sentence(what, given, "led back to a page it had sent before"))
        cursors.add(cursor)
        page = await page.get_next_page()


async def collect(first: Awaitable[Any], what: str, limit: int | None = None) -> list[Any]:
    """``walk`` into a list."""
    return [item async for item in walk(first, what, limit)]


class LinkGuard:
    """The same guard for lists that follow a next link (Azure's ``nextLink``): ``check`` each
    page's link and the number of new items it brought before following it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.links: set[str] = set()

    def check(self, link: str, new: int, read: int) -> None:
        """Raise ``PagingStuck`` when ``link`` was followed before, or a page after the first added nothing."""
        if self.links and not new:
            raise PagingStuck(stuck_sentence(self.what, read, "sent the same page again"))
        if link in self.links:
            raise PagingStuck(stuck_sentence(self.what, read, "led back to a page it had sent before"))
        self.links.add(link)


__all__ = ["MAX_PAGE", "LinkGuard", "PagingStuck", "collect", "page_limit", "stuck_sentence", "walk"]
