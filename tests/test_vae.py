"""What is particular to the VAE: its bound, its binarisation and its pictures."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo

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



def test_a_learned_prior_is_the_one_the_bound_sampling_and_the_endpoint_use(tmp_path):
    """With prior="learned" (one per class for a conditional VAE) the KL term is KL(q ‖ p(z | y)),
    the importance-sampled NLL weighs by p(z | y), and `sample` (in Python and exported) draws
    from it: each checked against the formula, with each class's prior set by hand."""
    model = tiny("vae_conditional", latent_dim=2, prior="learned")
    classes = np.arange(10, dtype="float32")[:, None]
    prior_mean = np.concatenate([0.3 * classes, -0.2 * classes], axis=1)  # [class, latent]
    prior_std = np.concatenate([0.5 + 0.05 * classes, np.ones_like(classes)], axis=1)
    model.prior_parameters.assign(np.concatenate([prior_mean, 2 * np.log(prior_std)], axis=1))
    images = (np.random.default_rng(0).uniform(size=(8, 28, 28, 1)) > 0.7).astype("uint8") * 255
    labels = np.arange(8) % 10
    x = images.astype("float32") / 255
    mean, log_variance = (np.asarray(t) for t in model.encode(images, labels))
    reconstruction, kl = model.negative_elbo_terms(x, labels)
    m, s = prior_mean[labels], prior_std[labels]  # each image's own class's prior
    expected = 0.5 * np.sum(2 * np.log(s) - log_variance - 1 + (np.exp(log_variance) + (mean - m) ** 2) / s ** 2, axis=1)
    np.testing.assert_allclose(np.asarray(kl), expected, rtol=1e-4, atol=1e-4)
    # k = 1: the importance estimate is one draw of the ELBO, which carries that KL
    one = float(np.mean(model.importance_sampled_nll(images, samples=1, labels=labels)))
    assert abs(one - float(np.mean(reconstruction + kl))) < 0.05 * one
    marginal, conditional = (np.asarray(t) for t in model.marginal_nll(images[:2], labels[:2], samples=20))
    assert np.all(np.isfinite(marginal)) and np.all(marginal <= conditional + np.log(10) + 1e-4)
    for c in (0, 7):
        z = np.asarray(model.prior_latents(np.random.default_rng(c).normal(size=(4000, 2)).astype("float32"),
                                           np.full(4000, c, "int32")))
        np.testing.assert_allclose(z.mean(0), prior_mean[c], atol=0.05)
        np.testing.assert_allclose(z.std(0), prior_std[c], atol=0.05)

    def decoded_from(noise, labels):  # what a draw from each class's prior (at the model's temperature) decodes to
        scale = model.sample_temperature * prior_std[labels]
        return np.asarray(model.decode(prior_mean[labels] + scale * np.asarray(noise), labels=labels))

    np.testing.assert_array_equal(np.asarray(model.sample(3, seed=5, labels=[1, 2, 3])),
                                  decoded_from(keras.random.normal((3, 2), seed=5), [1, 2, 3]))
    served = tf.saved_model.load(str(zoo.export(model, tmp_path / "export"))).signatures["sample"]
    out = served(labels=tf.constant([4, 9], "int32"), seed=tf.constant(3))
    noise = tf.random.stateless_normal((2, 2), seed=[3, 0])
    assert np.abs(out["images"].numpy().astype(int) - decoded_from(noise, [4, 9]).astype(int)).max() <= 1


def test_a_config_saved_before_the_learned_prior_loads_as_it_was_made(tmp_path):
    """vae_conditional's configs saved before `prior` existed were made with N(0, I): loaded with
    their weights (zoo.load) or from a `.keras` config, they keep it, whatever today's default."""
    old = tiny("vae_conditional", latent_dim=2, prior="normal")
    config = {k: v for k, v in old.get_config().items() if k not in ("prior", "label_every_layer", "name", "trainable",
                                                                      "dtype")}
    (tmp_path / "config.json").write_text(__import__("json").dumps(config))
    old.save_weights(tmp_path / "model.weights.h5")
    loaded = zoo.load("vae_conditional", weights=str(tmp_path))
    assert loaded.prior == "normal" and not loaded.label_every_layer
    np.testing.assert_array_equal(np.asarray(loaded.sample(2, seed=1)), np.asarray(old.sample(2, seed=1)))
    assert type(old).from_config(config).prior == "normal"
    assert zoo.load("vae_conditional", latent_dim=2).prior == "learned"  # today's default


