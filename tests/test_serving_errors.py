"""Bad requests to the exported SavedModels, sent by a clean process that never imports zoo (as
TF Serving would): each gets an error that names the input, or a defined answer (an empty
batch gets an empty answer); a request one past each of the model's `request_limits` (a batch,
a sequence's length) gets "at most N"; the process lives through all of them. And
`model.predict` refuses the same inputs with a message."""

import json

import numpy as np
import pytest

import zoo
from conftest import params, run_clean_python
from test_recipes import SMOKE_SLOW

NAMES = zoo.list_models()
# By default the models whose endpoints differ in kind: images to classes, clips, latents and
# counts with labels, token ids and strings, images to score and to complete, frames to continue,
# piano rolls. The rest (the same kinds of endpoint, other networks) with -m slow.
SERVED_SLOW = ("dcgan", "lstm_gan_image", "lstm_gan_image_conditional", "pixel_lstm_conditional", "vae_conditional",
               "cnn_lstm_image_classifier", "dense_gan")
SERVED = params([n for n in NAMES if n not in SERVED_SLOW], slow=SERVED_SLOW)


def smoke_model(name, smoke_run):
    """`name` as its smoke run trained it; for a model whose smoke run is left to -m slow, fresh
    weights of the smoke run's sizes (what is sent here tests the endpoints, not the weights)."""
    if name not in SMOKE_SLOW:
        return zoo.load(name, weights=smoke_run[name][0])
    entry = zoo.registry.get_entry(name)
    recipe = entry.recipe()
    fields = {**getattr(recipe, "model_defaults", {}), **recipe.smoke}
    return zoo.load(name, **{k: v for k, v in fields.items() if k in entry.default_config()})

REQUESTS = r"""
import json, sys, numpy as np, tensorflow as tf
assert "zoo" not in sys.modules

def valid(name, spec, batch=2):
    shape = [batch if i == 0 else (3 if d is None else d) for i, d in enumerate(spec.shape)]
    if spec.dtype == tf.string:
        return np.array("")
    if spec.shape.rank == 0:  # a setting: a count, a length, a temperature, a seed
        return np.array(1.0 if spec.dtype.is_floating else 2, spec.dtype.as_numpy_dtype)
    if spec.dtype.is_floating:
        return np.random.default_rng(0).normal(size=shape).astype(spec.dtype.as_numpy_dtype)
    return np.random.default_rng(0).integers(0, 2, size=shape).astype(spec.dtype.as_numpy_dtype)

def bad_versions(name, spec, value, several=False):
    # (case, value, expected): expected "error" or "empty" (an answer with no rows); with
    # `several` batched inputs (a conditional model's labels beside its images), one emptied
    # alone no longer has a row for each of the other's
    if spec.shape.rank == 0:
        if spec.dtype.is_floating:
            yield "nan", np.array(np.nan, value.dtype), "error"
            yield "zero", np.array(0, value.dtype), "error"
            yield "negative", np.array(-1, value.dtype), "error"
        elif spec.dtype.is_integer and name != "seed":
            yield "zero", np.array(0, value.dtype), "error"
            yield "negative", np.array(-5, value.dtype), "error"
            yield "huge", np.array(2**31 - 1, value.dtype), "error"
        return
    if spec.dtype == tf.string:
        return
    yield "empty batch", value[:0], "error" if several else "empty"
    for axis, size in enumerate(spec.shape):
        if axis == 0:
            continue
        wrong = list(value.shape)
        wrong[axis] = 0 if size is None else size + 4
        yield f"size {wrong[axis]} on axis {axis}", np.zeros(wrong, value.dtype), "error"
    if spec.dtype.is_floating:
        for bad in (np.nan, np.inf):
            v = value.copy(); v.flat[0] = bad
            yield f"{bad} value", v, "error"
    elif spec.dtype.is_integer and spec.dtype != tf.uint8:  # ids: out of range either side
        for bad in (-1, 10**6):
            v = value.copy(); v.flat[0] = bad
            yield f"id {bad}", v, "error"

def past_limits(name, spec, value, axes):
    # one request one past each limit, the input's other open sizes at their least
    for axis, most in axes.items():
        shape = [1 if d is None else d for d in spec.shape]
        shape[axis] = most + 1
        yield f"{most + 1} on axis {axis}, past at most {most}", np.zeros(shape, value.dtype), "error"

def requests(loaded, limits):
    results = []
    for endpoint, signature in loaded.signatures.items():
        specs = signature.structured_input_signature[1]
        inputs = {name: valid(name, spec) for name, spec in specs.items()}
        cases = [("valid", dict(inputs), "answer")]
        batched = [name for name, spec in specs.items() if spec.shape.rank and spec.dtype != tf.string]
        if len(batched) > 1:  # every batched input empty at once: an empty answer
            cases.append(("all batched inputs: empty batch", {**inputs, **{n: inputs[n][:0] for n in batched}},
                          "empty"))
        for name, spec in specs.items():
            for case, value, expected in bad_versions(name, spec, inputs[name], len(batched) > 1):
                cases.append((f"{name}: {case}", {**inputs, name: value}, expected))
            for case, value, expected in past_limits(name, spec, inputs[name],
                                                     {int(a): m for a, m in limits.get(endpoint, {}).get(name, {}).items()}):
                cases.append((f"{name}: {case}", {**inputs, name: value}, expected))
        for case, request, expected in cases:
            try:
                outputs = signature(**{k: tf.constant(v) for k, v in request.items()})
            except tf.errors.InvalidArgumentError as e:
                said = [line.strip() for line in e.message.splitlines() if "must" in line]
                results.append(dict(endpoint=endpoint, case=case, expected=expected, got="error",
                                    message=(said or [e.message])[0][:300]))
            else:
                rows = sorted({int(v.shape[0]) if v.shape.rank else -1 for v in outputs.values()})
                finite = all(bool(np.all(np.isfinite(v.numpy()))) for v in outputs.values() if v.dtype.is_floating)
                results.append(dict(endpoint=endpoint, case=case, expected=expected, got="answer", rows=rows,
                                    finite=finite))
    return results

# Every model's export in one process: one TensorFlow start-up instead of one per model.
limits = json.loads(sys.argv[1])  # {path: the model's request_limits}
print("RESULTS " + json.dumps({path: requests(tf.saved_model.load(path), limits[path]) for path in sys.argv[2:]}))
"""


