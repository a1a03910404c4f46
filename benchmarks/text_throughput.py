"""Text-measure throughput on one core: affectlab's full default profile against the peer loop.

The peer loop is what one would write with the reference libraries: per caption
``SentimentIntensityAnalyzer().polarity_scores``, ``TextBlob(t).sentiment`` and a dict look-up of the
Brysbaert norms per lower-cased word. Three contenders score all COCO val2017 captions (by default) in this
process: affectlab with all default measures, affectlab with the measures the peer loop computes
(vader, pattern, concreteness) and the peer loop. They take turns slice by slice (1,000 captions), so a
swing in machine load hits all three alike; times are this process's CPU time. Each round starts from fresh
objects (affectlab's memos empty; loading lexicons and norms, once per process, is not timed) and no
contender reuses another's tokens of the same slice. The scores are checked to be identical and the ratios
of the best rounds printed.

    .venv/bin/python benchmarks/text_throughput.py [--captions PATH] [--rounds 3] [--slice 1000] [--quick]

``--quick`` (run by the test suite): the first 2,000 captions, one round; same code path and ratio line.
The run fails (exit 1) when any score differs from the reference libraries.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from affectlab.text.measures import Measure, Scorer, build_measures, norms
from affectlab.text.measures.lemmas import lemma_candidates

PEER_MEASURES = ("vader", "pattern", "concreteness")  # what the peer loop computes
SENTIMENT_COLUMNS = ("vader_neg", "vader_neu", "vader_pos", "vader_compound", "polarity", "subjectivity")
DEFAULT_CAPTIONS = Path(__file__).resolve().parents[2] / "shared/data/captions/captions_val2017.json"


def fresh_measures(names: list[str] | None) -> list[Measure]:
    """Measures (all, or ``names``) with empty memos."""
    norms._concreteness_norms.cache_clear()  # noqa: SLF001 (fresh norms memos for every round)
    lemma_candidates.cache_clear()
    return build_measures(names=names)


def affectlab_scorer(measures: list[Measure]) -> Callable[[list[str]], list[tuple]]:
    scorer = Scorer(measures)  # its own tokenizer: no contender reuses another's tokens

    def score(texts: list[str]) -> list[tuple]:
        columns = scorer.score(texts).to_pydict()
        return list(zip(*(columns[name] for name in SENTIMENT_COLUMNS), strict=True))

    return score


def peer_scorer(norms: dict[str, float]) -> Callable[[list[str]], list[tuple]]:
    analyzer = SentimentIntensityAnalyzer()

    def score(texts: list[str]) -> list[tuple]:
        rows = []
        for text in texts:
            vader = analyzer.polarity_scores(text)
            blob = TextBlob(text).sentiment
            ratings = [r for w in text.lower().split() if (r := norms.get(w)) is not None]
            rows.append((vader["neg"], vader["neu"], vader["pos"], vader["compound"], *blob, len(ratings)))
        return [row[:-1] for row in rows]

    return score


def run_round(texts: list[str], scorers: dict[str, Callable], size: int) -> tuple[dict[str, float], float]:
    """CPU seconds per contender over all texts, taking turns per slice; max |diff| of sentiment scores."""
    seconds = dict.fromkeys(scorers, 0.0)
    max_diff = 0.0
    for start in range(0, len(texts), size):
        part = texts[start : start + size]
        results = {}
        for name, score in scorers.items():
            begin = time.process_time()
            results[name] = score(part)
            seconds[name] += time.process_time() - begin
        for ours, peer in zip(results["all"], results["peer"], strict=True):
            max_diff = max(max_diff, *(abs(a - b) for a, b in zip(ours, peer, strict=True)))
    return seconds, max_diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=Path, default=DEFAULT_CAPTIONS, help="COCO captions json")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slice", type=int, default=1000, help="captions per turn")
    parser.add_argument("--quick", action="store_true", help="2,000 captions, one round (the test suite's run)")
    args = parser.parse_args()
    texts = [a["caption"] for a in json.loads(args.captions.read_text(encoding="utf-8"))["annotations"]]
    if args.quick:
        texts, args.rounds = texts[:2000], 1
    ratings = {w: r[0] for w, r in norms.load_concreteness_norms().values.items()}
    worst = 0.0
    best: dict[str, float] = {}
    for round_ in range(args.rounds):
        everything = fresh_measures(None)
        scorers = {
            "all": affectlab_scorer(everything),
            "same": affectlab_scorer(fresh_measures(list(PEER_MEASURES))),
            "peer": peer_scorer(ratings),
        }
        seconds, max_diff = run_round(texts, scorers, args.slice)
        worst = max(worst, max_diff)
        best = {k: min(best.get(k, float("inf")), v) for k, v in seconds.items()}
        fallbacks = sum(getattr(m, "fallbacks", 0) for m in everything)
        rates = {k: len(texts) / v for k, v in seconds.items()}
        print(
            f"round {round_ + 1}: texts/s all measures {rates['all']:,.0f}, {'+'.join(PEER_MEASURES)} "
            f"{rates['same']:,.0f}, peer {rates['peer']:,.0f}; max |diff| {max_diff:.1e}; "
            f"pattern fallbacks {fallbacks} ({fallbacks / len(texts):.3%})"
        )
    rate = {k: len(texts) / v for k, v in best.items()}
    print(
        f"{len(texts):,} captions, one core, best of {args.rounds} rounds, texts/s: peer loop "
        f"{rate['peer']:,.0f}; affectlab all default measures {rate['all']:,.0f} "
        f"(ratio {best['peer'] / best['all']:.2f}x); affectlab {'+'.join(PEER_MEASURES)} "
        f"{rate['same']:,.0f} (ratio {best['peer'] / best['same']:.2f}x); max |diff| {worst:.1e}"
    )
    if worst != 0:
        raise SystemExit(f"scores differ from the reference libraries by up to {worst}")


if __name__ == "__main__":
    main()
