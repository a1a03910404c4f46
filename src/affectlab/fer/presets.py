"""Typed presets: the reference recipes as values of the configs, applied under the user's own options.

A preset holds, per stage, field values of :class:`~affectlab.fer.config.IndexConfig` (per dataset),
:class:`~affectlab.fer.config.SamplingConfig`, :class:`~affectlab.fer.config.ExtractConfig` and
:class:`~affectlab.fer.config.TrainConfig`. :func:`with_preset` layers them: config defaults, then the preset,
then every option the user gave (which wins, but not against an encoder's input contract); the result is
validated as the config and its name is written to ``config.json`` beside the resolved values. A preset sets the
protocol, not what an encoder can read: an encoder's input contract (the frame baseline's 64 px face crops)
replaces the preset's sampling values, and a user's option against it is refused with the reason
(:func:`encoder_contract`).

``vjepa-fer`` is what the V-JEPA FER fork (lennarteingunia/vjepa-for-fer @702cd62, a fork of
facebookresearch/jepa) runs, read from its code rather than its text:

- folds: 5 actor-disjoint folds; RAVDESS speech clips, both the audio-visual and the video-only copy of each
  recording (2,880 clips; both copies of an actor in one fold), CREMA-D all clips. The fork's RAVDESS folds
  are not in the repository and its CREMA-D actor shuffle is unseeded (``crema_d_utils.py``): affectlab's
  seeded, clip-balanced actor split (seed 0) stands in for both; ``--folds-file`` takes any other split.
- clips: ViT-H/16 at 384 px (``target_encoder``), 16 frames at step 4, 8 segments, 3 test views (short side to
  384, crops along the long side), 1 train view; all tokens of the 8 segments concatenated (no pooling).
- training augmentation, drawn per segment: RandAugment ``rand-m7-n4-mstd0.5-inc1``, random-resized crop
  scale (0.08, 1), ratio (3/4, 4/3), no flip, random erasing p = 0.25 (:mod:`affectlab.fer.data.augment`).
- probe: 1 cross-attention block (the encoder's heads, ``num_heads=encoder.num_heads`` in the fork's eval.py:189:
  16 for ViT-L/H/g; 1 query, MLP ratio 4) + linear; AdamW, lr 1e-3 on a pure cosine
  to 0 per iteration (no warmup; the fork's scheduler positions, ``schedule="jepa"``), weight decay cosine
  0.01 -> 1e-6 on weights only (biases and 1-D parameters excluded), gradient clip 1.0, batch 4, 20 epochs,
  one batch order for every epoch (``shuffle="once"``: the fork's eval.py never calls ``set_epoch`` on its
  ``DistributedSampler``, whose seeded permutation is then the same each epoch).
- evaluation: the last epoch's probe, on the test views (protocol) and on the full video (one clip per start
  frame, one centre view after a 256/224 resize, softmax summed), both reported.

Where the fork differs and affectlab does not follow it (each a sound choice, in docs/fer/reproduce.md too): it
trains the probe under fp16 autocast with a GradScaler (its ``use_bfloat16`` flag turns on float16); affectlab
trains in float32 (the encoder runs in bf16 on a GPU). It gives CREMA-D an 8-way head (2 logits never a
target); affectlab uses the 6 classes. Its full-video loader crashes as committed (torchcodec tensors into a
numpy/PIL resize); affectlab decodes to numpy, which is what that transform expects.

``vjepa2`` is V-JEPA 2's frozen classification recipe (facebookresearch/vjepa2 @c2963a4,
``evals/video_classification_frozen``, ``configs/eval/vitl/k400.yaml``) on the same folds: 4-block probe
(3 self-attention blocks over the tokens, then the cross-attention block; 16 attention heads from the config,
not the encoder's), 20 heads trained side by side, a new batch order every epoch (``set_epoch``),
lr {5e-3, 3e-3, 1e-3, 3e-4, 1e-4} x wd {0.01, 0.1, 0.4, 0.8}, constant wd, no bias exclusion, no clipping,
256 px. V-JEPA 2 reports the best head on the test data; affectlab picks the head on held-out *training*
actors (``val_fraction``) and scores only that one.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from affectlab.config import validated
from affectlab.errors import AffectlabError

PresetName = Literal["vjepa-fer", "vjepa2"]
FROM_ENCODER = "encoder"  # a preset value the encoder decides (the reference: num_heads=encoder.num_heads)
Stage = Literal["index", "extract", "train"]
Model = TypeVar("Model", bound=BaseModel)

_SAMPLING = {
    "frames_per_clip": 16,
    "frame_step": 4,
    "num_segments": 8,
    "num_views": 3,
    "train_views": 1,
    "resolution": 384,
    "face_crop": False,
    "train_scale": (0.08, 1.0),
    "train_ratio": (3 / 4, 4 / 3),
    "train_flip": False,
    "train_augment": "vjepa",
    "randaugment": "rand-m7-n4-mstd0.5-inc1",
    "erase_prob": 0.25,
    "eval_transform": "jepa",
}
_INDEX = {
    "ravdess": {"folds": 5, "seed": 0, "modality": "both", "channel": "speech"},
    "crema-d": {"folds": 5, "seed": 0},
    "folder": {"folds": 5, "seed": 0},
}

PRESETS: dict[str, dict[str, Any]] = {
    "vjepa-fer": {
        "index": _INDEX,
        "extract": {"encoder": "vjepa-vit_huge", "pooling": "none", "sampling": _SAMPLING},
        "train": {
            "probe": "attentive",
            "epochs": 20,
            "batch_size": 4,
            "lrs": [1e-3],
            "weight_decays": [0.01],
            "final_weight_decay": 1e-6,
            "warmup_epochs": 0.0,
            "start_lr_factor": 1.0,
            "final_lr": 0.0,
            "schedule": "jepa",
            "grad_clip": 1.0,
            "num_heads": FROM_ENCODER,
            "exclude_bias_decay": True,
            "shuffle": "once",
            "eval": "both",
        },
    },
    "vjepa2": {
        "index": _INDEX,
        "extract": {"encoder": "vjepa2", "pooling": "none", "sampling": {**_SAMPLING, "resolution": 256}},
        "train": {
            "probe": "attentive-v2",
            "epochs": 20,
            "batch_size": 4,
            "lrs": [5e-3, 3e-3, 1e-3, 3e-4, 1e-4],
            "weight_decays": [0.01, 0.1, 0.4, 0.8],
            "final_weight_decay": None,
            "warmup_epochs": 0.0,
            "start_lr_factor": 1.0,
            "final_lr": 0.0,
            "schedule": "vjepa2",
            "grad_clip": 0.0,
            "num_heads": 16,
            "exclude_bias_decay": False,
            "eval": "both",
        },
    },
}


def preset_values(name: str | None, stage: Stage, dataset: str | None = None) -> dict[str, Any]:
    """The values preset ``name`` sets for ``stage`` (``{}`` without a preset)."""
    if name is None:
        return {}
    if name not in PRESETS:
        raise AffectlabError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    values = PRESETS[name][stage]
    if stage == "index":
        return dict(values.get(dataset or "", {}))
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in values.items()}


def merge(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``given`` on top; nested dicts (``sampling``) are merged key by key."""
    out = dict(base)
    for key, value in given.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def encoder_contract(name: str | None, values: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Preset ``name``'s extract ``values`` with the encoder's input contract (:data:`ENCODER_SAMPLING`: the frame
    baseline reads 64 px face crops) in place of the preset's sampling: a preset sets the protocol, an encoder
    what it can read. A sampling option the user gave against the contract is refused with the reason."""
    from affectlab.fer.config import ENCODER_SAMPLING

    encoder = given.get("encoder", values.get("encoder"))
    contract = ENCODER_SAMPLING.get(encoder) if isinstance(encoder, str) else None
    if not contract:
        return values
    asked = given.get("sampling") if isinstance(given.get("sampling"), dict) else {}
    clash = {k: v for k, v in asked.items() if k in contract and v != contract[k]}
    if clash:
        wanted = ", ".join(f"{k}={v}" for k, v in contract.items())
        raise AffectlabError(
            f"encoder {encoder} reads {wanted} (its input contract) but "
            f"{', '.join(f'{k}={v}' for k, v in clash.items())} was asked with preset {name}: leave it out, or use "
            "an encoder that reads it"
        )
    return {**values, "sampling": {**values.get("sampling", {}), **contract}}


def encoder_heads(encoder: str | None, embed_dim: int | None = None) -> int | None:
    """The attention heads of a V-JEPA / V-JEPA 2 encoder (by architecture, or by width for V-JEPA 2), which the
    references give their attentive probe; None for other encoders or an unknown width."""
    if encoder is not None and encoder.startswith("vjepa-"):
        from affectlab.fer.encoders.vjepa import ARCHS

        arch = ARCHS.get(encoder.removeprefix("vjepa-"))
        return arch.num_heads if arch and embed_dim in (None, arch.embed_dim) else None
    if encoder == "vjepa2" and embed_dim is not None:
        from affectlab.fer.encoders.hf import VJEPA2_HEADS

        return VJEPA2_HEADS.get(embed_dim)
    return None


def with_preset(
    model: type[Model],
    name: str | None,
    stage: Stage,
    given: dict[str, Any],
    what: str,
    dataset: str | None = None,
    *,
    encoder: str | None = None,
    embed_dim: int | None = None,
) -> Model:
    """``model`` from its defaults, then preset ``name``'s ``stage`` values (for extraction, under the encoder's
    input contract: :func:`encoder_contract`; for training, the probe's heads from ``encoder``:
    :func:`encoder_heads`, else the config's default), then the ``given`` options."""
    values = preset_values(name, stage, dataset)
    if stage == "extract" and name is not None:
        values = encoder_contract(name, values, given)
    if values.get("num_heads") == FROM_ENCODER:
        heads = encoder_heads(encoder, embed_dim)
        values = {k: v for k, v in values.items() if k != "num_heads"} | ({"num_heads": heads} if heads else {})
    return validated(model, merge(values, given), what)
