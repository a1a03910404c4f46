"""Compare's inputs as score sources, resolved in one place (beside :mod:`affectlab.text.api`, which calls it).

Every kind of input becomes a :class:`~affectlab.text.comparison.core.ScoreSource`, the only thing the
comparison sees: a score file or folder of parts is read as it is, column by column (a mapping's key names
its corpus); a DataFrame or Arrow table is held as it is (a ``profile()`` result is its file or its table);
a raw corpus file is profiled first through :mod:`affectlab.text.profiling`, in memory (an Arrow table, never
a DataFrame) or, for a report folder, into ``scores/NAME.parquet`` beside the report.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affectlab.errors import AffectlabError
from affectlab.progress import progress_bar
from affectlab.text.comparison.core import FrameScores, ParquetScores, ScoreSource, is_score_file
from affectlab.text.config import CompareOptions, ProfileOptions
from affectlab.text.measures import MeasureConfig
from affectlab.text.profile_result import ProfileResult

if TYPE_CHECKING:
    from affectlab.text.corpora import Corpus

Inputs = Mapping[str, Any] | Sequence[str | os.PathLike[str]] | str | os.PathLike[str]
_NOT_SCORES = ("id", "corpus", "text")  # columns of a profile that are not compared


def score_sources(
    inputs: Inputs,
    options: CompareOptions,
    *,
    scores: Path | None = None,
    shown_as: Path | None = None,
    progress: bool = False,
) -> tuple[list[ScoreSource], list[str]]:
    """The score sources of ``inputs`` and how the report names them.

    Raw corpora are profiled with ``options``' norms and workers: into ``scores/NAME.parquet`` when
    ``scores`` is given (named ``shown_as/NAME.parquet`` in the report, when ``scores`` is a staging folder),
    else in memory.
    """
    if isinstance(inputs, Mapping):
        sources = [_named_source(str(name), item) for name, item in inputs.items()]
        return sources, [s.label for s in sources]
    from affectlab.text.corpora import open_corpus

    paths = [Path(p) for p in ([inputs] if isinstance(inputs, str | os.PathLike) else inputs)]
    sources: list[ScoreSource] = []
    profiled: set[str] = set()
    for path in paths:
        if path.exists() and is_score_file(path):
            sources.append(ParquetScores(path))
            continue
        corpus = open_corpus(path)  # its format and text column detected as by ``text profile``
        if corpus.name in profiled:
            raise AffectlabError(f"{path}: a second input named {corpus.name!r}; rename one of them")
        profiled.add(corpus.name)
        sources.append(_profiled(corpus, options, scores, shown_as, progress))
    return sources, [s.label for s in sources]


def _named_source(name: str, item: Any) -> ScoreSource:
    """A mapping's value: a score file (read column by column under the corpus ``name``), a table, or a
    :class:`ProfileResult` (its score file, or its table when held in memory)."""
    import pyarrow as pa

    if isinstance(item, ProfileResult):
        item = item.to_arrow() if item.path is None else item.path
    if isinstance(item, str | os.PathLike):
        return ParquetScores(Path(item), corpus=name)
    table = item if isinstance(item, pa.Table) else pa.Table.from_pandas(item, preserve_index=False)
    return FrameScores(name, table.drop_columns([c for c in ("corpus", "text") if c in table.column_names]))


def _profiled(corpus: Corpus, options: CompareOptions, scores: Path | None, shown_as: Path | None,
              progress: bool) -> ScoreSource:  # fmt: skip
    """One raw corpus profiled with ``options``' norms and workers, in memory or into ``scores``."""
    from affectlab.text.profiling import known_rows, profile_corpora, profile_in_memory

    workers = {} if options.workers is None else {"workers": options.workers}
    profile_options = ProfileOptions(
        measures=MeasureConfig(norms=options.norms, affect_norms=options.affect_norms), keep_text=False, **workers
    )
    with progress_bar(f"profiling {corpus.name}", known_rows([corpus]), "texts", progress) as advance:
        if scores is None:
            table = profile_in_memory([corpus], profile_options, advance)
            return FrameScores(corpus.name, table.select([c for c in table.column_names if c not in _NOT_SCORES]))
        target = scores / f"{corpus.name}.parquet"
        profile_corpora([corpus], target, profile_options, on_batch=advance)
    return ParquetScores(target, str((shown_as or scores) / target.name))
