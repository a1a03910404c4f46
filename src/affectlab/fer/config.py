"""The typed configs of the FER half, the single source of its defaults and choices (CLI options and the
Python API read them from here). Importing this module is cheap: no torch, no video libraries.

Defaults follow the V-JEPA frozen-evaluation protocol (facebookresearch/jepa, ``evals/video_classification
_frozen``): 16 frames at step 4, 8 segments, 3 test views, 1 train view, ImageNet normalisation, AdamW,
20 epochs.
"""

from __future__ import annotations

import itertools
import os
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    field_validator,
    model_validator,
)

from affectlab.engines import EngineName
from affectlab.errors import AffectlabError
from affectlab.fer.data.layouts import DatasetName
from affectlab.fer.encoders.base import IMAGENET_MEAN, IMAGENET_STD

Device = Literal["auto", "cpu", "cuda"]
POOLINGS: tuple[str, ...] = ("none", "grid", "grid:N", "mean")


def _pooling(value: str) -> str:
    """``none``, ``mean``, ``grid`` (= ``grid:2``) or ``grid:N``; ``grid:2`` is stored as ``grid``."""
    match = re.fullmatch(r"grid:(\d+)", value)
    if value in ("none", "grid", "mean") or (match and int(match.group(1)) >= 1):
        return "grid" if value == "grid:2" else value
    raise ValueError(f"pooling {value!r}: expected none, grid, grid:N (N >= 1) or mean")


Pooling = Annotated[str, AfterValidator(_pooling)]


def _encoder_name(value: str) -> str:
    """A name of the encoder registry (:data:`affectlab.fer.encoders.ENCODERS`, which plug-ins extend)."""
    from affectlab.fer.encoders import check_encoder_name  # imports nothing of this module at run time

    try:
        return check_encoder_name(value)
    except AffectlabError as err:
        raise ValueError(str(err)) from None


EncoderName = Annotated[str, AfterValidator(_encoder_name)]
TrainAugment = Literal["crop-flip", "vjepa", "none"]
StoreDtype = Literal["float32", "float16", "bfloat16"]
Schedule = Literal["warmup-cosine", "jepa", "vjepa2"]
EvalKind = Literal["protocol", "full-video", "both"]
CalmPolicy = Literal["drop", "merge"]
RANDAUGMENT = "rand-m7-n4-mstd0.5-inc1"  # the V-JEPA frozen evaluations' RandAugment (timm config string)
ProbeKind = Literal["attentive", "attentive-v2", "linear", "mlp"]
PROBE_KINDS: tuple[ProbeKind, ...] = ("attentive", "attentive-v2", "linear", "mlp")
FoldScheme = Literal["manifest", "loao", "all"]


