"""Feature store and extraction: layout, cache keys, pooling, bit-exact resume after a crash or SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import torch

from affectlab.errors import AffectlabError
from affectlab.fer.cache.extract import ExtractConfig, extract_features
from affectlab.fer.cache.store import FeatureInfo, FeatureStore, FeatureStoreWriter
from affectlab.fer.data.video import SamplingConfig
from affectlab.fer.encoders.pooling import pool_tokens, pooled_grid
from affectlab.fer.encoders.runner import SegmentRunner
from affectlab.fer.encoders.vjepa import VisionTransformer, ViTConfig
from affectlab.io import file_sha256
from tests.fer.synthetic import write_feature_store

SMALL = SamplingConfig(frames_per_clip=4, frame_step=2, num_segments=2, num_views=2, train_views=2, resolution=64)


def info(**changes) -> FeatureInfo:
    base = dict(encoder="e", checkpoint_sha256="c" * 64, sampling=SMALL.model_dump(mode="json"), embed_dim=4,
                tokens_per_segment=3, num_segments=2, test_views=2, train_views=1)  # fmt: skip
    return FeatureInfo(**{**base, **changes})


def random_store(root: Path, n: int = 5) -> tuple[FeatureStore, np.ndarray, np.ndarray, pa.Table]:
    rng = np.random.default_rng(0)
    paths, hashes = [f"/v/{i}.mp4" for i in range(n)], [f"h{i}" for i in range(n)]
    manifest = pa.table({"path": paths, "content_hash": hashes, "label_index": list(range(n))})
    test = rng.standard_normal((n, 2, 2, 3, 4)).astype(np.float32)
    train = rng.standard_normal((n, 1, 2, 3, 4)).astype(np.float32)
    return write_feature_store(root, manifest, test, train, info()), test, train, manifest


def test_store_round_trip(tmp_path):
    store, test, train, manifest = random_store(tmp_path / "s")
    reopened = FeatureStore(tmp_path / "s")
    assert reopened.manifest.equals(manifest) and reopened.info == info() and len(reopened) == 5
    assert np.array_equal(reopened.tokens("test"), test) and np.array_equal(reopened.tokens("train"), train)
    assert np.array_equal(reopened.tokens("test", [4, 1]), test[[4, 1]])
    pooled = reopened.pooled("test", [2])
    assert pooled.shape == (1, 2, 4) and pooled.dtype == np.float32
    np.testing.assert_allclose(pooled[0], test[2].mean(axis=(1, 2)), rtol=1e-6)
    with pytest.raises(AffectlabError, match="split must be 'test' or 'train'"):
        reopened.tokens("val")  # type: ignore[arg-type]
    with pytest.raises(AffectlabError, match="already holds a feature store"):
        random_store(tmp_path / "s")


def test_shape_mismatch_is_refused(tmp_path):
    manifest = pa.table({"path": ["a"], "content_hash": ["h"]})
    with pytest.raises(AffectlabError, match=r"test tokens have shape \(1, 2, 2, 3, 5\), expected \(1, 2, 2, 3, 4\)"):
        write_feature_store(tmp_path, manifest, np.zeros((1, 2, 2, 3, 5)), np.zeros((1, 1, 2, 3, 4)), info())


def test_cache_key_depends_on_what_changes_features():
    key = info().cache_key
    assert info().cache_key == key and info(embed_dim=4).cache_key == key
    other_sampling = SMALL.model_copy(update={"frame_step": 4}).model_dump(mode="json")
    changed = [info(sampling=other_sampling), info(checkpoint_sha256="d" * 64), info(pooling="grid"),
               info(encoder="vjepa2"), info(train_views=2)]  # fmt: skip
    assert len({key, *(c.cache_key for c in changed)}) == 6
    assert info().clip_key("h1") != info().clip_key("h2") != info(pooling="mean").clip_key("h2")


def test_writer_refuses_another_key(tmp_path):
    random_store(tmp_path / "s")
    with pytest.raises(AffectlabError, match="holds features with cache key .* choose a new output folder"):
        FeatureStoreWriter(tmp_path / "s", info(pooling="mean"))


def test_pooling_sizes_and_values():
    assert pooled_grid((8, 24, 24), "none") == (8, 24, 24)
    assert pooled_grid((8, 24, 24), "grid") == (8, 2, 2) and pooled_grid((16, 1, 1), "grid") == (16, 1, 1)
    assert pooled_grid((8, 24, 24), "mean") == (1, 1, 1)
    tokens = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 32, 1)  # t=2, h=w=4, D=1
    grid = pool_tokens(tokens, (2, 4, 4), "grid")[0, :, 0]
    # slot 0 top-left cell holds tokens (0,0),(0,1),(1,0),(1,1) = 0, 1, 4, 5
    assert grid.tolist() == [2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5]
    assert pool_tokens(tokens, (2, 4, 4), "mean").item() == pytest.approx(15.5)
    with pytest.raises(AffectlabError, match="encoder gave 32 tokens per segment, its grid"):
        pool_tokens(tokens, (2, 4, 2), "grid")


class OOMAbove(torch.nn.Module):
    """A fake encoder that runs out of memory above a batch of 2 (to test try-halve)."""

    name, embed_dim, checkpoint_sha256 = "oom", 3, "x"

    def token_grid(self, frames: int, height: int, width: int) -> tuple[int, int, int]:
        return 1, 1, 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(x) > 2:
            raise torch.OutOfMemoryError("fake")
        return x.flatten(1)[:, :3].unsqueeze(1)


def test_runner_halves_the_batch_on_oom():
    runner = SegmentRunner(OOMAbove(), torch.device("cpu"), batch_size=8)
    x = torch.randn(8, 3, 1, 2, 2)
    out = runner(x, "none")
    assert runner.batch_size == 2 and torch.equal(out[:, 0], x.flatten(1)[:, :3])


@pytest.fixture(scope="module")
def crema_manifest(shared_data) -> pa.Table:
    paths = sorted((shared_data / "face_video" / "crema_d").glob("*.flv"))
    return pa.table({"path": [str(p) for p in paths], "content_hash": [file_sha256(p) for p in paths],
                     "label": [p.stem.split("_")[2] for p in paths]})  # fmt: skip


def small_config(**changes) -> ExtractConfig:
    return ExtractConfig(sampling=SMALL, shard_size=2, device="cpu", **changes)


def assert_same_store(a: Path, b: Path) -> None:
    sa, sb = FeatureStore(a), FeatureStore(b)
    assert sa.info == sb.info and sa.manifest.equals(sb.manifest)
    for split in ("test", "train"):
        assert np.array_equal(sa.tokens(split), sb.tokens(split))


@pytest.fixture(scope="module")
def uninterrupted(crema_manifest, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("full") / "store"
    store = extract_features(crema_manifest, out, small_config())
    t = store.tokens("train")
    assert store.tokens("test").shape == (6, 2, 2, 4, 128) and t.shape == (6, 2, 2, 4, 128)
    assert not np.array_equal(t[:, 0], t[:, 1])  # two different augmented views
    assert store.manifest.column("path").to_pylist() == crema_manifest.column("path").to_pylist()
    return out


def test_extraction_is_deterministic(crema_manifest, uninterrupted, tmp_path):
    extract_features(crema_manifest, tmp_path / "again", small_config())
    assert_same_store(uninterrupted, tmp_path / "again")


def test_crash_then_resume_is_bit_exact(crema_manifest, uninterrupted, tmp_path):
    done: list[int] = []

    def crash_after_two_shards(n: int) -> None:  # progress comes per clip: the 5th is in the third shard
        done.append(n)
        if len(done) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract_features(crema_manifest, tmp_path / "s", small_config(), progress=crash_after_two_shards)
    assert pa.parquet.read_table(tmp_path / "s" / "index.parquet").num_rows == 4
    with pytest.raises(AffectlabError, match=r"did not finish \(4 of 6 clips stored\)"):
        FeatureStore(tmp_path / "s")  # readers refuse the stopped extraction
    resumed: list[int] = []
    extract_features(crema_manifest, tmp_path / "s", small_config(), progress=resumed.append)
    assert resumed == [1, 1]  # only the last shard's two clips computed
    assert_same_store(uninterrupted, tmp_path / "s")
    nothing: list[int] = []
    extract_features(crema_manifest, tmp_path / "s", small_config(), progress=nothing.append)
    assert nothing == []


def test_sigkill_then_resume_is_bit_exact(crema_manifest, uninterrupted, tmp_path):
    pa.parquet.write_table(crema_manifest, tmp_path / "m.parquet")
    child = textwrap.dedent(f"""
        import sys, pyarrow.parquet as pq
        from affectlab.fer.cache.extract import ExtractConfig, extract_features
        cfg = ExtractConfig.model_validate_json({small_config().model_dump_json()!r})
        def report(n):
            print("clip", flush=True)
        extract_features(pq.read_table({str(tmp_path / "m.parquet")!r}), {str(tmp_path / "s")!r}, cfg,
                         progress=report)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    for _ in range(3):  # the third clip is encoded in the second shard, so the first one is committed
        assert proc.stdout.readline().strip() == "clip"
    os.kill(proc.pid, signal.SIGKILL)  # while the second shard is being computed or written
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = pa.parquet.read_table(tmp_path / "s" / "index.parquet").num_rows
    assert 2 <= before < 6
    with pytest.raises(AffectlabError, match=rf"did not finish \({before} of 6 clips stored\)"):
        FeatureStore(tmp_path / "s")  # readers refuse the killed extraction (its lock went with it)
    resumed: list[int] = []
    extract_features(crema_manifest, tmp_path / "s", small_config(), progress=resumed.append)
    assert sum(resumed) == 6 - before
    assert_same_store(uninterrupted, tmp_path / "s")
    assert not list((tmp_path / "s").rglob(".*.tmp"))


