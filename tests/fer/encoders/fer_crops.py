"""``fer.FER``'s own face crop, for the tests of the frame baseline against the Keras reference."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from affectlab.fer.encoders.frame_baseline import INPUT_SIZE

FER_PADDING = 40  # fer.fer.PADDING: border added around the gray frame before cropping
FER_OFFSETS = (10, 10)  # fer.FER default offsets around the square face box


def fer_face_crops(frame_bgr: np.ndarray, cascade: cv2.CascadeClassifier) -> list[np.ndarray]:
    """64x64 gray face crops of one BGR frame exactly as ``fer.FER.detect_emotions`` makes them."""
    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    boxes = cascade.detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, flags=cv2.CASCADE_SCALE_IMAGE, minSize=(50, 50)
    )
    mean = cv2.mean(gray[-2:, :])[0]
    padded = cv2.copyMakeBorder(gray, *[FER_PADDING] * 4, borderType=cv2.BORDER_CONSTANT, value=[mean] * 3)
    crops = []
    for x, y, w, h in boxes:
        if h > w:
            x, w = x - (h - w) // 2, h
        elif w > h:
            y, h = y - (w - h) // 2, w
        x1, y1 = max(0, x - FER_OFFSETS[0] + FER_PADDING), max(0, y - FER_OFFSETS[1] + FER_PADDING)
        x2, y2 = x + w + FER_OFFSETS[0] + FER_PADDING, y + h + FER_OFFSETS[1] + FER_PADDING
        crops.append(cv2.resize(padded[y1:y2, x1:x2], (INPUT_SIZE, INPUT_SIZE)))
    return crops


def haar_cascade() -> cv2.CascadeClassifier:
    """OpenCV's frontal-face Haar cascade, the detector ``fer.FER`` uses by default."""
    return cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))
