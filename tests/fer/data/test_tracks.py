"""Face tracks: detections linked across frames by overlap or centre distance, gaps end a track, spurious
short tracks are dropped (hand-made boxes)."""

from __future__ import annotations

import numpy as np

from affectlab.fer.data.tracks import LINK_CENTRE, TrackLinker, min_track_rows, track_face


def _box(x: float, y: float, side: float = 100.0) -> np.ndarray:
    return np.array([x, y, side, side], dtype=float)


def test_two_faces_side_by_side_become_two_tracks_whatever_the_detection_order() -> None:
    linker = TrackLinker(max_gap=5)
    assert linker.link(0, np.stack([_box(0, 0), _box(400, 0)]), np.array([0.9, 0.8])) == [0, 1]
    # next frame: listed the other way round (the detector sorts by size), both moved a little
    assert linker.link(1, np.stack([_box(405, 3), _box(4, 2)]), np.array([0.8, 0.9])) == [1, 0]
    assert linker.tracks[0].rows == [0, 1] and linker.tracks[1].rows == [0, 1]
    np.testing.assert_array_equal(linker.tracks[1].boxes[-1], _box(405, 3))


def test_a_fast_face_links_by_centre_distance_and_a_far_one_starts_a_new_track() -> None:
    linker = TrackLinker(max_gap=5)
    linker.link(0, _box(0, 0)[None], np.array([0.9]))
    # moved 45 px of a 100 px box: IoU 0.38 >= 0.3 -> same track
    assert linker.link(1, _box(45, 0)[None], np.array([0.9])) == [0]
    # moved 60 px: IoU 0.25 < 0.3 but centre distance 0.6 of the side > LINK_CENTRE 0.5 -> new track
    assert LINK_CENTRE == 0.5
    assert linker.link(2, _box(105, 0)[None], np.array([0.9])) == [1]
    # a 100 px box shrinking to 50 px around the same centre: IoU 0.25, centre distance 0 -> same track
    assert linker.link(3, np.array([[130.0, 25.0, 50.0, 50.0]]), np.array([0.9])) == [1]


def test_a_gap_longer_than_max_gap_ends_a_track() -> None:
    linker = TrackLinker(max_gap=2)
    linker.link(0, _box(0, 0)[None], np.array([0.9]))
    linker.link(1, np.zeros((0, 4)), np.zeros(0))
    assert linker.link(2, _box(0, 0)[None], np.array([0.9])) == [0]  # 2 rows later: still the same face
    assert linker.link(5, _box(0, 0)[None], np.array([0.9])) == [1]  # 3 rows later: a new track


def test_short_tracks_are_dropped_unless_none_is_longer() -> None:
    linker = TrackLinker(max_gap=100)
    for row in range(20):
        boxes = [_box(0, 0)] + ([_box(500, 0)] if row in (3, 4) else [])
        linker.link(row, np.stack(boxes), np.full(len(boxes), 0.9))
    assert min_track_rows(rate=30.0, total=20) == 8  # 0.25 s at 30 rows/s
    assert linker.kept(8) == [0]
    assert linker.kept(50) == [0]  # none is long enough: the longest is kept


def test_track_face_puts_the_track_on_its_rows_and_the_miss_scores_elsewhere() -> None:
    linker = TrackLinker(max_gap=5)
    linker.link(1, _box(10, 20)[None], np.array([0.7]))
    face = track_face(linker.tracks[0], np.array([0.2, 0.0, 0.1]), 360, 480)
    np.testing.assert_array_equal(face.scores, [0.2, 0.7, 0.1])
    assert face.found.tolist() == [False, True, False]
    np.testing.assert_array_equal(face.boxes[1], _box(10, 20))
