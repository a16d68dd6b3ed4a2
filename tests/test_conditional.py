"""Class-conditional generators (issue 40): the label conditions both of a GAN's networks and
both of a VAE's, every entry point takes labels and refuses wrong ones with a message that
says what was wrong."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.errors import ConfigError

from conftest import params

SIZES = {"dcgan": dict(latent_dim=8, width=8, generator_width=0),
         "lstm_gan_image": dict(latent_dim=8, units=16, d_units=8, r1_penalty=1.0, r1_interval=2)}


# lstm_gan_image's case (70 s) is dcgan's mechanism with other networks: with -m slow.
@pytest.mark.parametrize("name", params(["dcgan"], slow=["lstm_gan_image"]))
def test_a_conditional_gan_trains_on_labels_and_draws_the_class_asked_for(name):
    gan = zoo.load(name, num_classes=3, seed=0, **SIZES[name])
    gan.compile()
    images = np.random.default_rng(0).integers(0, 256, (8, 28, 28, 1)).astype("uint8")
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    history = gan.fit(tf.data.Dataset.from_tensor_slices((images, labels)).batch(4), epochs=1, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    # the label reaches the images: the same noise, another class, other pixels
    sevens, ones = gan.sample(4, seed=1, labels=2), gan.sample(4, seed=1, labels=1)
    assert sevens.shape == (4, 28, 28, 1) and not np.array_equal(sevens, ones)
    assert np.array_equal(gan.sample(3, seed=1, labels=[2, 2, 2]), gan.sample(3, seed=1, labels=2))
    # without labels: the classes in turn
    assert np.array_equal(gan.sample(3, seed=1), gan.sample(3, seed=1, labels=[0, 1, 2]))
    # the label reaches the discriminator too (projection)
    real = np.zeros((2, 28, 28, 1), "float32")
    first, second = (gan.discriminator([real, np.array([c, c])], training=False) for c in (0, 1))
    assert not np.allclose(first, second)


def test_labels_are_checked_where_they_come_in():
    gan = zoo.load("dcgan", num_classes=3, **SIZES["dcgan"])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got 3 \(at 1\)"):
        gan.sample(2, labels=[0, 3])
    with pytest.raises(ValueError, match=r"got -1 \(at 0\)"):
        gan.sample(2, labels=tf.constant([-1, 0]))  # an eager tensor is checked as a list is
    with pytest.raises(ValueError, match="labels must be integer class ids, got a tensor of float32"):
        gan.sample(2, labels=tf.constant([1.9, 0.2]))
    with pytest.raises(ValueError, match="labels must be 2 integer class ids"):
        gan.sample(2, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="not class-conditional"):
        zoo.load("dcgan", **SIZES["dcgan"]).sample(2, labels=[0, 1])
    gan.compile()
    images = np.zeros((4, 28, 28, 1), "uint8")
    with pytest.raises(ValueError, match=r"trains on \(images, labels\) batches"):
        gan.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1, verbose=0)
    with pytest.raises(ConfigError):
        zoo.load("dcgan", num_classes=-1)


def test_the_exported_endpoints_take_labels_and_refuse_wrong_ones(tmp_path):
    gan = zoo.load("dcgan", num_classes=3, **SIZES["dcgan"])
    served = tf.saved_model.load(str(zoo.export(gan, tmp_path / "export")))
    sample, default = served.signatures["sample"], served.signatures["serving_default"]
    images = sample(labels=tf.constant([2, 0]), seed=tf.constant(5))["images"]
    assert images.shape == (2, 28, 28, 1) and images.dtype == tf.uint8
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must lie in \[0, 3\)"):
        sample(labels=tf.constant([3]), seed=tf.constant(0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels must hold at most"):
        sample(labels=tf.zeros((gan.MAX_SAMPLES + 1,), tf.int32), seed=tf.constant(0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="one class id per row of latent"):
        default(latent=tf.zeros((2, 8)), labels=tf.constant([1]))
    drawn = default(latent=tf.zeros((2, 8)), labels=tf.constant([1, 2]))["images"]
    assert np.array_equal(drawn, gan.generate(np.zeros((2, 8), "float32"), labels=[1, 2]))


def test_the_conditional_report_counts_the_class_asked_for():
    from zoo.metrics import conditional_report

    def embed(images):  # a judge that reads the class from the mean pixel
        mean = images.reshape(len(images), -1).mean(axis=1)
        features = np.stack([mean, mean ** 2 + 0.01 * np.arange(len(images)) % 3], axis=1)
        return features, np.eye(3)[np.clip((mean // 80).astype(int), 0, 2)]

    requested = np.repeat(np.arange(3), 4)
    drawn = (requested * 80 + 10)[:, None, None, None] * np.ones((1, 4, 4, 1))
    drawn[0] = 250  # one 0 drawn as a 2
    report = conditional_report(drawn, requested, drawn, requested, embed)
    assert report["conditional_accuracy"] == round(11 / 12, 4)
    assert report["conditional_accuracy_real"] == round(11 / 12, 4)  # the same images as "real"


def test_a_conditional_vae_trains_on_labels_and_its_likelihood_sums_over_the_classes():
    vae = zoo.load("vae", num_classes=3, latent_dim=2, width=4, seed=0)
    vae.compile()
    images = np.random.default_rng(0).integers(0, 256, (8, 28, 28, 1)).astype("uint8")
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    history = vae.fit(tf.data.Dataset.from_tensor_slices((images, labels)).batch(4), epochs=1, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    # the label reaches the decoder and the encoder
    assert not np.array_equal(vae.sample(4, seed=1, labels=2, output="float"), vae.sample(4, seed=1, labels=1,
                                                                                       output="float"))
    assert not np.allclose(vae.encode(images[:2], labels=[0, 0])[0], vae.encode(images[:2], labels=[1, 1])[0])
    assert np.array_equal(vae.sample(3, seed=1), vae.sample(3, seed=1, labels=[0, 1, 2]))
    binary = (images[:2] >= 128).astype("uint8") * 255
    marginal, conditional = (np.asarray(t) for t in vae.marginal_nll(binary, [1, 2], samples=20))
    # −log p(x) = −log Σ_y p(y) p(x|y) ≤ −log p(y) − log p(x|y): the own class's term alone bounds it
    assert np.all(marginal <= conditional + np.log(3) + 1e-4) and np.all(np.isfinite(marginal))
    with pytest.raises(ValueError, match="give each image's class"):
        vae.reconstruct(images[:2])
    with pytest.raises(ValueError, match=r"trains on \(images, labels\) batches"):
        vae.fit(tf.data.Dataset.from_tensor_slices(images).batch(4), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="has num_classes=0"):
        zoo.load("vae", latent_dim=2, width=4).marginal_nll(binary, [0, 0])


def test_a_conditional_vaes_endpoints_take_labels(tmp_path):
    vae = zoo.load("vae", num_classes=3, latent_dim=2, width=4)
    served = tf.saved_model.load(str(zoo.export(vae, tmp_path / "export")))
    assert sorted(served.signatures) == ["decode", "encode", "sample", "serving_default"]
    images = np.zeros((2, 28, 28, 1), "uint8")
    drawn = served.signatures["sample"](labels=tf.constant([2, 0]), seed=tf.constant(5))["images"]
    assert drawn.shape == (2, 28, 28, 1) and drawn.dtype == tf.uint8
    reconstruction = served.signatures["serving_default"](images=tf.constant(images), labels=tf.constant([1, 2]))
    assert np.array_equal(reconstruction["reconstruction"], vae.reconstruct(images, labels=[1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="one class id per row of images"):
        served.signatures["encode"](images=tf.constant(images), labels=tf.constant([1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"labels must lie in \[0, 3\)"):
        served.signatures["decode"](latent=tf.zeros((1, 2)), labels=tf.constant([-1]))


@pytest.mark.slow  # a benchmark run (14 s), as the other benchmarks' runs are with -m slow
def test_the_conditional_benchmark_times_each_variant_against_its_model(tmp_path, capsys):
    from benchmarks import conditional

    assert conditional.conditional_variants() == {"dcgan_conditional": "dcgan",
                                                  "lstm_gan_image_conditional": "lstm_gan_image",
                                                  "pixel_lstm_conditional": "pixel_lstm",
                                                  "vae_conditional": "vae"}
    results = conditional.main(["--models", "vae_conditional", "--rounds", "2", "--steps", "2", "--warmup", "1",
                                "--output", str(tmp_path / "c")])
    assert "error" not in results[0], results
    assert len(results[0]["ratios"]) == 2 and all(r > 0 for r in results[0]["ratios"])
    assert "vae_conditional ÷ vae: median" in capsys.readouterr().out
    assert "| `vae_conditional` | `vae` |" in (tmp_path / "c.md").read_text()
    with pytest.raises(SystemExit):
        conditional.main(["--models", "vae", "--output", str(tmp_path / "d")])  # not a conditional model


def test_zoo_sample_label_and_temperature_draw_and_refuse_what_cannot(tmp_path, capsys):
    from zoo.cli import main
    from conftest import refusal

    assert main(["sample", "dcgan_conditional", "--label", "7", "--count", "4", "--output",
                 str(tmp_path / "sevens.png")]) == 0
    assert (tmp_path / "sevens.png").stat().st_size > 0
    capsys.readouterr()
    status, error = refusal(["sample", "dcgan", "--label", "7"], capsys)
    assert status and "dcgan is not class-conditional: --label needs one of dcgan_conditional" in error
    status, error = refusal(["sample", "lstm_gan_text", "--label", "1"], capsys)  # a text generator too
    assert status and "not class-conditional" in error
    status, error = refusal(["sample", "dcgan_conditional", "--label", "12"], capsys)
    assert status and "--label must lie in [0, 10) for dcgan_conditional, got [12]" in error
    assert main(["sample", "vae_conditional", "--label", "3", "--count", "2", "--temperature", "0.5", "--output",
                 str(tmp_path / "threes")]) == 0
    written = np.stack([tf.io.decode_png(path.read_bytes()).numpy() for path in sorted((tmp_path / "threes").iterdir())])
    vae = zoo.load("vae_conditional", weights="pretrained")
    np.testing.assert_array_equal(written, vae.sample(2, seed=0, labels=[3, 3], temperature=0.5))
    assert not np.array_equal(written, vae.sample(2, seed=0, labels=[3, 3]))  # not the shipped 0.9
    capsys.readouterr()
    status, error = refusal(["sample", "dcgan_conditional", "--temperature", "0.5"], capsys)
    assert status and "dcgan_conditional has no sampling temperature: --temperature is for " in error
    assert main(["sample", "lstm_gan_text", "--count", "1", "--temperature", "0.5"]) == 0  # a text generator's own
    cooler = zoo.load("lstm_gan_text", weights="pretrained").generate_text(1, seed=0, temperature=0.5)[0]
    assert cooler in capsys.readouterr().out
    for bad in ("0", "inf"):
        status, error = refusal(["sample", "vae_conditional", "--temperature", bad], capsys)
        assert status and f"temperature must be {'positive' if bad == '0' else 'finite'}, got {float(bad)}" in error


def test_zoo_sample_takes_the_guidance_of_a_guided_model_and_refuses_it_elsewhere(tmp_path, capsys, monkeypatch):
    from conftest import refusal, tiny
    from zoo.cli import main

    model = tiny("pixel_lstm_conditional", guidance=0.5)  # smoke size: the flag reaches `sample`
    monkeypatch.setattr(zoo, "load", lambda name, weights=None: model)
    assert main(["sample", "pixel_lstm_conditional", "--label", "3", "--count", "2", "--guidance", "0",
                 "--output", str(tmp_path / "threes")]) == 0
    written = np.stack([tf.io.decode_png(path.read_bytes()).numpy() for path in sorted((tmp_path / "threes").iterdir())])
    np.testing.assert_array_equal(written, model.sample(2, seed=0, labels=[3, 3], guidance=0.0))
    assert not np.array_equal(written, model.sample(2, seed=0, labels=[3, 3]))  # not its own 0.5
    monkeypatch.undo()
    capsys.readouterr()
    status, error = refusal(["sample", "vae_conditional", "--guidance", "1"], capsys)
    assert status and "vae_conditional cannot be guided: --guidance is for pixel_lstm_conditional" in error
    status, error = refusal(["sample", "lstm_gan_text", "--guidance", "1"], capsys)  # a text generator too
    assert status and "lstm_gan_text cannot be guided: --guidance is for pixel_lstm_conditional" in error
    status, error = refusal(["sample", "pixel_lstm", "--guidance", "1"], capsys)
    assert status and "guidance is for a class-conditional model" in error
    status, error = refusal(["sample", "pixel_lstm_conditional", "--guidance", "-1"], capsys)
    assert status and "guidance must be at least 0" in error


def test_a_conditional_pixel_lstm_is_exact_given_the_class_and_summed_over_the_classes():
    """On 2×2×2 images (256 of them) p(x | y) sums to 1 for every class, and so does
    p(x) = Σ_y p(y) p(x | y); the draws of a class follow its teacher-forced logits."""
    import itertools

    from conftest import tiny

    model = tiny("pixel_lstm", image_shape=(2, 2, 2), num_layers=2, head_layers=2, context_rows=1, num_classes=3)
    images = np.array(list(itertools.product([0, 255], repeat=8)), "uint8").reshape(-1, 2, 2, 2)
    marginal, per_class = (np.asarray(t, np.float64) for t in model.marginal_log_prob(images))
    np.testing.assert_allclose(np.exp(per_class).sum(axis=0), 1.0, atol=1e-4)
    assert np.exp(marginal).sum() == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(marginal, np.log(np.exp(per_class).mean(axis=1)), atol=1e-5)
    for c in range(3):
        np.testing.assert_allclose(per_class[:, c], model.log_prob(images, labels=c), atol=1e-5)
    assert not np.allclose(per_class[:, 0], per_class[:, 1])  # the class reaches the likelihood
    np.testing.assert_allclose(model.predict(images, verbose=0), marginal, atol=1e-5)  # predict: log p(x)
    # drawing and scoring are the same model, class by class
    labels = np.array([0, 1, 2, 2, 1, 0])
    drawn = np.asarray(model.sample(6, seed=3, output="float", labels=labels))
    uniform = np.asarray(model.uniform_draws(6, 3)).reshape(drawn.shape)
    p = np.asarray(tf.sigmoid(model.pixel_logits(drawn, labels)))
    assert ((uniform < p) != (drawn == 1)).sum() <= 2
    completed = np.asarray(model.complete(images[:2], 1, seed=0, labels=[1, 2]))
    np.testing.assert_array_equal(completed[:, :1], images[:2, :1])
    with pytest.raises(ValueError, match="give each image's class"):
        model.complete(images[:2], 1)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got 5 \(at 1\)"):
        model.log_prob(images[:2], labels=tf.constant([0, 5]))  # an eager tensor is checked too