class IndexConfig(BaseModel):
    """How a dataset is indexed: which clips are kept and how actors are split into folds."""

    model_config = ConfigDict(extra="forbid")

    dataset: DatasetName
    folds: int | None = Field(5, ge=2, description="actor-disjoint folds; none: a test-only set (no folds)")
    seed: int = Field(0, description="seed of the fold assignment")
    # RAVDESS filters, checked by the RAVDESS layout against its code tables (fer.data.layouts.ravdess)
    modality: str = Field("av", description="RAVDESS copies kept: av, video or both")
    channel: str | None = Field(None, description="RAVDESS vocal channel kept: speech or song")
    intensity: str | None = Field(None, description="RAVDESS intensity kept: normal or strong")
    check: bool = Field(True, description="open and decode every video")
    hash: bool = Field(True, description="sha256 of every file")
    check_faces: bool = Field(False, description="skip clips without a face on any of a few sampled frames")

    @field_validator("dataset", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("folds", mode="before")
    @classmethod
    def _no_folds(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "none" else value


class SamplingConfig(BaseModel):
    """Clip sampling and transform settings. The temporal defaults are the V-JEPA frozen-probe protocol (16 frames
    at step 4, 8 segments, 3 test views, 1 train view, ImageNet mean/std); the spatial ones are affectlab's: 224 px,
    training views by one random-resized crop of scale (0.3, 1) and ratio (3/4, 4/3) with horizontal flips
    (``crop-flip``), where the reference uses RandAugment, scale (0.08, 1), no flip and random erasing
    (``train_augment="vjepa"``, which the presets set)."""

    model_config = ConfigDict(extra="forbid")

    frames_per_clip: int = Field(16, ge=1)
    frame_step: int = Field(4, ge=1)
    num_segments: int = Field(8, ge=1)
    num_views: int = Field(3, ge=1, description="spatial views at test time")
    train_views: int = Field(1, ge=1, description="random-resized-crop views at train time")
    resolution: int = Field(224, ge=8)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    face_crop: bool = False
    face_detector: Literal["blazeface-short-range"] = Field(
        "blazeface-short-range", description="detector of the face crop and face signal (keys the cache)"
    )
    train_scale: tuple[float, float] = (0.3, 1.0)
    train_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    train_flip: bool = True
    train_augment: TrainAugment = Field(
        "crop-flip",
        description="crop-flip: one random-resized crop (+ flip) per view; vjepa: the reference's RandAugment, "
        "random-resized crop, flip and random erasing drawn per segment; none: the centre view, no randomness",
    )
    randaugment: str = Field(RANDAUGMENT, description="timm RandAugment config of train_augment=vjepa")
    erase_prob: float = Field(0.25, ge=0, le=1, description="random-erasing probability of train_augment=vjepa")
    eval_transform: Literal["affectlab", "jepa"] = Field(
        "affectlab",
        description="full-video window view: affectlab (short side to resolution, centre crop) or jepa "
        "(short side to resolution * 256/224, centre crop, as the reference's single-view eval)",
    )


# Sampling an encoder needs unless the user says otherwise: the FER2013 frame baseline is a per-frame
# model of 64x64 gray faces, so it gets face-cropped frames at its own 64 px input.
ENCODER_SAMPLING: dict[str, dict[str, Any]] = {"frame-baseline": {"face_crop": True, "resolution": 64}}


class ExtractConfig(BaseModel):
    """Everything that decides how features are extracted (the sampling and pooling also key the cache).

    Sampling fields the caller leaves out take the encoder's own defaults (:data:`ENCODER_SAMPLING`) before
    :class:`SamplingConfig`'s; any value given wins.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _encoder_sampling(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        encoder = values.get("encoder", cls.model_fields["encoder"].default)
        preset = ENCODER_SAMPLING.get(encoder) if isinstance(encoder, str) else None
        sampling = values.get("sampling")
        if preset and (sampling is None or isinstance(sampling, dict)):
            values = {**values, "sampling": {**preset, **(sampling or {})}}
        return values

    encoder: EncoderName = "frame-baseline"
    checkpoint: str | None = None
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    pooling: Pooling = "none"
    engine: EngineName = "local"
    device: Device = "auto"
    batch_size: int | None = Field(None, ge=1, description="segments per forward; None: largest that fits")
    shard_size: int = Field(8, ge=1, description="clips per shard (the unit of commit and resume)")
    compile: bool = Field(False, description="torch.compile the encoder (GPU: +16-26% throughput, ViT-L/H)")
    decode_workers: int = Field(default_factory=lambda: min(8, os.cpu_count() or 1), ge=1)
    store_dtype: StoreDtype = Field("float32", description="dtype of the stored tokens (half types: half the size)")


class TrainConfig(BaseModel):
    """Probe training settings; defaults follow the V-JEPA frozen-evaluation protocol (20 epochs, AdamW)."""

    model_config = ConfigDict(extra="forbid")

    probe: ProbeKind = "attentive"
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(16, ge=1)
    lrs: list[PositiveFloat] = Field(default_factory=lambda: [1e-3], min_length=1)
    weight_decays: list[NonNegativeFloat] = Field(default_factory=lambda: [0.01], min_length=1)
    warmup_epochs: float = Field(1.0, ge=0)
    start_lr_factor: float = Field(0.1, ge=0, description="warmup starts at this fraction of the lr")
    final_lr: float = Field(0.0, ge=0)
    grad_clip: float = Field(1.0, ge=0, description="per-head gradient norm clip; 0 turns it off")
    num_heads: int = Field(16, ge=1)
    mlp_hidden: int = Field(1024, ge=1)
    val_fraction: float = Field(0.2, gt=0, lt=1, description="share of training actors held out to pick a head")
    folds: FoldScheme = "manifest"
    seed: int = 0
    device: Device = Field("auto", description="auto: CUDA when torch sees one")
    schedule: Schedule = Field(
        "warmup-cosine",
        description="warmup-cosine: affectlab's; jepa: the V-JEPA FER fork's scheduler calls (lr at step i+2, wd "
        "at i+1 of T); vjepa2: V-JEPA 2's (lr and wd at step i+1)",
    )
    final_weight_decay: NonNegativeFloat | None = Field(None, description="cosine wd target; None: constant")
    exclude_bias_decay: bool = Field(True, description="biases and 1-D parameters without weight decay")
    shuffle: Literal["epoch", "once"] = Field(
        "epoch",
        description="epoch: a new batch order every epoch; once: one seeded order repeated every epoch (the V-JEPA "
        "FER reference: its DistributedSampler never gets set_epoch)",
    )
    eval: EvalKind = Field("protocol", description="protocol (test views), full-video (every clip position) or both")
    resume: bool = Field(True, description="save latest.pt after every epoch so a stopped run continues")

    def sweep(self) -> list[tuple[float, float]]:
        """Every (lr, weight decay) pair, in a fixed order."""
        return list(itertools.product(self.lrs, self.weight_decays))


def baseline_sampling() -> SamplingConfig:
    """The frame baseline's windows: face-cropped, one segment, one view, 64 px (its input size)."""
    return SamplingConfig(num_segments=1, num_views=1, **ENCODER_SAMPLING["frame-baseline"])


class CrossConfig(BaseModel):
    """``affectlab fer cross``: the calm/neutral label policy and which evaluations run."""

    model_config = ConfigDict(extra="forbid")

    calm: CalmPolicy = Field("drop", description="RAVDESS calm: drop, or merge into neutral")
    eval: EvalKind = Field("protocol", description="protocol (test views), full-video (every clip position) or both")


class PredictConfig(BaseModel):
    """How frames or windows are cut and scored; ``sampling`` defaults to the frame baseline's (face crop,
    1 view, 64 px)."""

    model_config = ConfigDict(extra="forbid")

    run: str | None = None
    checkpoint: str | None = None
    stride: int | None = Field(
        None,
        ge=1,
        description="frames between windows (run) or scored frames (frame baseline); None: half a window, every frame",
    )
    smooth: float = Field(0.0, ge=0, description="seconds of centred moving average drawn on per-frame timelines")
    faces: Literal["largest", "all"] = Field(
        "largest", description="score the largest face track (warn when there are more) or every track"
    )
    detector: Literal["short-range", "full-range"] = Field(
        "short-range", description="BlazeFace model: short-range (faces near the camera) or full-range (far faces)"
    )
    detect_every: int = Field(
        1,
        ge=1,
        description="detect faces on every k-th frame predict decodes, boxes interpolated between detections of the "
        "same faces (1: every frame, the exact default)",
    )
    device: Device = "auto"
    sampling: SamplingConfig = Field(default_factory=baseline_sampling)


class ReproduceConfig(BaseModel):
    """``affectlab fer reproduce``: which protocol, preset and knobs; ``sampling``/``train`` override the preset."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["cached", "online"] = Field("cached", description="cached features or the encoder in the loop")
    preset: Literal["vjepa-fer", "vjepa2"] = "vjepa-fer"
    encoder: EncoderName | None = Field(None, description="None: the preset's (vjepa-vit_huge)")
    pooling: Pooling = Field("grid", description="cached mode: full ViT-H/384 tokens of CREMA-D would be 5.6 TB")
    store_dtype: StoreDtype = "float32"
    folds: int = Field(5, ge=2)
    seed: int = 0
    device: Device = "auto"
    decode_workers: int = Field(default_factory=lambda: min(8, os.cpu_count() or 1), ge=1)
    sampling: dict = Field(default_factory=dict, description="SamplingConfig values over the preset's")
    train: dict = Field(default_factory=dict, description="TrainConfig values over the preset's")
