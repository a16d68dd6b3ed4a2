"""What is particular to `pixel_lstm`: a likelihood that is exact (normalised, autoregressive),
draws that follow it, completions that keep what was given, and the recipe's pictures."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import cards

from conftest import tiny


def binary_images(n, shape=(28, 28, 1), seed=0):
    return (np.random.default_rng(seed).uniform(size=(n, *shape)) > 0.7).astype("uint8") * 255


def test_log_prob_sums_to_one_over_every_image():
    """On 2×2 images with 2 channels (8 binary values, 256 images) the probabilities of all
    images add up to 1: the likelihood is exact, not a bound."""
    model = tiny("pixel_lstm", image_shape=(2, 2, 2), num_layers=2, head_layers=2, context_rows=1)
    images = np.array(list(itertools.product([0, 255], repeat=8)), "uint8").reshape(-1, 2, 2, 2)
    total = float(np.sum(np.exp(np.asarray(model.log_prob(images), np.float64))))
    assert total == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("shape, flips", [((28, 28, 1), [(0, 0, 0), (5, 27, 0), (13, 14, 0), (27, 3, 0)]),
                                          ((3, 4, 2), [(0, 0, 0), (0, 0, 1), (1, 2, 1), (2, 3, 0)])])
def test_a_values_logit_depends_only_on_the_values_before_it(shape, flips):
    """Raster order: row, then pixel, then channel. Flipping one value changes logits after it
    only (and some of them: it is seen)."""
    model = tiny("pixel_lstm", image_shape=shape, num_layers=2, head_layers=2, context_rows=2)
    x = binary_images(2, shape).astype("float32") / 255
    before = np.asarray(model.pixel_logits(x)).reshape(2, -1)
    for index in flips:
        flipped = x.copy()
        flipped[(slice(None), *index)] = 1 - flipped[(slice(None), *index)]
        after = np.asarray(model.pixel_logits(flipped)).reshape(2, -1)
        changed = np.flatnonzero(np.abs(after - before).max(axis=0) > 0)
        position = np.ravel_multi_index(index, shape)
        assert changed.size and changed.min() > position, index


def test_draws_follow_the_model_and_the_seed():
    """A drawn pixel is 1 exactly where its uniform draw falls below p(x_i = 1 | x_<i) of the
    teacher-forced network: drawing and scoring are the same model."""
    model = tiny("pixel_lstm", context_rows=2)
    drawn = np.asarray(model.sample(6, seed=3, output="float"))
    np.testing.assert_array_equal(drawn, np.asarray(model.sample(6, seed=3, output="float")))
    assert not np.array_equal(drawn, np.asarray(model.sample(6, seed=4, output="float")))
    uniform = np.asarray(model.uniform_draws(6, 3)).reshape(drawn.shape)
    p = np.asarray(tf.sigmoid(model.pixel_logits(drawn)))
    disagree = (uniform < p) != (drawn == 1)
    assert disagree.sum() <= 2  # float rounding may flip a draw that falls on p itself
    scored = np.asarray(model.log_prob(drawn))  # its own samples (0/1 floats) are scored as such
    np.testing.assert_allclose(scored, np.asarray(model.log_prob((drawn * 255).astype("uint8"))), rtol=1e-6)


def test_temperature_and_guidance_draw_each_value_from_the_logit_they_give():
    """At `sample_temperature` T and `guidance` w a drawn value is 1 where its uniform draw
    falls below sigmoid(((1 + w)·logit(x_i | y) − w·logit(x_i | class hidden)) / T): in
    `sample`, with a temperature and guidance of its own, and at the served endpoint. Training
    hides the class of a `label_dropout` share of the images."""
    model = tiny("pixel_lstm_conditional", context_rows=2, sample_temperature=0.5, label_dropout=0.1, guidance=1.5)
    labels = np.array([1, 4, 7, 9], "int32")
    for temperature, guidance, drawn in (
            (0.5, 1.5, model.sample(4, seed=3, output="float", labels=labels)),
            (2.0, 0.0, model.sample(4, seed=3, output="float", labels=labels, temperature=2.0, guidance=0))):
        drawn = np.asarray(drawn)
        uniform = np.asarray(model.uniform_draws(4, 3)).reshape(drawn.shape)
        given, hidden = (np.asarray(model.pixel_logits(drawn, classes)) for classes in (labels, -np.ones(4, "int32")))
        p = np.asarray(tf.sigmoid(((1 + guidance) * given - guidance * hidden) / temperature))
        assert ((uniform < p) != (drawn == 1)).sum() <= 2, temperature  # rounding may flip a draw on p itself
    signatures = model.serving_signatures()
    np.testing.assert_array_equal(signatures["sample"][0](tf.constant(labels), tf.constant(3))["images"],
                                  model.sample(4, seed=3, labels=labels))
    tops = np.asarray(model.sample(4, seed=8, labels=labels))
    completed = np.asarray(model.complete(tops, known_rows=3, seed=5, labels=labels))  # guided, the top rows kept
    np.testing.assert_array_equal(completed[:, :3], tops[:, :3])
    np.testing.assert_array_equal(signatures["complete"][0](tf.constant(tops), tf.constant(3), tf.constant(5),
                                                            tf.constant(labels))["images"], completed)
    hidden = np.asarray(model.hidden_labels(tf.constant(np.arange(10_000) % 10, tf.int32)))
    assert set(np.unique(hidden)) == {-1, *range(10)} and abs((hidden == -1).mean() - 0.1) < 0.01
    model.compile()
    images = np.asarray(model.sample(8, seed=1, labels=np.arange(8) % 10))
    history = model.fit(images, np.arange(8) % 10, batch_size=4, epochs=1, verbose=0)  # hides some classes
    assert np.isfinite(history.history["loss"][-1])
    with pytest.raises(ValueError, match="temperature must be positive"):
        model.sample(2, temperature=0.0, labels=[1, 2])
    with pytest.raises(ValueError, match="guidance must be at least 0"):
        model.sample(2, guidance=-1.0, labels=[1, 2])
    with pytest.raises(zoo.ConfigError, match="guidance'? needs a model trained with label_dropout above 0"):
        tiny("pixel_lstm_conditional", label_dropout=0.0, guidance=1.0)
    recipe = zoo.registry.get_entry("pixel_lstm_conditional").recipe()  # a run says so before it loads data
    with pytest.raises(zoo.ConfigError, match="--guidance needs a model trained with label_dropout above 0"):
        recipe.config(label_dropout=0.0)  # the variant's guidance 0.2 stays
    assert recipe.config(label_dropout=0.0, guidance=0.0).guidance == 0.0
    with pytest.raises(zoo.ConfigError, match="label_dropout and guidance are for a class-conditional model"):
        zoo.registry.get_entry("pixel_lstm").recipe().config(guidance=0.5)
    assert model.own_sampling_fields() == {"sample_temperature": 1.0, "guidance": 0.0}
    with model.sampling_as(**model.own_sampling_fields()):  # the model itself, as the card's _t1 measures draw
        np.testing.assert_array_equal(model.sample(4, seed=3, labels=labels),
                                      model.sample(4, seed=3, labels=labels, temperature=1.0, guidance=0.0))
    with pytest.raises(zoo.ConfigError, match="guidance must be at least 0"), model.sampling_as(guidance=-2.0):
        pass
    with pytest.raises(RuntimeError), model.sampling_as(sample_temperature=1.0, guidance=0.0):
        raise RuntimeError
    assert model.sampling_fields() == {"sample_temperature": 0.5, "guidance": 1.5}  # restored however the block ends
    added = ("sample_temperature", "label_dropout", "guidance")
    config = {k: v for k, v in model.get_config().items() if k not in (*added, "name", "trainable", "dtype")}
    old = type(model).from_config(config)  # saved before the fields: drawn at 1, unguided, trained with every class
    assert [getattr(old, field) for field in added] == [1.0, 0.0, 0.0]


def test_complete_keeps_the_given_rows_and_refuses_a_bad_count():
    model = tiny("pixel_lstm")
    images = binary_images(3)
    completed = np.asarray(model.complete(images, 10, seed=0))
    np.testing.assert_array_equal(completed[:, :10], images[:, :10])
    np.testing.assert_array_equal(np.asarray(model.complete(images, 28, seed=0)), images)
    for bad in (0, 29, 10.5):
        with pytest.raises(ValueError, match=r"known_rows must lie in \[1, 28\]"):
            model.complete(images, bad)


def test_signatures_bound_what_one_request_may_ask_for():
    model = tiny("pixel_lstm")
    signatures = model.serving_signatures()
    sample, specs = signatures["sample"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_images must be at most"):
        sample(tf.constant(model.MAX_SAMPLES + 1), tf.constant(0))
    complete, _ = signatures["complete"]
    images = tf.constant(binary_images(2))
    with pytest.raises(tf.errors.InvalidArgumentError, match="known_rows must be at most 28"):
        complete(images, tf.constant(29), tf.constant(0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="images must hold at most 10000 examples"):
        complete(tf.zeros((model.MAX_SAMPLES + 1, 28, 28, 1), tf.uint8), tf.constant(20), tf.constant(0))
    served = complete(images, tf.constant(20), tf.constant(5))["images"].numpy()
    expected = np.asarray(model.complete(images, 20, seed=5))
    assert np.sum(served != expected) <= 2  # the same draws; rounding may flip one that falls on p
    log_prob, _ = signatures["serving_default"]
    np.testing.assert_allclose(log_prob(images)["log_prob"].numpy(), np.asarray(model.log_prob(images)), rtol=1e-6)


def test_recipe_draws_samples_and_completions(smoke_run):
    output, card = smoke_run["pixel_lstm"]
    for name in ("samples.png", "completions.png", "samples/epoch_001.png"):
        assert (output / name).read_bytes()[:4] == b"\x89PNG", name
    assert card["metrics"]["nll_examples"] == 256
    assert card["metrics"]["bits_per_pixel"] == pytest.approx(card["metrics"]["test_nll"] / 784 / np.log(2), abs=1e-3)


def test_too_few_hidden_units_for_a_row_are_refused():
    with pytest.raises(ValueError, match="head_units must be at least 27"):
        tiny("pixel_lstm", head_units=20)


def test_the_shipped_card_is_measured_as_the_issue_asks():
    # Its targets (the NLL, time) are in test_targets.py.
    card = cards.read_card(cards.saved_models_dir() / "pixel_lstm")
    metrics = card["metrics"]
    assert metrics["nll_examples"] == 10_000  # exact, every test image
    assert card["dataset"]["name"] == "mnist"
    assert metrics["quality_samples"] == 10_000 and metrics["frechet_distance_floor"] < metrics["frechet_distance"]
    for name in ("samples.png", "completions.png", "training_curves.png"):
        assert (cards.saved_models_dir() / "pixel_lstm" / name).read_bytes()[:4] == b"\x89PNG"


def test_another_cell_draws_and_completes_as_the_lstm_does():
    """The drawing loop carries each cell's own states (a GRU's h alone, an LSTM's h and c)."""
    model = tiny("pixel_lstm", cell="gru")
    images = np.asarray(model.sample(2, seed=0))
    assert images.shape == (2, *model.image_shape) and set(np.unique(images)) <= {0, 255}
    assert model.complete(images, model.image_shape[0] // 2, seed=0).shape == images.shape
