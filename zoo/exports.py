"""Writing a model's exports: a SavedModel in TF Serving's layout, LiteRT (TFLite) for phones
and edge devices, ONNX for ONNX runtimes (`zoo.export` and `zoo export` call `write`).

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

`zoo.portable` checks that an export answers as the SavedModel does; `zoo/runtimes.py` runs
either portable export in its own runtime, without TensorFlow.
"""

import tempfile
from pathlib import Path

import keras
import tensorflow as tf

from zoo import atomic
from zoo.errors import ConfigError
from zoo.models import serving

FORMATS = ("saved_model", "litert", "onnx")
ONNX_OPSET = 18
LITERT_FILE = "model.tflite"


def write(model, path, version=None, format="saved_model"):
    """Writes `model` in `format` (one of `FORMATS`) at `path`; returns what it wrote. The
    arguments and the result are `zoo.export`'s."""
    if format not in FORMATS:
        raise ConfigError(f"Unknown export format {format!r}: choose one of {', '.join(FORMATS)}.")
    if format != "saved_model":
        if version is not None:
            raise ConfigError(f"version applies to SavedModel exports (TF Serving's layout), not to {format}.")
        return write_litert(model, path) if format == "litert" else write_onnx(model, path)
    return write_saved_model(model, path, version)


def write_saved_model(model, path, version=None):
    """Writes `path/<version>/`, a SavedModel of every endpoint of `model.serving_signatures()`
    (write, then rename); `version` defaults to one more than the highest already in `path`.
    Returns the version's folder."""
    base = Path(path)
    existing = [int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()] if base.is_dir() else []
    version = int(version) if version is not None else max(existing, default=0) + 1
    if version < 1:  # refused before anything is written: no empty folder left behind
        raise ConfigError(f"Export version must be a positive integer, got {version}.")
    base.mkdir(parents=True, exist_ok=True)
    final = base / str(version)
    if final.exists():
        raise ConfigError(f"{final} already exists: choose another version or remove it.")
    archive = keras.export.ExportArchive()
    archive.track(model)
    limits = model.request_limits()
    for endpoint, (fn, specs) in model.serving_signatures().items():
        fn = serving.bounded(fn, specs, limits.get(endpoint, {}), endpoint)
        archive.add_endpoint(endpoint, serving.answers_empty_batches(fn, specs), specs)
    with atomic.atomic_path(final) as tmp:
        archive.write_out(str(tmp), verbose=False)
    return final


def portable_signatures(model, fmt="onnx"):
    """{endpoint: (function, specs)} of `model`'s serving signatures that LiteRT and ONNX can
    express, each tracing in portable mode, their inputs of the shapes `fixed_shapes` gives."""
    skipped = model.NOT_PORTABLE
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
    own = model.litert_shapes() if fmt == "litert" else model.onnx_shapes()
    shapes.update({name: tuple(shape) for name, shape in own.items()})
    return shapes


def support(model):
    """{endpoint: {format: "yes …" or why not}} for `model`: the support table of its docs page."""
    skipped = model.NOT_PORTABLE
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
        raise ConfigError('ONNX export needs tf2onnx and onnx: pip install "lstm-gan-zoo[export]".') from None

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
