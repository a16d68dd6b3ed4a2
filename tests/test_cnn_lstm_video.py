"""`cnn_lstm_video` and its dataset: clips whose label needs time, any clip length (trained on
random windows, measured at every length), the UCF-101 loading path (mocked: the real data
cannot be downloaded here), and an export served with clip lengths it never saw, a clip too
short to show motion, and requests too large to serve."""

import collections
import json

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo
from zoo import data as zoo_data
from zoo import cards
from zoo import data as zdata
from zoo.data import video
from zoo.datasets import moving_mnist_motion as mmm
from recipes.cnn_lstm_video import recipe

from conftest import run_clean_python, tiny


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
    model = tiny("cnn_lstm_video")
    clips = np.random.default_rng(0).integers(0, 256, (2, 7, 64, 64, 1)).astype("uint8")
    for frames in (1, 3, 7):
        assert model.predict(clips[:, :frames], verbose=0).shape == (2, 40)
    padded = clips.copy()
    padded[1, 4:] = 0
    np.testing.assert_allclose(model(padded, lengths=[7, 4])[1], model(clips[1:, :4])[0], atol=1e-5)


def test_the_answer_after_frame_t_is_the_answer_to_the_first_t_frames():
    # What makes one pass measure every clip length: the LSTM reads forward only.
    model = tiny("cnn_lstm_video")
    clips = np.random.default_rng(1).integers(0, 256, (3, 9, 64, 64, 1)).astype("uint8")
    steps = model.step_logits(clips).numpy()
    assert steps.shape == (3, 9, 40)
    for frames in (1, 4, 9):
        np.testing.assert_allclose(steps[:, frames - 1], model.logits(clips[:, :frames]).numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"lengths must lie in 1 … 9"):
        model(clips, lengths=[9, 10, 3])


def test_training_windows_have_one_length_per_batch_and_consecutive_frames():
    frames = np.arange(12 * 40, dtype=np.int64).reshape(12, 40) % 251
    clips = tf.data.Dataset.from_tensor_slices(((frames[..., None, None, None]).astype("uint8"), np.arange(12)))
    batches = zdata.shuffled_batches(clips, 4, seed=0, cache=False, batch_map=video.random_windows(2, 40, seed=7))
    seen = set()
    for _ in range(2):
        for x, labels in batches.dataset:
            x = x.numpy()[..., 0, 0, 0].astype(np.int64)
            assert 2 <= x.shape[1] <= 40
            for row, label in zip(x, labels.numpy()):
                start = int(np.nonzero(frames[label] == row[0])[0][0])
                np.testing.assert_array_equal(row, frames[label, start:start + len(row)])  # a window of its own clip
            seen.add(x.shape[1])
    again = [x.shape[1] for x, _ in zdata.shuffled_batches(clips, 4, seed=0, cache=False,
                                                           batch_map=video.random_windows(2, 40, seed=7)).dataset]
    assert len(seen) > 1 and again == [x.shape[1] for x, _ in batches.dataset]  # seeded: the same windows
    with pytest.raises(ValueError, match="shortest <= longest"):
        video.random_windows(5, 3, seed=0)


def test_ucf101_loading_path_with_mocked_data(monkeypatch):
    # TFDS's mock stands in for the download: no network to find first (zoo.data checks for one).
    monkeypatch.setattr(zoo_data, "_unreachable", lambda host: "")
    with tfds.testing.mock_data(num_examples=6, policy=tfds.testing.MockPolicy.USE_CODE):
        config = recipe.RECIPE.config(dataset="ucf101", num_frames=3, clip_frames=5, frame_size=32,
                                      conv_filters=[4, 8], batch_size=2, baseline_epochs=1)
        data = recipe.RECIPE.load_data(config)
        videos, labels = next(iter(data.train.dataset))
        test_videos, _ = next(iter(data.test))
        single, _ = next(iter(video.single_frame(data.sources, seed=0)["train"].batch(2)))
    assert videos.shape[0] == 2 and 2 <= videos.shape[1] <= 5 and videos.shape[2:] == (32, 32, 3)
    assert test_videos.shape[1:] == (5, 32, 32, 3) and videos.dtype == tf.uint8
    assert single.shape[1:] == (1, 32, 32, 3)
    assert len(data.info["class_names"]) == 101 and data.info["frame_shape"] == [32, 32, 3]
    model = zoo.load("cnn_lstm_video", **recipe.RECIPE.model_config(config, data))
    assert model.predict(videos, verbose=0).shape == (2, 101) and model.min_frames == 1


