"""Metrics against hand-checked confusion matrices (and scikit-learn as a second opinion)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score

from affectlab.fer.probes.metrics import confusion_matrix, macro_f1, mean_std, score, summarize, uar, war

Y_TRUE = [0, 0, 0, 1, 1, 2]
Y_PRED = [0, 0, 1, 1, 2, 2]


def test_confusion_rows_are_true_classes() -> None:
    cm = confusion_matrix(Y_TRUE, Y_PRED, 4)
    assert cm.tolist() == [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]


def test_hand_checked_values() -> None:
    cm = confusion_matrix(Y_TRUE, Y_PRED, 4)
    # recalls 2/3, 1/2, 1/1 over the 3 present classes (class 3 absent from the test set)
    assert uar(cm) == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert war(cm) == pytest.approx(4 / 6)
    # F1: class 0 2*2/(2+3), class 1 2*1/(2+2), class 2 2*1/(2+1)
    assert macro_f1(cm) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_absent_true_class_is_left_out_of_uar_but_counts_as_error() -> None:
    cm = confusion_matrix([0, 0], [0, 1], 2)
    assert uar(cm) == pytest.approx(0.5)
    assert war(cm) == pytest.approx(0.5)
    assert macro_f1(cm) == pytest.approx(2 / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_sklearn_on_present_classes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 5, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 6, 200))
    present = np.unique(y_true)
    cm = confusion_matrix(y_true, y_pred, 6)
    assert uar(cm) == pytest.approx(recall_score(y_true, y_pred, labels=present, average="macro"))
    assert macro_f1(cm) == pytest.approx(f1_score(y_true, y_pred, labels=present, average="macro"))
    assert war(cm) == pytest.approx(np.mean(y_true == y_pred))


def test_labels_out_of_range_raise() -> None:
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 3], [0, 1], 3)


def test_summary_is_mean_and_sample_std() -> None:
    folds = [
        score("a", np.array([0, 1]), np.array([0, 1]), 2),
        score("b", np.array([0, 1]), np.array([0, 0]), 2),
    ]
    summary = summarize(folds)
    assert summary["war"]["mean"] == pytest.approx(0.75)
    assert summary["war"]["std"] == pytest.approx(np.std([1.0, 0.5], ddof=1))
    assert mean_std([0.3]) == (0.3, 0.0)