@pytest.fixture(scope="module")
def served(request, smoke_run, tmp_path_factory):
    """{name: the cases each signature was sent, with what came back}, all sent by one clean process,
    for the models this session's tests ask for (`SERVED`: the default ones, or all with -m slow)."""
    asked = {item.callspec.params["name"] for item in request.session.items
             if getattr(item, "originalname", None) == "test_every_bad_request_gets_an_error_naming_the_input_or_a_defined_answer"}
    asked = asked or {n for n in NAMES if n not in SERVED_SLOW}  # the table's test alone: the default models
    models = {name: smoke_model(name, smoke_run) for name in NAMES if name in asked}
    versions = {name: str(zoo.export(model, tmp_path_factory.mktemp(f"serve-{name}"))) for name, model in models.items()}
    limits = {str(versions[name]): model.request_limits() for name, model in models.items()}
    result = run_clean_python(REQUESTS, json.dumps(limits), *versions.values(), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]  # the serving process lived through all
    answers = json.loads(result.stdout.split("RESULTS ", 1)[1])
    return {name: answers[version] for name, version in versions.items()}


@pytest.mark.parametrize("name", SERVED)
def test_every_bad_request_gets_an_error_naming_the_input_or_a_defined_answer(name, served):
    results = served[name]
    assert len({r["endpoint"] for r in results}) == len(zoo.load(name).serving_signatures())
    for r in results:
        label = f"{r['endpoint']} / {r['case']}: {r}"
        if r["expected"] == "error":
            assert r["got"] == "error", label
            assert r["case"].split(":")[0] in r["message"], label  # the message names the input
            if "past at most" in r["case"]:
                assert f"at most {r['case'].rsplit(' ', 1)[1]}" in r["message"], label
        elif r["expected"] == "empty":
            assert r["got"] == "answer" and r["rows"] == [0], label
        else:
            assert r["got"] == "answer" and r["finite"], label


