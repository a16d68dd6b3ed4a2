"""`cnn_lstm_video` and its dataset: clips whose label needs time, any clip length, the UCF-101
loading path (mocked: the real data cannot be downloaded here), and an export served with
clip lengths it never saw."""

import collections

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo
from zoo import cards
from zoo.data import video
from zoo.datasets import moving_mnist_motion as mmm
from recipes.cnn_lstm_video import recipe

from conftest import run_clean_python


def digit_position(clip):
    """(row, col) of the top-left corner of the lit pixels' bounding box, per frame."""
    positions = []
    for frame in clip[..., 0]:
        rows, cols = np.nonzero(frame)
        positions.append((rows.min(), cols.min()))
    return np.array(positions)


@pytest.mark.parametrize("motion", range(len(mmm.MOTIONS)))
def test_clip_moves_along_its_axis_at_its_speed_and_stays_in_frame(motion):
    digit = np.zeros((28, 28), np.uint8)
    digit[0, 0] = digit[27, 27] = 255  # a digit whose box is the full 28×28 square
    clip = mmm.make_clip(digit, motion, 30, np.random.default_rng(motion))
    assert clip.shape == (30, 64, 64, 1) and clip.dtype == np.uint8
    position = digit_position(clip)
    assert position.min() >= 0 and position.max() <= mmm.TRAVEL
    axis, speed = mmm.MOTIONS[motion].split()
    moving, still = (1, 0) if axis == "left-right" else (0, 1)
    assert len(set(position[:, still])) == 1
    steps = np.abs(np.diff(position[:, moving]))
    assert steps.max() == mmm.SPEEDS[speed]  # a bounce shortens a step, nothing lengthens it
    assert (steps == mmm.SPEEDS[speed]).mean() > 0.7


def test_one_frame_carries_no_information_about_the_motion():
    # Every start on the unfolded track, for every motion and frame: the position of the digit
    # has one distribution, so the 25 % ceiling of a single-frame classifier is exact.
    starts = np.arange(2 * mmm.TRAVEL)
    reference = collections.Counter(mmm.fold(starts).tolist())
    for speed in mmm.SPEEDS.values():
        for t in (0, 1, 5, 9, 23):
            assert collections.Counter(mmm.fold(starts + speed * t).tolist()) == reference
    assert mmm.SINGLE_FRAME_CEILING == 0.25
    assert "25 %" in mmm.MovingMnistMotion.__doc__


def test_clip_strip_shows_one_clip_per_motion(tmp_path, monkeypatch):
    drawn = {}
    monkeypatch.setattr(recipe.plots, "save_clip_strip",
                        lambda videos, titles, path: drawn.update(videos=videos, titles=titles))
    labels = [0, 4, 1, 5, 2, 3, 6]  # motions 0, 0, 1, 1, 2, 3, 2
    clips = tf.data.Dataset.from_tensor_slices((np.arange(7, dtype=np.uint8).reshape(7, 1, 1, 1, 1)
                                                * np.ones((7, 3, 4, 4, 1), np.uint8), labels))
    recipe.save_clip_strip(clips, tmp_path / "clips.png", names=mmm.class_names())
    assert drawn["titles"] == ["0 left-right slow", "0 left-right fast", "0 up-down slow", "0 up-down fast"]
    assert [int(v[0, 0, 0, 0]) for v in drawn["videos"]] == [0, 2, 4, 5]


def test_generated_test_clips_use_mnist_test_digits_deterministically():
    builder = mmm.MovingMnistMotion(config=mmm.MovingMnistMotionConfig(num_frames=3, train_clips=1, test_clips=5),
                                    data_dir="/nonexistent", download_mnist=False)
    first = list(builder._generate_examples("test", 5))
    again = list(builder._generate_examples("test", 5))
    mnist = tfds.load("mnist", split="test[:5]", as_supervised=True, batch_size=-1, download=False)
    images, digits = (np.asarray(a) for a in tfds.as_numpy(mnist))
    for (_, example), (_, same), image, digit in zip(first, again, images, digits):
        np.testing.assert_array_equal(example["video"], same["video"])
        assert example["digit"] == digit and example["label"] == digit * 4 + example["motion"]
        assert example["video"][0].sum() == image.sum()  # the whole digit is pasted, unscaled
    assert {e["motion"] for _, e in list(builder._generate_examples("train", 40))} == {0, 1, 2, 3}


