"""Language column: ``lang``, the ISO 639 code py3langid gives a text (offline; its model ships in the package).

The labels are those of ``py3langid.classify(text)[0]`` (py3langid 0.4), computed for a batch at once.
py3langid walks a byte automaton whose state after each byte depends only on the last ``depth`` bytes (6 for
its model: the deepest state), so the feature emitted at each position is found from that window for the whole
batch with numpy (each distinct window walked once, all at once), and the naive-Bayes scores of all texts are
one sparse-dense product. Those sums are taken in another order than py3langid's float32 dot product, so every
text whose best two languages are closer than a rigorous bound on both rounding errors is handed to py3langid
itself: the label is always the identifier's own. A text without a letter (empty, digits, emoji) has no
language evidence and gets a null ``lang``, as does a None text.

Off by default (``MeasureConfig(lang_id=True)``, ``affectlab text profile --lang-id``); with
``MeasureConfig(languages=("en",))`` (``--language en``) only texts in those languages are scored by the
other measures, the rest keep their row with null measures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from affectlab.text.measures.base import Column, MeasureConfig, Tokens, nulls, register, schema_of

PY3LANGID = (
    "Language identification: Lui, M. & Baldwin, T. (2012). langid.py: An off-the-shelf language "
    "identification tool. ACL 2012 System Demonstrations (py3langid, Barbaresi's fork)."
)
COLUMNS = (
    Column(
        "lang",
        pa.string(),
        "language of the text, ISO 639 code (py3langid); null without a letter",
        "language",
        compare=False,
    ),
)
_LETTER = re.compile(r"[^\W\d_]")
_U = 2.0**-24  # unit roundoff of float32


class LanguageIdentifier:
    """``py3langid.classify(text)[0]`` for many texts (see the module docstring); None without a letter."""

    def __init__(self) -> None:
        from py3langid import langid

        self.reference = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
        ref = self.reference
        self.classes: list[str] = list(ref.nb_classes)
        self.table = np.asarray(ref.nb_ptc, dtype=np.float32)  # (features, classes) log-probabilities
        self.prior = np.asarray(ref.nb_pc, dtype=np.float64)
        self.aliases: list[tuple[int, int]] = list(ref._alias_pairs)  # noqa: SLF001 (its own merge rule)
        self._next = np.asarray(ref.tk_nextmove)  # a view of its transition table (no copy)
        self._rowbase = np.asarray(ref._rowbase, dtype=np.int64)  # noqa: SLF001 (row offsets of the states)
        self._out = np.asarray(ref.tk_output, dtype=np.int64)
        self._encode = ref._encode  # noqa: SLF001 (the identifier's own text -> bytes step)
        self.depth = _automaton_depth(ref)
        # the rounding bound assumes non-positive feature scores (log-probabilities) and windows of <= 7
        # bytes (codes in 64 bits); anything else: every text goes to the reference
        self._fast = bool((self.table <= 0).all() and np.isfinite(self.prior).all() and self.depth <= 7)

    def classify(self, text: str) -> str | None:
        """The label of one text."""
        return self.labels([text])[0]

    def labels(self, texts: Sequence[str | None]) -> list[str | None]:
        """The label of every text (None for a None text or one without a letter)."""
        out: list[str | None] = [None] * len(texts)
        rows = [i for i, t in enumerate(texts) if t is not None and _LETTER.search(t)]
        if not rows:
            return out
        if not self._fast:
            for i in rows:
                out[i] = self.reference.classify(texts[i])[0]
            return out
        import scipy.sparse as sps

        data = [self._encode(texts[i]) for i in rows]
        lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
        features, owners = self._features(b"".join(data), lengths)
        n_features = self.table.shape[0]
        keys, counts = np.unique(owners * n_features + features, return_counts=True)
        owner = keys // n_features
        weights = sps.csr_matrix(
            (np.log1p(counts.astype(np.float32)), (owner, keys % n_features)), shape=(len(rows), n_features)
        )
        terms = np.asarray((weights @ self.table), dtype=np.float64)  # sum of count-weighted log-probabilities
        scores = terms + self.prior
        # py3langid sums k float32 products, then adds the prior: |error| <= gamma_k * sum|terms| + u * |score|;
        # ours (float32 products summed by scipy) has the same bound: twice it covers both, doubled for room
        k = np.bincount(owner, minlength=len(rows)).astype(np.float64)
        gamma = k * _U / (1 - k * _U)
        bound = 4.0 * (gamma[:, None] * np.abs(terms) + _U * np.abs(scores))
        for i, j in self.aliases:  # py3langid keeps the better of a label's two columns
            take = scores[:, j] > scores[:, i]
            scores[:, i] = np.where(take, scores[:, j], scores[:, i])
            bound[:, i] = np.maximum(bound[:, i], bound[:, j])
            scores[:, j] = -np.inf
        ranked = np.arange(len(rows))
        best = scores.argmax(axis=1)
        top, top_bound = scores[ranked, best], bound[ranked, best]
        scores[ranked, best] = -np.inf
        second = scores.argmax(axis=1)
        clear = (top - scores[ranked, second] > top_bound + bound[ranked, second]) & (k > 0)
        for n, i in enumerate(rows):
            out[i] = self.classes[best[n]] if clear[n] else self.reference.classify(texts[i])[0]
        return out

    def _features(self, joined: bytes, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The feature emitted at every byte of every text (those that emit one) and its text's index."""
        buf = np.frombuffer(joined, dtype=np.uint8).astype(np.uint64)
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        offset = np.arange(buf.size, dtype=np.int64) - starts  # position inside its text
        codes = np.minimum(offset + 1, self.depth).astype(np.uint64) << np.uint64(56)  # window length
        for back in range(self.depth):
            valid = offset >= back
            shifted = np.zeros_like(buf)
            shifted[back:] = buf[: buf.size - back] if back else buf
            codes |= np.where(valid, shifted << np.uint64(8 * back), np.uint64(0))
        unique, inverse = np.unique(codes, return_inverse=True)
        emitted = self._walk(unique)[inverse.ravel()]
        owners = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
        keep = emitted >= 0
        return emitted[keep], owners[keep]

    def _walk(self, codes: np.ndarray) -> np.ndarray:
        """The feature emitted after walking each window (``codes``) from the start state; -1 for none."""
        size = (codes >> np.uint64(56)).astype(np.int64)
        state = np.zeros(codes.size, dtype=np.int64)
        for back in range(self.depth - 1, -1, -1):
            byte = ((codes >> np.uint64(8 * back)) & np.uint64(0xFF)).astype(np.int64)
            state = np.where(size > back, self._next[self._rowbase[state] + byte], state)
        return self._out[state]