def test_non_video_dataset_is_refused_with_a_message(tmp_path):
    with pytest.raises(zoo.DataError, match="needs a video dataset"):
        recipe.RECIPE.main(["--smoke", "--dataset", "mnist", "--output", str(tmp_path)])


SERVE_LENGTHS = """
import json, sys, numpy as np, tensorflow as tf
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
enough = {}
for frames in (1, 2, 13):
    video = np.random.default_rng(frames).integers(0, 256, (3, frames, 64, 64, 1)).astype("uint8")
    out = serve(video=tf.constant(video))
    np.save(sys.argv[2] + f"/{frames}.npy", out["probabilities"].numpy())
    enough[frames] = out["enough_frames"].numpy().tolist()
    print(frames, out["class_id"].shape, out["class_name"].numpy()[0].decode())
refused = {}
for batch, frames in ((1, 4097), (2, 2049), (1, 100_000)):  # the last: 410 MB, one plausible upload
    try:
        serve(video=tf.zeros((batch, frames, 64, 64, 1), tf.uint8))
    except tf.errors.InvalidArgumentError as e:
        refused[f"{batch}x{frames}"] = [line for line in e.message.splitlines() if "video carries" in line][0]
assert serve(video=tf.zeros((64, 64, 64, 64, 1), tf.uint8))["class_id"].shape == (64,)  # 4,096: the most
print("RESULT " + json.dumps({"enough": enough, "refused": refused}))
assert "zoo" not in sys.modules
"""


def test_export_serves_any_clip_length_flags_one_frame_and_refuses_oversized_requests(tmp_path):
    model = tiny("cnn_lstm_video", class_names=mmm.class_names(), min_frames=2)
    version = zoo.export(model, tmp_path / "serving")
    result = run_clean_python(SERVE_LENGTHS, version, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]  # the serving process lived through all
    for frames in (1, 2, 13):
        video = np.random.default_rng(frames).integers(0, 256, (3, frames, 64, 64, 1)).astype("uint8")
        np.testing.assert_allclose(np.load(tmp_path / f"{frames}.npy"), model.predict(video, verbose=0), atol=1e-5)
    answer = json.loads(result.stdout.split("RESULT ", 1)[1])
    assert answer["enough"] == {"1": [False] * 3, "2": [True] * 3, "13": [True] * 3}
    assert set(answer["refused"]) == {"1x4097", "2x2049", "1x100000"}
    for message in answer["refused"].values():
        assert "at most 4096" in message and "send fewer clips per request" in message


def test_the_shipped_card_is_measured_as_the_issue_asks_beside_the_single_frame_baseline():
    # Its targets (accuracy at every length, time, memory) are in test_targets.py.
    card = cards.read_card(cards.saved_models_dir() / "cnn_lstm_video")
    assert card["dataset"]["name"].startswith("moving_mnist_motion/") and card["dataset"]["test_examples"] == 5000
    metrics = card["metrics"]
    assert metrics["num_frames"] == 10
    assert {"1", "3", "4", "6", "8", "10", "16", "24", "32", "40"} <= set(metrics["test_accuracy_by_frames"])
    assert card["dataset"]["clip_frames"] == 40
    assert card["model_config"]["min_frames"] == mmm.MIN_FRAMES_FOR_MOTION
    baseline = card["single_frame_baseline"]
    assert baseline["test_accuracy"] <= baseline["accuracy_ceiling"] + 0.02  # sampling noise of 5,000 clips
    for name in ("confusion_matrix.png", "clips.png", "accuracy_by_frames.png"):
        assert (cards.saved_models_dir() / "cnn_lstm_video" / name).read_bytes()[:4] == b"\x89PNG"
