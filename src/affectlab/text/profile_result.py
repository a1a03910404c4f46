"""What :func:`affectlab.text.profile` returns, with or without ``out``: one type, one way to get the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

HEAD_ROWS = 5  # rows shown by repr() and in a notebook


@dataclass(frozen=True)
class ProfileResult:
    """The scores :func:`~affectlab.text.profile` made, how many, how fast.

    They are held in memory (``path`` is None) or were written to the parquet file or folder of parts
    ``path`` (``out``); :meth:`to_pandas` and :meth:`to_arrow` give the same table either way, with the
    index of a DataFrame or Series given as input. ``len()`` is the number of rows; a notebook shows a
    one-line summary and the first rows.
    """

    path: Path | None
    rows: int
    seconds: float
    engine: str
    workers: int
    table: pa.Table | None = field(default=None, repr=False, compare=False)
    index: pd.Index | None = field(default=None, repr=False, compare=False)

    @property
    def texts_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def __len__(self) -> int:
        return self.rows

    def to_arrow(self) -> pa.Table:
        """The scores as an Arrow table (a folder of parts is read in part order)."""
        return self.table if self.table is not None else self._written().to_table()

    def _written(self):  # noqa: ANN202 - a pyarrow dataset
        """The parquet file or folder of parts at ``path``, opened lazily."""
        import pyarrow.dataset as pads

        return pads.dataset(self.path, format="parquet")

    def to_pandas(self) -> pd.DataFrame:
        """The scores as a DataFrame: id, corpus, text (when kept), kept columns, measures."""
        return self._frame(self.to_arrow(), self.index)

    def head(self, n: int = HEAD_ROWS) -> pd.DataFrame:
        """The first ``n`` rows as a DataFrame (read from the start of ``path`` only)."""
        table = self.table.slice(0, n) if self.table is not None else self._written().head(n)
        return self._frame(table, None if self.index is None else self.index[:n])

    @staticmethod
    def _frame(table: pa.Table, index: pd.Index | None) -> pd.DataFrame:
        frame = table.to_pandas()
        if index is not None:
            frame.index = index
        return frame

    def summary(self) -> str:
        """One line: how many texts, where they are, how fast."""
        where = "in memory" if self.path is None else f"-> {self.path}"
        return (
            f"ProfileResult: {self.rows:,} texts {where} ({self.seconds:.1f} s, "
            f"{self.texts_per_second:,.0f} texts/s, {self.engine} x {self.workers})"
        )

    def _shown(self, head: pd.DataFrame) -> str:
        return f"first {len(head)} rows" if len(head) < self.rows else "all rows"

    def __repr__(self) -> str:
        head = self.head()
        return f"{self.summary()}; {self._shown(head)}, .to_pandas() for the table:\n{head!r}"

    def _repr_html_(self) -> str:
        head = self.head()
        return (
            f"<p>{escape(self.summary())}; {self._shown(head)}, <code>.to_pandas()</code> for the table</p>"
            f'<div style="overflow-x: auto">{head.to_html(max_cols=8)}</div>'
        )
