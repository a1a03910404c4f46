"""Text-measure throughput on one core: affectlab's full default profile against the peer loop.

The peer loop is what one would write with the reference libraries: per caption
``SentimentIntensityAnalyzer().polarity_scores``, ``TextBlob(t).sentiment`` and a dict look-up of the
Brysbaert norms per lower-cased word. Five contenders score all COCO val2017 captions (by default) in this
process: affectlab with all default measures, affectlab with the measures the peer loop computes
(vader, pattern, concreteness), the peer loop, and with language identification on: affectlab's defaults
plus its ``lang`` column against the peer loop plus ``py3langid.classify`` per caption (the cost of ``lang``
is the difference of the two affectlab rates). They take turns slice by slice (1,000 captions), so a
swing in machine load hits all three alike; times are this process's CPU time. Each round starts from fresh
objects (affectlab's memos empty; loading lexicons and norms, once per process, is not timed) and no
contender reuses another's tokens of the same slice. The scores are checked to be identical and the ratios
of the best rounds printed.

    .venv/bin/python benchmarks/text_throughput.py [--captions PATH] [--rounds 3] [--slice 1000] [--quick]

``--quick`` (run by the test suite): the first 2,000 captions, one round; same code path and ratio line.
The run fails (exit 1) when any score or language label differs from the reference libraries.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import py3langid
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from affectlab.text.measures import Measure, MeasureConfig, Scorer, build_measures, norms
from affectlab.text.measures.lemmas import lemma_candidates

PEER_MEASURES = ("vader", "pattern", "concreteness")  # what the peer loop computes
SENTIMENT_COLUMNS = ("vader_neg", "vader_neu", "vader_pos", "vader_compound", "polarity", "subjectivity")
DEFAULT_CAPTIONS = Path(__file__).resolve().parents[2] / "shared/data/captions/captions_val2017.json"


def fresh_measures(names: list[str] | None, lang: bool = False) -> list[Measure]:
    """Measures (all, or ``names``; with the ``lang`` column when ``lang``) with empty memos."""
    norms._concreteness_norms.cache_clear()  # noqa: SLF001 (fresh norms memos for every round)
    lemma_candidates.cache_clear()
    return build_measures(MeasureConfig(lang_id=lang), names=names)


def affectlab_scorer(measures: list[Measure]) -> Callable[[list[str]], list[tuple]]:
    scorer = Scorer(measures)  # its own tokenizer: no contender reuses another's tokens
    names = [*SENTIMENT_COLUMNS, *(["lang"] if "lang" in scorer.schema.names else [])]

    def score(texts: list[str]) -> list[tuple]:
        columns = scorer.score(texts).to_pydict()
        return list(zip(*(columns[name] for name in names), strict=True))

    return score


def peer_scorer(norms: dict[str, float], lang: bool = False) -> Callable[[list[str]], list[tuple]]:
    analyzer = SentimentIntensityAnalyzer()
    identify = py3langid.classify

    def score(texts: list[str]) -> list[tuple]:
        rows = []
        for text in texts:
            vader = analyzer.polarity_scores(text)
            blob = TextBlob(text).sentiment
            ratings = [r for w in text.lower().split() if (r := norms.get(w)) is not None]
            row = (vader["neg"], vader["neu"], vader["pos"], vader["compound"], *blob)
            rows.append((*row, identify(text)[0]) if lang else row)
            len(ratings)
        return rows

    return score


def run_round(
    texts: list[str], scorers: dict[str, Callable], size: int, pair: tuple[str, str]
) -> tuple[dict[str, float], float]:
    """CPU seconds per contender over all texts, taking turns per slice; max |diff| between the ``pair``."""
    seconds = dict.fromkeys(scorers, 0.0)
    max_diff = 0.0
    for start in range(0, len(texts), size):
        part = texts[start : start + size]
        results = {}
        for name, score in scorers.items():
            begin = time.process_time()
            results[name] = score(part)
            seconds[name] += time.process_time() - begin
        for ours, peer in zip(results[pair[0]], results[pair[1]], strict=True):
            max_diff = max(max_diff, *(_diff(a, b) for a, b in zip(ours, peer, strict=True)))
    return seconds, max_diff


def _diff(a: float | str, b: float | str) -> float:
    """|a - b| for scores; 0 or inf for language labels (equal or not)."""
    if isinstance(a, str) or isinstance(b, str):
        return 0.0 if a == b else float("inf")
    return abs(a - b)


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
    py3langid.classify("load the model")  # loading models and lexicons is not timed, for any contender
    worst = 0.0
    best: dict[str, float] = {}
    for round_ in range(args.rounds):
        everything = fresh_measures(None)
        scorers = {
            "all": affectlab_scorer(everything),
            "same": affectlab_scorer(fresh_measures(list(PEER_MEASURES))),
            "peer": peer_scorer(ratings),
        }
        seconds, max_diff = run_round(texts, scorers, args.slice, ("all", "peer"))
        # with lang on: a pass of its own, from fresh measures (no memo filled by the pass above)
        with_lang = {
            "all+lang": affectlab_scorer(fresh_measures(None, lang=True)),
            "peer+lang": peer_scorer(ratings, True),
        }
        more, lang_diff = run_round(texts, with_lang, args.slice, ("all+lang", "peer+lang"))
        seconds.update(more)
        max_diff = max(max_diff, lang_diff)
        worst = max(worst, max_diff)
        best = {k: min(best.get(k, float("inf")), v) for k, v in seconds.items()}
        fallbacks = sum(getattr(m, "fallbacks", 0) for m in everything)
        rates = {k: len(texts) / v for k, v in seconds.items()}
        print(
            f"round {round_ + 1}: texts/s all measures {rates['all']:,.0f}, {'+'.join(PEER_MEASURES)} "
            f"{rates['same']:,.0f}, peer {rates['peer']:,.0f}; with lang: affectlab {rates['all+lang']:,.0f}, "
            f"peer {rates['peer+lang']:,.0f}; max |diff| {max_diff:.1e}; "
            f"pattern fallbacks {fallbacks} ({fallbacks / len(texts):.3%})"
        )
    rate = {k: len(texts) / v for k, v in best.items()}
    print(
        f"{len(texts):,} captions, one core, best of {args.rounds} rounds, texts/s: peer loop "
        f"{rate['peer']:,.0f}; affectlab all default measures {rate['all']:,.0f} "
        f"(ratio {best['peer'] / best['all']:.2f}x); affectlab {'+'.join(PEER_MEASURES)} "
        f"{rate['same']:,.0f} (ratio {best['peer'] / best['same']:.2f}x); max |diff| {worst:.1e}"
    )
    lang_cost = (best["all+lang"] - best["all"]) / len(texts) * 1e6
    peer_cost = (best["peer+lang"] - best["peer"]) / len(texts) * 1e6
    print(
        f"with lang on: peer loop + py3langid {rate['peer+lang']:,.0f} texts/s; affectlab all default measures "
        f"+ lang {rate['all+lang']:,.0f} (ratio {best['peer+lang'] / best['all+lang']:.2f}x); lang costs "
        f"affectlab {lang_cost:.1f} us/text, py3langid itself {peer_cost:.1f} us/text; labels identical: {worst == 0}"
    )
    if worst != 0:
        raise SystemExit(f"scores or labels differ from the reference libraries (max |diff| {worst})")


if __name__ == "__main__":
    main()
