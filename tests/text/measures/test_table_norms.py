"""Any word-norm table as configuration: Glasgow imageability and Warriner valence against direct look-ups."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

import affectlab as al
from affectlab.errors import AffectlabError
from affectlab.text.measures import MeasureConfig, build_measures, score_batch
from affectlab.text.measures.norms import NormTable

TEXTS = [
    "The happy dogs are eating cake in the red abbey.",
    "An abstract idea of freedom",
    "xyzzy qwrtzq",
    "",
    None,
]


def _glasgow(shared_data: Path) -> Path:
    return shared_data / "norms" / "glasgow_norms.csv"


def _warriner(shared_data: Path) -> Path:
    return shared_data / "norms" / "Ratings_Warriner_et_al.csv"


def test_glasgow_imageability_equals_direct_lookups(shared_data: Path) -> None:
    path = _glasgow(shared_data)
    with path.open(encoding="utf-8", newline="") as handle:
        imag = {row["WORDS"]: float(row["IMAG_M"]) for row in csv.DictReader(handle)}
    table = NormTable.parse(f"imageability={path}:WORDS:IMAG_M")
    rows = score_batch(TEXTS, build_measures(MeasureConfig(word_norms=(table,)), names=["norms"])).to_pylist()
    # "the happy dogs are eating cake in the red abbey": rated happy, dog (dogs), eat (eating), cake, red, abbey
    units = ["happy", "dog", "eat", "cake", "red", "abbey"]
    assert not {"the", "are", "in"} & set(imag)
    assert rows[0]["imageability"] == pytest.approx(sum(imag[u] for u in units) / 6, abs=1e-12)
    assert rows[0]["imageability_coverage"] == pytest.approx(6 / 10, abs=1e-12)  # 10 tokens
    assert rows[2] == {"imageability": None, "imageability_coverage": 0.0}
    assert rows[3] == rows[4] == {"imageability": None, "imageability_coverage": None}


def test_a_warriner_table_equals_the_affect_family(shared_data: Path) -> None:
    """The generic family on Warriner's V/A/D columns gives the affect family's numbers exactly."""
    path = _warriner(shared_data)
    tables = tuple(
        NormTable(name=f"w_{scale}", path=path, word="Word", value=column)
        for scale, column in (("valence", "V.Mean.Sum"), ("arousal", "A.Mean.Sum"), ("dominance", "D.Mean.Sum"))
    )
    config = MeasureConfig(affect_norms=path, word_norms=tables)
    rows = score_batch(TEXTS, build_measures(config, names=["affect", "norms"])).to_pylist()
    for row in rows:
        for scale in ("valence", "arousal", "dominance"):
            assert row[f"w_{scale}"] == row[scale]
            assert row[f"w_{scale}_coverage"] == row["affect_coverage"]
    assert rows[0]["valence"] is not None


def test_score_api_and_cli_take_norm_specs(shared_data: Path) -> None:
    """ "a red abbey": a is not in the Glasgow norms; red and abbey are."""
    spec = f"imageability={_glasgow(shared_data)}:WORDS:IMAG_M"
    with _glasgow(shared_data).open(encoding="utf-8", newline="") as handle:
        imag = {row["WORDS"]: float(row["IMAG_M"]) for row in csv.DictReader(handle)}
    assert "a" not in imag
    frame = al.text.score(["a red abbey"], word_norms=[spec])
    assert frame["imageability"].tolist() == [pytest.approx((imag["red"] + imag["abbey"]) / 2, abs=1e-12)]
    cli = subprocess.run(
        [sys.executable, "-m", "affectlab", "text", "score", "a red abbey", "--json", "--word-norm", spec],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert f'"imageability": {float(frame["imageability"][0])!r}' in cli.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("imageability", r"--word-norm 'imageability': expected NAME=PATH:WORD_COLUMN:VALUE_COLUMN"),
        ("x=a.csv:w", r"expected NAME=PATH:WORD_COLUMN:VALUE_COLUMN"),
        ("Bad=a.csv:w:v", r"invalid --word-norm 'Bad=a.csv:w:v': name: String should match pattern"),
    ],
)
def test_bad_specs_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(AffectlabError, match=message):
        NormTable.parse(spec)


def test_bad_tables_name_the_problem(shared_data: Path, tmp_path: Path) -> None:
    glasgow = _glasgow(shared_data)
    cases = [
        (NormTable(name="imag", path=glasgow, word="Word", value="IMAG_M"), r"glasgow_norms\.csv: missing column"),
        (NormTable(name="concreteness", path=glasgow, word="WORDS", value="IMAG_M"), r"--word-norm concreteness: the"),
        (NormTable(name="x", path=tmp_path / "none.csv", word="w", value="v"), r"norms file .*none\.csv not found"),
    ]
    for table, message in cases:
        with pytest.raises(AffectlabError, match=message):
            build_measures(MeasureConfig(word_norms=(table,)), names=["norms"])
    twice = NormTable(name="imag", path=glasgow, word="WORDS", value="IMAG_M")
    with pytest.raises(AffectlabError, match="--word-norm imag: the column name is taken"):
        build_measures(MeasureConfig(word_norms=(twice, twice)), names=["norms"])


def test_off_without_tables() -> None:
    assert "norms" not in [m.name for m in build_measures(MeasureConfig())]
