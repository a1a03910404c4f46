"""The comparison as a Python object: DataFrames, headline sentences, and ``save`` to a report folder."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affectlab.errors import AffectlabError
from affectlab.text.comparison.core import (
    Comparison,
    FrameScores,
    ParquetScores,
    ScoreSource,
    compare,
    is_score_file,
)
from affectlab.text.comparison.report import (
    CompareOptions,
    headlines,
    prepare_inputs,
    report_tables,
    save_report,
)

if TYPE_CHECKING:
    import pandas as pd


class Headline(list[str]):
    """The headline sentences; printed as text (one sentence per line), shown as a Markdown list in a notebook."""

    def __str__(self) -> str:
        return "\n".join(self)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return "\n".join(f"- {_markdown_escaped(line)}" for line in self)


def _markdown_escaped(text: str) -> str:
    """``vader_compound`` stays as written (Markdown would read ``_..._`` as emphasis)."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


@dataclass
class CompareResult:
    """A finished comparison: tables as DataFrames, the headline, and the report writer."""

    comparison: Comparison
    inputs: list[str]  # how the inputs are named in the report
    options: CompareOptions

    @property
    def corpora(self) -> list[str]:
        return self.comparison.corpora

    @property
    def measures(self) -> list[str]:
        return self.comparison.measures

    def _frame(self, name: str) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(report_tables(self.comparison)[name])

    @property
    def descriptives(self) -> pd.DataFrame:
        """Per measure and corpus: n, mean, sd, median, quartiles, bootstrap 95% CI of the mean."""
        return self._frame("descriptives")

    @property
    def shares(self) -> pd.DataFrame:
        """Per share definition and corpus: texts, share and Wilson 95% interval."""
        return self._frame("shares")

    @property
    def pairwise(self) -> pd.DataFrame:
        """Per measure and pair of corpora: Mann-Whitney U, Holm p, Cliff's delta, KS distance."""
        return self._frame("pairwise")

    @property
    def headline(self) -> Headline:
        """The report's headline: its sentences (a list), printed one per line, a Markdown list in a notebook."""
        return Headline(headlines(self.comparison))

    def save(self, folder: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the report folder (tables, plots, ``report.html``, ``summary.md``) as a whole."""
        from affectlab.io import atomic_folder

        folder = Path(folder)
        with atomic_folder(folder, overwrite=overwrite) as tmp:
            save_report(self.comparison, self.inputs, tmp, self.options)
        return folder

    def __repr__(self) -> str:
        lines = [f"CompareResult: {len(self.corpora)} corpora ({', '.join(self.corpora)}), "
                 f"{len(self.measures)} measures"]  # fmt: skip
        return "\n".join([*lines, *(f"  {line}" for line in self.headline)])

    def _repr_html_(self) -> str:
        import html

        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.headline)
        table = self.descriptives.pivot(index="measure", columns="corpus", values="mean").to_html(
            float_format=lambda v: f"{v:.3g}"
        )
        return f"<p><b>{html.escape(repr(self).splitlines()[0])}</b></p><ul>{items}</ul>{table}"


def compare_inputs(
    inputs: Mapping[str, Any] | Sequence[str | os.PathLike[str]],
    *,
    measures: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = True,
    out: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    norms: str | os.PathLike[str] | None = None,
    affect_norms: str | os.PathLike[str] | None = None,
    by: str | None = None,
    contrasts: Sequence[tuple[str, str] | str] = (),
    plots: str = "all",
    alpha: float = 0.05,
    cluster: str | None = None,
) -> CompareResult:
    """:func:`affectlab.text.compare` (see there)."""
    from affectlab.config import validated
    from affectlab.io import atomic_folder, check_folder_target, check_not_input, check_writable

    values = {
        "measures": tuple(measures) if measures else None,
        "groups": _group_map(groups),
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
        sources, labels = _sources(inputs, options)
        return CompareResult(_compare(sources, options, progress), labels, options)
    out = Path(out)
    if not isinstance(inputs, Mapping):
        items = [inputs] if isinstance(inputs, str | os.PathLike) else inputs
        check_not_input(out, items, "report folder")
    check_writable(out, folder=True)
    check_folder_target(out, overwrite)
    with atomic_folder(out, overwrite=overwrite) as tmp:  # a killed run leaves no partial report
        paths = [Path(p) for p in ([inputs] if isinstance(inputs, str | os.PathLike) else inputs)]
        if isinstance(inputs, Mapping):
            sources, labels = _sources(inputs, options)
        else:
            sources, labels = prepare_inputs(paths, tmp / "scores", options, shown_as=out / "scores")
        result = CompareResult(_compare(sources, options, progress), labels, options)
        save_report(result.comparison, labels, tmp, options)
    return result


def _compare(sources: Sequence[ScoreSource], options: CompareOptions, progress: bool) -> Comparison:
    from affectlab.progress import progress_bar

    with progress_bar("comparing", None, "measures", progress) as advance:
        return compare(
            sources,
            measures=options.measures,
            groups=options.groups,
            seed=options.seed,
            by=options.by,
            contrasts=options.contrasts,
            alpha=options.alpha,
            cluster=options.cluster,
            on_measure=lambda column, total: advance(1),
        )


def parse_contrast(spec: tuple[str, str] | str) -> tuple[str, str]:
    """``"captions:art"`` (or a pair) -> ``("captions", "art")``."""
    if isinstance(spec, str):
        a, sep, b = spec.partition(":")
        if not sep or not a.strip() or not b.strip() or ":" in b:
            raise AffectlabError(f"--contrast {spec!r}: expected A:B (two corpus or group names)")
        return a.strip(), b.strip()
    a, b = spec
    return str(a), str(b)


def _group_map(groups: Mapping[str, Sequence[str]] | None) -> dict[str, str] | None:
    """``{"captions": ["coco", "flickr8k"]}`` -> ``{"coco": "captions", "flickr8k": "captions"}``."""
    if not groups:
        return None
    mapping: dict[str, str] = {}
    for group, members in groups.items():
        for name in [members] if isinstance(members, str) else members:
            if name in mapping:
                raise AffectlabError(f"groups: corpus {name!r} is in two groups")
            mapping[name] = group
    return mapping


def _sources(
    inputs: Mapping[str, Any] | Sequence[str | os.PathLike[str]], options: CompareOptions
) -> tuple[list[ScoreSource], list[str]]:
    import pyarrow as pa

    if isinstance(inputs, Mapping):
        sources: list[ScoreSource] = []
        for name, item in inputs.items():
            if isinstance(item, str | os.PathLike):
                sources.append(_renamed(ParquetScores(Path(item)), str(name)))
            else:
                table = item if isinstance(item, pa.Table) else pa.Table.from_pandas(item, preserve_index=False)
                sources.append(FrameScores(str(name), table.drop_columns(
                    [c for c in ("corpus", "text") if c in table.column_names])))  # fmt: skip
        return sources, [s.label for s in sources]
    paths = [Path(p) for p in ([inputs] if isinstance(inputs, str | os.PathLike) else inputs)]
    sources = [ParquetScores(p) if p.exists() and is_score_file(p) else _profiled(p, options) for p in paths]
    return sources, [s.label for s in sources]


def _profiled(path: Path, options: CompareOptions) -> FrameScores:
    """A raw corpus file profiled in memory (its corpus name from the file name)."""
    import pyarrow as pa

    from affectlab.text.api import profile

    frame = profile(path, keep_text=False, norms=options.norms, affect_norms=options.affect_norms,
                    workers=options.workers)  # fmt: skip
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return FrameScores(str(frame["corpus"].iloc[0]) if len(frame) else path.name.split(".")[0],
                       table.drop_columns(["id", "corpus"]))  # fmt: skip


def _renamed(source: ParquetScores, name: str) -> FrameScores:
    """A score file read whole under the corpus name ``name`` (a mapping's key names its corpus)."""
    import pyarrow.dataset as pads

    table = pads.dataset(source.path, format="parquet").to_table()
    keep = [c for c in table.column_names if c not in ("corpus", "text", "id")]
    return FrameScores(name, table.select(keep))
