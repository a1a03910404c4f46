"""Turn the art metadata in ``art_text/`` into plain text corpora (jsonl, one text per line).

What counts as "art text" here, honestly:

- ``tate_titles``: the titles of the 1,820 Tate artworks in ``tate/tate_emotion_artworks.jsonl``. Titles
  are the only free text in that file (subjects are taxonomy paths). These artworks were *selected* for
  carrying emotion subject tags, so their titles may be more emotional than art titles in general.
- ``aic_titles``: titles of the Art Institute of Chicago artworks in ``aic_api_sample/someArtworks.csv``
  and the artwork records of ``aic_artworks_exhibitions_sample.jsonl`` (deduplicated by artwork id): a
  sample not selected for emotion, the baseline for the Tate titles.
- ``aic_descriptions``: the curators' prose of the AIC sample (artwork ``description``, exhibition
  ``short_description``/``description``), HTML removed, split into sentences so one text is one sentence
  like a caption. Few texts (tens): its intervals are wide.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from affectlab.errors import AffectlabError
from affectlab.io import atomic_path

TATE_FILE = Path("tate") / "tate_emotion_artworks.jsonl"
AIC_CSV = Path("aic_api_sample") / "someArtworks.csv"
AIC_JSONL = Path("aic_api_sample") / "aic_artworks_exhibitions_sample.jsonl"
DESCRIPTION_KEYS = ("description", "short_description")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(]?[A-Z0-9])")


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(markup: str) -> str:
    """The text of an HTML fragment, whitespace collapsed."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return " ".join(html.unescape(" ".join(parser.parts)).split())


def split_sentences(text: str) -> list[str]:
    """Split at ``.``, ``!`` or ``?`` followed by space and a capital, digit or opening quote."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _jsonl(path: Path) -> Iterator[dict]:
    try:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as err:
                        raise AffectlabError(f"{path}:{number}: not valid JSON ({err.msg})") from None
    except OSError as err:
        raise AffectlabError(f"{path}: cannot read ({err.strerror})") from None


def tate_titles(root: Path) -> Iterator[dict]:
    """One record per Tate artwork: its title."""
    for record in _jsonl(root / TATE_FILE):
        if title := (record.get("title") or "").strip():
            yield {"id": f"tate:{record.get('acno')}", "text": title}


def aic_titles(root: Path) -> Iterator[dict]:
    """AIC artwork titles from the CSV list and the jsonl sample, each artwork once."""
    seen: set[str] = set()
    rows: list[tuple[str, str]] = []
    try:
        with (root / AIC_CSV).open(encoding="utf-8", newline="") as fh:
            rows += [(r.get("id", ""), r.get("title") or "") for r in csv.DictReader(fh)]
    except OSError as err:
        raise AffectlabError(f"{root / AIC_CSV}: cannot read ({err.strerror})") from None
    rows += [
        (str(r.get("id")), r.get("title") or "") for r in _jsonl(root / AIC_JSONL) if r.get("endpoint") == "artworks"
    ]
    for artwork_id, title in rows:
        if title.strip() and artwork_id not in seen:
            seen.add(artwork_id)
            yield {"id": f"aic:{artwork_id}", "text": title.strip()}


def aic_descriptions(root: Path) -> Iterator[dict]:
    """Sentences of the AIC curators' descriptions (artworks and exhibitions), HTML removed."""
    for record in _jsonl(root / AIC_JSONL):
        for key in DESCRIPTION_KEYS:
            if markup := record.get(key):
                for n, sentence in enumerate(split_sentences(strip_html(markup)), 1):
                    yield {
                        "id": f"aic-{record.get('endpoint')}:{record.get('id')}:{key}:{n}",
                        "text": sentence,
                    }


ART_CORPORA = {"tate_titles": tate_titles, "aic_titles": aic_titles, "aic_descriptions": aic_descriptions}


def write_art_corpora(root: str | Path, out: str | Path) -> dict[str, tuple[Path, int]]:
    """Write ``out/<name>.jsonl`` (fields id, text) for every art corpus; returns path and count per name."""
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise AffectlabError(f"{root}: not a folder (expected the art_text folder with tate/ and aic_api_sample/)")
    written = {}
    for name, records in ART_CORPORA.items():
        target = out / f"{name}.jsonl"
        count = 0
        with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8") as fh:
            for record in records(root):
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        written[name] = (target, count)
    return written