def _automaton_depth(reference: object) -> int:
    """Longest path from the start state to a first visit of any state (the longest feature, in bytes):
    the automaton's state after a byte depends only on that many last bytes."""
    nextmove = np.asarray(reference.tk_nextmove)
    rowbase = np.asarray(reference._rowbase, dtype=np.int64)  # noqa: SLF001
    depth = np.full(len(reference.tk_output), -1)
    depth[0] = 0
    frontier, level = np.array([0]), 0
    while frontier.size:
        following = np.unique(nextmove[(rowbase[frontier][:, None] + np.arange(256)).ravel()])
        frontier = following[depth[following] < 0]
        level += 1
        depth[frontier] = level
    return int(depth.max())


class LanguageMeasure:
    """The ``lang`` column; ``only`` (language codes) tells :class:`Scorer` which texts the others score."""

    name = "lang"
    schema = schema_of(COLUMNS)

    def __init__(self, only: tuple[str, ...] | None = None) -> None:
        self.identifier = LanguageIdentifier()
        unknown = sorted(set(only or ()) - set(self.identifier.classes))
        if unknown:
            from affectlab.errors import AffectlabError

            raise AffectlabError(
                f"--language: unknown language code(s) {', '.join(unknown)}; py3langid knows "
                f"{', '.join(sorted(set(self.identifier.classes)))}"
            )
        self.only = frozenset(only) if only else None

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        for index, text in enumerate(texts):
            if text is not None and text.__class__ is not str:
                nulls(texts, index)
        return {"lang": self.identifier.labels(texts)}


@register("lang", COLUMNS, (PY3LANGID,), optional=True, notes="on with --lang-id or --language")
def language_measure(config: MeasureConfig) -> LanguageMeasure | None:
    """The identifier when asked for (``lang_id`` or ``languages``), else off."""
    if not (config.lang_id or config.languages):
        return None
    return LanguageMeasure(tuple(config.languages) if config.languages else None)
