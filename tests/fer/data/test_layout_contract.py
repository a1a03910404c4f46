"""One contract test over every registered dataset layout (a new layout is tested the day it registers).

Each layout: a unique name among the ``--dataset`` choices, a label table in the canonical vocabulary, a parser
that reads back the codes of hand-made clip names, a scanner that finds the clips of a tree made here (and
lists what does not fit), bad names refused with one line, and the real clips of ../shared/data indexed.
"""

from __future__ import annotations

import pkgutil
import typing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import affectlab.fer.data.layouts as layouts_package
from affectlab.cli.options import one_of
from affectlab.errors import AffectlabError
from affectlab.fer.config import IndexConfig
from affectlab.fer.data.labels import CANONICAL, canonical
from affectlab.fer.data.layouts import LAYOUTS, BadName, DatasetName, Layout, label_from_name
from affectlab.fer.data.manifest import MANIFEST_SCHEMA, index_dataset, label_names
from affectlab.fer.probes.evaluate import run_labels
from tests.conftest import SHARED_DATA


@dataclass(frozen=True)
class Example:
    """Hand-made clip paths of a layout: ``path(code, subject)`` under the root, the actor the parser should
    read, the codes to try (default: the layout's label codes), names that do not fit, and a real root."""

    path: Callable[[str, str], str]
    subject: str
    actor: Callable[[str, str], str]
    bad: tuple[str, ...]
    codes: tuple[str, ...] = ()
    real: str | None = None
    real_labels: dict[str, int] | None = None  # clips per label there, counted by hand from the file names


# A new layout needs an entry here (test_every_layout_has_hand_made_names fails until it has one).
EXAMPLES: dict[str, Example] = {
    "ravdess": Example(
        path=lambda code, actor: f"Actor_{actor}/01-01-{code}-02-01-02-{actor}.mp4",
        subject="07",
        actor=lambda label, actor: actor,
        bad=("Actor_01/clip.mp4", "Actor_01/01-01-09-01-01-01-01.mp4", "Actor_01/01-01-01-01-01-03-01.mp4"),
        real="face_video/ravdess",
        real_labels={"surprised": 4, "neutral": 1, "sad": 1, "fearful": 1},  # emotions 08 x4, 01, 04, 06
    ),
    "crema-d": Example(
        path=lambda code, actor: f"VideoFlash/{actor}_IEO_{code}_HI.flv",
        subject="1042",
        actor=lambda label, actor: actor,
        bad=("VideoFlash/1001_DFA_XXX_XX.flv", "VideoFlash/1001_XYZ_ANG_XX.flv", "VideoFlash/clip.flv"),
        real="face_video/crema_d",
        real_labels=dict.fromkeys(("angry", "disgust", "fearful", "happy", "neutral", "sad"), 1),
    ),
    "folder": Example(
        path=lambda code, clip: f"{code}/{clip}.mp4",
        subject="take1",
        actor=lambda label, clip: f"{label}/{clip}",
        bad=("loose.mp4",),
        codes=("Anger", "joy", "fear", "boredom"),
    ),
}

ids = [layout.name for layout in LAYOUTS.values()]
every_layout = pytest.mark.parametrize("layout", LAYOUTS.values(), ids=ids)


def _codes(layout: Layout) -> tuple[str, ...]:
    return EXAMPLES[layout.name].codes or tuple(layout.label_codes)


def _expected_label(layout: Layout, code: str) -> str:
    return layout.label_codes.get(code) or canonical(code)


def test_every_layout_module_is_registered_once_under_a_unique_name():
    modules = {m.name for m in pkgutil.iter_modules(layouts_package.__path__)} - {"base"}
    registered = {layout.parser.__module__.rsplit(".", 1)[-1] for layout in LAYOUTS.values()}
    assert registered == modules, f"register {sorted(modules - registered)} in fer/data/layouts/__init__.py"
    assert len({layout.name for layout in LAYOUTS.values()}) == len(LAYOUTS) == len(modules)
    assert all(name == layout.name == name.strip().lower() for name, layout in LAYOUTS.items())
    # the --dataset choices are the registry's names, in its order
    assert typing.get_args(DatasetName) == tuple(LAYOUTS)
    assert one_of(IndexConfig, "dataset") == ", ".join(ids[:-1]) + f" or {ids[-1]}"


def test_every_layout_has_hand_made_names():
    assert set(LAYOUTS) <= set(EXAMPLES), f"add hand-made names for {sorted(set(LAYOUTS) - set(EXAMPLES))}"


