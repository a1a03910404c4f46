"""The lang column equals py3langid's own labels; pattern's lexicon without textblob equals textblob's; the
start-up caches; ``text score`` starts fast without importing textblob, NLTK or pandas."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from affectlab.text.measures import Scorer, build_measures, cache, pattern_fast
from affectlab.text.measures.base import MeasureConfig
from affectlab.text.measures.language import LanguageIdentifier

_LETTER = re.compile(r"[^\W\d_]")
MIXED = [
    "a dog on a red sofa",
    "Das ist ein schöner Tag am See",
    "C'est la vie, mon ami",
    "これは日本語の文です",
    "El perro come en la cocina",
    "Это русский текст",
    "HELLO WORLD",
    "",
    "   ",
    "12345",
    "😀😀",
    None,
    "mixed Deutsch and English words",
]


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


def _reference(identifier: LanguageIdentifier, texts: list) -> list:
    """py3langid's own label, None where the text has no letter (no language evidence)."""
    return [identifier.reference.classify(t)[0] if t and _LETTER.search(t) else None for t in texts]


def test_labels_equal_py3langid_on_a_mixed_language_sample(identifier):
    import py3langid

    assert identifier.labels(MIXED) == _reference(identifier, MIXED)
    assert identifier.labels(MIXED)[:4] == ["en", "de", "fr", "ja"]
    assert identifier.classify("El perro come en la cocina") == py3langid.classify("El perro come en la cocina")[0]


def test_labels_equal_py3langid_on_real_captions_poetry_and_web_text(identifier, shared_data):
    import pyarrow.parquet as pq

    coco = json.loads((shared_data / "captions/captions_val2017.json").read_text(encoding="utf-8"))["annotations"]
    laion = pq.read_table(shared_data / "captions/img2dataset_test_1000.parquet").column("TEXT").to_pylist()
    with gzip.open(shared_data / "art_text/poetry/public_domain_poetry.jsonl.gz", "rt", encoding="utf-8") as fh:
        poems = [json.loads(line)["text"] for line in itertools.islice(fh, 150)]
    lines = [line for poem in poems for line in poem.split("\n")]
    texts = [a["caption"] for a in coco[:3000]] + laion + lines[:3000]
    ours = [label for start in range(0, len(texts), 700) for label in identifier.labels(texts[start : start + 700])]
    assert ours == _reference(identifier, texts)
    assert len({label for label in ours if label}) > 5  # the web sample is multilingual


def test_the_identifier_never_reaches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert LanguageIdentifier().classify("ein kleiner Hund") == "de"
    import py3langid

    model = Path(py3langid.__file__).parent / "data" / "model.npz.xz"
    assert model.is_file()  # the model ships inside the PyPI package


def test_lang_filter_scores_only_wanted_languages():
    scorer = Scorer(build_measures(MeasureConfig(languages=("en",))))
    table = scorer.score(["a happy dog", "ein glücklicher Hund", None, "123"]).to_pydict()
    assert table["lang"] == ["en", "de", None, None]
    assert table["vader_compound"][0] > 0 and table["vader_compound"][1:] == [None, None, None]
    assert table["n_tokens"] == [3, None, None, None]
    plain = Scorer(build_measures(MeasureConfig())).score(["a happy dog"]).to_pydict()
    assert "lang" not in plain and plain["vader_compound"] == table["vader_compound"][:1]


def test_unknown_language_code_is_one_line():
    from affectlab.errors import AffectlabError

    with pytest.raises(AffectlabError, match="unknown language code"):
        build_measures(MeasureConfig(languages=("xx",)))


def test_pattern_constants_and_lexicon_equal_textblobs(tmp_path, monkeypatch):
    from textblob import _text
    from textblob.en import sentiment

    assert pattern_fast.PUNCTUATION == _text.PUNCTUATION
    assert pattern_fast.ABBREVIATIONS == _text.ABBREVIATIONS
    assert {k: set(v) for k, v in pattern_fast.EMOTICONS.items()} == _text.EMOTICONS
    assert pattern_fast.REPLACEMENTS == _text.replacements and pattern_fast.EOS == _text.EOS
    assert tuple(sentiment.negations) == pattern_fast.NEGATIONS
    for regex in ("RE_ABBR1", "RE_ABBR2", "RE_ABBR3"):
        assert getattr(pattern_fast, regex).pattern == getattr(_text, regex).pattern
    len(sentiment)  # textblob loads its lexicon lazily
    expected = {w: tuple(senses[None]) for w, senses in dict.items(sentiment)}
    modifiers = {w for w, senses in dict.items(sentiment) if "RB" in senses}
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(pattern_fast, "_LEXICON", None)
    built, built_modifiers = pattern_fast.load_lexicon()  # parsed from the XML, then cached
    assert built == expected and built_modifiers == modifiers
    [entry] = (tmp_path / "affectlab").glob("pattern-en-sentiment-*.json")
    monkeypatch.setattr(pattern_fast, "_LEXICON", None)
    cached, cached_modifiers = pattern_fast.load_lexicon()  # read from the cache
    assert cached == expected and cached_modifiers == modifiers
    entry.write_text("{not json")  # a corrupt entry is rebuilt
    monkeypatch.setattr(pattern_fast, "_LEXICON", None)
    assert pattern_fast.load_lexicon()[0] == expected


def test_cache_is_keyed_by_the_source_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AFFECTLAB_CACHE", raising=False)
    source = tmp_path / "src.txt"
    source.write_text("one")
    calls = []
    assert cache.cached_json("thing", source, lambda: calls.append(1) or {"v": 1}) == {"v": 1}
    assert cache.cached_json("thing", source, lambda: calls.append(1) or {"v": 2}) == {"v": 1}
    source.write_text("two")  # another content: another entry
    assert cache.cached_json("thing", source, lambda: calls.append(1) or {"v": 3}) == {"v": 3}
    assert len(calls) == 2 and cache.cache_dir() == tmp_path / "xdg" / "affectlab"
    assert len(list((tmp_path / "xdg" / "affectlab").glob("thing-*.json"))) == 2
    (tmp_path / "ro").mkdir()
    monkeypatch.setenv("AFFECTLAB_CACHE", str(tmp_path / "ro" / "file"))
    (tmp_path / "ro" / "file").write_text("a file, not a folder")
    assert cache.cached_json("thing", source, lambda: {"v": 4}) == {"v": 4}  # unwritable cache: just rebuilt


def _score_seconds(env: dict[str, str]) -> tuple[float, set[str]]:
    code = (
        "import sys, time; t = time.process_time(); sys.argv = ['affectlab', 'text', 'score', 'one prompt'];\n"
        "from affectlab.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('SECONDS', time.process_time() - t, ' '.join(sorted(m for m in ('textblob', 'nltk', 'pandas', "
        "'sklearn') if m in sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    line = next(line for line in done.stderr.splitlines() if line.startswith("SECONDS"))
    _, seconds, *modules = line.split()
    return float(seconds), set(modules)


@pytest.mark.slow
def test_score_starts_fast_and_imports_neither_textblob_nor_pandas(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("AFFECTLAB_CACHE", None)
    started = time.perf_counter()
    cold, modules = _score_seconds(env)  # builds the caches
    assert modules == set() and time.perf_counter() - started < 30
    warm = min(_score_seconds(env)[0] for _ in range(3))  # CPU seconds: what a loaded machine cannot inflate
    assert warm < 1.5, f"warm start-up {warm:.2f} s of CPU (cold {cold:.2f} s)"
    assert {p.name.split("-")[0] for p in (tmp_path / "affectlab").iterdir()} == {"concreteness", "pattern"}
