"""What is particular to the DCGAN: the weight average it samples from, its losses, and the
mixed-precision training that still ships float32 weights."""

import keras
import numpy as np
import pytest

import zoo
from zoo import training
from zoo.models.dcgan import SpectralConv2D

from conftest import eager, tiny

BATCH = (np.random.default_rng(0).uniform(size=(32, 28, 28, 1)) * 255).astype("uint8")


def trained_one_step(compiled=False, **overrides):
    """A tiny dcgan after one `fit` step: run eagerly where the test is of what the step computes,
    `compiled` where it is of the compiled step itself."""
    model = tiny("dcgan", **overrides)
    model.compile()
    if not compiled:
        eager(model)
    model.fit(BATCH, epochs=1, batch_size=32, verbose=0)
    return model


def test_samples_come_from_the_moving_average_of_the_generator():
    averaged = tiny("dcgan", ema_decay=0.999)
    averaged.compile()
    eager(averaged)
    before = [w.numpy() for w in averaged.generator.weights]  # the average starts as these
    averaged.fit(BATCH, epochs=1, batch_size=32, verbose=0)
    after = [w.numpy() for w in averaged.generator.weights]
    # After one step the ramped decay is min(0.999, (1 + 1) / (10 + 1)) = 2/11: the average
    # moved 9/11 of the way from the initial weights to the new ones.
    decay = 2 / 11
    for average, old, new in zip(averaged.ema_generator.weights, before, after):
        np.testing.assert_allclose(average.numpy(), decay * old + (1 - decay) * new, rtol=1e-5, atol=1e-6)
    assert any(np.abs(a - b).max() > 1e-4 for a, b in zip(before, after))  # the step did move G
    z = np.random.default_rng(1).normal(size=(4, 8)).astype("float32")
    expected = (np.asarray(averaged.ema_generator(z, training=False)) + 1) / 2
    np.testing.assert_allclose(np.asarray(averaged(z)), expected, atol=1e-6)


def test_zero_decay_samples_from_the_trained_generator_itself():
    model = trained_one_step(ema_decay=0.0)
    for raw, ema in zip(model.generator.weights, model.ema_generator.weights):
        np.testing.assert_array_equal(raw.numpy(), ema.numpy())


@pytest.mark.parametrize("loss", ["non_saturating", "wgan_gp"])
def test_both_losses_train(loss):
    model = trained_one_step(compiled=True, loss=loss)
    assert all(np.isfinite(float(m.result())) for m in model.metrics)


def test_r1_penalty_adds_to_the_discriminator_loss():
    plain, penalised = trained_one_step(), trained_one_step(r1_penalty=10.0)
    d_plain, d_penalised = (float(m.d_loss_tracker.result()) for m in (plain, penalised))
    assert d_penalised > d_plain  # γ/2 · E‖∇D(real)‖² > 0, on the same first step
    assert penalised.get_config()["r1_penalty"] == 10.0 and plain.get_config()["r1_penalty"] == 0.0


def test_lazy_r1_is_the_penalty_times_the_interval_on_one_step_in_interval():
    model = tiny("dcgan", r1_penalty=10.0, r1_interval=4, spectral_norm=False)
    model.compile()
    model.build_optimizers()
    real = keras.ops.convert_to_tensor(BATCH.astype("float32") / 127.5 - 1.0)
    fake = model.generator(np.random.default_rng(1).normal(size=(32, 8)).astype("float32"))
    logits = [model.discriminator(x) for x in (real, fake)]

    def d_loss(penalty, interval, step):
        model.r1_penalty, model.r1_interval = penalty, interval
        model.d_optimizer.iterations.assign(step)
        return float(model._d_loss(real, fake, *logits))

    plain, every_step = d_loss(0.0, 1, 0), d_loss(10.0, 1, 0)
    assert every_step > plain
    assert d_loss(10.0, 4, 0) - plain == pytest.approx(4 * (every_step - plain), rel=1e-4)  # due: 4 × the penalty
    for step in (1, 2, 3):
        assert d_loss(10.0, 4, step) == pytest.approx(plain, rel=1e-6)  # not due: none
    assert d_loss(10.0, 4, 8) - plain == pytest.approx(4 * (every_step - plain), rel=1e-4)


def test_lazy_r1_trains_through_model_fit():
    model = trained_one_step(compiled=True, r1_penalty=10.0, r1_interval=2)
    assert all(np.isfinite(float(m.result())) for m in model.metrics)
    assert model.get_config()["r1_interval"] == 2


def test_mixed_precision_model_loads_into_float32():
    with training.precision("mixed_bfloat16"):
        mixed = trained_one_step(compiled=True)  # the dtypes a compiled step's branches and loops must agree on
    assert mixed.generator.layers[1].compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"  # restored
    plain = tiny("dcgan")
    plain.set_weights(mixed.get_weights())
    z = np.random.default_rng(1).normal(size=(4, 8)).astype("float32")
    assert np.asarray(plain(z)).dtype == np.float32
    np.testing.assert_allclose(np.asarray(plain(z)), np.asarray(mixed(z)), atol=0.05)


def test_spectral_norm_divides_the_kernel_by_its_largest_singular_value():
    layer = SpectralConv2D(8, 4, strides=2)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    layer(x)
    for _ in range(30):  # power iterations, one per training call
        layer(x, training=True)
    kernel = np.asarray(layer.kernel).reshape(-1, 8)
    sigma = np.linalg.svd(kernel, compute_uv=False)[0]
    # The layer's output is a convolution by kernel / σ: compare with Keras' own convolution.
    expected = keras.ops.conv(x, np.asarray(layer.kernel) / sigma, strides=2, padding="same")
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(expected), rtol=1e-3, atol=1e-5)
    # As a dense layer ([batch, features]) too.
    dense = SpectralConv2D(3)
    features = x.reshape(2, -1)
    dense(features)
    for _ in range(30):
        dense(features, training=True)
    matrix = np.asarray(dense.kernel)
    np.testing.assert_allclose(np.asarray(dense(features)),
                               features @ matrix / np.linalg.svd(matrix, compute_uv=False)[0], rtol=1e-3, atol=1e-5)


def test_spectral_norm_is_a_setting_and_survives_save_and_load(tmp_path):
    plain = trained_one_step(spectral_norm=False)
    assert not any(isinstance(layer, SpectralConv2D) for layer in plain.discriminator.layers)
    normed = trained_one_step(spectral_norm=True)
    assert sum(isinstance(layer, SpectralConv2D) for layer in normed.discriminator.layers) == 4
    path = tmp_path / "dcgan.keras"
    normed.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.spectral_norm
    for a, b in zip(normed.discriminator.weights, loaded.discriminator.weights):  # u included
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="'ema_decay' must be in"):
        zoo.load("dcgan", ema_decay=1.0)
    with pytest.raises(zoo.ConfigError, match="--precision must be one of"):
        with training.precision("float16"):
            pass
