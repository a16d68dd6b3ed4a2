"""The model contract, checked for every registered model (a new model gets these for free):
build, config round trip, `.keras` round trip that resumes training, one `fit` step on a real
batch, and an export that a clean process (no zoo) serves with the same outputs."""

import functools
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.registry import conditional_variants, get_entry

from conftest import SLOW_VARIANTS, eager, params, run_clean_python, tiny

NAMES = zoo.list_models()
# lstm_gan_image is dcgan's ImageGAN with other networks, and pixel_lstm's and convlstm_video's
# particulars are tested in their own files (convlstm_video's training in both modes, its
# recipe's save and load): their contract checks repeat mechanisms the others cover, so with
# -m slow (with the class-conditional variants but one: conftest.SLOW_VARIANTS).
SLOW = ("lstm_gan_image", "pixel_lstm", "convlstm_video", *SLOW_VARIANTS)


@functools.cache
def smoke_case(name):
    """(name, the model fields of a smoke run, one real training batch of it), made once."""
    recipe = get_entry(name).recipe()
    config = recipe.config(**recipe.smoke)
    data = recipe.load_data(config)
    batch = tuple(t.numpy() for t in next(iter(data.train.dataset)))
    return name, recipe.model_config(config, data), batch


@pytest.fixture(params=params([n for n in NAMES if n not in SLOW], slow=SLOW))
def case(request):
    return smoke_case(request.param)


def fresh(case, **extra):
    name, overrides, _ = case
    return tiny(name, **{**overrides, **extra})


def call_inputs(model, batch_inputs):
    """What `model(...)` takes, as its serving_default signature says: the real batch for models
    of images, latent vectors for a generator; a list of every input where it takes several (a
    class-conditional model's labels beside them)."""
    fn, specs = model.serving_signatures()["serving_default"]
    return as_call_inputs(example_inputs(specs, batch_inputs), specs)


def as_call_inputs(inputs, specs):
    """The signature's `inputs` ({name: array}) as `model(...)` takes them: the one array, or
    a list of them in the signature's order."""
    arrays = [inputs[spec.name] for spec in specs if spec.shape.rank]  # not a setting (convlstm's num_frames)
    return arrays if len(arrays) > 1 else arrays[0]


def max_difference(a, b):
    return max(float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)))) for x, y in zip(a, b))


def test_registered_class_follows_conventions(case):
    entry = get_entry(case[0])
    assert issubclass(entry.cls, zoo.models.base.ZooModel)
    assert keras.saving.get_registered_object(f"zoo>{entry.cls.__name__}") is entry.cls
    assert entry.description and entry.task and entry.recipe


def test_load_gives_built_model_whose_call_serves_raw_inputs(case):
    model = fresh(case)
    assert model.built and model.count_params() > 0
    outputs = model.predict(call_inputs(model, case[2][0]), verbose=0)
    assert np.all(np.isfinite(outputs))


def test_get_config_round_trip(case):
    model = fresh(case)
    config = model.get_config()
    clone = type(model).from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    x = call_inputs(model, case[2][0])
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_fit_step_on_real_batch_updates_weights_and_tracks_metrics(case):
    model = fresh(case)
    before = model.get_weights()
    history = model.fit(*case[2][:2], epochs=1, verbose=0, shuffle=False)
    assert all(m.name in history.history for m in model.metrics)
    losses = [k for k in history.history if k.endswith("loss")]
    assert losses and all(np.isfinite(history.history[k][0]) for k in losses)
    assert max_difference(before, model.get_weights()) > 0


def test_keras_round_trip_is_identical_and_resumes_training(case, tmp_path):
    check_round_trip_resumes(eager(fresh(case)), case, tmp_path)  # of the state kept: the compiled step is fit's test


