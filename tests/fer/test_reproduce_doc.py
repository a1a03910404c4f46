"""docs/fer/reproduce.md: the cache size table is the one the code computes, and the official checkpoints are linked."""

from __future__ import annotations

from pathlib import Path

from affectlab.fer.cache.store import size_rows
from affectlab.fer.reproduction import REFERENCE
from affectlab.report.html import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "fer" / "reproduce.md"


def test_size_table_is_generated_from_the_code() -> None:
    assert markdown_table(size_rows()) in DOC.read_text()


def test_doc_links_the_checkpoints_and_states_what_it_needs() -> None:
    text = DOC.read_text()
    assert "https://dl.fbaipublicfiles.com/jepa/vith16-384/vith16-384.pth.tar" in text
    assert "It needs your own data and weights" in text
    for war, uar in REFERENCE.values():
        assert f"{war:.2f} / {uar:.2f}" in text
