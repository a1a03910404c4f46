"""The README recipe on the real data: captions (COCO val2017, Flickr8k, LAION-style) against art text.

To keep the suite light the two large caption files are cut to their first 3,000 captions (the README runs
them whole); the LAION-style sample and the art text are used in full.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from affectlab.text.art_text import split_sentences, strip_html, write_art_corpora
from affectlab.text.comparison.core import Comparison
from affectlab.text.config import CompareOptions, ProfileOptions
from affectlab.text.corpora import open_corpus
from affectlab.text.measures import MeasureConfig
from affectlab.text.profiling import profile_corpora
from tests.text.comparison.helpers import write_report

CAPTIONS = ("coco", "flickr8k", "laion_sample")
ART = ("tate_titles", "aic_titles", "aic_descriptions")
FIRST = 3_000


def _coco_head(source: Path, target: Path) -> Path:
    data = json.loads(source.read_text(encoding="utf-8"))
    data["annotations"] = data["annotations"][:FIRST]
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def _lines_head(source: Path, target: Path) -> Path:
    with source.open(encoding="utf-8") as fh:
        target.write_text("".join(line for _, line in zip(range(FIRST), fh, strict=False)), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def score_files(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    work = tmp_path_factory.mktemp("recipe")
    captions = shared_data / "captions"
    art = write_art_corpora(shared_data / "art_text", work / "art", sample=3_000)  # poetry: a seeded sample
    inputs = {
        "coco": _coco_head(captions / "captions_val2017.json", work / "coco.json"),
        "flickr8k": _lines_head(captions / "Flickr8k.token.txt", work / "flickr8k.token.txt"),
        "laion_sample": captions / "img2dataset_test_1000.parquet",
        **{name: art[name][0] for name in ART},  # the corpora this test is about (poetry is tested elsewhere)
    }
    norms = shared_data / "norms" / "Concreteness_ratings_Brysbaert_et_al_BRM.txt"
    options = ProfileOptions(measures=MeasureConfig(norms=norms), workers=1, keep_text=False)
    files = []
    for name, path in inputs.items():
        target = work / "scores" / f"{name}.parquet"
        profile_corpora([open_corpus(path, corpus=name)], target, options)
        files.append(target)
    return files


def _delta(result: Comparison, measure: str, a: str, b: str) -> tuple[float, float]:
    """Cliff's delta of a vs b (sign flipped when the report lists the pair the other way) and Holm p."""
    for pair in result.pairs:
        if pair.measure == measure and {pair.corpus_a, pair.corpus_b} == {a, b}:
            sign = 1.0 if pair.corpus_a == a else -1.0
            return sign * pair.test.cliffs_delta, pair.p_holm
    raise AssertionError(f"no test of {measure} for {a} vs {b}")


@pytest.mark.slow
def test_captions_more_concrete_than_art_text(score_files, tmp_path):
    result = write_report(score_files, tmp_path / "report")
    assert result.corpora == [*CAPTIONS, *ART]
    for caption in CAPTIONS:
        for art in ("tate_titles", "aic_descriptions"):
            delta, p = _delta(result, "concreteness", caption, art)
            assert delta > 0.147 and p < 0.05, (caption, art, delta, p)
        # curators' prose is more subjective and more abstract in its nouns than any caption corpus
        assert _delta(result, "subjectivity", caption, "aic_descriptions")[0] < -0.147
        assert _delta(result, "share_abstract_nouns", caption, "aic_descriptions")[0] < -0.147
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(list((tmp_path / "report" / "plots").glob("*.png")))


@pytest.mark.slow
def test_pooled_captions_more_concrete_than_pooled_art(score_files, tmp_path):
    groups = {**dict.fromkeys(CAPTIONS, "captions"), **dict.fromkeys(ART, "art")}
    result = write_report(score_files, tmp_path / "pooled", CompareOptions(groups=groups))
    assert result.corpora == ["captions", "art"]
    delta, p = _delta(result, "concreteness", "captions", "art")
    assert delta > 0 and p < 0.05
    # the readers kept each caption's image and each AIC sentence's record: a cluster bootstrap, units named
    assert result.cluster_column == "cluster" and set(result.units["captions"]) == {"image", "text"}
    assert result.units["captions"]["text"] == 1000  # the LAION-style alt texts have no unit: one each
    pair = next(p for p in result.pairs if p.measure == "concreteness")
    assert pair.clustered and pair.cluster_ci[0] > 0 and -1 < pair.adjusted[1] < pair.adjusted[0] < pair.adjusted[2]
    described = result.describe["concreteness"]
    assert described["captions"].ci_low > described["art"].ci_high


def test_art_text_helpers():
    assert strip_html("<p>Light &amp; <em>shadow</em></p>\n<p>again</p>") == "Light & shadow again"
    assert split_sentences("He paints. She draws! Why? “Quoted.” Mr. x stays") == [
        "He paints.",
        "She draws!",
        "Why?",
        "“Quoted.” Mr. x stays",
    ]


def test_art_corpora_from_the_real_files(shared_data, tmp_path):
    written = write_art_corpora(shared_data / "art_text", tmp_path)
    counts = {name: count for name, (_, count) in written.items()}
    assert counts["tate_titles"] == 1820  # every Tate record has a title
    assert 400 <= counts["aic_titles"] <= 442  # 422 listed + 20 sampled, deduplicated by artwork id
    assert 10 <= counts["aic_descriptions"] <= 100
    first = json.loads((tmp_path / "tate_titles.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first == {"id": "tate:T07845", "text": "Finger Gloves"}
    descriptions = (tmp_path / "aic_descriptions.jsonl").read_text(encoding="utf-8")
    assert "<p>" not in descriptions and "</" not in descriptions
