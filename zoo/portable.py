"""Does a portable export answer as the SavedModel does? `verify` writes a model's SavedModel
and its LiteRT or ONNX export, runs the export in its own runtime in a process that never
imports TensorFlow (`zoo/runtimes.py`) on seeded inputs (`parity_inputs`, real test images where
given), and compares the outputs (`parity`).

The exports themselves, and which endpoints each format can hold (`support`), are `zoo.exports`'.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from zoo import exports
from zoo.exports import fixed_shapes, portable_signatures

PARITY_TOLERANCE = 1e-4  # largest |difference| of a float32 output allowed against the SavedModel ...
PARITY_RELATIVE = 1e-6  # ... plus this share of its size: a sum over 784 pixels' log-probabilities (-543 nats
# for an untrained pixel_lstm) differs by float32 rounding alone by 1.2e-4
OPEN_SIZE = 8  # the size given to an open axis other than the batch (frames, tokens) in test inputs
COUNT = 3  # the value given to a scalar count (frames to predict) in test inputs


def parity_inputs(model, fmt, rows=256, seed=0, images=None):
    """{"<endpoint>/<input>": array}: `rows` seeded random valid inputs for every endpoint a
    `fmt` export has, in the shapes it takes (uint8 pixels, unit-normal latents, token ids
    below the model's `id_limit()`, small counts); an open axis gets the size a LiteRT export fixes
    it to (else `OPEN_SIZE`), so every format is measured on inputs of the same shape. `images`
    (uint8 [n, h, w, c], e.g. `test_images()`): real images for every uint8 input of their shape,
    the first `rows` of them, in place of random pixels."""
    rng = np.random.default_rng(seed)
    vocab = int(model.id_limit())
    litert = fixed_shapes(model, "litert")  # every format gets the sizes a LiteRT export is fixed to
    inputs = {}
    for endpoint, (_, specs) in portable_signatures(model, fmt).items():
        for spec in specs:
            sizes = litert.get(spec.name, spec.shape)
            shape = [rows if i == 0 else (d or sizes[i] or OPEN_SIZE) for i, d in enumerate(spec.shape)]
            if spec.shape.rank and spec.shape[0] is not None:  # a fixed batch (LiteRT): rows of it
                shape[0] = rows * spec.shape[0]
            dtype = spec.dtype.as_numpy_dtype
            if spec.dtype == tf.uint8 and images is not None and list(images.shape[1:]) == shape[1:]:
                value = np.resize(images, shape)  # the first rows, repeated if there are fewer
            elif spec.dtype == tf.uint8:
                value = rng.integers(0, 256, shape, dtype=np.uint8)
            elif spec.dtype.is_floating:
                value = rng.standard_normal(shape).astype(dtype)
            elif spec.shape.rank == 0:
                value = np.asarray(COUNT, dtype)
            else:
                value = rng.integers(0, vocab, shape).astype(dtype)
            inputs[f"{endpoint}/{spec.name}"] = value
    return inputs


def test_images(rows=256, dataset="mnist", data_dir=None):
    """The first `rows` test images of `dataset` (uint8 [rows, 28, 28, 1]): the parity inputs of
    the image models, as the images they are meant for."""
    from zoo.data.images import image_classification_splits

    splits = image_classification_splits(dataset, (28, 28, 1), model_name="the parity check", data_dir=data_dir,
                                         max_test_examples=rows)
    return next(iter(splits["test"].batch(rows)))[0].numpy()


test_images.__test__ = False  # a helper named like a test: pytest --doctest-modules would run it as one


def saved_model_outputs(path, inputs, batch=32):
    """{"<endpoint>/<output>": array} of the SavedModel at `path` (as `zoo.export` writes it)
    on `inputs` (as `parity_inputs` makes them), in batches of `batch` rows."""
    loaded = tf.saved_model.load(str(path))
    by_endpoint = {}
    for key, value in inputs.items():
        endpoint, name = key.split("/", 1)
        by_endpoint.setdefault(endpoint, {})[name] = value
    outputs = {}
    for endpoint, given in by_endpoint.items():
        signature = loaded.signatures[endpoint]
        rows = [k for k, v in given.items() if np.ndim(v) > 0]
        n = len(given[rows[0]]) if rows else 1
        parts = []
        for start in range(0, n, batch):
            part = {k: tf.constant(v[start:start + batch] if k in rows else v) for k, v in given.items()}
            parts.append({k: np.asarray(v) for k, v in signature(**part).items()})
        for name in parts[0]:
            outputs[f"{endpoint}/{name}"] = np.concatenate([p[name] for p in parts])
    return outputs


def parity(reference, outputs):
    """{"<endpoint>/<output>": {"max_abs_diff", "agrees"}} over the SavedModel's numeric
    outputs (the string ones the portable formats leave out are skipped). A float output agrees
    within `PARITY_TOLERANCE` plus `PARITY_RELATIVE` of its size; a uint8 output (pixels rounded from floats) within one level,
    where a float difference within tolerance crossed a rounding boundary; other integer outputs
    (class ids) must be equal. A missing or reshaped output does not agree."""
    report = {}
    for key, expected in reference.items():
        if expected.dtype.kind in "SUO":
            continue
        got = outputs.get(key)
        if got is None or got.shape != expected.shape:
            report[key] = {"max_abs_diff": float("inf"), "agrees": False, "share_differing": 1.0}
            continue
        difference = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        if expected.dtype.kind == "f":
            agrees = bool(np.all(difference <= PARITY_TOLERANCE + PARITY_RELATIVE * np.abs(expected)))
        elif expected.dtype == np.uint8:
            agrees = bool(np.all(difference <= 1))
        else:
            agrees = bool(np.all(difference == 0))
        report[key] = {"max_abs_diff": float(np.max(difference, initial=0.0)), "agrees": agrees,
                       "share_differing": float(np.mean(difference > 0)) if difference.size else 0.0}
    return report


def verify(model, fmt, folder, rows=256, seed=0, repeats=0, images=None):
    """Exports `model` into `folder` as a SavedModel and as `fmt`, runs the `fmt` export on
    `rows` inputs of `parity_inputs` (with real `images` where given) in its own runtime, in a
    fresh Python process that never imports TensorFlow (`zoo/runtimes.py`), and compares its
    outputs with the SavedModel's.
    Returns {"parity": as `parity` gives it, "agrees": all outputs agree, "inputs": the
    export's inputs as its runtime sees them (dtype, shape), "latency_ms": {endpoint: (p50,
    p99)} of `repeats` batch-1 calls (when `repeats`), "tensorflow_imported": False,
    "saved_model": the SavedModel's folder}."""
    folder = Path(folder)
    saved_model = exports.write(model, folder / "saved_model")
    path = exports.write(model, folder / fmt, format=fmt)
    inputs = parity_inputs(model, fmt, rows=rows, seed=seed, images=images)
    np.savez(folder / f"{fmt}-inputs.npz", **inputs)
    reference = saved_model_outputs(saved_model, inputs)
    command = [sys.executable, str(Path(__file__).with_name("runtimes.py")), str(path),
               str(folder / f"{fmt}-inputs.npz"), str(folder / f"{fmt}-outputs.npz"), "--repeats", str(repeats)]
    process = subprocess.run(command, capture_output=True, text=True)
    if process.returncode:
        raise RuntimeError(f"{fmt} runtime failed on {model.name}: {process.stderr.strip().splitlines()[-1:]}")
    result = json.loads(process.stdout.strip().splitlines()[-1])
    with np.load(folder / f"{fmt}-outputs.npz") as outputs:
        result["parity"] = parity(reference, dict(outputs))
    result["agrees"] = all(r["agrees"] for r in result["parity"].values())
    result["saved_model"] = str(saved_model)
    return result
