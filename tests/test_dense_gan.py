"""What is particular to the fully connected GAN: its networks are the listing's dense layers
(and a projection discriminator with labels), and it trains through the ImageGAN step that
`dcgan` and `lstm_gan_image` share (tests/test_dcgan.py tests that step's mechanisms)."""

import keras
import numpy as np

from zoo.models.dense_gan import dense_discriminator, dense_generator

from conftest import tiny


def test_the_networks_are_dense_layers_of_the_given_widths():
    generator = dense_generator(8, (28, 28, 1), units=[16, 32])
    assert [layer.units for layer in generator.layers if isinstance(layer, keras.layers.Dense)] == [16, 32, 784]
    discriminator = dense_discriminator((28, 28, 1), units=[32, 16], spectral_norm=False)
    assert [layer.units for layer in discriminator.layers if isinstance(layer, keras.layers.Dense)] == [32, 16, 1]
    conditional = dense_discriminator((28, 28, 1), units=[8], num_classes=10)
    assert [tuple(i.shape) for i in conditional.inputs] == [(None, 28, 28, 1), (None,)]


def test_a_fit_step_updates_both_networks_and_samples_are_images():
    gan = tiny("dense_gan")
    gan.compile()
    before = [w.copy() for w in gan.generator.get_weights()], [w.copy() for w in gan.discriminator.get_weights()]
    images = np.random.default_rng(0).integers(0, 256, (32, 28, 28, 1)).astype("uint8")
    history = gan.fit(images, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    for old, network in zip(before, (gan.generator, gan.discriminator)):
        assert any(np.abs(a - b).max() > 0 for a, b in zip(old, network.get_weights()))
    samples = gan.sample(3, seed=0)
    assert samples.shape == (3, 28, 28, 1) and samples.dtype == "uint8"
