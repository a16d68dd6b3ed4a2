"""What is particular to the VAE: its bound, its binarisation and its pictures."""

import numpy as np

from recipes.vae.recipe import RECIPE as recipe

from conftest import tiny


def test_importance_sampling_tightens_the_bound():
    """With k = 1 the IWAE estimate is the ELBO; more samples can only lower it on average."""
    model = tiny("vae")  # seeded: the same initial weights whichever tests ran before
    images = (np.random.default_rng(0).uniform(size=(32, 28, 28, 1)) > 0.7).astype("uint8") * 255
    one = float(np.mean(model.importance_sampled_nll(images, samples=1)))
    many = float(np.mean(model.importance_sampled_nll(images, samples=200)))
    reconstruction, kl = model.negative_elbo_terms(images.astype("float32") / 255)
    assert many < one
    assert abs(one - float(np.mean(reconstruction + kl))) < 0.05 * one


def test_binarisation_keeps_binary_images_and_samples_grey_ones():
    model = tiny("vae", latent_dim=2)
    binary = (np.arange(28 * 28).reshape(1, 28, 28, 1) % 2 * 255).astype("uint8")
    np.testing.assert_array_equal(np.asarray(model.binarize(binary)), binary / 255)
    grey = np.full((64, 28, 28, 1), 64, "uint8")
    assert abs(float(np.mean(model.binarize(grey))) - 64 / 255) < 0.01


def test_two_dimensional_latent_draws_the_manifold(tmp_path):
    card = recipe.main(["--smoke", "--latent-dim", "2", "--output", str(tmp_path)])
    for name in ("manifold.png", "samples.png", "reconstructions.png", "samples/epoch_001.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG", name
    assert card["files"]["manifold"] == "manifold.png"
