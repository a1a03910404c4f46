"""Regenerate ``fer_reference.npz``: real face crops and the original Keras model's outputs on them.

Step 1 (project venv):
    python tests/fer/encoders/make_fer_reference.py crops ../shared/data/face_video /tmp/crops.npz
Step 2 (a throwaway venv with tensorflow-cpu, never the project's):
    python tests/fer/encoders/make_fer_reference.py keras /tmp/crops.npz EMOTION_MODEL_HDF5 \
        tests/fer/encoders/fer_reference.npz
"""

from __future__ import annotations

import sys

import numpy as np


def crops(root: str, out: str, per_clip: int = 1, limit: int = 8) -> None:
    from pathlib import Path

    import av

    from tests.fer.encoders.fer_crops import fer_face_crops, haar_cascade

    cascade, faces, names = haar_cascade(), [], []
    for clip in sorted(p for p in Path(root).rglob("*") if p.suffix in (".flv", ".mp4")):
        with av.open(str(clip)) as container:
            frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
        found = fer_face_crops(frames[len(frames) // 2], cascade)[:per_clip]
        faces += found
        names += [clip.name] * len(found)
        if len(faces) >= limit:
            break
    np.savez_compressed(out, faces=np.stack(faces[:limit]), names=np.array(names[:limit]))


def keras_outputs(crops_npz: str, model_path: str, out: str) -> None:
    import keras

    data = np.load(crops_npz)
    model = keras.models.load_model(model_path, compile=False)
    probe = keras.Model(model.inputs, [model.get_layer("add_4").output, model.get_layer("predictions").output])
    x = ((data["faces"].astype(np.float32) / 255.0) - 0.5) * 2.0
    add_4, probs = probe.predict(x[..., None], verbose=0)
    np.savez_compressed(
        out,
        faces=data["faces"],
        names=data["names"],
        probs=probs.astype(np.float32),
        features=add_4.mean(axis=(1, 2)).astype(np.float32),
        keras_version=np.array(keras.__version__),
    )


if __name__ == "__main__":
    {"crops": crops, "keras": keras_outputs}[sys.argv[1]](*sys.argv[2:])
