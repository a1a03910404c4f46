"""The comparison as a Python object: DataFrames, headline sentences, and ``save`` to a report folder."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from affectlab.errors import AffectlabError
from affectlab.text.comparison.core import Comparison, ScoreSource, compare
from affectlab.text.comparison.report import CompareOptions, headlines, report_tables, save_report

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


def run_comparison(sources: Sequence[ScoreSource], options: CompareOptions, progress: bool) -> Comparison:
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


def group_map(groups: Mapping[str, Sequence[str]] | None) -> dict[str, str] | None:
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
