"""Optional face crop: OpenCV haar cascade on a few frames, one smoothed square box per clip.

Faces are detected on ``num_probe`` frames spread over the clip (largest face per frame); the clip's box
is the median centre and size over the frames with a face, enlarged by ``margin`` on each side, made
square and shifted to stay inside the frame. No face on any probed frame -> the centred square crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from affectlab.errors import AffectlabError

CASCADE = "haarcascade_frontalface_default.xml"


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


@lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + CASCADE
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise AffectlabError(f"{path}: cannot load the OpenCV face cascade; reinstall opencv-python-headless")
    return cascade


def detect_faces(frame: np.ndarray) -> np.ndarray:
    """Face boxes ``[n, 4]`` (x, y, w, h) in one RGB frame, largest first."""
    gray = cv2.equalizeHist(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY))
    min_side = max(24, min(gray.shape) // 8)
    boxes = _cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side))
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    return boxes[np.argsort(-boxes[:, 2] * boxes[:, 3], kind="stable")]


def face_box(frames: np.ndarray, *, num_probe: int = 5, margin: float = 0.25) -> FaceBox:
    """One square box for the whole clip ``[N, H, W, 3]``, smoothed over ``num_probe`` frames."""
    n, height, width = frames.shape[:3]
    probes = np.unique(np.linspace(0, n - 1, min(num_probe, n)).round().astype(int))
    found = [faces[0] for faces in (detect_faces(frames[i]) for i in probes) if len(faces)]
    if not found:
        side = min(height, width)
        return FaceBox((width - side) // 2, (height - side) // 2, side, found=False)
    x, y, w, h = np.median(np.stack(found), axis=0)
    side = int(round(max(w, h) * (1 + 2 * margin)))
    side = min(side, height, width)
    left = int(np.clip(round(x + w / 2 - side / 2), 0, width - side))
    top = int(np.clip(round(y + h / 2 - side / 2), 0, height - side))
    return FaceBox(left, top, side, found=True)


def crop_to_face(frames: np.ndarray, *, num_probe: int = 5, margin: float = 0.25) -> np.ndarray:
    """Frames cropped to the clip's face box (centre square when no face is found)."""
    return face_box(frames, num_probe=num_probe, margin=margin).crop(frames)
