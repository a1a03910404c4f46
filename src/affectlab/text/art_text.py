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
- ``poetry_lines`` and ``poetry_stanzas``: the 33,737 public-domain poems of
  ``poetry/public_domain_poetry.jsonl.gz`` as verse lines (blank lines dropped) and as stanzas (split at
  blank lines, line breaks kept), with the poem (its ``path``), title, author and year as columns. A whole
  poem is far longer than a caption (VADER's compound saturates with length), so lines and stanzas are
  the units to compare with captions. Both are cleaned (:class:`PoetryCleaning`): header and separator
  lines are dropped and stanzas of more than ``MAX_STANZA_LINES`` lines are split; what was dropped and
  split is said in an :class:`ArtCleaningWarning` once the corpus has been read.
- ``artemis``: a user's ArtEmis CSV (Achlioptas et al. 2021; ``art_style,painting,emotion,utterance,
  repetition``), one utterance per row with emotion, art style and painting kept (users download it
  themselves; it is not in the shared data).

Texts from one poem, one painting or one AIC record are not independent: their records carry that unit as
``cluster`` (``poem:<n>``, ``painting:<name>``, ``artwork:<id>``), which the corpus reader keeps and
``text compare`` bootstraps over.

``sample=N`` keeps N texts per corpus, drawn with a seeded reservoir sample and written in source order.
The output folder is written as a whole (every corpus or none), never inside the inputs, and replaces an
existing folder only with ``overwrite`` when affectlab wrote it.
"""

from __future__ import annotations

import csv
import html
import json
import random
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from affectlab.errors import AffectlabError
from affectlab.io import atomic_folder, check_folder_target, check_not_input, check_writable

TATE_FILE = Path("tate") / "tate_emotion_artworks.jsonl"
AIC_CSV = Path("aic_api_sample") / "someArtworks.csv"
AIC_JSONL = Path("aic_api_sample") / "aic_artworks_exhibitions_sample.jsonl"
POETRY_FILE = Path("poetry") / "public_domain_poetry.jsonl.gz"
ARTEMIS_COLUMNS = ("art_style", "painting", "emotion", "utterance", "repetition")
_STANZA_BREAK = re.compile(r"\n[ \t]*\n+")
MAX_STANZA_LINES = 16  # longer stanzas are split (a sonnet has 14 lines; 95 % of the poetry's stanzas <= 19)
MAX_NAME_WORDS = 4  # a line of capitals with at most this many words is a speaker name or a heading
_ROMAN = re.compile(r"M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_SECTION_NUMBER = re.compile(r"[\[(]?(?:" + _ROMAN.pattern + r"|\d+)[\])]?[.:]?")
_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|['’ .-])+[.:]?")  # two or more characters
DESCRIPTION_KEYS = ("description", "short_description")
_UNITS = {"artworks": "artwork", "exhibitions": "exhibition"}  # the sampling unit of an AIC sentence
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
    """JSON objects of a jsonl file (compressed ones too), one-line errors for broken lines."""
    from affectlab.text.corpora import compression_of, json_record, open_text

    try:
        with open_text(path, compression_of(path)) as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    yield json_record(path, number, line)
    except (OSError, EOFError) as err:
        raise AffectlabError(f"{path}: cannot read ({getattr(err, 'strerror', None) or err})") from None


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
                        "cluster": f"{_UNITS.get(record.get('endpoint'), 'record')}:{record.get('id')}",
                    }


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


class ArtCleaningWarning(UserWarning):
    """What cleaning dropped from an art corpus and which stanzas it split."""


def header_kind(line: str) -> str | None:
    """Why a stripped verse line is not verse: ``"separator"`` (no letter or digit: ``------``,
    ``* * *``), ``"section number"`` (a Roman or Arabic number alone, optionally bracketed and followed by
    ``.`` or ``:``: ``IV.``, ``12``, ``[1]``), ``"name"`` (no lower-case letter, at most ``MAX_NAME_WORDS``
    words of letters, spaces, apostrophes, hyphens and periods, two characters or more: the
    speaker names and headings of verse drama and sequences, ``HUGO.``, ``CHORUS``, ``THE LADY``,
    ``NOTE:``); None for a verse line (a line of capitals with other punctuation, ``O LOVE!``, is kept)."""
    if not any(c.isalnum() for c in line):
        return "separator"
    if _SECTION_NUMBER.fullmatch(line) and line.strip("[](). :"):
        return "section number"
    if not any(c.islower() for c in line) and len(line.split()) <= MAX_NAME_WORDS and _NAME.fullmatch(line):
        return "name"
    return None


class PoetryCleaning:
    """Cleans the lines and stanzas of one poetry corpus and counts what it did (:meth:`warn` says it)."""

    def __init__(self, corpus: str) -> None:
        self.corpus = corpus
        self.dropped: Counter[str] = Counter()  # header kind -> lines dropped
        self.empty_stanzas = 0  # stanzas of header lines only
        self.split = 0  # stanzas longer than MAX_STANZA_LINES
        self.parts = 0  # the parts they were split into

    def lines(self, text: str) -> list[str]:
        """The stripped, non-blank verse lines of ``text`` (header and separator lines dropped)."""
        kept = []
        for line in text.split("\n"):
            line = line.strip()
            if not line:
                continue
            if kind := header_kind(line):
                self.dropped[kind] += 1
            else:
                kept.append(line)
        return kept

    def stanzas(self, text: str) -> list[str]:
        """Stanzas of ``text`` (split at blank lines, cleaned by :meth:`lines`); a stanza of more than
        ``MAX_STANZA_LINES`` lines becomes ceil(n / MAX_STANZA_LINES) consecutive parts of near-equal size."""
        out = []
        for block in _STANZA_BREAK.split(text):
            lines = self.lines(block)
            if not lines:
                self.empty_stanzas += bool(block.strip())
                continue
            n_parts = -(-len(lines) // MAX_STANZA_LINES)
            if n_parts > 1:
                self.split += 1
                self.parts += n_parts
            bounds = [round(i * len(lines) / n_parts) for i in range(n_parts + 1)]
            out += ["\n".join(lines[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
        return out

    def summary(self) -> str | None:
        """One sentence of what was dropped and split, or None when nothing was."""
        said = []
        if total := sum(self.dropped.values()):
            kinds = ", ".join(_count(n, kind) for kind, n in sorted(self.dropped.items()))
            said.append(f"dropped {_count(total, 'header or separator line')} ({kinds})")
        if self.empty_stanzas:
            said[-1] += f" and with them {_count(self.empty_stanzas, 'stanza')} that held nothing else"
        if self.split:
            said.append(
                f"split {_count(self.split, 'stanza')} of more than {MAX_STANZA_LINES} lines into "
                f"{_count(self.parts, 'part')}"
            )
        return f"{self.corpus}: " + "; ".join(said) if said else None

    def warn(self) -> None:
        if message := self.summary():
            warnings.warn(message, ArtCleaningWarning, stacklevel=2)


def _cell(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _poems(root: Path) -> Iterator[tuple[dict, str]]:
    for record in _jsonl(root / POETRY_FILE):
        text = record.get("text")
        if isinstance(text, str) and text.strip():
            meta = {k: _cell(record.get(k)) for k in ("title", "author", "year")}
            yield {"poem": _cell(record.get("path")), **meta}, text.replace("\r\n", "\n")


def poetry_lines(root: Path) -> Iterator[dict]:
    """One record per non-blank verse line (headers and separators dropped), with the poem, title, author
    and year."""
    cleaning = PoetryCleaning("poetry_lines")
    for number, (meta, text) in enumerate(_poems(root), 1):
        for k, line in enumerate(cleaning.lines(text), 1):
            yield {"id": f"poem:{number}:line:{k}", "text": line, **meta, "cluster": f"poem:{number}"}
    cleaning.warn()


def poetry_stanzas(root: Path) -> Iterator[dict]:
    """One record per stanza (split at blank lines and at ``MAX_STANZA_LINES``; line breaks kept, headers
    and separators dropped), with the poem's columns."""
    cleaning = PoetryCleaning("poetry_stanzas")
    for number, (meta, text) in enumerate(_poems(root), 1):
        for k, stanza in enumerate(cleaning.stanzas(text), 1):
            yield {"id": f"poem:{number}:stanza:{k}", "text": stanza, **meta, "cluster": f"poem:{number}"}
    cleaning.warn()