def test_new_sampling_is_a_new_key(crema_manifest, uninterrupted):
    with pytest.raises(AffectlabError, match="cache key"):
        extract_features(crema_manifest, uninterrupted, small_config(pooling="mean"))


def test_duplicate_content_is_referenced_not_recomputed(crema_manifest, uninterrupted, tmp_path):
    import shutil

    shutil.copytree(uninterrupted, tmp_path / "s")
    same_bytes = tmp_path / "elsewhere" / "same_bytes.flv"  # a real copy: referenced rows are re-hashed too
    same_bytes.parent.mkdir()
    shutil.copyfile(crema_manifest.column("path")[0].as_py(), same_bytes)
    copy = crema_manifest.slice(0, 1).set_column(0, "path", pa.array([str(same_bytes)]))
    calls: list[int] = []
    store = extract_features(pa.concat_tables([crema_manifest, copy]), tmp_path / "s", small_config(),
                             progress=calls.append)  # fmt: skip
    assert calls == [] and len(store) == 7
    assert np.array_equal(store.tokens("test", [6]), store.tokens("test", [0]))


def test_tiny_vit_with_grid_pooling(crema_manifest, tmp_path):
    torch.manual_seed(0)
    vit = VisionTransformer(ViTConfig(embed_dim=32, depth=1, num_heads=2, img_size=64, num_frames=4))
    store = extract_features(crema_manifest.slice(0, 2), tmp_path / "vit", small_config(pooling="grid"), encoder=vit)
    # 4 frames / tubelet 2 = 2 temporal slots x (64/16 = 4 -> 2) x (4 -> 2) cells
    assert store.info.tokens_per_segment == 2 * 2 * 2 and store.tokens("test").shape == (2, 2, 2, 8, 32)
    assert store.info.encoder == "vjepa" and store.info.pooling == "grid"