def test_the_tables_cover_each_kind_of_bad_input(served):
    cases = {r["case"].split(": ", 1)[1] for results in served.values() for r in results if ": " in r["case"]}
    for kind in ("empty batch", "nan value", "inf value", "id -1", "id 1000000", "zero", "negative", "huge",
                 "size 32 on axis 1", "size 0 on axis 1"):
        assert kind in cases, kind
    # every batched input of every endpoint was sent one example past its bound
    past = {(name, r["endpoint"], r["case"].split(":")[0]) for name, results in served.items() for r in results
            if "past at most" in r["case"] and "on axis 0" in r["case"]}
    for name in served:
        for endpoint, (_, specs) in zoo.load(name).serving_signatures().items():
            for spec in specs:
                if spec.shape.rank and spec.shape[0] is None:
                    assert (name, endpoint, spec.name) in past, (name, endpoint, spec.name)


PREDICT_CASES = [  # (name, model overrides, what to predict on, the error's words)
    ("one image without its batch axis", "lstm_image_classifier", lambda: np.zeros((28, 28, 1), "uint8"),
     r"images must have shape \[batch, 28, 28, 1\] \(or \[batch, 28, 28\]\), got \[28, 28, 1\]"),
    ("images of another size", "lstm_image_classifier", lambda: np.zeros((2, 30, 28, 1), "uint8"),
     r"images must have shape \[batch, 28, 28, 1\], got \[2, 30, 28, 1\]"),
    ("strings", "lstm_image_classifier", lambda: np.full((2, 28, 28, 1), "a"), "predict takes a numeric array"),
    ("latent vectors of another size", "dcgan", lambda: np.zeros((2, 5), "float32"),
     r"latent vectors must have shape \[batch, 64\], got \[2, 5\]"),
    ("clips without a time axis", "cnn_lstm_video", lambda: np.zeros((2, 64, 64, 1), "uint8"),
     r"videos must have shape \[batch, any, 64, 64, 1\]"),
    ("tokens of rank 3", "lstm_gan_text", lambda: np.zeros((2, 3, 4), "int32"), r"tokens must have shape \[batch, any\]"),
    ("images for the VAE of another size", "vae", lambda: np.zeros((2, 28, 29, 1), "uint8"),
     r"images must have shape \[batch, 28, 28, 1\]"),
    ("images to score of another size, without a channel axis", "pixel_lstm", lambda: np.zeros((2, 28, 27), "uint8"),
     r"images must have shape \[batch, 28, 28, 1\] \(or \[batch, 28, 28\]\), got \[2, 28, 27\]"),
    ("latent vectors for the LSTM GAN of another size", "lstm_gan_image", lambda: np.zeros((2, 8), "float32"),
     r"latent vectors must have shape \[batch, 64\], got \[2, 8\]"),
]


@pytest.mark.parametrize("case, name, inputs, message", PREDICT_CASES, ids=[c[0] for c in PREDICT_CASES])
def test_predict_refuses_bad_inputs_with_a_message_naming_both_shapes(case, name, inputs, message):
    model = zoo.load(name)
    with pytest.raises(ValueError, match=message):
        model.predict(inputs(), verbose=0)


@pytest.mark.parametrize("name", NAMES)
def test_predict_answers_an_empty_batch_with_an_empty_answer(name, smoke_run):
    model = smoke_model(name, smoke_run)
    fn, specs = model.serving_signatures()["serving_default"]

    def inputs(rows):  # every batched input of serving_default (a conditional model's labels too), `rows` long
        arrays = [np.zeros([rows, *[3 if d is None else d for d in spec.shape[1:]]], spec.dtype.as_numpy_dtype)
                  for spec in specs if spec.shape.rank]
        return arrays if len(arrays) > 1 else arrays[0]

    answer = model.predict(inputs(0), verbose=0)
    expected = model.predict(inputs(1), verbose=0)
    assert answer.shape == (0, *expected.shape[1:]) and answer.dtype == expected.dtype
