"""What is particular to `lstm_gan_image`: both networks are LSTMs (no convolution), the
discriminator's hand-unrolled LSTM is Keras' LSTM (and, with spectral normalisation, Keras' LSTM
of the normalised kernels), the generator draws each row from the rows above it, and the
quality measure is skipped for a dataset the judge does not know."""

import keras
import numpy as np
import pytest

import zoo
from zoo import cards
from zoo.models.cells import recurrent_layer
from zoo.models.lstm_gan_image import ReadingLSTM, RowGeneratorCell
from recipes.lstm_gan_image import recipe

from conftest import eager, tiny

BATCH = (np.random.default_rng(0).uniform(size=(32, 28, 28, 1)) * 255).astype("uint8")


def all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)


def test_both_networks_are_lstms_without_convolution():
    model = tiny("lstm_gan_image")
    for network in (model.generator, model.discriminator):
        kinds = {type(layer).__name__ for layer in all_layers(network)}
        assert not any("Conv" in kind and kind != "SpectralConv2D" for kind in kinds), kinds
        assert kinds & {"RNN", "ReadingLSTM"}, kinds
    # The readout's SpectralConv2D is a dense layer here: a kernel of 1 × features.
    # + 1: the minibatch standard deviation beside the rows' features.
    assert model.discriminator.get_layer("logit").kernel.shape == (28 * 2 * 8 + 1, 1)
    assert model.sample(3, seed=1).shape == (3, 28, 28, 1)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("reverse", [False, True])
def test_reading_lstm_is_keras_own_layer_of_its_cell(reverse, cell):
    x = np.random.default_rng(0).normal(size=(3, 7, 5)).astype("float32")
    ours = ReadingLSTM(6, reverse=reverse, spectral_norm=False, cell=cell)
    ours(x)
    theirs = recurrent_layer(cell, 6, return_sequences=True, go_backwards=reverse)
    theirs(x)
    bias = np.asarray(ours.bias)
    if cell == "gru":  # Keras' GRU (reset_after) has a recurrent bias beside the input's: ours has none
        bias = np.stack([bias, np.zeros_like(bias)])
    theirs.set_weights([np.asarray(ours.kernel), np.asarray(ours.recurrent_kernel), bias])
    expected = np.asarray(theirs(x))
    if reverse:  # Keras returns the backward pass's outputs in reading order, last step first
        expected = expected[:, ::-1]
    np.testing.assert_allclose(np.asarray(ours(x)), expected, atol=1e-5)


def test_reading_lstm_with_spectral_norm_divides_each_kernel_by_its_largest_singular_value():
    x = np.random.default_rng(1).normal(size=(2, 6, 4)).astype("float32")
    normed = ReadingLSTM(5)
    normed(x)
    for _ in range(40):  # power iterations, one per training call
        normed(x, training=True)
    plain = ReadingLSTM(5, spectral_norm=False)
    plain(x)
    kernel, recurrent = np.asarray(normed.kernel), np.asarray(normed.recurrent_kernel)
    plain.set_weights([kernel / np.linalg.svd(kernel, compute_uv=False)[0],
                       recurrent / np.linalg.svd(recurrent, compute_uv=False)[0], np.asarray(normed.bias)])
    np.testing.assert_allclose(np.asarray(normed(x)), np.asarray(plain(x)), rtol=1e-3, atol=1e-5)


def test_discriminator_can_read_the_columns_beside_the_rows():
    model = tiny("lstm_gan_image", bidirectional=False, read_columns=True)
    discriminator = model.discriminator
    assert discriminator.get_layer("logit").kernel.shape == (2 * 28 * 8 + 1, 1)  # rows, columns, spread
    images = (BATCH[:2] / 127.5 - 1).astype("float32")
    columns = keras.Model(discriminator.input, discriminator.get_layer("column_lstm_0").output)
    # The column reader's step t is column t of the image, read top to bottom.
    expected = discriminator.get_layer("column_lstm_0")(np.transpose(images, (0, 2, 1, 3)).reshape(2, 28, 28))
    np.testing.assert_allclose(np.asarray(columns(images)), np.asarray(expected), atol=1e-6)


def test_each_row_is_drawn_from_the_row_above_it():
    cell = RowGeneratorCell(units=8, num_layers=2, row_size=4)
    z = np.random.default_rng(2).normal(size=(2, 3)).astype("float32")
    states = [np.zeros((2, 8), "float32")] * 4
    cell.build((None, 3))
    above = [np.zeros((2, 4), "float32"), np.ones((2, 4), "float32")]
    rows = [np.asarray(cell(z, states + [row])[0]) for row in above]
    assert rows[0].shape == (2, 4) and np.abs(rows[0] - rows[1]).max() > 1e-4
    assert np.abs(rows[0]).max() <= 1  # tanh: images in [-1, 1] before scaling to [0, 1]


# Each loss's step run eagerly (the compiled non-saturating step is the smoke run's; compiled through
# the LSTMs, WGAN-GP's double backward pass takes 20 s to build, dcgan's compiled one is tested).
@pytest.mark.parametrize("loss", ["non_saturating", "wgan_gp"])
def test_both_losses_train_and_both_optimizers_survive_save_and_load(loss, tmp_path):
    keras.utils.set_random_seed(0)
    model = tiny("lstm_gan_image", loss=loss)
    model.compile()
    eager(model)
    model.fit(BATCH, epochs=1, batch_size=16, verbose=0)
    assert all(np.isfinite(float(m.result())) for m in model.metrics)
    path = tmp_path / "gan.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    for mine, theirs in ((model.d_optimizer, loaded.d_optimizer), (model.g_optimizer, loaded.g_optimizer)):
        assert int(theirs.iterations) == int(mine.iterations) == 2
        for a, b in zip(mine.variables, theirs.variables):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    z = np.random.default_rng(3).normal(size=(2, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(z)), np.asarray(model(z)), atol=1e-6)


def test_another_dataset_is_not_judged_by_the_mnist_classifier(tmp_path):
    config = recipe.RECIPE.config(dataset="fashion_mnist")
    assert recipe.RECIPE.measure(None, config, None).metrics == {}  # skipped, not measured by the wrong judge
    notes = recipe.RECIPE.notes({}, {"name": "fashion_mnist"})
    assert any("not measured" in note and "--judge-weights" in note for note in notes)
    with pytest.raises(zoo.ConfigError, match="--judge-weights is not a folder"):
        recipe.RECIPE.config(judge_weights=str(tmp_path / "nowhere"))


def test_the_shipped_card_is_measured_as_the_issue_asks():
    # Its targets (the classifier-score ratio under both judges, time) are in test_targets.py.
    card = cards.read_card(cards.saved_models_dir() / "lstm_gan_image")
    metrics = card["metrics"]
    assert metrics["quality_samples"] == 10_000
    assert card["dataset"]["name"] == "mnist" and card["dataset"]["test_examples"] == 10_000
    assert metrics["frechet_distance_floor"] < metrics["frechet_distance"]
    for name in ("samples.png", "training_curves.png"):
        assert (cards.saved_models_dir() / "lstm_gan_image" / name).read_bytes()[:4] == b"\x89PNG"