@pytest.mark.slow
def test_ray_engine_matches_local(crema_manifest, uninterrupted, tmp_path):
    ray = pytest.importorskip("ray")
    try:
        store = extract_features(crema_manifest, tmp_path / "ray", small_config(engine="ray"))
    finally:
        ray.shutdown()
    local = FeatureStore(uninterrupted)
    order = {p: i for i, p in enumerate(local.manifest.column("path").to_pylist())}
    rows = [order[p] for p in store.manifest.column("path").to_pylist()]
    assert sorted(rows) == list(range(6))
    for split in ("test", "train"):
        assert np.array_equal(store.tokens(split), local.tokens(split, rows))


def test_cli_extract_and_resume(crema_manifest, tmp_path):
    from typer.testing import CliRunner

    from affectlab.cli import app
    from affectlab.fer.data.manifest import MANIFEST_SCHEMA, write_manifest

    rows = crema_manifest.slice(0, 2).to_pylist()
    full = pa.Table.from_pylist([{name: r.get(name) for name in MANIFEST_SCHEMA.names} for r in rows], MANIFEST_SCHEMA)
    write_manifest(full, tmp_path / "m.parquet")
    manifest, out = str(tmp_path / "m.parquet"), str(tmp_path / "f")
    args = ["fer", "extract", "--manifest", manifest, "--out", out, "--frames-per-clip", "4", "--frame-step", "2",
            "--num-segments", "2", "--num-views", "2", "--train-views", "2", "--resolution", "64",
            "--pooling", "mean", "--device", "cpu"]  # fmt: skip
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "2 clips, frame-baseline, 2+2 views x 2 segments x 1 tokens x 128 (mean)" in first.output
    store = FeatureStore(tmp_path / "f")
    assert store.info.sampling.frames_per_clip == 4 and store.tokens("train").shape == (2, 2, 2, 1, 128)
    before = store.tokens("test")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and np.array_equal(FeatureStore(tmp_path / "f").tokens("test"), before)
    wrong = CliRunner().invoke(app, [*args[:-4], "--encoder", "vjepa-vit_huge"])
    assert isinstance(wrong.exception, AffectlabError) and "needs --checkpoint" in str(wrong.exception)


