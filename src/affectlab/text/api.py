"""The text half as Python functions: ``score``, ``profile``, ``compare``, ``art_corpora``.

Results are pandas DataFrames or small result objects; Arrow (parquet) stays the on-disk format. The
``affectlab text`` commands are thin wrappers over exactly these functions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affectlab.config import given as _given
from affectlab.errors import AffectlabError
from affectlab.io import PathLike
from affectlab.progress import progress_bar
from affectlab.text.measures import MeasureConfig
from affectlab.text.measures import cached_scorer as scorer
from affectlab.text.measures.norms import NormTable
from affectlab.text.profile_result import ProfileResult

if TYPE_CHECKING:
    import pandas as pd

    from affectlab.text.comparison.result import CompareResult
    from affectlab.text.config import ProfileOptions
    from affectlab.text.corpora import Corpus


def _texts(texts: str | Sequence[str | None]) -> list[str | None]:
    """One text or a list of texts; paths (or strings naming an existing file) are refused, and so is
    anything else that is not a str or a sequence of them (None, a number, bytes, a dict)."""
    if isinstance(texts, os.PathLike):
        raise AffectlabError(f"{texts}: score() takes texts, not files; use profile() for corpus files")
    if not isinstance(texts, str) and (
        isinstance(texts, bytes | bytearray | Mapping) or not isinstance(texts, Iterable)
    ):
        raise TypeError(f"score() takes a str or a list of str, not {type(texts).__name__} ({texts!r:.60})")
    if _is_series(texts):  # pandas' missing values (NaN, NA) are null texts
        texts = texts.astype(object).where(texts.notna(), None)  # type: ignore[union-attr]
    items = [texts] if isinstance(texts, str) else list(texts)
    for index, text in enumerate(items):
        if isinstance(text, os.PathLike) or (
            isinstance(text, str) and text and not any(c.isspace() for c in text) and _is_file(text)
        ):
            raise AffectlabError(
                f"{text}: text #{index} names a file; score() takes texts, use profile() for corpus files"
            )
        if text is not None and not isinstance(text, str):
            raise TypeError(f"score(): text #{index} is a {type(text).__name__} ({text!r:.60}), expected str")
    return items


def _is_file(text: str) -> bool:
    try:
        return len(text) < 4096 and Path(text).is_file()
    except (OSError, ValueError):
        return False


def score(
    texts: str | Sequence[str | None] | pd.Series,
    *,
    norms: PathLike | None = None,
    affect_norms: PathLike | None = None,
    word_norms: Sequence[NormTable | str] = (),
) -> pd.DataFrame:
    """Every measure for one text or a list (or pandas Series) of texts: one row per text, the ``text``
    column first; a Series keeps its index. The columns have the dtypes :func:`profile` gives them.
    ``word_norms``: word-norm tables (:class:`NormTable` or ``"NAME=PATH:WORD_COLUMN:VALUE_COLUMN"``), one
    column each.

    >>> import affectlab as al
    >>> row = al.text.score("a haunting, melancholic dreamscape").iloc[0]
    >>> float(row["vader_compound"]), round(float(row["concreteness"]), 2)
    (-0.34, 1.79)
    """
    import pyarrow as pa

    items = _texts(texts)
    config = MeasureConfig(norms=norms, affect_norms=affect_norms, word_norms=norm_tables(word_norms))
    scores = scorer(config).score(items)
    frame = scores.add_column(0, "text", pa.array(items, type=pa.string())).to_pandas()
    if _is_series(texts):
        frame.index = texts.index
    return frame


def _is_series(value: object) -> bool:
    """A pandas Series (checked without importing pandas)."""
    return type(value).__name__ == "Series" and type(value).__module__.startswith("pandas")


def _is_frame(value: object) -> bool:
    return type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas")


def score_records(
    texts: str | Sequence[str | None],
    *,
    norms: PathLike | None = None,
    affect_norms: PathLike | None = None,
    word_norms: Sequence[NormTable | str] = (),
) -> list[dict[str, Any]]:
    """:func:`score` as one dict per text (plain Python values, None for nulls); imports neither pandas nor
    Arrow's conversions, which is what keeps ``affectlab text score`` quick to start."""
    items = _texts(texts)
    config = MeasureConfig(norms=norms, affect_norms=affect_norms, word_norms=norm_tables(word_norms))
    columns = scorer(config).columns(items)
    names = list(columns)
    return [
        {"text": text, **dict(zip(names, values, strict=True))}
        for text, *values in zip(items, *columns.values(), strict=True)
    ]


