"""The validity benchmark's statistics: its F1 equals scikit-learn's, its r the published figures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "validity.py"


@pytest.fixture(scope="module")
def validity():
    spec = importlib.util.spec_from_file_location("validity", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["validity"] = module  # its dataclass looks its module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["validity"]


def test_classes_cut_at_five_hundredths(validity) -> None:
    values = np.array([-0.5, -0.05, -0.0499, 0.0, 0.0499, 0.05, 3.0])
    assert validity.classes(values).tolist() == [-1, -1, 0, 0, 0, 1, 1]


def test_f1_equals_scikit_learn(validity) -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        truth = rng.integers(-1, 2, 200)
        predicted = np.where(rng.random(200) < 0.7, truth, rng.integers(-1, 2, 200))
        weighted, macro = validity.f1_scores(truth, predicted)
        assert weighted == pytest.approx(f1_score(truth, predicted, average="weighted"), abs=1e-12)
        assert macro == pytest.approx(f1_score(truth, predicted, average="macro"), abs=1e-12)


def test_tweets_agree_with_the_published_figures(validity, shared_data: Path) -> None:
    """VADER 3.3.2 and pattern on the 4,200 tweets: r 0.872 and 0.697 (the figures of the data's README)."""
    from affectlab.text.measures import Scorer, build_measures

    texts, human = validity.read_domain(shared_data / "validity/vader_icwsm2014/tweets_GroundTruth.txt", None)
    assert len(texts) == 4200
    columns = Scorer(build_measures(names=["vader", "pattern"])).score(texts).to_pydict()
    vader, pattern = validity.MEASURES[:2]
    found = validity.evaluate(vader, np.array(columns["vader_compound"]), human)
    assert round(found["r"], 3) == 0.872
    assert found["F1w"] == pytest.approx(0.945, abs=5e-4)
    assert round(validity.evaluate(pattern, np.array(columns["polarity"]), human)["r"], 3) == 0.697