def test_cli_bad_option_is_one_line_error(tmp_path):
    from typer.testing import CliRunner

    from affectlab.cli import app

    args = [
        "fer",
        "extract",
        "--manifest",
        str(tmp_path / "m.parquet"),
        "--out",
        str(tmp_path),
        "--pooling",
        "max",
    ]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, AffectlabError)
    expected = (
        "invalid extract options: pooling: Value error, pooling 'max': expected none, grid, grid:N (N >= 1) or mean"
    )
    assert expected in str(result.exception)


def test_refusal_names_the_settings_that_differ(tmp_path):
    random_store(tmp_path / "s")
    other = SMALL.model_copy(update={"resolution": 96, "face_crop": True}).model_dump(mode="json")
    with pytest.raises(AffectlabError) as err:
        FeatureStoreWriter(tmp_path / "s", info(pooling="mean", sampling=other))
    message = str(err.value)
    assert "pooling: 'none' -> 'mean'" in message and "resolution: 64 -> 96" in message
    assert "face_crop: False -> True" in message and "frame_step" not in message  # only what differs
    assert info().differences(info()) == []


def test_face_share_per_clip_and_progress_per_clip(crema_manifest, uninterrupted, tmp_path):
    shares = FeatureStore(uninterrupted).index.column("face_share").to_pylist()
    assert len(shares) == 6 and min(shares) >= 0.95  # the real CREMA-D clips: a face on every sampled frame
    calls: list[int] = []
    extract_features(crema_manifest.slice(0, 3), tmp_path / "s", small_config(), progress=calls.append)
    assert calls == [1, 1, 1]  # one step per clip, though shards hold 2


def test_frame_baseline_gets_its_own_sampling_unless_told_otherwise():
    baseline = ExtractConfig()
    assert baseline.encoder == "frame-baseline" and baseline.sampling.face_crop and baseline.sampling.resolution == 64
    vit = ExtractConfig(encoder="vjepa-vit_huge")
    assert not vit.sampling.face_crop and vit.sampling.resolution == SamplingConfig().resolution == 224
    assert ExtractConfig(sampling={"resolution": 128}).sampling.model_dump() == {
        **SamplingConfig().model_dump(), "resolution": 128, "face_crop": True}  # fmt: skip
    assert not ExtractConfig(sampling={"face_crop": False}).sampling.face_crop  # an explicit value wins
    assert ExtractConfig(sampling=SMALL).sampling == SMALL  # a whole config is taken as it is


def test_cli_extract_frame_baseline_defaults(crema_manifest, tmp_path):
    from typer.testing import CliRunner

    from affectlab.cli import app
    from affectlab.fer.data.manifest import MANIFEST_SCHEMA, write_manifest

    rows = crema_manifest.slice(0, 1).to_pylist()
    full = pa.Table.from_pylist([{name: r.get(name) for name in MANIFEST_SCHEMA.names} for r in rows], MANIFEST_SCHEMA)
    write_manifest(full, tmp_path / "m.parquet")
    small = ["--frames-per-clip", "4", "--num-segments", "1", "--num-views", "1", "--device", "cpu"]
    for out, extra, expected in (("a", [], (True, 64)), ("b", ["--no-face-crop", "--resolution", "96"], (False, 96))):
        result = CliRunner().invoke(app, ["fer", "extract", "--manifest", str(tmp_path / "m.parquet"), "--out",
                                          str(tmp_path / out), *small, *extra])  # fmt: skip
        assert result.exit_code == 0, result.output
        sampling = FeatureStore(tmp_path / out).info.sampling
        assert (sampling.face_crop, sampling.resolution) == expected