def artemis_utterances(path: Path) -> Iterator[dict]:
    """The utterances of an ArtEmis CSV, with emotion, art style, painting and repetition kept."""
    from affectlab.io import open_csv

    with open_csv(path) as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ARTEMIS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise AffectlabError(
                f"{path}: not an ArtEmis CSV (missing column(s) {', '.join(missing)}; expected "
                f"{','.join(ARTEMIS_COLUMNS)})"
            )
        for number, row in enumerate(reader, 1):
            if text := (row.get("utterance") or "").strip():
                yield {"id": f"artemis:{number}", "text": text, **{k: _cell(row.get(k)) for k in ARTEMIS_COLUMNS[:3]},
                       "repetition": _cell(row.get("repetition")),
                       "cluster": f"painting:{row.get('painting')}"}  # fmt: skip


ART_CORPORA: dict[str, tuple[Path, Callable[[Path], Iterator[dict]]]] = {
    "tate_titles": (TATE_FILE, tate_titles),
    "aic_titles": (AIC_CSV, aic_titles),
    "aic_descriptions": (AIC_JSONL, aic_descriptions),
    "poetry_lines": (POETRY_FILE, poetry_lines),
    "poetry_stanzas": (POETRY_FILE, poetry_stanzas),
}


def sampled(records: Iterable[dict], n: int | None, seed: int) -> Iterator[dict]:
    """All records, or ``n`` of them drawn uniformly (seeded reservoir sample), in their original order."""
    if n is None:
        yield from records
        return
    rng = random.Random(seed)
    kept: list[tuple[int, dict]] = []
    for index, record in enumerate(records):
        if len(kept) < n:
            kept.append((index, record))
        elif (j := rng.randrange(index + 1)) < n:
            kept[j] = (index, record)
    yield from (record for _, record in sorted(kept, key=lambda item: item[0]))