def check_round_trip_resumes(model, case, tmp_path):
    """One `fit` step, a `.keras` round trip with identical outputs and optimizer state, and a
    second step that matches in the restored model."""
    x, batch = case[2][0], case[2][:2]  # (inputs, targets), or (inputs,) for a generative model
    model.fit(*batch, epochs=1, verbose=0, shuffle=False)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    restored.run_eagerly = model.run_eagerly  # set after compile(), so not in the saved compile config
    inputs = call_inputs(model, x)
    np.testing.assert_array_equal(restored.predict(inputs, verbose=0), model.predict(inputs, verbose=0))
    # The optimizer state came back (step count and slots), so a second step matches too,
    # random draws (augmentation, dropout) included.
    optimizers = [k for k, v in vars(model).items() if isinstance(v, keras.optimizers.Optimizer)]
    assert any(int(getattr(model, name).iterations) > 0 for name in optimizers)
    for name in optimizers:  # a GAN has two, each with its own state (one may wait for its phase)
        mine, theirs = getattr(model, name), getattr(restored, name)
        assert int(theirs.iterations) == int(mine.iterations), name
        assert max_difference([v.numpy() for v in theirs.variables], [v.numpy() for v in mine.variables]) == 0, name
    model.fit(*batch, epochs=1, verbose=0, shuffle=False)
    restored.fit(*batch, epochs=1, verbose=0, shuffle=False)
    assert max_difference(restored.get_weights(), model.get_weights()) < 1e-6
    if restored.run_eagerly:  # and the restored model's compiled step trains too
        restored.run_eagerly = False
        restored.make_train_function(force=True)  # fit keeps the step function it made eagerly
        history = restored.fit(*batch, epochs=1, verbose=0, shuffle=False)
        assert all(np.isfinite(values[-1]) for values in history.history.values()), history.history
    return restored


# Every model with a `cell` field trains, round-trips and resumes with each other cell. By default
# the two sequence GANs, whose own step loops carry each cell's states (a GRU's h alone, an LSTM's
# h and c), one cell each; with -m slow the other cell, and the models that swap one Keras layer
# for another (a class-conditional variant builds its recurrent layers as its model does).
CELL_MODELS = [n for n in NAMES if "cell" in get_entry(n).default_config() and n not in conditional_variants()]
CELL_CASES = [(name, cell) for name in CELL_MODELS for cell in ("gru", "rnn")]
DEFAULT_CELL_CASES = [("lstm_gan_text", "rnn"), ("lstm_gan_music", "gru")]


@pytest.mark.parametrize("name,cell", params(DEFAULT_CELL_CASES,
                                             slow=[c for c in CELL_CASES if c not in DEFAULT_CELL_CASES]))
def test_every_cell_trains_round_trips_and_resumes(name, cell, tmp_path):
    model = fresh(smoke_case(name), cell=cell)
    layers = list(model._flatten_layers())
    kinds = {type(layer).__name__ for layer in layers}
    assert {"gru": "GRU", "rnn": "SimpleRNN"}[cell] in " ".join(kinds), kinds
    assert not kinds & {"LSTM", "LSTMCell"}, kinds
    assert all(layer.cell == cell for layer in layers if type(layer).__name__ == "ReadingLSTM")
    restored = check_round_trip_resumes(model, smoke_case(name), tmp_path)
    assert restored.get_config()["cell"] == cell


# One clean process per model serves each of its endpoints: one TensorFlow start-up, not one per endpoint.
SERVE = """
import sys, numpy as np, tensorflow as tf
assert "zoo" not in sys.modules
loaded = tf.saved_model.load(sys.argv[1])
for endpoint in sys.argv[3:]:
    inputs = dict(np.load(f"{sys.argv[2]}/{endpoint}.in.npz"))
    signature = loaded.signatures[endpoint]
    outputs = signature(**{k: tf.constant(v) for k, v in inputs.items()})
    np.savez(f"{sys.argv[2]}/{endpoint}.out.npz", **{k: v.numpy().astype(str) if v.dtype == tf.string else v.numpy()
                                                    for k, v in outputs.items()})
    for name, bad in (("dtype", {k: tf.constant(v.astype("float64") if v.dtype.kind in "iuf" else np.float64(0))
                                 for k, v in inputs.items()}),
                      ("rank", {k: tf.constant(np.expand_dims(v, 0)) for k, v in inputs.items()})):
        try:
            signature(**bad)
        except (TypeError, ValueError, tf.errors.InvalidArgumentError) as e:
            print(endpoint, "refused wrong", name, type(e).__name__)
        else:
            raise SystemExit(endpoint + ": wrong " + name + " was accepted")
assert "zoo" not in sys.modules
"""


