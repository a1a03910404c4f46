"""Small videos rendered with PyAV for the tests: a faceless scene (moving shapes), or frames of a real clip."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np


def scene_frames(frames: int, width: int = 320, height: int = 240) -> np.ndarray:
    """``[frames, H, W, 3]`` uint8: a gradient background with a square and a disc moving across it."""
    out = np.empty((frames, height, width, 3), np.uint8)
    ramp = np.linspace(30, 120, width, dtype=np.uint8)
    for t in range(frames):
        frame = np.stack([np.broadcast_to(ramp, (height, width))] * 3, axis=-1).copy()
        x = 10 + (t * 5) % (width - 80)
        cv2.rectangle(frame, (x, 40), (x + 60, 120), (220, 60, 60), -1)
        cv2.circle(frame, (width - 40 - x // 2, 170), 35, (60, 150, 230), -1)
        out[t] = frame
    return out


def write_video(
    path: Path, *, faceless: bool = True, frames: int = 48, fps: int = 24, source: np.ndarray | None = None
) -> Path:
    """Encode ``source`` frames (default: the faceless scene) as H.264 in an MP4 at ``path``."""
    data = scene_frames(frames) if source is None else source
    if not faceless and source is None:
        raise ValueError("a video with a face needs source frames")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = data.shape[2], data.shape[1], "yuv420p"
        for frame in data:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
