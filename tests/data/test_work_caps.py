"""Work per line and findings kept are capped: hostile files cannot take GBs or minutes."""

from __future__ import annotations

import io
import json
from pathlib import Path

from ftui.commands.validate import run
from ftui.data import tokens
from ftui.data.catalog import load_catalog
from ftui.data.tokens import CERTAINLY_OVER_CHARS, LARGEST_CONTEXT, MAX_TOKEN_BYTES, TokenCounter, get_encoding
from ftui.data.validate import KEEP_PER_CODE, validate_file


def test_the_bounds_match_the_bundled_vocabularies_and_models() -> None:
    assert max(m.token_limit for m in load_catalog().models.values()) <= LARGEST_CONTEXT
    for name in ("o200k_base", "cl100k_base"):
        enc = get_encoding(name)
        longest = max(len(b) for b in enc._mergeable_ranks)  # every ordinary token's bytes
        assert longest <= MAX_TOKEN_BYTES


def test_a_huge_unbroken_line_is_bounded_not_tokenized(tmp_path: Path, monkeypatch) -> None:
    """One line far over every context, with no spaces: reported from the bound alone."""
    calls: list[int] = []
    counter_init = TokenCounter.__init__

    def spy_init(self: TokenCounter, name: str) -> None:
        counter_init(self, name)
        encode = self._encode

        def counted(text: str) -> list[int]:
            calls.append(len(text))
            return encode(text)

        self._encode = counted

    monkeypatch.setattr(TokenCounter, "__init__", spy_init)
    huge = "x" * (CERTAINLY_OVER_CHARS + 10)
    rows = [{"messages": [{"role": "user", "content": huge}, {"role": "assistant", "content": "ok"}]}]
    rows += [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]} for i in range(12)
    ]
    path = tmp_path / "huge.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = validate_file(path, "gpt-4o-mini", processes=1)
    assert max(calls) <= tokens.PIECE_CHARS  # nothing long was handed to the tokenizer
    too_long = [f for f in report.warnings if f.code == "too_many_tokens"]
    assert too_long and too_long[0].line == 1 and "over" in too_long[0].message


def test_long_strings_are_encoded_in_pieces_with_a_close_count() -> None:
    counter = TokenCounter("o200k_base")
    text = "The weather in Rome is sunny. " * 10_000  # 300k characters
    exact = len(get_encoding("o200k_base").encode_ordinary(text))
    assert exact <= counter.count(text) <= exact + len(text) // tokens.PIECE_CHARS + 1


def test_findings_kept_per_code_are_capped_and_the_rest_counted(tmp_path: Path) -> None:
    n = 30_000
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"".join(b"{not json %d\n" % i for i in range(n)))
    report = validate_file(path, "gpt-4o-mini")
    kept = [f for f in report.findings if f.code == "invalid_json"]
    assert len(kept) == KEEP_PER_CODE
    assert report.omitted["invalid_json"] == n - KEEP_PER_CODE
    assert report.count("invalid_json") == n and report.error_count >= n
    out = io.StringIO()
    assert run(str(path), "gpt-4o-mini", as_json=True, out=out) == 1
    doc = json.loads(out.getvalue())
    assert doc["omitted"] == {"invalid_json": n - KEEP_PER_CODE} and len(doc["errors"]) >= KEEP_PER_CODE
    text = io.StringIO()
    run(str(path), "gpt-4o-mini", as_json=False, out=text)
    assert f"invalid_json ×{n:,}" in text.getvalue()
