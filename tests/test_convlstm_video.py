"""`convlstm_video` and its data: two-digit clips made by Moving MNIST's own protocol, the
published moving_mnist test set (mocked: it cannot be downloaded here), frames generated from
any number of given frames, and the measures set beside the copy-last-frame baseline."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo
from zoo import data as zoo_data
from zoo import portable
from zoo.data import video
from zoo.datasets import moving_mnist_motion as mmm
from recipes.convlstm_video import recipe

from conftest import tiny


def square_digit(value):
    digit = np.zeros((28, 28), np.uint8)
    digit[:, [0, 27]] = digit[[0, 27], :] = value  # the outline of the 28 × 28 box
    return digit


def boxes(frame, value):
    """Top-left corners of the lit outlines of `value` in a frame."""
    rows, cols = np.nonzero(frame[..., 0] == value)
    return rows.min(), cols.min()


def test_two_digit_clips_move_in_straight_lines_and_bounce_inside_the_frame():
    rng = np.random.default_rng(0)
    clip = mmm.make_two_digit_clip(np.stack([square_digit(100), square_digit(200)]), 30, rng)
    assert clip.shape == (30, 64, 64, 1) and clip.dtype == np.uint8
    for value in (200,):  # the brighter digit shows wherever they overlap
        corners = np.array([boxes(frame, value) for frame in clip])
        assert corners.min() >= 0 and corners.max() <= mmm.TRAVEL
        steps = np.abs(np.diff(corners, axis=0))
        speeds = np.hypot(*steps.T)
        low, high = mmm.TWO_DIGIT_SPEEDS
        assert speeds.max() <= high + 1.5 and np.median(speeds) >= low - 1.5  # rounding to whole pixels
    again = mmm.make_two_digit_clip(np.stack([square_digit(100), square_digit(200)]), 30, np.random.default_rng(0))
    np.testing.assert_array_equal(clip, again)


def test_two_digit_config_is_named_apart_and_unlabelled():
    config = mmm.MovingMnistMotionConfig(num_frames=20, train_clips=10, test_clips=5, digits=2)
    assert config.name == "two_digits_frames_20_train_10_test_5"
    builder = mmm.MovingMnistMotion(config=config, data_dir="/nonexistent", download_mnist=False)
    assert set(builder.info.features) == {"video", "digits"}
    examples = list(builder._two_digit_examples("test", 3))
    assert len(examples) == 3 and all(e["video"].shape == (20, 64, 64, 1) for _, e in examples)
    with pytest.raises(ValueError, match="digits must be 1 or 2"):
        mmm.MovingMnistMotionConfig(digits=3)


def test_published_moving_mnist_path_with_mocked_data(monkeypatch):
    # TFDS's mock stands in for the download: no network to find first (zoo.data checks for one).
    monkeypatch.setattr(zoo_data, "_unreachable", lambda host: "")
    with tfds.testing.mock_data(num_examples=4):
        clips, info = video.frame_sequences("moving_mnist", clip_frames=20, split="test")
        first, label = next(iter(clips))
        model = tiny("convlstm_video")
        settings = recipe.RECIPE.evaluate_class()(test_dataset="moving_mnist", predicted_frames=5, max_examples=4)
        metrics = recipe.RECIPE.evaluate(model, settings)
    assert first.shape == (20, 64, 64, 1) and first.dtype == tf.uint8 and int(label) == -1
    assert info["test_examples"] == 4
    assert metrics["test_clips"] == 4 and "classifier_accuracy_generated" not in metrics  # unlabelled
    with pytest.raises(zoo.DataError, match="only a test split"):
        video.frame_sequences("moving_mnist", clip_frames=20, split="train")


def test_one_frame_for_any_batch_in_python_and_from_the_export(tmp_path):
    """A generated frame count of 1 with a batch the trace left open: `predict` after a first
    call of another batch size, and the export's `num_frames=1` (both failed stacking an empty
    array of unknown batch)."""
    model = tiny("convlstm_video")
    clips = np.random.default_rng(2).integers(0, 256, (3, 3, 64, 64, 1)).astype("uint8")
    assert model.predict(clips[:2], verbose=0).shape == (2, 64, 64, 1)
    assert model.predict(clips, verbose=0).shape == (3, 64, 64, 1)
    serve = tf.saved_model.load(str(zoo.export(model, tmp_path))).signatures["serving_default"]
    frames = serve(video=tf.constant(clips), num_frames=tf.constant(1))["frames"]
    assert frames.shape == (3, 1, 64, 64, 1) and frames.dtype == tf.uint8
    np.testing.assert_array_equal(frames.numpy()[:, 0], np.asarray(model.predict_frames(clips, 1))[:, 0])


def test_frames_are_generated_from_any_number_of_given_frames():
    model = tiny("convlstm_video")
    clips = np.random.default_rng(1).integers(0, 256, (2, 4, 64, 64, 1)).astype("uint8")
    for given, wanted in ((1, 1), (4, 3)):
        frames = np.asarray(model.predict_frames(clips[:, :given], wanted, output="float"))
        assert frames.shape == (2, wanted, 64, 64, 1) and 0 <= frames.min() and frames.max() <= 1
    # Generated frame t comes from the frames before it only: asking for more changes none.
    np.testing.assert_allclose(np.asarray(model.predict_frames(clips, 2, output="float")),
                               np.asarray(model.predict_frames(clips, 5, output="float"))[:, :2], atol=1e-6)
    next_frame = np.asarray(model.predict_frames(clips, 1, output="float"))[:, 0]
    np.testing.assert_allclose(np.asarray(model(clips)), next_frame, atol=1e-6)
    with pytest.raises(ValueError, match="num_frames must be at least 1"):
        model.predict_frames(clips, 0)


def test_frame_temperature_sharpens_every_generated_frame_and_what_is_fed_back():
    plain = tiny("convlstm_video", seed=3)
    sharp = tiny("convlstm_video", seed=3, frame_temperature=0.5)
    sharp.set_weights(plain.get_weights())
    clips = np.random.default_rng(4).integers(0, 256, (2, 3, 64, 64, 1)).astype("uint8")
    p, q = (np.asarray(m.predict_frames(clips, 1, output="float")) for m in (plain, sharp))
    logit = lambda x: np.log(np.clip(x, 1e-4, 1 - 1e-4)) - np.log1p(-np.clip(x, 1e-4, 1 - 1e-4))
    np.testing.assert_allclose(logit(q), 2 * logit(p), atol=1e-3)  # logits doubled at T = 0.5
    # The second frame is generated from the sharpened first one: the plain model given that
    # frame (rounded to uint8, as a given frame is) draws it, sharpened, but for the rounding.
    given = np.concatenate([clips, np.round(q * 255).astype("uint8")], axis=1)
    expected = 1 / (1 + np.exp(-2 * logit(np.asarray(plain.predict_frames(given, 1, output="float")))))
    np.testing.assert_allclose(np.asarray(sharp.predict_frames(clips, 2, output="float"))[:, 1:], expected, atol=0.02)
    assert sharp.get_config()["frame_temperature"] == 0.5
    with pytest.raises(zoo.ConfigError, match="'frame_temperature' must be positive, got 0"):
        tiny("convlstm_video", frame_temperature=0)


def test_sharpened_frames_export_to_onnx(tmp_path):
    # The sharpening is in the served graph (the shipped config generates at 0.5), and ONNX has
    # ops for it: it once used Log1p, which ONNX lacks, and the export failed.
    model = tiny("convlstm_video", frame_temperature=0.5)
    result = portable.verify(model, "onnx", tmp_path, rows=2)
    assert result["agrees"], result["parity"]


@pytest.mark.parametrize("mode", ["free_running", "teacher_forcing"])
def test_both_training_modes_train(mode):
    model = tiny("convlstm_video", training_mode=mode)
    model.compile()
    clips = np.random.default_rng(2).integers(0, 256, (4, 5, 64, 64, 1)).astype("uint8")
    history = model.fit(clips, epochs=1, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and np.isfinite(history.history["mse"][0])


def test_measures_against_the_truth_and_the_baseline():
    truth = tf.random.stateless_uniform((2, 3, 64, 64, 1), seed=[0, 1])
    same = recipe.frame_errors(truth, truth)
    assert float(tf.reduce_max(same["mse"])) == 0 and float(tf.reduce_min(same["ssim"])) > 0.999
    off = recipe.frame_errors(tf.zeros_like(truth), truth)
    np.testing.assert_allclose(off["mse"].numpy(), tf.reduce_sum(tf.square(truth), axis=(2, 3, 4)).numpy(), rtol=1e-5)
    assert off["mse"].shape == (2, 3) and off["bce"].shape == (2, 3)


def test_recipe_generates_measures_and_draws(tmp_path):
    # A fresh data folder: the first run generates its clips, the second reads them, and the
    # two must train the same model (generating once drew from the global seeds).
    flags = ["--smoke", "--generated-data-dir", str(tmp_path / "data")]
    card = recipe.RECIPE.main([*flags, "--output", str(tmp_path)])
    assert recipe.RECIPE.main([*flags, "--output", str(tmp_path / "again")])["metrics"] == card["metrics"]
    metrics = card["metrics"]
    for key in ("test_mse", "copy_last_mse", "test_bce", "copy_last_bce", "test_ssim", "copy_last_ssim",
                "mse_ratio_to_copy_last", "classifier_accuracy_generated", "classifier_accuracy_true"):
        assert key in metrics, key
    assert list(metrics["test_mse_by_step"]) == ["1", "2", "3"]
    assert (tmp_path / "predictions.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(zoo.ConfigError, match="--predicted-frames"):
        recipe.RECIPE.config(clip_frames=6, observed_frames=3, predicted_frames=4)


def test_correlation_kernel_moves_each_clip_once_more_by_its_own_shift():
    from zoo.models.convlstm_video import shift_correlation, translate

    previous = np.zeros((2, 16, 16, 1), "float32")
    previous[0, 5:8, 5:7] = 1
    previous[1, 8:10, 8:11] = 1
    shifts = [(0, 2), (-1, 1)]  # (rows, columns) per frame, one per clip
    now = np.stack([np.roll(previous[i], s, (0, 1)) for i, s in enumerate(shifts)])
    correlation = shift_correlation(tf.constant(previous), tf.constant(now), 5).numpy()
    assert correlation.shape == (2, 5, 5) and np.allclose(correlation.max(axis=(1, 2)), 1, atol=1e-3)
    kernels = (correlation == correlation.max(axis=(1, 2), keepdims=True)).astype("float32")[..., None]
    moved = translate(tf.constant(now), tf.constant(kernels)).numpy()[..., 0]
    assert moved.shape == (2, 16, 16, 1)
    for i, shift in enumerate(shifts):
        np.testing.assert_array_equal(moved[i], np.roll(now[i], shift, (0, 1)))


def test_served_requests_are_bounded_in_frames_carried_and_generated():
    model = tiny("convlstm_video")
    predict, _ = model.serving_signatures()["serving_default"]
    answer = predict(tf.zeros((2, 3, 64, 64, 1), tf.uint8), tf.constant(4))["frames"]
    assert answer.shape == (2, 4, 64, 64, 1) and answer.dtype == tf.uint8
    most = model.MAX_REQUEST_FRAMES
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"at most {most}"):
        predict(tf.zeros((4, most // 4, 64, 64, 1), tf.uint8), tf.constant(1))  # one frame too many
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_frames"):
        predict(tf.zeros((1, 2, 64, 64, 1), tf.uint8), tf.constant(model.MAX_GENERATED_FRAMES + 1))


def test_the_shipped_card_is_measured_as_the_issue_asks():
    """Its targets (MSE against copy-last, the judge's accuracies, time) are in test_targets.py."""
    from zoo import cards

    card = cards.read_card(cards.saved_models_dir() / "convlstm_video")
    metrics = card["metrics"]
    assert card["dataset"]["test_dataset"].startswith("moving_mnist_motion/") and card["dataset"]["digits"] == 1
    assert (metrics["observed_frames"], metrics["predicted_frames"], metrics["test_clips"]) == (5, 5, 5_000)
    assert metrics["mse_ratio_to_copy_last"] == pytest.approx(metrics["test_mse"] / metrics["copy_last_mse"], abs=1e-3)
    assert {"classifier_accuracy_true", "classifier_accuracy_generated"} <= set(metrics)
