"""Messages the app shell sends to every tab (tabs never import each other; they read these)."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message


class ProviderFailed(Message, bubble=False):
    """Connecting to the provider failed for good; ``reason`` is one sentence to show as it is.

    Posted to the app and to each tab (it does not bubble). The app also keeps it in
    ``FtuiApp.provider_error`` for anything that asks later.
    """

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class Notice(Message):
    """Something to tell the user in a toast: ``text`` is one sentence (no secrets), shown safe.

    Any widget posts it (it bubbles to the app); the app shows it once, and the same text
    again only after ``quiet`` seconds (a failure repeating during an outage is said once)."""

    def __init__(
        self, text: str, *, title: str = "", severity: str = "information", timeout: float = 8.0, quiet: float = 0.0
    ) -> None:
        super().__init__()
        self.text, self.title, self.severity, self.timeout, self.quiet = text, title, severity, timeout, quiet


class DatasetAppended(Message):
    """ftui appended to ``path`` (a chat exchange saved as an example): when it is the open
    dataset, the app has the Data tab check it again."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class OpenDataset(Message):
    """Open ``path`` in the Data tab (a tab asks; the app opens it and shows the Data tab)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class DeploymentsChanged(Message):
    """The Azure deployments ftui knows changed (listed, made, provisioned, deleted): ``deployments``
    is the whole list now; ``error`` says why it could not be listed (then ``deployments`` is None)."""

    def __init__(self, deployments: list | None, error: str | None = None) -> None:
        super().__init__()
        self.deployments, self.error = deployments, error


class RefreshDeployments(Message):
    """A tab asks the app to list the Azure deployments again."""
