"""Folds: deterministic, actor-disjoint, balanced; on the real CREMA-D file list; fold files round-trip."""

from collections import Counter
from pathlib import Path

import pytest

from affectlab.errors import AffectlabError
from affectlab.fer.data.folds import assign_folds, read_fold_file, write_fold_file
from affectlab.fer.data.manifest import fold_assignment, index_dataset


def _crema_list(shared_data: Path, seed: int, folds: int = 5):
    meta = shared_data / "face_video" / "crema_d_metadata"
    table, skipped = index_dataset(
        shared_data / "face_video" / "crema_d",
        "crema-d",
        folds=folds,
        seed=seed,
        file_list=meta / "SentenceFilenames.csv",
    )
    assert skipped == []
    return table


def test_real_crema_file_list_folds(shared_data):
    table = _crema_list(shared_data, seed=0)
    actors, folds = table["actor"].to_pylist(), table["fold"].to_pylist()
    assert table.num_rows == 7442 and table["content_hash"].null_count == table.num_rows
    per_actor = {}
    for actor, fold in zip(actors, folds, strict=True):
        assert per_actor.setdefault(actor, fold) == fold  # every clip of an actor in the same fold
    assert len(per_actor) == 91 and set(per_actor.values()) == set(range(5))
    clips = Counter(folds)
    largest_actor = max(Counter(actors).values())
    assert largest_actor == 82
    assert max(clips.values()) - min(clips.values()) <= largest_actor  # the greedy largest-first bound
    assert sorted(Counter(per_actor.values()).values()) == [18, 18, 18, 18, 19]
    assert set(table["sex"].to_pylist()) == {"male", "female"}  # from VideoDemographics.csv beside the clips


def test_real_crema_folds_are_seeded(shared_data):
    first, again, other = (fold_assignment(_crema_list(shared_data, s)) for s in (0, 0, 1))
    assert first == again
    assert first != other and set(first) == set(other)


def test_greedy_largest_first_hand_computed():
    # sizes 5,4,3,2,1 into 2 folds: 5->0, 4->1, 3->1 (4<5), 2->0 (5<7), 1->0 (7=7, fewer actors tie -> fold 0)
    folds = assign_folds(["a", "b", "c", "d", "e"], 2, seed=123, sizes=[5, 4, 3, 2, 1])
    assert folds == {"a": 0, "b": 1, "c": 1, "d": 0, "e": 0}


def test_sizes_come_from_the_clip_column():
    clips = ["x"] * 6 + ["y"] * 3 + ["z"] * 3
    folds = assign_folds(clips, 2, seed=0)
    assert folds["y"] == folds["z"] != folds["x"]


@pytest.mark.parametrize(("actors", "k"), [(["a", "b"], 3), ([], 2), (["a", "b", "c"], 1)])
def test_impossible_splits_raise(actors, k):
    with pytest.raises(AffectlabError):
        assign_folds(actors, k, seed=0)


def test_fold_file_round_trip(tmp_path):
    folds = assign_folds([f"{a:02d}" for a in range(1, 25)], 5, seed=7)
    write_fold_file(folds, tmp_path / "folds.csv")
    assert read_fold_file(tmp_path / "folds.csv") == folds
    assert (tmp_path / "folds.csv").read_text().splitlines()[0] == "actor,fold"


@pytest.mark.parametrize(
    "text", ["actor,fold\na,0\na,1\n", "actor,fold\na,x\n", "actor,fold\na,0\nb,2\n", "who,where\na,0\n"]
)
def test_bad_fold_files_raise(tmp_path, text):
    (tmp_path / "f.csv").write_text(text)
    with pytest.raises(AffectlabError):
        read_fold_file(tmp_path / "f.csv")


def test_folds_file_reproduces_a_split(shared_data, tmp_path):
    meta = shared_data / "face_video" / "crema_d_metadata"
    actors = sorted(set(_crema_list(shared_data, seed=0)["actor"].to_pylist()))
    paper = {actor: i % 10 for i, actor in enumerate(actors)}  # e.g. a published 10-fold split
    write_fold_file(paper, tmp_path / "paper.csv")
    table, _ = index_dataset(
        shared_data / "face_video" / "crema_d",
        "crema-d",
        folds_file=tmp_path / "paper.csv",
        file_list=meta / "SentenceFilenames.csv",
    )
    assert fold_assignment(table) == paper
    del paper[actors[0]]
    write_fold_file(paper, tmp_path / "partial.csv")
    with pytest.raises(AffectlabError, match="1 actors not listed"):
        index_dataset(
            shared_data / "face_video" / "crema_d",
            "crema-d",
            folds_file=tmp_path / "partial.csv",
            file_list=meta / "SentenceFilenames.csv",
        )
