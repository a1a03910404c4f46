"""Affect columns (Warriner et al. 2013) against direct look-ups in the CSV, on hand-picked texts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from affectlab.errors import AffectlabError
from affectlab.text.measures import MeasureConfig, build_measures, score_batch

WARRINER_CSV = ("norms", "Ratings_Warriner_et_al.csv")
SCALES = {"valence": "V.Mean.Sum", "arousal": "A.Mean.Sum", "dominance": "D.Mean.Sum"}


@pytest.fixture(scope="module")
def warriner(shared_data: Path) -> dict[str, dict[str, str]]:
    with shared_data.joinpath(*WARRINER_CSV).open(encoding="utf-8", newline="") as handle:
        return {row["Word"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def config(shared_data: Path) -> MeasureConfig:
    return MeasureConfig(affect_norms=shared_data.joinpath(*WARRINER_CSV))


# text, the rated unit each token (or pair) is scored with, the tokens left unrated
CASES = [
    (
        "The happy dogs are eating cake at the funeral.",
        ["happy", "dog", "be", "eat", "cake", "funeral"],  # dogs -> dog, are -> be, eating -> eat
        ["the", "at", "the"],
    ),
    (
        "Smiling children near an aircraft carrier",
        ["smile", "children", "aircraft carrier"],  # smiling -> smile; the bigram is one unit
        ["near", "an"],
    ),
]


@pytest.mark.parametrize(("text", "units", "unrated"), CASES)
def test_affect_equals_direct_lookups(text, units, unrated, warriner, config) -> None:
    assert all(word not in warriner for word in unrated)
    row = score_batch([text], build_measures(config, names=["affect"])).to_pylist()[0]
    for column, csv_column in SCALES.items():
        expected = sum(float(warriner[u][csv_column]) for u in units) / len(units)
        assert row[column] == pytest.approx(expected, abs=1e-12)
    assert row["affect_coverage"] == pytest.approx(len(units) / (len(units) + len(unrated)), abs=1e-12)


def test_affect_is_off_without_norms(config) -> None:
    assert "affect" not in [m.name for m in build_measures(MeasureConfig())]
    assert "affect" in [m.name for m in build_measures(config)]


def test_affect_nulls(config) -> None:
    rows = score_batch([None, "", "xyzzy"], build_measures(config, names=["affect"])).to_pylist()
    assert rows == [
        {"valence": None, "arousal": None, "dominance": None, "affect_coverage": None},
        {"valence": None, "arousal": None, "dominance": None, "affect_coverage": None},
        {"valence": None, "arousal": None, "dominance": None, "affect_coverage": 0.0},
    ]


def test_affect_norms_without_scales_are_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "ratings.csv"
    bad.write_text("Word,Valence\nhappy,8\n", encoding="utf-8")
    with pytest.raises(AffectlabError, match=r"ratings\.csv: missing column\(s\) \['V\.Mean\.Sum'"):
        build_measures(MeasureConfig(affect_norms=bad), names=["affect"])
