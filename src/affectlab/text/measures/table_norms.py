"""Columns from any word-norm table (only with ``MeasureConfig.word_norms``): ``<name>`` and
``<name>_coverage`` per :class:`~affectlab.text.measures.norms.NormTable`.

``<name>`` is the mean of the table's value column over the text's rated units, matched exactly like
concreteness (:meth:`WordNorms.match_entries`: two-word entries first, lemma fallback); ``<name>_coverage``
the share of units rated. No rated unit: the mean is null. A None text: nulls. Adding a norm is a
``NormTable`` (CLI ``--word-norm NAME=PATH:WORD_COLUMN:VALUE_COLUMN``), not code: e.g. Glasgow imageability
``imageability=glasgow_norms.csv:WORDS:IMAG_M``, Warriner valence
``warriner_valence=Ratings_Warriner_et_al.csv:Word:V.Mean.Sum``.
"""

from __future__ import annotations

from collections.abc import Sequence

from affectlab.errors import AffectlabError
from affectlab.text.measures.base import Column, MeasureConfig, Tokens, float_column, nulls, register, schema_of
from affectlab.text.measures.norms import NormTable, WordNorms, load_table_norms


def table_columns(table: NormTable) -> tuple[Column, Column]:
    """The two columns of one table: its mean (compared by ``text compare --measures NAME``) and coverage."""
    source = f"{table.value} of {table.path.name}"
    return (
        float_column(table.name, f"mean word {source}", f"mean {source}"),
        float_column(
            f"{table.name}_coverage", f"share of words found in {table.path.name}", f"share rated ({table.name})",
            (0, 1), compare=False,
        ),
    )  # fmt: skip


class TableNormsMeasure:
    """The mean rating of each text in every configured norm table."""

    name = "norms"

    def __init__(self, tables: Sequence[NormTable], taken: Sequence[str] = ()) -> None:
        names = [t.name for t in tables]
        for table in tables:
            if table.name in taken or names.count(table.name) > 1:
                raise AffectlabError(f"--word-norm {table.name}: the column name is taken; choose another NAME")
        self.norms: list[WordNorms] = [load_table_norms(t) for t in tables]
        self.columns = tuple(c for t in tables for c in table_columns(t))
        self.schema = schema_of(self.columns)

    def score_batch(self, texts: Sequence[str | None], tokens: Sequence[Tokens | None]) -> dict[str, list]:
        """One list per column."""
        out: dict[str, list] = {c.name: [] for c in self.columns}
        lists = list(out.values())
        for index, words in enumerate(tokens):
            if words is None:
                nulls(texts, index)
            for k, norms in enumerate(self.norms):
                mean, coverage = lists[2 * k], lists[2 * k + 1]
                if words is None:
                    mean.append(None)
                    coverage.append(None)
                    continue
                units, found = norms.match(words)
                mean.append(sum(r[0] for r in found) / len(found) if found else None)
                coverage.append(len(found) / units if units else None)
        return out


SOURCE = (
    "Any word-norm table named with `--word-norm NAME=PATH:WORD_COLUMN:VALUE_COLUMN` (cite its authors; see its "
    "licence)."
)


@register("norms", (), (SOURCE,), needs_tokens=True, optional=True, notes="on with --word-norm NAME=PATH:WORD:VALUE")
def table_norms_measure(config: MeasureConfig) -> TableNormsMeasure | None:
    """Switched off unless ``config.word_norms`` lists tables; their names must not be other columns'."""
    if not config.word_norms:
        return None
    from affectlab.text.measures import declared_columns

    return TableNormsMeasure(config.word_norms, taken=tuple(declared_columns()))
