"""Extraction never corrupts a store: one writer at a time, contents re-hashed on read, foreign folders refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import affectlab as al
from affectlab.errors import AffectlabError
from affectlab.io import exclusive_lock

FAST = {"num_segments": 2, "device": "cpu", "progress": False}


@pytest.fixture
def crema(shared_data: Path, tmp_path: Path) -> tuple[Path, al.fer.data.manifest.Manifest]:
    """A private copy of the CREMA-D clips (tests change files) and their manifest."""
    videos = tmp_path / "videos"
    shutil.copytree(shared_data / "face_video" / "crema_d", videos)
    return videos, al.fer.index(videos, "crema-d", folds="none", progress=False)


def test_a_second_writer_is_refused_with_the_holders_pid(crema, tmp_path):
    _, manifest = crema
    out = tmp_path / "store"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; from affectlab.io import exclusive_lock\n"
         f"with exclusive_lock({str(out)!r}):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(AffectlabError, match=rf"store: the feature store is being written by another process "
                                                 rf"\(pid {holder.pid}\)"):  # fmt: skip
            al.fer.extract(manifest, out, **FAST)
    finally:
        holder.kill()
        holder.wait()
    assert len(al.fer.extract(manifest, out, **FAST)) == 6  # the lock went with its holder


def test_a_file_changed_since_indexing_is_skipped_not_stored_under_its_old_key(crema, tmp_path):
    videos, manifest = crema
    changed = videos / "1001_DFA_SAD_XX.flv"
    shutil.copyfile(videos / "1001_DFA_HAP_XX.flv", changed)  # another clip's bytes under a sad clip's name
    store = al.fer.extract(manifest, tmp_path / "store", **FAST)
    assert len(store) == 5 and str(changed) not in store.manifest.column("path").to_pylist()
    assert store.skipped == [(str(changed), "content differs from the manifest's content_hash (file changed "
                                            "since indexing)")]  # fmt: skip
    assert (tmp_path / "store" / "skipped.csv").is_file()


def test_an_edited_manifest_hash_never_gives_a_clip_another_clips_features(crema, tmp_path):
    """A row whose content_hash was edited to another clip's is not merged with that clip: its file is
    re-hashed too (it is never decoded, since its features would be reused), and it is skipped."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    videos, manifest = crema
    table = manifest.table
    paths = table.column("path").to_pylist()
    hashes = table.column("content_hash").to_pylist()
    happy, sad = paths.index(str(videos / "1001_DFA_HAP_XX.flv")), paths.index(str(videos / "1001_DFA_SAD_XX.flv"))
    hashes[sad] = hashes[happy]
    edited = tmp_path / "edited.parquet"
    column = table.schema.get_field_index("content_hash")
    pq.write_table(table.set_column(column, table.schema.field(column), pa.array(hashes)), edited)
    store = al.fer.extract(edited, tmp_path / "store", **FAST)
    assert len(store) == 5 and paths[sad] not in store.manifest.column("path").to_pylist()
    assert store.skipped == [(paths[sad], "content differs from the manifest's content_hash (file changed "
                                          "since indexing)")]  # fmt: skip


def test_extract_refuses_a_folder_that_is_not_a_store_and_leaves_foreign_temporaries_alone(crema, tmp_path):
    _, manifest = crema
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / ".draft.tmp").write_text("my notes")
    with pytest.raises(AffectlabError, match="not empty and not a feature store"):
        al.fer.extract(manifest, folder, **FAST)
    assert (folder / ".draft.tmp").read_text() == "my notes"
    store = tmp_path / "store"
    al.fer.extract(manifest, store, **FAST)
    (store / ".notes.tmp").write_text("mine too")  # a user's file in a store: resuming does not delete it
    al.fer.extract(manifest, store, **FAST)
    assert (store / ".notes.tmp").read_text() == "mine too"


def test_lock_is_held_for_the_whole_extraction(crema, tmp_path):
    _, manifest = crema
    out = tmp_path / "store"
    with exclusive_lock(out, "feature store"), pytest.raises(AffectlabError, match="another process"):
        al.fer.extract(manifest, out, **FAST)
