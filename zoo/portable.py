"""Exports beyond TF Serving: LiteRT (TFLite) for phones and edge devices, ONNX for ONNX
runtimes.

    zoo export lstm_image_classifier --format litert   # exports/<name>/litert/model.tflite
    zoo export lstm_image_classifier --format onnx     # exports/<name>/onnx/<endpoint>.onnx

The portable endpoints are the model's serving signatures traced under
`zoo.models.serving.portable()`: the same inputs (uint8 images stay uint8), the same numeric
outputs, without the SavedModel's run-time checks (neither format has an assert op; their
runtimes check dtypes and fixed sizes) and without string outputs. An endpoint a format cannot
express is named in the model's `NOT_PORTABLE` with the reason, and `support` reports it.

A LiteRT export is one `.tflite` file holding every portable endpoint as a signature, built
from TensorFlow Lite's builtin ops only (no TF Select ops, which the standalone `ai-edge-litert`
interpreter lacks). An ONNX export is one `.onnx` file per endpoint (an ONNX graph has one
entry point), converted by tf2onnx; inputs and outputs keep the SavedModel's names.

`zoo/runtimes.py` runs either export in its own runtime, without TensorFlow.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from zoo import atomic
from zoo.errors import ConfigError
from zoo.models import serving

FORMATS = ("saved_model", "litert", "onnx")
ONNX_OPSET = 18
LITERT_FILE = "model.tflite"


def portable_signatures(model, fmt="onnx"):
    """{endpoint: (function, specs)} of `model`'s serving signatures that LiteRT and ONNX can
    express, each tracing in portable mode, their inputs of the shapes `fixed_shapes` gives."""
    skipped = getattr(model, "NOT_PORTABLE", {})
    shapes = fixed_shapes(model, fmt)
    return {endpoint: (_traced_portable(fn), [tf.TensorSpec(shapes.get(s.name, s.shape), s.dtype, s.name)
                                              for s in specs])
            for endpoint, (fn, specs) in model.serving_signatures().items() if endpoint not in skipped}


def fixed_shapes(model, fmt):
    """{input name: shape} of the inputs whose open sizes a `fmt` export fixes. LiteRT: batch 1
    for every batched input (its converter lowers an LSTM's loop to builtin ops only when the
    state has a static shape), and the sizes the model's `litert_shapes()` gives for its other
    open axes (frames, tokens). ONNX: what the model's `onnx_shapes()` gives (none, mostly)."""
    shapes = {}
    if fmt == "litert":
        for _, specs in model.serving_signatures().values():
            for spec in specs:
                if spec.shape.rank:
                    shapes[spec.name] = tuple(1 if i == 0 and d is None else d for i, d in enumerate(spec.shape))
    own = getattr(model, f"{fmt}_shapes", None)
    shapes.update({name: tuple(shape) for name, shape in (own() if own else {}).items()})
    return shapes


def support(model):
    """{endpoint: {format: "yes …" or why not}} for `model`: the README's support table."""
    skipped = getattr(model, "NOT_PORTABLE", {})
    shapes_of = {fmt: fixed_shapes(model, fmt) for fmt in FORMATS[1:]}
    table = {}
    for endpoint, (_, specs) in model.serving_signatures().items():
        table[endpoint] = {"saved_model": "yes"}
        for fmt, shapes in shapes_of.items():
            fixed = ", ".join(f"{s.name} {_shape_text(shapes[s.name])}" for s in specs if s.name in shapes)
            table[endpoint][fmt] = skipped.get(endpoint, f"yes ({fixed})" if fixed else "yes")
    return table


def _shape_text(shape):
    return "[" + ", ".join("any" if d is None else str(d) for d in shape) + "]"


def write_litert(model, folder):
    """Writes `folder/model.tflite` (write, then rename); returns its path."""
    signatures = _require_portable(model, "litert")
    with tempfile.TemporaryDirectory() as tmp:
        archive = keras.export.ExportArchive()
        archive.track(model)
        for endpoint, (fn, specs) in signatures.items():
            archive.add_endpoint(endpoint, fn, specs)
        archive.write_out(tmp, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=list(signatures))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        blob = converter.convert()
    final = Path(folder) / LITERT_FILE
    with atomic.atomic_path(final) as tmp_file:
        Path(tmp_file).write_bytes(blob)
    return final


