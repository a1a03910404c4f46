"""One contract test over every registered measure family (a new family is tested the day it registers).

Each family, built with what turns it on: one value per text in every declared column, in declared order
and of the declared Arrow type; a missing text (None) scores as nulls; an empty text scores without error.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from affectlab.text.measures import MeasureConfig, families
from affectlab.text.measures.base import Family
from affectlab.text.measures.norms import NormTable
from tests.conftest import SHARED_DATA
from tests.text.measures.helpers import score_with

TEXTS = ["A happy dog runs on the green grass.", "", None, "I fear that hope is like a distant star."]
WARRINER = SHARED_DATA / "norms" / "Ratings_Warriner_et_al.csv"
GLASGOW = SHARED_DATA / "norms" / "glasgow_norms.csv"
IMAGEABILITY = NormTable(name="imageability", path=GLASGOW, word="WORDS", value="IMAG_M")

# What turns each optional family on; a new optional family needs an entry here (tested below).
ENABLE: dict[str, dict[str, object]] = {
    "lang": {"lang_id": True},
    "affect": {"affect_norms": WARRINER},
    "norms": {"word_norms": (IMAGEABILITY,)},
}


def _config(family: Family) -> MeasureConfig:
    values = ENABLE.get(family.name, {}) if family.optional else {}
    for path in (WARRINER, GLASGOW):
        if values and not path.exists():
            pytest.skip(f"{path} is absent (../shared/data)")
    return MeasureConfig(**values)


def test_every_optional_family_says_what_turns_it_on():
    optional = {f.name for f in families() if f.optional}
    assert optional <= set(ENABLE), f"add the options that turn on {sorted(optional - set(ENABLE))} to ENABLE"
    assert all(f.notes for f in families() if f.optional)


@pytest.mark.parametrize("family", families(), ids=lambda f: f.name)
def test_family_contract(family: Family):
    measure = family.factory(_config(family))
    assert measure is not None, f"{family.name} stayed off with {ENABLE.get(family.name)}"
    assert measure.name == family.name
    if family.columns:
        assert measure.schema == family.schema  # the declared columns, in order, with their types
    else:  # columns named by configuration (any word-norm table): the built measure declares them
        assert len(measure.schema) > 0
    assert family.sources
    assert len({c.name for c in family.columns}) == len(family.columns)
    for column in family.columns:
        assert column.meaning and column.label, column.name

    scored = score_with(measure, TEXTS)
    assert list(scored) == measure.schema.names
    for field in measure.schema:
        values = scored[field.name]
        assert len(values) == len(TEXTS), field.name
        pa.array(values, type=field.type)  # castable to the declared type
        assert values[TEXTS.index(None)] is None or _is_nan(values[TEXTS.index(None)]), field.name
        column = next((c for c in family.columns if c.name == field.name), None)
        if column is not None and column.limits is not None:
            low, high = column.limits
            present = [v for v in values if v is not None and not _is_nan(v)]
            assert all(low <= v <= high for v in present), (field.name, present, column.limits)


def test_families_declare_distinct_columns():
    names = [c.name for f in families() for c in f.columns]
    assert len(names) == len(set(names))


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)