def example_inputs(specs, batch_inputs):
    """Inputs for a signature: the real batch where it fits, else values of the right dtype."""
    rng = np.random.default_rng(0)
    inputs = {}
    for spec in specs:
        if spec.dtype == tf.string:  # text, e.g. a prompt: empty is always valid
            inputs[spec.name] = np.full(spec.shape, "", dtype="U1")
        elif spec.shape.rank == 0:  # a setting such as a count or a seed
            inputs[spec.name] = np.array(3, spec.dtype.as_numpy_dtype)
        elif spec.dtype.as_numpy_dtype == batch_inputs.dtype and len(spec.shape) == batch_inputs.ndim:
            inputs[spec.name] = batch_inputs[:5]
        elif spec.dtype.is_integer:
            inputs[spec.name] = rng.integers(0, 10, size=[5, *spec.shape[1:]]).astype(spec.dtype.as_numpy_dtype)
        else:
            inputs[spec.name] = rng.normal(size=[5, *spec.shape[1:]]).astype(spec.dtype.as_numpy_dtype)
    return inputs


# The output check of a clean serving process runs by default for models with different kinds
# of endpoints (images, latents and counts, token ids and strings); the others' signatures are
# served in a clean process by test_serving_errors too (cnn_lstm_video's clips also by
# test_cnn_lstm_video), their output check here with -m slow (to keep the default run within
# its time).
SERVED_SLOW = ("vae", "vae_conditional", "cnn_lstm_video", "lstm_gan_music", *SLOW)


@pytest.mark.parametrize("name", params([n for n in NAMES if n not in SERVED_SLOW], slow=SERVED_SLOW))
def test_export_serves_same_outputs_in_clean_process(name, tmp_path):
    case = smoke_case(name)
    model = fresh(case)
    version = zoo.export(model, tmp_path / "serving")
    assert version == tmp_path / "serving" / "1"
    signatures = model.serving_signatures()
    sent = {endpoint: example_inputs(specs, case[2][0]) for endpoint, (_, specs) in signatures.items()}
    for endpoint, inputs in sent.items():
        np.savez(tmp_path / f"{endpoint}.in.npz", **inputs)
    result = run_clean_python(SERVE, version, tmp_path, *signatures, timeout=300 * len(signatures))
    assert result.returncode == 0, result.stderr[-3000:]
    for endpoint, (fn, specs) in signatures.items():
        inputs = sent[endpoint]
        assert result.stdout.count(f"{endpoint} refused wrong") == 2, (endpoint, result.stdout)
        served = dict(np.load(tmp_path / f"{endpoint}.out.npz"))
        expected = fn(*[tf.constant(inputs[s.name]) for s in specs])
        assert set(served) == set(expected)
        for key, value in expected.items():
            if value.dtype == tf.string:
                np.testing.assert_array_equal(served[key], value.numpy().astype(str), err_msg=key)
            else:
                np.testing.assert_allclose(served[key], np.asarray(value), atol=1e-5, err_msg=key)
        if endpoint == "serving_default" and "probabilities" in served:
            predicted = model.predict(as_call_inputs(inputs, specs), verbose=0)
            np.testing.assert_allclose(served["probabilities"], predicted, atol=1e-5)


def test_info_describes_inputs_outputs_and_config(case):
    record = zoo.info(case[0])
    assert record.default_config == get_entry(case[0]).default_config()
    assert "serving_default" in record.inputs and "serving_default" in record.outputs
    assert record.num_params > 0
    json.loads(str(record))
