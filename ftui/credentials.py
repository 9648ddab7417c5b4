"""Every credential ftui knows of, and the one ``redact`` that removes them from any text it shows.

ftui learns a credential when it reads one (a profile's API key, a control-plane token, the
sandbox's key, the password in a ``--base-url``) and calls ``remember``. Every output path
(error sentences, the TUI's notices, ``--debug`` logs, the sandbox log, JSON output) passes
its text through ``redact``, which replaces

- each remembered credential (longest first, so a key inside another is not half-shown);
- the user-info of a URL: ``https://user:pass@host`` -> ``https://***@host``;
- the value of a credential query parameter (``api-key``, ``key``, ``token``, ...);
- ``Bearer <token>`` and ``api-key: <key>`` as a header would print them;
- anything shaped like an OpenAI key (``sk-...``) or a 32-hex Azure key.

No import of anything else in ftui: every layer may use it.
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import unquote, urlsplit

MASK = "***"
MIN_LENGTH = 6  # a shorter "secret" would blank out ordinary words (a test key like "x")

_lock = threading.Lock()
_known: set[str] = set()
_ordered: tuple[str, ...] = ()

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@]+@")
_QUERY = re.compile(
    r"(?i)([?&;](?:api[-_]?key|key|access[-_]?token|token|code|sig|signature|client[-_]secret|password)=)[^&#\s\"']+"
)
# A token is long: "the bearer token" in a sentence is not one.
_BEARER = re.compile(r"(?i)\b((?:bearer|basic)\s+)(?=[A-Za-z0-9._~+/=\-]*[0-9._~+/=\-])[A-Za-z0-9._~+/=\-]{12,}")
_HEADER = re.compile(
    r"(?i)\b((?:api-key|x-api-key|authorization)[\"']?\s*[:=]\s*[\"']?)(?!bearer\b)(?=[^\s\"',;]{12,})[^\s\"',;]+"
)
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{4,}|[A-Fa-f0-9]{32})\b")


def remember(*values: str | None) -> None:
    """Add credentials to the set that ``redact`` removes (short or empty values are ignored)."""
    global _ordered
    with _lock:
        added = False
        for value in values:
            if isinstance(value, str):
                value = value.strip()
                if len(value) >= MIN_LENGTH and value not in _known:
                    _known.add(value)
                    added = True
        if added:
            _ordered = tuple(sorted(_known, key=len, reverse=True))


def remember_url(url: str | None) -> None:
    """Remember the password (or a lone user name: a token) in a URL's user-info, as written and
    decoded, and the Basic credentials an HTTP client makes of it."""
    if not url:
        return
    try:
        parts = urlsplit(url.strip())
        password, user = parts.password, parts.username
    except ValueError:
        return
    for value in (password, user if password is None else None):
        if value:
            remember(value, unquote(value))
    if user is not None:
        pair = f"{unquote(user)}:{unquote(password or '')}"
        remember(base64.b64encode(pair.encode()).decode())


def known() -> tuple[str, ...]:
    """The remembered credentials, longest first."""
    return _ordered


def forget_all() -> None:
    """Drop every remembered credential (for tests)."""
    global _ordered
    with _lock:
        _known.clear()
        _ordered = ()


def redact(text: str, extra: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with every credential ftui knows of (and ``extra``) and every credential-shaped
    thing replaced by ``***``."""
    if not text:
        return text
    for secret in (*extra, *_ordered):
        if secret and secret in text:
            text = text.replace(secret, MASK)
    text = _USERINFO.sub(rf"\1{MASK}@", text)
    text = _QUERY.sub(rf"\1{MASK}", text)
    text = _BEARER.sub(rf"\1{MASK}", text)
    text = _HEADER.sub(rf"\1{MASK}", text)
    return _KEYLIKE.sub(MASK, text)


def redact_known(text: str) -> str:
    """Only the remembered credentials removed: for data (JSON output, server text) where a
    pattern could blank out a legitimate value."""
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


__all__ = ["MASK", "forget_all", "known", "redact", "redact_known", "remember", "remember_url"]
