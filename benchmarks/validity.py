"""Validity of the sentiment measures: how far each agrees with people, per domain (VADER's gold standard).

The four human-rated corpora of Hutto & Gilbert (2014, ICWSM), ``../shared/data/validity/vader_icwsm2014``:
4,200 tweets, 10,605 movie-review snippets, 3,708 product-review snippets, 5,190 NYT editorial snippets,
each with the mean of 20 raters on -4 (extremely negative) .. +4 (extremely positive). Every text is scored
with affectlab's default measures (plus the Warriner affect norms when the file is there), and per domain
each sentiment measure is set against the human mean:

- ``r``: Pearson correlation of the signed measure with the human mean (valence measures);
- ``F1``: 3-class (negative / neutral / positive) F1, classes cut at +-0.05 for the measure and for the human
  mean alike (the paper's rule), averaged over classes weighted by their human counts (``F1w``) and unweighted
  (``F1m``, macro);
- ``r |.|``: Pearson correlation of the measure's magnitude with the magnitude of the human mean (how *much*
  sentiment a text carries, whatever its sign: the intensity reading of the same measure).

Measures: ``vader_compound`` (-1..1), pattern ``polarity`` (-1..1) and, with the norms file, Warriner
``valence`` (1..9, centred and scaled to -1..1 as (v - 5) / 4 for the F1 cut; texts without a rated word
count as neutral). The paper's figures for VADER on the tweets (r = 0.881, F1 = 0.96; one human rater
against the mean: r = 0.888) are printed beside the measured ones, as is the ratio of the measured tweets r to
the paper's.

    .venv/bin/python benchmarks/validity.py [--data DIR] [--norms WARRINER.csv] [--quick]

``--quick`` (run by the test suite): the first 400 texts of each domain; same code path and summary line.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from affectlab.text.measures import MeasureConfig, Scorer, build_measures

SHARED = Path(__file__).resolve().parents[2] / "shared/data"
DEFAULT_DATA = SHARED / "validity/vader_icwsm2014"
DEFAULT_NORMS = SHARED / "norms/Ratings_Warriner_et_al.csv"
DOMAINS = {
    "tweets": "tweets_GroundTruth.txt",
    "movie reviews": "movieReviewSnippets_GroundTruth.txt",
    "product reviews": "amazonReviewSnippets_GroundTruth.txt",
    "NYT editorials": "nytEditorialSnippets_GroundTruth.txt",
}
PAPER_TWEETS = {"r": 0.881, "F1": 0.96, "rater r": 0.888}  # Hutto & Gilbert 2014, VADER on the tweets
NEUTRAL = 0.05


@dataclass(frozen=True)
class Measure:
    """A sentiment column and how it maps onto the -1..1 scale the F1 cut is made on."""

    column: str
    label: str
    centre: float = 0.0
    scale: float = 1.0

    def signed(self, values: np.ndarray) -> np.ndarray:
        return (values - self.centre) / self.scale


MEASURES = (
    Measure("vader_compound", "VADER compound"),
    Measure("polarity", "pattern polarity"),
    Measure("valence", "Warriner valence (word mean)", centre=5.0, scale=4.0),
)


def read_domain(path: Path, limit: int | None) -> tuple[list[str], np.ndarray]:
    """(texts, human means) of one ``id<TAB>mean<TAB>text`` file."""
    texts: list[str] = []
    means: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        _, mean, text = line.split("\t", 2)
        texts.append(text)
        means.append(float(mean))
        if limit is not None and len(texts) == limit:
            break
    return texts, np.asarray(means)


def classes(values: np.ndarray) -> np.ndarray:
    """-1 / 0 / +1 with the paper's +-0.05 cut."""
    return np.where(values >= NEUTRAL, 1, np.where(values <= -NEUTRAL, -1, 0))


def f1_scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """(F1 weighted by the true class counts, macro F1) over the classes present in ``truth``."""
    f1s, weights = [], []
    for c in np.unique(truth):
        tp = np.sum((predicted == c) & (truth == c))
        fp = np.sum((predicted == c) & (truth != c))
        fn = np.sum((predicted != c) & (truth == c))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        weights.append(np.sum(truth == c))
    return float(np.average(f1s, weights=weights)), float(np.mean(f1s))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def evaluate(measure: Measure, values: np.ndarray, human: np.ndarray) -> dict[str, float]:
    """r and r of magnitudes on the texts the measure scored; F1 with unscored texts as neutral."""
    scored = ~np.isnan(values)
    signed = measure.signed(values)
    f1w, f1m = f1_scores(classes(human), classes(np.where(scored, signed, 0.0)))
    return {
        "r": pearson(values[scored], human[scored]),
        "F1w": f1w,
        "F1m": f1m,
        "r_abs": pearson(np.abs(signed[scored]), np.abs(human[scored])),
        "scored": float(scored.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the *_GroundTruth.txt files")
    parser.add_argument("--norms", type=Path, default=DEFAULT_NORMS, help="Warriner et al. CSV (valence)")
    parser.add_argument("--quick", action="store_true", help="the first 400 texts per domain (the test suite's run)")
    args = parser.parse_args()
    limit = 400 if args.quick else None
    config = MeasureConfig(affect_norms=args.norms if args.norms.is_file() else None)
    scorer = Scorer(build_measures(config, names=["vader", "pattern", "affect"]))
    measures = [m for m in MEASURES if m.column in scorer.schema.names]
    print(f"{'domain':16} {'n':>6}  {'measure':30} {'r':>6} {'F1w':>6} {'F1m':>6} {'r |.|':>6} {'scored':>7}")
    tweets_vader: dict[str, float] = {}
    for domain, name in DOMAINS.items():
        texts, human = read_domain(args.data / name, limit)
        columns = scorer.score(texts).to_pydict()
        for measure in measures:
            values = np.array([np.nan if v is None else v for v in columns[measure.column]], dtype=float)
            found = evaluate(measure, values, human)
            if domain == "tweets" and measure.column == "vader_compound":
                tweets_vader = found
            print(
                f"{domain:16} {len(texts):>6,}  {measure.label:30} {found['r']:>6.3f} {found['F1w']:>6.3f} "
                f"{found['F1m']:>6.3f} {found['r_abs']:>6.3f} {found['scored']:>7.1%}"
            )
    print(
        f"paper (Hutto & Gilbert 2014), VADER on the tweets: r {PAPER_TWEETS['r']}, F1 {PAPER_TWEETS['F1']} "
        f"(one rater vs the mean: r {PAPER_TWEETS['rater r']}); measured: r {tweets_vader['r']:.3f} "
        f"(ratio to the paper {tweets_vader['r'] / PAPER_TWEETS['r']:.3f}), F1w {tweets_vader['F1w']:.3f}"
    )


if __name__ == "__main__":
    main()
