"""Turn provider exceptions into one clear sentence: what failed, why, what to do. No keys."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ftui import credentials
from ftui.textsafe import safe

if TYPE_CHECKING:
    import openai


# Error codes of a server whose storage failed (the sandbox: a full disk, a damaged database):
# its sentence says what to do, and trying again does not help.
STORAGE_CODES = frozenset({"disk_full", "sandbox_state_damaged", "sandbox_state_unusable"})


def is_storage_error(exc: BaseException) -> bool:
    """True when the server said its own storage failed (a full disk, a damaged database)."""
    return getattr(exc, "status_code", None) is not None and getattr(exc, "code", None) in STORAGE_CODES


class ProviderError(Exception):
    """A provider-layer failure that already carries a human sentence."""


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove every credential ftui knows of, the given secrets, and anything that looks like a
    key or a URL's password from text (see ``ftui.credentials``)."""
    return credentials.redact(text, secrets)


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        message = err.get("message") if isinstance(err, dict) else None
        if isinstance(message, str):
            return message
        if isinstance(message := body.get("message"), str):
            return message
    return exc.message


def describe(exc: BaseException, action: str = "The request", secrets: tuple[str, ...] = ()) -> str:
    """One sentence for a person, e.g. ``Creating the job failed: ... (400).``"""
    import openai

    if isinstance(exc, ProviderError):
        return safe(redact(str(exc), secrets))
    if isinstance(exc, openai.APITimeoutError):
        text = f"{action} timed out; the provider did not answer in time. Try again."
    elif isinstance(exc, openai.APIConnectionError):
        host = urlsplit(str(exc.request.url)).netloc if getattr(exc, "request", None) else "the provider"
        text = f"{action} failed: could not reach {host}. Check the network or the base URL."
    elif isinstance(exc, openai.AuthenticationError):
        text = f"{action} failed: the provider rejected the API key (401). Check the key your profile names."
    elif isinstance(exc, openai.PermissionDeniedError):
        text = f"{action} was refused (403): {_server_message(exc)}"
    elif isinstance(exc, openai.NotFoundError):
        text = f"{action} failed: not found (404): {_server_message(exc)}"
    elif isinstance(exc, openai.RateLimitError):
        text = f"{action} was rate limited (429): {_server_message(exc)} Wait a moment and try again."
    elif isinstance(exc, openai.APIStatusError) and is_storage_error(exc):
        text = f"{action} failed: {_server_message(exc)}"
    elif isinstance(exc, openai.InternalServerError):
        text = f"{action} failed: the provider had an internal error ({exc.status_code}). Try again in a moment."
    elif isinstance(exc, openai.APIStatusError):
        text = f"{action} was rejected ({exc.status_code}): {_server_message(exc)}"
    else:
        text = f"{action} failed: {exc}"
    text = text.rstrip()
    if not text.endswith((".", "!", "?")):
        text += "."
    return safe(redact(text, secrets))  # a server's words: control characters shown, never obeyed


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying: network, 429 and 5xx (APITimeoutError is an APIConnectionError)."""
    import openai  # here, not at the top: the TUI starts without the SDK and loads it to connect

    if is_storage_error(exc):
        return False
    return isinstance(exc, openai.APIConnectionError | openai.RateLimitError | openai.InternalServerError)


# What kind of failure an SDK exception is: callers outside the provider layer (the CLI, the
# tabs) ask these instead of importing the SDK. The SDK loads lazily: the TUI starts without it.
def is_sdk_error(exc: BaseException) -> bool:
    """Any error the SDK raised (a status, the network, a timeout, an answer it could not read)."""
    import openai

    return isinstance(exc, openai.OpenAIError)


def is_connection_error(exc: BaseException) -> bool:
    """No answer: the connection failed or dropped, or timed out (the server may have acted)."""
    import openai

    return isinstance(exc, openai.APIConnectionError)  # APITimeoutError is one


def is_timeout(exc: BaseException) -> bool:
    """The provider did not answer in time."""
    import openai

    return isinstance(exc, openai.APITimeoutError)


def is_not_found(exc: BaseException) -> bool:
    """The provider answered 404: no such thing."""
    import openai

    return isinstance(exc, openai.NotFoundError)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status the provider answered with, or None when there was no answer."""
    import openai

    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def is_unreachable(exc: BaseException) -> bool:
    """The provider could not be reached or refused this caller (network, timeout, 401, 403, 429
    and 5xx after the SDK's retries): exit 3, where a 404 or 400 (it said no to this request) is 1."""
    import openai

    unreachable = (
        openai.APIConnectionError,
        openai.AuthenticationError,
        openai.PermissionDeniedError,
        openai.RateLimitError,
        openai.InternalServerError,
    )
    return isinstance(exc, unreachable)
