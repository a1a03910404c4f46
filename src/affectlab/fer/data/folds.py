"""Deterministic, actor-disjoint k-fold splits balanced in clips; fold files (CSV actor,fold)."""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from affectlab.errors import AffectlabError
from affectlab.io import atomic_path, open_csv


def assign_folds(actors: Sequence[str], k: int, seed: int, sizes: Sequence[int] | None = None) -> dict[str, int]:
    """Assign every actor to one of ``k`` folds, deterministically for ``seed``.

    ``actors`` is either the per-clip actor column (``sizes=None``: an actor's size is its number of
    clips) or a list of distinct actors with their clip counts in ``sizes``. Actors are shuffled with
    ``seed``, stably sorted by size (largest first) and each goes to the fold with the fewest clips so far
    (ties: fewest actors, then lowest fold). Greedy largest-first bounds the spread:
    ``max(fold clips) - min(fold clips) <= max(actor clips)``.
    """
    if sizes is None:
        counts = Counter(actors)
    else:
        if len(sizes) != len(actors) or len(set(actors)) != len(actors):
            raise AffectlabError(
                f"sizes ({len(sizes)}) must give one count per distinct actor ({len(set(actors))} distinct, "
                f"{len(actors)} given)"
            )
        counts = Counter(dict(zip(actors, sizes, strict=True)))
    if k < 2:
        raise AffectlabError(f"folds={k}: expected at least 2 folds")
    if not counts:
        raise AffectlabError("no actors to split into folds: the dataset is empty")
    if k > len(counts):
        raise AffectlabError(f"folds={k} but only {len(counts)} actor(s): every fold needs at least one actor")
    names = sorted(counts)
    order = np.random.default_rng(seed).permutation(len(names))
    shuffled = [names[i] for i in order]
    shuffled.sort(key=lambda actor: -counts[actor])  # stable: ties keep the seeded order
    clips = [0] * k
    members = [0] * k
    assignment: dict[str, int] = {}
    for actor in shuffled:
        fold = min(range(k), key=lambda f: (clips[f], members[f], f))
        assignment[actor] = fold
        clips[fold] += counts[actor]
        members[fold] += 1
    return assignment


def write_fold_file(assignment: Mapping[str, int], path: str | os.PathLike[str]) -> None:
    """Write ``actor,fold`` rows (sorted by actor) so a split can be reproduced with ``--folds-file``."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["actor", "fold"])
        for actor in sorted(assignment):
            writer.writerow([actor, assignment[actor]])


def read_fold_file(path: str | os.PathLike[str]) -> dict[str, int]:
    """Read an ``actor,fold`` CSV (header required); fold ids must be integers 0..k-1 with none empty."""
    path = Path(path)
    if not path.is_file():
        raise AffectlabError(f"fold file {path} not found")
    with open_csv(path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"actor", "fold"} <= set(reader.fieldnames):
            raise AffectlabError(f"fold file {path}: expected a CSV with header 'actor,fold'")
        assignment: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            actor, fold = row["actor"].strip(), row["fold"].strip()
            if not fold.isdigit():
                raise AffectlabError(f"fold file {path} line {line}: fold {fold!r} is not a non-negative integer")
            if actor in assignment:
                raise AffectlabError(f"fold file {path} line {line}: actor {actor!r} listed twice")
            assignment[actor] = int(fold)
    used = set(assignment.values())
    if not used or used != set(range(max(used) + 1)):
        raise AffectlabError(f"fold file {path}: folds {sorted(used)} must be 0..k-1 with every fold used")
    return assignment
