"""What is particular to the DCGAN: the weight average it samples from, its losses, and the
mixed-precision training that still ships float32 weights."""

import keras
import numpy as np
import pytest

import zoo
from zoo import training

BATCH = (np.random.default_rng(0).uniform(size=(32, 28, 28, 1)) * 255).astype("uint8")


def trained_one_step(**overrides):
    keras.utils.set_random_seed(0)
    model = zoo.load("dcgan", latent_dim=8, width=8, seed=0, **overrides)
    model.compile()
    model.fit(BATCH, epochs=1, batch_size=32, verbose=0)
    return model


def test_samples_come_from_the_moving_average_of_the_generator():
    averaged = trained_one_step(ema_decay=0.999)
    raw = [w.numpy() for w in averaged.generator.weights]
    ema = [w.numpy() for w in averaged.ema_generator.weights]
    # After one step the ramped decay is 2/11: the average moved 9/11 of the way to the new weights.
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(raw, ema)) > 0
    z = np.random.default_rng(1).normal(size=(4, 8)).astype("float32")
    expected = (np.asarray(averaged.ema_generator(z, training=False)) + 1) / 2
    np.testing.assert_allclose(np.asarray(averaged(z)), expected, atol=1e-6)


def test_zero_decay_samples_from_the_trained_generator_itself():
    model = trained_one_step(ema_decay=0.0)
    for raw, ema in zip(model.generator.weights, model.ema_generator.weights):
        np.testing.assert_array_equal(raw.numpy(), ema.numpy())


@pytest.mark.parametrize("loss", ["non_saturating", "wgan_gp"])
def test_both_losses_train(loss):
    model = trained_one_step(loss=loss)
    assert all(np.isfinite(float(m.result())) for m in model.metrics)


def test_mixed_precision_model_loads_into_float32():
    with training.precision("mixed_bfloat16"):
        mixed = trained_one_step()
    assert mixed.generator.layers[1].compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"  # restored
    plain = zoo.load("dcgan", latent_dim=8, width=8, seed=0)
    plain.set_weights(mixed.get_weights())
    z = np.random.default_rng(1).normal(size=(4, 8)).astype("float32")
    assert np.asarray(plain(z)).dtype == np.float32
    np.testing.assert_allclose(np.asarray(plain(z)), np.asarray(mixed(z)), atol=0.05)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="ema_decay must be in"):
        zoo.load("dcgan", ema_decay=1.0)
    with pytest.raises(zoo.ConfigError, match="--precision must be one of"):
        with training.precision("float16"):
            pass
