"""Image parts count toward the estimate by the published per-image formula."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest

from ftui.data.images import MAX_TOKENS, image_size, image_tokens, tokens_for_size
from ftui.data.tokens import TokenCounter


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("size", "tokens"),
    [((1024, 1024), 765), ((2048, 4096), 1105), ((512, 512), 255), ((100, 100), 255), ((4096, 8192), 1105)],
)
def test_the_published_formula(size: tuple[int, int], tokens: int) -> None:
    assert tokens_for_size(*size) == tokens


def test_sizes_are_read_from_data_urls() -> None:
    assert image_tokens(data_url(png(512, 512))) == 255
    assert image_tokens(data_url(png(512, 512)), "low") == 85
    assert image_tokens("https://example.com/cat.png") == MAX_TOKENS  # unknown size: the most it can cost
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\xff\xc0\x00\x11\x08"
        + struct.pack(">HH", 600, 800)
    )
    assert image_size(jpeg + b"\x00" * 16) == (800, 600)
    gif = b"GIF89a" + struct.pack("<HH", 300, 200)
    assert image_size(gif) == (300, 200)


def test_image_parts_add_to_an_examples_tokens() -> None:
    counter = TokenCounter("o200k_base")
    text_only = [{"type": "text", "text": "What is in this picture?"}]
    with_image = [*text_only, {"type": "image_url", "image_url": {"url": data_url(png(1024, 1024))}}]
    assert counter.count_content(with_image) == counter.count_content(text_only) + 765