def test_label_every_layer_gives_every_decoder_layer_the_class(tmp_path):
    model = tiny("vae_conditional", latent_dim=2, label_every_layer=True)
    joins = [layer for layer in model.decoder.layers if isinstance(layer, keras.layers.Concatenate)]
    assert len(joins) == 5  # beside z, then before each of the four later layers
    path = tmp_path / "every.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.label_every_layer and loaded.prior == "learned"
    np.testing.assert_array_equal(np.asarray(loaded.sample(2, seed=1, labels=[3, 4])),
                                  np.asarray(model.sample(2, seed=1, labels=[3, 4])))


def test_the_sample_temperature_scales_the_prior_noise_wherever_it_samples():
    """`sample_temperature` τ draws z = mean + τ·σ·noise: in `sample` (or a `temperature` of its
    own) and in the served `sample` endpoint; configs saved before it existed sampled at 1."""
    model = tiny("vae_conditional", latent_dim=2)
    assert model.sample_temperature == 0.9 and zoo.load("vae", latent_dim=2).sample_temperature == 1.0
    labels = np.array([1, 2, 3], "int32")
    noise = keras.random.normal((3, 2), seed=5)
    np.testing.assert_array_equal(model.sample(3, seed=5, labels=labels),
                                  model.decode_noise(0.9 * noise, labels=labels))
    np.testing.assert_array_equal(model.sample(3, seed=5, labels=labels, temperature=1.0),
                                  model.decode_noise(noise, labels=labels))
    served, _ = model.serving_signatures()["sample"]
    np.testing.assert_array_equal(served(tf.constant(labels), tf.constant(5))["images"],
                                  model.sample(3, seed=5, labels=labels))
    with pytest.raises(ValueError, match="temperature must be positive"):
        model.sample(2, temperature=0.0)
    with model.sampling_as(sample_temperature=1.0):  # as the card's _t1 measures draw
        np.testing.assert_array_equal(model.sample(3, seed=5, labels=labels), model.decode_noise(noise, labels=labels))
    assert model.sampling_fields() == {"sample_temperature": 0.9}
    with pytest.raises(zoo.ConfigError, match="temperature must be positive, got 0"), model.sampling_as(sample_temperature=0):
        pass
    with pytest.raises(zoo.ConfigError, match="no sampling field guidance"), model.sampling_as(guidance=1.0):
        pass
    with pytest.raises(RuntimeError), model.sampling_as(sample_temperature=0.5):
        raise RuntimeError  # the block fails: the model's own temperature comes back
    assert model.sample_temperature == 0.9
    model.sample_temperature = float("inf")  # set by hand: an export refuses it as sample() would
    with pytest.raises(zoo.ConfigError, match="temperature must be finite, got inf"):
        model.serving_signatures()
    model.sample_temperature = 0.9
    with pytest.raises(zoo.ConfigError, match="sample_temperature"):
        zoo.load("vae", latent_dim=2, sample_temperature=-1.0)
    config = {k: v for k, v in model.get_config().items() if k not in ("sample_temperature", "name", "trainable",
                                                                       "dtype")}
    assert type(model).from_config(config).sample_temperature == 1.0


def test_a_model_that_samples_cooler_is_also_measured_at_temperature_one():
    """The card of a model with `sample_temperature` below 1 holds its sample measures at that
    temperature and, with the suffix _t1, the same draws' at 1: the model itself."""
    from zoo.registry import get_entry

    model = tiny("vae_conditional", latent_dim=2)
    conditional = get_entry("vae_conditional").recipe()
    settings = conditional.config(quality_samples=20)
    measured = conditional.sample_quality(model, settings, "mnist", 20)
    assert model.sample_temperature == 0.9  # restored after measuring at 1
    model.sample_temperature = 1.0
    at_one = conditional.sample_quality(model, settings, "mnist", 20)
    for key in ("conditional_accuracy_conv", "frechet_distance", "class_frechet_distance_conv"):
        assert measured[key + "_t1"] == at_one[key], key
    assert measured["frechet_distance"] != at_one["frechet_distance"]
    assert "conditional_accuracy_real_t1" not in measured and "quality_samples_t1" not in measured
    assert any("_t1" in note for note in conditional.notes(measured, {"name": "mnist", "test_examples": 20}))