def test_any_clip_length_and_padding_with_lengths():
    model = zoo.load("cnn_lstm_video", conv_filters=[4, 8], frame_features=8, units=8)
    clips = np.random.default_rng(0).integers(0, 256, (2, 7, 64, 64, 1)).astype("uint8")
    for frames in (1, 3, 7):
        assert model.predict(clips[:, :frames], verbose=0).shape == (2, 40)
    padded = clips.copy()
    padded[1, 4:] = 0
    np.testing.assert_allclose(model(padded, lengths=[7, 4])[1], model(clips[1:, :4])[0], atol=1e-5)


def test_ucf101_loading_path_with_mocked_data():
    with tfds.testing.mock_data(num_examples=6, policy=tfds.testing.MockPolicy.USE_CODE):
        config = recipe.RECIPE.config(dataset="ucf101", num_frames=5, frame_size=32, conv_filters=[4, 8],
                                      batch_size=2, baseline_epochs=1)
        data = recipe.RECIPE.load_data(config)
        videos, labels = next(iter(data.train.dataset))
        single, _ = next(iter(video.single_frame(recipe.RECIPE.clips, seed=0)["train"].batch(2)))
    assert videos.shape == (2, 5, 32, 32, 3) and videos.dtype == tf.uint8
    assert single.shape[1:] == (1, 32, 32, 3)
    assert len(data.info["class_names"]) == 101 and data.info["frame_shape"] == [32, 32, 3]
    model = zoo.load("cnn_lstm_video", **recipe.RECIPE.model_config(config, data))
    assert model.predict(videos, verbose=0).shape == (2, 101)


def test_non_video_dataset_is_refused_with_a_message(tmp_path):
    with pytest.raises(zoo.DataError, match="needs a video dataset"):
        recipe.RECIPE.main(["--smoke", "--dataset", "mnist", "--output", str(tmp_path)])


SERVE_LENGTHS = """
import sys, numpy as np, tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
for frames in (2, 13):
    video = np.random.default_rng(frames).integers(0, 256, (3, frames, 64, 64, 1)).astype("uint8")
    out = serve(video=tf.constant(video))
    np.save(sys.argv[2] + f"/{frames}.npy", out["probabilities"].numpy())
    print(frames, out["class_id"].shape, out["class_name"].numpy()[0].decode())
assert "zoo" not in sys.modules
"""


def test_export_serves_clip_lengths_it_never_saw_in_a_clean_process(tmp_path):
    model = zoo.load("cnn_lstm_video", conv_filters=[4, 8], frame_features=8, units=8,
                     class_names=mmm.class_names())
    version = zoo.export(model, tmp_path / "serving")
    result = run_clean_python(SERVE_LENGTHS, version, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    for frames in (2, 13):
        video = np.random.default_rng(frames).integers(0, 256, (3, frames, 64, 64, 1)).astype("uint8")
        np.testing.assert_allclose(np.load(tmp_path / f"{frames}.npy"), model.predict(video, verbose=0), atol=1e-5)


def test_shipped_model_reaches_its_targets_beside_the_single_frame_baseline():
    card = cards.read_card(cards.saved_models_dir() / "cnn_lstm_video")
    assert card["dataset"]["name"].startswith("moving_mnist_motion/") and card["dataset"]["test_examples"] == 5000
    assert card["metrics"]["test_accuracy"] >= 0.95
    baseline = card["single_frame_baseline"]
    assert baseline["test_accuracy"] <= baseline["accuracy_ceiling"] + 0.02  # sampling noise of 5,000 clips
    assert card["training_seconds"] <= 30 * 60
    assert card["peak_memory_mb"] <= 4096
    for name in ("confusion_matrix.png", "clips.png"):
        assert (cards.saved_models_dir() / "cnn_lstm_video" / name).read_bytes()[:4] == b"\x89PNG"