@every_layout
def test_label_table_is_in_the_canonical_vocabulary(layout: Layout):
    assert IndexConfig(dataset=layout.name.upper()).dataset == layout.name
    if layout.labels is None:  # classes from the data: the scanner's table must be canonical (tested below)
        assert not layout.label_codes and layout.own_names is None
        return
    assert len(set(layout.labels)) == len(layout.labels) == len(layout.label_codes)
    assert set(layout.labels) <= set(CANONICAL)
    assert all(canonical(name) == name for name in layout.labels)
    if layout.own_names is not None:  # the dataset's own names meet the table index by index
        assert tuple(canonical(name) for name in layout.own_names) == layout.labels


@every_layout
def test_parser_reads_back_the_codes_of_hand_made_names(layout: Layout):
    example = EXAMPLES[layout.name]
    for code in _codes(layout):
        path = example.path(code, example.subject)
        fields = layout.parse(path)
        label = _expected_label(layout, code)
        assert fields["label"] == label, path
        assert fields["actor"] == example.actor(label, example.subject), path
        assert set(fields) <= set(MANIFEST_SCHEMA.names) - {"path", "dataset", "label_index", "fold", "content_hash"}
        if layout.labels_in_file_name:  # the file name alone gives the label: predict shows it as the truth
            assert layout.parse(Path(path).name) == fields
            assert label_from_name(Path("/elsewhere") / Path(path).name) == (label, layout.title)


@every_layout
def test_bad_names_are_one_line_errors_naming_the_file(layout: Layout):
    for bad in EXAMPLES[layout.name].bad:
        with pytest.raises(AffectlabError) as caught:
            layout.parse(bad)
        assert isinstance(caught.value, BadName)
        message = str(caught.value)
        assert message == f"{bad}: {caught.value.reason}" and "\n" not in message and caught.value.reason


@every_layout
def test_scanner_finds_the_clips_of_a_tree_and_lists_what_does_not_fit(layout: Layout, tmp_path: Path):
    example = EXAMPLES[layout.name]
    root = tmp_path / "root"
    made = {}
    for code in _codes(layout):
        path = root / example.path(code, example.subject)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        made[str(path)] = _expected_label(layout, code)
    for bad in example.bad:
        (root / bad).parent.mkdir(parents=True, exist_ok=True)
        (root / bad).touch()
    (root / "notes.txt").touch()  # not a video: ignored

    scan = layout.scan(root)
    assert {r["path"]: r["label"] for r in scan.records} == made
    if layout.labels is not None:
        assert scan.labels == layout.labels
    else:
        assert scan.labels == tuple(sorted(set(made.values())))
        assert all(canonical(name) == name for name in scan.labels)
    skipped = dict(scan.skipped)
    for bad in example.bad:  # a bad name is listed with the parser's reason, or (outside the scheme's tree) not indexed
        path = str(root / bad)
        assert path not in {r["path"] for r in scan.records}
        if path in skipped:
            with pytest.raises(BadName) as caught:
                layout.parse(bad)
            assert skipped[path] == caught.value.reason
    assert not any(p.endswith("notes.txt") for p in skipped)

    # the manifest stores the scanner's label table, and training reads it back
    table, _ = index_dataset(root, layout.name, folds=None, check_videos=False, hash_files=False)
    assert label_names(table) == scan.labels
    assert run_labels(table) == (layout.name, scan.labels)
    for row in table.to_pylist():
        assert scan.labels[row["label_index"]] == row["label"] == made[row["path"]]


@every_layout
def test_real_clips_are_indexed(layout: Layout):
    example = EXAMPLES[layout.name]
    if example.real is None:
        pytest.skip(f"{layout.name} has no real clips in ../shared/data (its hand-made tree is tested above)")
    root = SHARED_DATA / example.real
    if not root.is_dir():
        pytest.skip(f"real data not found at {root}")
    clips = sorted(str(p) for p in root.rglob("*") if p.suffix in (".mp4", ".flv"))
    scan = layout.scan(root)
    assert scan.skipped == [] and sorted(r["path"] for r in scan.records) == clips
    assert Counter(r["label"] for r in scan.records) == example.real_labels
    for record in scan.records:
        assert label_from_name(record["path"]) == (record["label"], layout.title)


@every_layout
def test_another_layouts_option_is_refused_unless_left_at_its_default(layout: Layout, tmp_path: Path):
    """``--dataset crema-d --modality video`` must not be ignored in silence; a default value passes."""
    tmp_path.joinpath("root").mkdir()
    for other in LAYOUTS.values():
        for name in set(other.options) - set(layout.options):
            default = other.option_default(name)
            with pytest.raises(AffectlabError, match="no usable"):  # past the option check: the root is empty
                index_dataset(tmp_path / "root", layout.name, folds=None, check_videos=False, **{name: default})
            refused = rf"{name}=.* applies to {other.title} only, not to {layout.title}"
            with pytest.raises(AffectlabError, match=refused):
                index_dataset(tmp_path / "root", layout.name, folds=None, check_videos=False, **{name: "x"})