def write_onnx(model, folder):
    """Writes `folder/<endpoint>.onnx` for every portable endpoint, the folder as a whole
    (write, then rename); returns the folder."""
    try:
        import onnx  # noqa: F401
        import tf2onnx
    except ImportError:
        raise ConfigError('ONNX export needs tf2onnx and onnx: pip install "zoo[export]".') from None

    folder = Path(folder)
    if folder.is_dir() and any(not p.name.endswith(".onnx") for p in folder.iterdir()):
        raise ConfigError(f"{folder} holds files other than an ONNX export's, which writing the export there would "
                          "replace: choose an empty folder (or one holding only .onnx files).")
    signatures = _require_portable(model, "onnx")
    protos = {}
    for endpoint, (fn, specs) in signatures.items():
        function = tf.function(fn)
        outputs = function.get_concrete_function(*specs).structured_outputs
        proto, _ = tf2onnx.convert.from_function(function, input_signature=specs, opset=ONNX_OPSET)
        _check_onnx(proto, model.name, endpoint)
        protos[endpoint] = _named(proto, [s.name for s in specs], sorted(outputs))  # tf.nest's order
    with atomic.atomic_path(folder) as tmp:
        Path(tmp).mkdir(parents=True)
        for endpoint, proto in protos.items():
            (Path(tmp) / f"{endpoint}.onnx").write_bytes(proto.SerializeToString())
    return folder


def _check_onnx(proto, name, endpoint):
    """tf2onnx logs an op it cannot convert and leaves it in the graph; refuse such a graph
    here rather than let onnxruntime refuse it later."""
    import onnx

    unknown = sorted({node.op_type for node in proto.graph.node
                      if node.domain not in ("", "ai.onnx", "ai.onnx.ml", "com.microsoft")})
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        unknown = unknown or [str(e).splitlines()[0]]
    if unknown:
        raise ConfigError(f"{name}'s {endpoint} endpoint has TensorFlow ops ONNX cannot express: "
                          f"{', '.join(unknown)}.")


def _named(proto, input_names, output_names):
    """`proto` with its graph inputs and outputs named as the SavedModel's (tf2onnx calls them
    `images:0`, `Identity:0`, ...)."""
    graph = proto.graph
    renames = {}
    for value, name in zip(graph.input, input_names):
        renames[value.name] = name
    for value, name in zip(graph.output, output_names):
        renames[value.name] = name
    for value in list(graph.input) + list(graph.output):
        value.name = renames.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    return proto


def _require_portable(model, fmt):
    signatures = portable_signatures(model, fmt)
    if not signatures:
        reasons = "; ".join(f"{k}: {v}" for k, v in model.NOT_PORTABLE.items())
        raise ConfigError(f"{model.name} has no endpoint that {fmt} can express ({reasons}).")
    return signatures


def _traced_portable(fn):
    def traced(*args):
        with serving.portable():
            return fn(*args)

    return traced


# --- parity: does an export answer as the SavedModel does? --------------------------------
PARITY_TOLERANCE = 1e-4  # largest |difference| of a float32 output allowed against the SavedModel
OPEN_SIZE = 8  # the size given to an open axis other than the batch (frames, tokens) in test inputs
COUNT = 3  # the value given to a scalar count (frames to predict) in test inputs


def parity_inputs(model, fmt, rows=256, seed=0, images=None):
    """{"<endpoint>/<input>": array}: `rows` seeded random valid inputs for every endpoint a
    `fmt` export has, in the shapes it takes (uint8 pixels, unit-normal latents, token ids
    below the vocabulary size, small counts); an open axis gets the size a LiteRT export fixes
    it to (else `OPEN_SIZE`), so every format is measured on inputs of the same shape. `images`
    (uint8 [n, h, w, c], e.g. `test_images()`): real images for every uint8 input of their shape,
    the first `rows` of them, in place of random pixels."""
    rng = np.random.default_rng(seed)
    vocab = int(getattr(model, "vocab_size", 2))
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
    within `PARITY_TOLERANCE`; a uint8 output (pixels rounded from floats) within one level,
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
            agrees = bool(np.all(difference <= PARITY_TOLERANCE))
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
    saved_model = api_export(model, folder / "saved_model")
    path = api_export(model, folder / fmt, format=fmt)
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


def api_export(model, path, **kwargs):
    from zoo.api import export  # zoo.api imports this module

    return export(model, path, **kwargs)