def write_art_corpora(
    root: str | Path,
    out: str | Path,
    *,
    sample: int | None = None,
    seed: int = 0,
    artemis: str | Path | None = None,
    overwrite: bool = False,
) -> dict[str, tuple[Path, int]]:
    """Write the folder ``out`` with ``<name>.jsonl`` for every art corpus whose source file is in ``root``
    (and ``artemis`` from a user's ArtEmis CSV); fields id, text and the corpus's columns. Returns path and
    count per name. ``out`` is written whole (a failing input leaves nothing), never inside an input, and
    a non-empty ``out`` is refused unless ``overwrite`` and affectlab wrote it."""
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise AffectlabError(
            f"{root}: not a folder (expected the art_text folder with tate/, aic_api_sample/, poetry/)"
        )
    if sample is not None and sample < 1:
        raise AffectlabError(f"--sample must be at least 1, got {sample}")
    jobs = {
        name: (lambda r=reader: r(root)) for name, (source, reader) in ART_CORPORA.items() if (root / source).is_file()
    }
    if artemis is not None:
        artemis = Path(artemis)
        if not artemis.is_file():
            raise AffectlabError(f"{artemis}: no such file (the ArtEmis CSV)")
        jobs["artemis"] = lambda: artemis_utterances(artemis)
    if not jobs:
        expected = ", ".join(str(source) for source, _ in ART_CORPORA.values())
        raise AffectlabError(f"{root}: none of the art text files is there (expected {expected})")
    check_not_input(out, [root, *([artemis] if artemis is not None else [])], "art corpora folder")
    check_writable(out, folder=True)
    check_folder_target(out, overwrite)
    written = {}
    with atomic_folder(out, overwrite=overwrite) as tmp:
        for name, records in jobs.items():
            count = 0
            with (tmp / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
                for record in sampled(records(), sample, seed):
                    fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                    count += 1
            written[name] = (out / f"{name}.jsonl", count)
    return written
