"""What is particular to the row-LSTM classifier: it reads an image as a sequence of rows, its
unrolled and looped LSTMs compute the same thing, and its shift augmentation moves each image
whole, within bounds, with zeros where nothing was."""

import numpy as np
import pytest

import zoo

from conftest import tiny

IMAGES = np.random.default_rng(0).integers(0, 256, (6, 28, 28, 1)).astype("uint8")


def test_unrolled_and_looped_lstms_give_the_same_probabilities():
    unrolled, looped = tiny("lstm_image_classifier", unroll=True), tiny("lstm_image_classifier", unroll=False)
    looped.set_weights(unrolled.get_weights())
    np.testing.assert_allclose(unrolled.predict(IMAGES, verbose=0), looped.predict(IMAGES, verbose=0), atol=1e-5)


def test_each_row_is_one_time_step():
    model = tiny("lstm_image_classifier", bidirectional=False)
    rows = model._rows(IMAGES)
    assert tuple(rows.shape) == (6, 28, 28)
    np.testing.assert_allclose(np.asarray(rows)[2, 5], IMAGES[2, 5, :, 0] / 255.0, atol=1e-7)


def test_pixels_per_step_reads_the_image_in_raster_order():
    model = tiny("lstm_image_classifier", pixels_per_step=4, bidirectional=False, unroll=False)
    rows = np.asarray(model._rows(IMAGES))
    assert rows.shape == (6, 196, 4)  # sequential MNIST, 4 pixels a step
    np.testing.assert_allclose(rows[2, 7 + 2], IMAGES[2, 1, 8:12, 0] / 255.0, atol=1e-7)  # row 1, pixels 8…11
    assert model.predict(IMAGES, verbose=0).shape == (6, 10)


def test_the_conv_frontend_reads_a_cnns_feature_columns():
    model = tiny("lstm_image_classifier", frontend="conv")
    assert model.network.get_layer("columns").output.shape[1:] == (7, 7 * 64)  # 7 steps of a 7 × 64 column
    before = model.get_weights()
    model.compile()
    model.fit(IMAGES, np.arange(6) % 10, epochs=1, verbose=0)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, model.get_weights()))
    restored = type(model).from_config(model.get_config())
    restored.set_weights(model.get_weights())
    np.testing.assert_allclose(restored.predict(IMAGES, verbose=0), model.predict(IMAGES, verbose=0), atol=1e-6)


@pytest.mark.parametrize("shift", [1, 3])
def test_shift_moves_each_image_whole_within_the_bound(shift):
    model = tiny("lstm_image_classifier", augment_shift=shift, seed=3)
    image = np.zeros((28, 28, 1), "float32")
    image[10:18, 12:16] = 1.0  # a block well inside the frame: any shift keeps all of it
    shifted = np.asarray(model.augment(np.repeat(image[None], 16, axis=0)))
    seen = set()
    for out in shifted:
        ys, xs = np.nonzero(out[..., 0])
        dy, dx = ys.min() - 10, xs.min() - 12
        assert abs(dy) <= shift and abs(dx) <= shift
        np.testing.assert_array_equal(out, np.roll(image, (dy, dx), axis=(0, 1)))  # moved whole, zeros around
        seen.add((dy, dx))
    assert len(seen) > 1  # each image draws its own offset


def test_no_shift_leaves_training_images_as_they_are():
    np.testing.assert_array_equal(np.asarray(tiny("lstm_image_classifier", augment_shift=0).augment(IMAGES)), IMAGES)


def test_bad_settings_are_refused_by_name():
    with pytest.raises(zoo.ConfigError, match="'dropout' must be in \\[0, 1\\), got 1.5"):
        zoo.load("lstm_image_classifier", dropout=1.5)
    with pytest.raises(zoo.ConfigError, match="'units' must be at least 1, got 0"):
        zoo.load("lstm_image_classifier", units=0)
    with pytest.raises(zoo.ConfigError, match="'cell' must be one of lstm, gru, rnn, got 'transformer'"):
        zoo.load("lstm_image_classifier", cell="transformer")
    with pytest.raises(zoo.ConfigError, match=r"pixels_per_step=5 does not divide the 28 × 28 = 784 pixels"):
        zoo.load("lstm_image_classifier", pixels_per_step=5)
    with pytest.raises(zoo.ConfigError, match="pixels_per_step=4 reads pixels, but frontend='conv'"):
        zoo.load("lstm_image_classifier", pixels_per_step=4, frontend="conv")
