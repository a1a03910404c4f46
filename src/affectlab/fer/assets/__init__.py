"""The small published model files affectlab runs, shipped as package data with their licences (README.md here
names each file's source package, version and sha256)."""

from __future__ import annotations

from pathlib import Path

from affectlab.errors import AffectlabError

FOLDER = Path(__file__).parent
FER2013_MINI_XCEPTION = "emotion_model.hdf5"
BLAZEFACE_SHORT_RANGE = "face_detection_short_range.tflite"
BLAZEFACE_FULL_RANGE = "face_detection_full_range.tflite"
SHA256 = {
    FER2013_MINI_XCEPTION: "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
    BLAZEFACE_SHORT_RANGE: "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    BLAZEFACE_FULL_RANGE: "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
}


def asset_path(name: str) -> Path:
    """The path of a shipped model file (one of :data:`SHA256`'s names)."""
    if name not in SHA256:
        raise AffectlabError(f"{name!r}: not a shipped model file; expected one of {', '.join(sorted(SHA256))}")
    path = FOLDER / name
    if not path.is_file():
        raise AffectlabError(f"{path}: shipped model file missing; reinstall affectlab")
    return path
