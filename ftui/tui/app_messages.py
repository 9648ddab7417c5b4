"""Messages the app shell sends to every tab (tabs never import each other; they read these)."""

from __future__ import annotations

from textual.message import Message


class ProviderFailed(Message, bubble=False):
    """Connecting to the provider failed for good; ``reason`` is one sentence to show as it is.

    Posted to the app and to each tab (it does not bubble). The app also keeps it in
    ``FtuiApp.provider_error`` for anything that asks later.
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