def profile(
    inputs: PathLike | Sequence[PathLike] | Sequence[str | None] | pd.DataFrame | pd.Series,
    *,
    out: PathLike | None = None,
    format: str = "auto",
    text_column: str | None = None,
    corpus: str | None = None,
    keep_text: bool = True,
    keep_columns: Sequence[str] = (),
    lang_id: bool = False,
    languages: Sequence[str] | None = None,
    strict: bool = False,
    max_chars: int | None = None,
    norms: PathLike | None = None,
    affect_norms: PathLike | None = None,
    word_norms: Sequence[NormTable | str] = (),
    engine: str = "local",
    workers: int | None = None,
    batch_size: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> ProfileResult:
    """Score every text of corpus files (COCO json, Flickr8k, CC tsv, parquet, jsonl, csv, tsv, txt; line
    formats and json also gzip/bzip2/xz/zstd-compressed), or of texts in memory: a pandas DataFrame (its
    text column found as in a file's, or ``text_column``), a Series, or a list of texts. Texts in memory are
    corpus ``corpus`` (default ``texts``) with ids ``texts:1, texts:2, ...``; a DataFrame's or Series' index
    is kept.

    A :class:`ProfileResult` comes back, with or without ``out``: ``.to_pandas()`` is the table (id, corpus,
    text, kept columns, measures). Without ``out`` the scores are held in memory; with ``out`` they are
    streamed to a parquet file (or a folder of parts when ``out`` ends with ``/``) and read back only when
    asked for: the way to profile corpora larger than memory. ``keep_columns``
    carries other columns of the input (as strings) into every row; ``lang_id`` adds the ``lang`` column
    (py3langid) and ``languages`` (e.g. ``["en"]``) scores only texts in those languages, the others kept
    with null measures; ``strict`` refuses text values that are not strings instead of converting them;
    ``word_norms`` adds a column per word-norm table (as in :func:`score`). A text longer than
    ``max_chars`` characters (default 1,000,000) is cut to that length, with one warning per file giving
    the count (``strict``: refused), so memory stays bounded. Every output check runs before any text is
    scored.

    >>> import affectlab as al
    >>> scores = al.text.profile(["a dog on a red sofa", "a haunting, melancholic dreamscape"], workers=1,
    ...                          progress=False)
    >>> len(scores), scores.to_pandas()["id"].tolist()
    (2, ['texts:1', 'texts:2'])
    """
    from affectlab.text.profiling import is_folder_output, known_rows, profile_corpora, profile_in_memory

    if _in_memory(inputs):
        with _as_parquet(inputs, corpus or "texts") as path:
            found = profile(path, out=out, format="parquet", text_column=text_column, corpus=corpus or "texts",
                            keep_text=keep_text, keep_columns=keep_columns, lang_id=lang_id, languages=languages,
                            strict=strict, norms=norms, affect_norms=affect_norms, word_norms=word_norms,
                            max_chars=max_chars, engine=engine, workers=workers, batch_size=batch_size,
                            overwrite=overwrite, progress=progress)  # fmt: skip
        if _is_series(inputs) or _is_frame(inputs):
            return dataclasses.replace(found, index=inputs.index)
        return found
    paths = _input_paths(inputs)
    options = _profile_options(norms=norms, affect_norms=affect_norms, word_norms=word_norms, lang_id=lang_id,
                               languages=languages, batch_size=batch_size, workers=workers, engine=engine,
                               keep_text=keep_text, max_chars=max_chars)  # fmt: skip
    corpora = _open_corpora(paths, format, text_column, corpus, tuple(keep_columns), strict, options.max_chars)
    if out is not None:
        _check_profile_output(Path(out), is_folder_output(out), [c.path for c in corpora], overwrite)
    total = known_rows(corpora)
    with progress_bar("profiling", total, "texts", progress) as advance:
        if out is None:
            started = time.perf_counter()
            table = profile_in_memory(corpora, options, advance)
            return ProfileResult(None, table.num_rows, time.perf_counter() - started, options.engine,
                                 options.workers, table=table)  # fmt: skip
        summary = profile_corpora(corpora, out, options, on_batch=advance, overwrite=overwrite)
    return ProfileResult(Path(out), summary.rows, summary.seconds, options.engine, options.workers)


def _profile_options(
    *,
    norms: PathLike | None,
    affect_norms: PathLike | None,
    word_norms: Sequence[NormTable | str],
    lang_id: bool,
    languages: Sequence[str] | None,
    **values: Any,
) -> ProfileOptions:
    """:func:`profile`'s options, validated: the measures from the norms and language settings, ``values``
    (None: the default) for the rest."""
    from affectlab.config import validated
    from affectlab.text.config import ProfileOptions

    measures = MeasureConfig(
        norms=norms,
        affect_norms=affect_norms,
        word_norms=norm_tables(word_norms),
        lang_id=lang_id or bool(languages),
        languages=tuple(languages) if languages else None,
    )
    return validated(ProfileOptions, _given(measures=measures, **values), "profile options")


def _open_corpora(
    paths: list[Path],
    format: str,
    text_column: str | None,
    corpus: str | None,
    keep: tuple[str, ...],
    strict: bool,
    max_chars: int,
) -> list[Corpus]:
    """Every input file opened (format and text column resolved, kept columns checked) before any text is scored."""
    from affectlab.text.corpora import open_corpus

    _check_kept_names(keep)
    return [open_corpus(path, format, text_column, corpus, keep=keep, strict=strict, max_chars=max_chars)
            for path in paths]  # fmt: skip


def norm_tables(tables: Sequence[NormTable | str]) -> tuple[NormTable, ...]:
    """Word-norm tables given as :class:`NormTable` objects or ``NAME=PATH:WORD_COLUMN:VALUE_COLUMN``."""
    if isinstance(tables, str):
        tables = [tables]
    return tuple(t if isinstance(t, NormTable) else NormTable.parse(t) for t in tables)


def _check_kept_names(keep: Sequence[str]) -> None:
    """Kept columns must not take the name of a measure column."""
    from affectlab.text.measures import declared_columns

    taken = sorted(set(keep) & set(declared_columns()))
    if taken:
        raise AffectlabError(f"--keep-columns: {taken[0]!r} is the name of a measure column; rename it first")


def _in_memory(inputs: object) -> bool:
    """Texts rather than files: a DataFrame, a Series, or a list none of whose items looks like a path (a
    ``Path``, or a string without whitespace that exists or has a file suffix or a folder in it)."""
    if _is_frame(inputs) or _is_series(inputs):
        return True
    if isinstance(inputs, str | os.PathLike):
        return False
    items = list(inputs)  # type: ignore[call-overload]
    return bool(items) and not any(_looks_like_path(item) for item in items)


def _looks_like_path(item: object) -> bool:
    if isinstance(item, os.PathLike):
        return True
    if not isinstance(item, str) or not item or any(c.isspace() for c in item):
        return False
    return os.sep in item or bool(Path(item).suffix) or Path(item).exists()


@contextlib.contextmanager
def _as_parquet(inputs: Any, name: str) -> Iterator[Path]:
    """Texts in memory as a temporary parquet file ``NAME.parquet`` (ids ``NAME:1...``), so that they are read,
    checked and scored exactly as a corpus file is."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    if _is_frame(inputs):
        table = pa.Table.from_pandas(inputs, preserve_index=False)
    else:
        items = _texts(inputs)
        table = pa.table({"text": pa.array(items, type=pa.string())})
    with tempfile.TemporaryDirectory(prefix="affectlab-texts-") as tmp:
        path = Path(tmp) / f"{name}.parquet"
        pq.write_table(table, path)
        yield path


def _input_paths(inputs: PathLike | Sequence[PathLike]) -> list[Path]:
    items = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    if not items:
        raise AffectlabError("profile() needs at least one corpus file")
    paths = []
    for item in items:
        if not isinstance(item, str | os.PathLike):
            raise AffectlabError(f"{item!r:.60}: expected a corpus file path")
        path = Path(item)
        if isinstance(item, str) and not path.exists() and (any(c.isspace() for c in item) or not path.suffix):
            raise AffectlabError(f"{item!r:.60}: no such file; profile() takes corpus files, use score() for texts")
        paths.append(path)
    resolved = [p.resolve() for p in paths]
    duplicates = sorted({str(p) for p in paths if resolved.count(p.resolve()) > 1})
    if duplicates:
        raise AffectlabError(f"{duplicates[0]}: given twice; every input file is read once (ids would repeat)")
    return paths


def _check_profile_output(target: Path, folder: bool, inputs: Sequence[Path], overwrite: bool) -> None:
    from affectlab.io import check_folder_target, check_not_input, check_suffix, check_writable

    check_not_input(target, inputs)
    check_writable(target, folder=folder)
    if folder:
        check_folder_target(target, overwrite)
        return
    check_suffix(target, (".parquet", ".pq"), "a parquet file")
    if target.exists() and not overwrite:
        raise AffectlabError(f"{target}: exists; pass --overwrite (overwrite=True) to replace it")


def compare(
    inputs: Mapping[str, pd.DataFrame | PathLike] | Sequence[PathLike],
    *,
    measures: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    seed: int = 0,
    workers: int | None = None,
    out: PathLike | None = None,
    overwrite: bool = False,
    norms: PathLike | None = None,
    affect_norms: PathLike | None = None,
    by: str | None = None,
    contrasts: Sequence[tuple[str, str] | str] = (),
    plots: str = "all",
    alpha: float = 0.05,
    cluster: str | None = None,
    progress: bool = True,
) -> CompareResult:
    """Compare corpora: descriptives, shares and pairwise tests per measure, and a headline.

    ``inputs`` are score files/folders from :func:`profile` (``--out``), raw corpus files (profiled
    first), or a mapping ``name -> DataFrame`` or ``profile()`` result (one corpus, named by its key) or
    ``name -> score file``. ``groups`` pools corpora: ``{"captions": ["coco", "flickr8k"]}``. The result
    holds DataFrames (``descriptives``, ``shares``, ``pairwise``), the ``headline`` sentences, and
    ``save(folder)`` writes the same report folder as ``affectlab text compare``. With ``out`` the report
    folder is written at once (raw corpora's scores kept in ``out/scores/``); ``norms`` and
    ``affect_norms`` are used for raw corpora. ``by`` names a kept column (``profile(keep_columns=...)``)
    whose values replace the corpus names; ``contrasts`` (``"captions:art"`` or pairs) name the
    comparisons the headline answers in words, with Cliff's delta and its 95% CI; ``plots`` is ``all``,
    ``summary`` (means, shares, effects) or ``none``. A direction is stated only when the CI of delta
    excludes 0 and the Holm-adjusted p is below ``alpha``. ``cluster`` names the column of sampling units
    (default: ``cluster``, kept by the COCO, Flickr8k and art readers; ``"none"``: off) for a seeded
    cluster-bootstrap CI of delta. The same file twice, an empty score file beside
    others, or two files holding the same texts of a corpus are refused.
    """
    from affectlab.config import validated
    from affectlab.io import atomic_folder, check_folder_target, check_not_input, check_writable
    from affectlab.text.comparison.report import save_report
    from affectlab.text.comparison.result import CompareResult, group_map, parse_contrast, run_comparison
    from affectlab.text.config import CompareOptions
    from affectlab.text.inputs import score_sources

    _check_compare_inputs(inputs)
    values = {
        "measures": tuple(measures) if measures else None,
        "groups": group_map(groups),
        "seed": seed,
        "workers": workers,
        "norms": norms,
        "affect_norms": affect_norms,
        "by": by,
        "contrasts": tuple(parse_contrast(c) for c in contrasts),
        "plots": plots,
        "alpha": alpha,
        "cluster": cluster,
    }
    options = validated(CompareOptions, values, "compare options")
    if out is None:
        sources, labels = score_sources(inputs, options, progress=progress)
        return CompareResult(run_comparison(sources, options, progress), labels, options)
    out = Path(out)
    if not isinstance(inputs, Mapping):
        check_not_input(out, [inputs] if isinstance(inputs, str | os.PathLike) else inputs, "report folder")
    check_writable(out, folder=True)
    check_folder_target(out, overwrite)
    with atomic_folder(out, overwrite=overwrite) as tmp:  # a killed run leaves no partial report
        # raw corpora are profiled into the report's scores/ (named there by their final path)
        sources, labels = score_sources(inputs, options, scores=tmp / "scores", shown_as=out / "scores",
                                        progress=progress)  # fmt: skip
        result = CompareResult(run_comparison(sources, options, progress), labels, options)
        save_report(result.comparison, labels, tmp, options)
    return result


def _check_compare_inputs(inputs: object) -> None:
    """compare()'s door: a non-empty mapping of DataFrames or paths, or paths."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(inputs, Mapping):
        for name, item in inputs.items():
            if not isinstance(item, pd.DataFrame | pa.Table | ProfileResult | str | os.PathLike):
                raise TypeError(
                    f"compare(): input {name!r} is a {type(item).__name__}; expected a DataFrame, a profile() "
                    "result or a score file path"
                )
    elif isinstance(inputs, bytes | bytearray) or not isinstance(inputs, str | os.PathLike | Sequence):
        raise TypeError(f"compare() takes score file paths or a mapping name -> DataFrame, not {type(inputs).__name__}")
    elif not isinstance(inputs, str | os.PathLike):
        bad = next((item for item in inputs if not isinstance(item, str | os.PathLike)), None)
        if bad is not None:
            raise TypeError(f"compare(): an input is a {type(bad).__name__} ({bad!r:.60}); expected a file path")
    if not isinstance(inputs, str | os.PathLike) and len(inputs) == 0:
        raise AffectlabError("compare() needs at least one corpus (score files, or a mapping name -> DataFrame)")


def art_corpora(
    art_text: PathLike,
    out: PathLike,
    *,
    sample: int | None = None,
    seed: int = 0,
    artemis: PathLike | None = None,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Write the art corpora of an ``art_text`` folder (Tate and AIC titles, AIC curator sentences, poetry
    lines and stanzas) and of a user's ArtEmis CSV as jsonl files into the folder ``out``, written whole;
    one row per corpus. ``sample`` keeps that many texts per corpus (seeded). A non-empty ``out`` is
    replaced only with ``overwrite``, and only when affectlab wrote it."""
    import pandas as pd

    from affectlab.text.art_text import write_art_corpora

    written = write_art_corpora(art_text, out, sample=sample, seed=seed, artemis=artemis, overwrite=overwrite)
    return pd.DataFrame([{"corpus": name, "texts": n, "path": str(p)} for name, (p, n) in written.items()])
