"""Tokens of an image part, by the published formula for GPT-4o-family vision inputs.

- ``detail: "low"``: 85 tokens.
- ``"high"`` or ``"auto"`` (the default): the image is scaled to fit in 2048×2048, then so its
  shortest side is at most 768; it costs 85 + 170 per 512-pixel tile.

The size comes from the image itself when the URL is a ``data:`` URL (only the header bytes
are decoded: PNG, GIF, JPEG, WEBP). For an http(s) URL ftui cannot look (no network), so it
assumes the largest cost the formula allows (765 tokens) and the estimate errs high.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct

LOW_TOKENS = 85
TILE_TOKENS = 170
MAX_TOKENS = LOW_TOKENS + TILE_TOKENS * 4  # 768×768 after scaling: 2×2 tiles
_HEADER_B64_CHARS = 1 << 16  # decode at most this much of a data URL to find the size


def image_tokens(url: object, detail: object = "auto") -> int:
    """Tokens one image part costs (see the module docstring)."""
    if detail == "low":
        return LOW_TOKENS
    size = data_url_size(url) if isinstance(url, str) else None
    if size is None:
        return MAX_TOKENS
    return tokens_for_size(*size)


def tokens_for_size(width: int, height: int) -> int:
    """85 + 170 per 512-pixel tile after the formula's two scalings."""
    if width <= 0 or height <= 0:
        return MAX_TOKENS
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    return LOW_TOKENS + TILE_TOKENS * math.ceil(w / 512) * math.ceil(h / 512)


def data_url_size(url: str) -> tuple[int, int] | None:
    """(width, height) from a base64 ``data:image/...`` URL's header bytes, or None."""
    if not url.startswith("data:") or ";base64," not in url[:100]:
        return None
    payload = url.split(",", 1)[1][:_HEADER_B64_CHARS]
    payload = payload[: len(payload) - len(payload) % 4]
    try:
        head = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None
    return image_size(head)


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from the first bytes of a PNG, GIF, JPEG or WEBP file, or None."""
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return _webp_size(head)
        if head.startswith(b"\xff\xd8"):
            return _jpeg_size(head)
    except struct.error:
        return None
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    kind = head[12:16]
    if kind == b"VP8 " and len(head) >= 30:
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            i += 1
            continue
        marker = head[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = struct.unpack(">H", head[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", head[i + 5 : i + 9])
            return w, h
        i += 2 + length
    return None
