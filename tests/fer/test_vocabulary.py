"""One emotion vocabulary: a right prediction gives ``label == true_label`` for CREMA-D and RAVDESS clips, and
manifests, runs and probes written in the older CREMA-D names (anger, fear) read in today's names."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from affectlab.fer.data.layouts import label_table
from affectlab.fer.data.manifest import LABELS_KEY, Manifest, index_dataset, label_names, read_manifest, write_manifest

OLD_CREMA = ("anger", "disgust", "fear", "happy", "neutral", "sad")  # what versions before wrote


@pytest.mark.parametrize(
    ("clip", "label"),
    [("crema_d/1001_DFA_ANG_XX.flv", "angry"), ("ravdess/Actor_01/01-01-01-01-01-01-01.mp4", "neutral")],
)
def test_right_prediction_has_label_equal_to_true_label(shared_data: Path, clip: str, label: str) -> None:
    import affectlab as al

    pred = al.fer.predict(shared_data / "face_video" / clip, stride=4, progress=False)
    assert pred.true_label == label  # from the file name's code: ANG, RAVDESS 01
    assert pred.label == label and pred.label == pred.true_label
    assert label in pred.labels


def _old_crema_manifest(shared_data: Path, path: Path) -> pa.Table:
    """A CREMA-D manifest as an older version wrote it: CREMA-D's own names in the column and the metadata."""
    table, _ = index_dataset(shared_data / "face_video/crema_d", "crema-d", folds=None)
    old = dict(zip(label_table("crema-d"), OLD_CREMA, strict=True))
    table = table.set_column(table.column_names.index("label"), "label",
                             pa.array([old[n] for n in table.column("label").to_pylist()]))  # fmt: skip
    metadata = {**table.schema.metadata, LABELS_KEY: json.dumps(list(OLD_CREMA)).encode()}
    write_manifest(table.replace_schema_metadata(metadata), path)
    return table


def test_manifest_of_an_older_version_reads_in_the_canonical_names(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.parquet"
    _old_crema_manifest(shared_data, path)
    assert "anger" in pq.read_table(path).column("label").to_pylist()  # on disk: the old names
    before = path.read_bytes()
    table = read_manifest(path)
    assert label_names(table) == label_table("crema-d")
    assert set(table.column("label").to_pylist()) == set(label_table("crema-d"))
    names = label_names(table)
    assert all(names[i] == n for i, n in zip(table["label_index"].to_pylist(), table["label"].to_pylist(), strict=True))
    assert Manifest.read(path).labels == label_table("crema-d")
    assert "fearful" in Manifest.read(path).fold_summary().columns
    assert path.read_bytes() == before  # reading never rewrites the file


def test_run_and_probes_of_an_older_version_read_in_the_canonical_names(tmp_path: Path) -> None:
    from affectlab.fer.probes.checkpoints import ProbeMeta, load_probe, save_probe
    from affectlab.fer.probes.models import build_probe
    from affectlab.fer.probes.run import Run

    run = tmp_path / "run"
    (run / "probes").mkdir(parents=True)
    probe = build_probe("linear", 8, 6, 2, 16)
    meta = ProbeMeta.model_construct(kind="linear", embed_dim=8, num_classes=6, num_heads=2, mlp_hidden=16,
                                     dataset="crema-d", labels=list(OLD_CREMA), lr=0.0, weight_decay=0.0)  # fmt: skip
    torch.save({"classifier": probe.state_dict(), "probe": meta.__dict__}, run / "probes/fold0.pt")
    assert torch.load(run / "probes/fold0.pt", weights_only=True)["probe"]["labels"] == list(OLD_CREMA)
    assert load_probe(run / "probes/fold0.pt")[1].labels == list(label_table("crema-d"))
    (run / "metrics.json").write_text(json.dumps({"dataset": "crema-d", "labels": list(OLD_CREMA), "folds": [],
                                                  "summary": None}))  # fmt: skip
    (run / "predictions.csv").write_text(
        "path,actor,fold,true,predicted," + ",".join(f"p_{n}" for n in OLD_CREMA) + "\n"
        "a.flv,1001,0,anger,fear,0.1,0.1,0.5,0.1,0.1,0.1\n"
    )
    old = Run(run)
    assert old.labels == list(label_table("crema-d"))
    row = old.predictions.iloc[0]
    assert (row["true"], row["predicted"], row["p_fearful"]) == ("angry", "fearful", 0.5)
    save_probe(tmp_path / "new.pt", probe, ProbeMeta(kind="linear", embed_dim=8, num_classes=6, labels=list(OLD_CREMA)))
    assert torch.load(tmp_path / "new.pt", weights_only=True)["probe"]["labels"] == list(label_table("crema-d"))


def test_folder_dataset_classes_take_the_canonical_names(tmp_path: Path, shared_data: Path) -> None:
    from affectlab.fer.data.layouts.folder import scan

    clip = shared_data / "face_video/crema_d/1001_DFA_ANG_XX.flv"
    for name in ("Anger", "fear", "joy", "boredom"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.flv").symlink_to(clip)
    found = scan(tmp_path)
    records, labels = found.records, found.labels
    assert labels == ("angry", "boredom", "fearful", "happy")  # sorted, in the canonical names
    assert {r["label"] for r in records} == set(labels)
