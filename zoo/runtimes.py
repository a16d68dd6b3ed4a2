"""Run a zoo LiteRT or ONNX export in that format's own runtime, without TensorFlow.

This file imports neither TensorFlow nor the rest of `zoo` (whose `__init__` imports Keras), so
run it by its path, on a machine that has only numpy and the runtime:

    python zoo/runtimes.py exports/NAME/litert/model.tflite inputs.npz outputs.npz
    python zoo/runtimes.py exports/NAME/onnx inputs.npz outputs.npz --repeats 200

`inputs.npz` holds one array per input, named `<endpoint>/<input>`; `outputs.npz` gets one per
output, named `<endpoint>/<output>`. Each endpoint runs on its inputs in batches of `--batch`
rows. With `--repeats N` each endpoint also runs N times on its first row alone (batch 1), and
the latency percentiles go into the JSON report printed on the last line, with
`"tensorflow_imported"` (false: the report is the runtime's own).

From Python: `Export(path)` then `export.run(endpoint, **inputs)` → {output name: array}.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


class Export:
    """A LiteRT file (`model.tflite`) or an ONNX export folder (`<endpoint>.onnx` files) in its
    own runtime: `ai_edge_litert`'s interpreter or `onnxruntime`."""

    def __init__(self, path):
        path = Path(path)
        if path.is_dir() and (path / "model.tflite").exists():
            path = path / "model.tflite"
        if path.suffix == ".tflite":
            from ai_edge_litert.interpreter import Interpreter

            self.format = "litert"
            self._interpreter = Interpreter(model_path=str(path))
            self.endpoints = sorted(self._interpreter.get_signature_list())
        elif path.is_dir() and any(path.glob("*.onnx")):
            import onnxruntime

            self.format = "onnx"
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            self._sessions = {f.stem: onnxruntime.InferenceSession(str(f), options, providers=["CPUExecutionProvider"])
                              for f in sorted(path.glob("*.onnx"))}
            self.endpoints = sorted(self._sessions)
        else:
            raise ValueError(f"{path} is neither a .tflite file nor a folder of .onnx files (a zoo export).")

    def inputs(self, endpoint):
        """{input name: (dtype, shape with -1 for an open size)} of `endpoint`."""
        self._require(endpoint)
        if self.format == "litert":
            details = self._interpreter.get_signature_runner(endpoint).get_input_details()
            return {k: (np.dtype(d["dtype"]).name, [int(s) for s in d["shape_signature"]]) for k, d in details.items()}
        types = {"tensor(uint8)": "uint8", "tensor(float)": "float32", "tensor(int32)": "int32",
                 "tensor(int64)": "int64"}
        return {i.name: (types.get(i.type, i.type), [d if isinstance(d, int) else -1 for d in i.shape])
                for i in self._sessions[endpoint].get_inputs()}

    def run(self, endpoint, **inputs):
        """{output name: array} of `endpoint` on `inputs` (numpy arrays, by input name)."""
        self._require(endpoint)
        if self.format == "litert":
            return {k: np.asarray(v) for k, v in self._interpreter.get_signature_runner(endpoint)(**inputs).items()}
        session = self._sessions[endpoint]
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, inputs)))


    def _require(self, endpoint):
        if endpoint not in self.endpoints:
            raise ValueError(f"This export has no endpoint {endpoint!r}; it has {self.endpoints}.")


def run_batches(export, endpoint, inputs, batch):
    """`export.run` over the rows of `inputs` (arrays of equal length; scalars go to every
    call) in batches of `batch` rows (or of the export's own fixed batch), the outputs
    concatenated."""
    rows = [k for k, v in inputs.items() if np.ndim(v) > 0]
    if not rows:
        return export.run(endpoint, **inputs)
    fixed = [shape[0] for name, (_, shape) in export.inputs(endpoint).items() if name in rows and shape[0] > 0]
    batch = fixed[0] if fixed else batch
    n = len(inputs[rows[0]])
    parts = []
    for start in range(0, n, batch):
        parts.append(export.run(endpoint, **{k: (v[start:start + batch] if k in rows else v)
                                             for k, v in inputs.items()}))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def latency(export, endpoint, inputs, repeats):
    """(p50, p99) in milliseconds of `repeats` calls on the first row of `inputs` (batch 1),
    after 5 warm-up calls."""
    one = {k: (v[:1] if np.ndim(v) > 0 else v) for k, v in inputs.items()}
    return timed(lambda: export.run(endpoint, **one), repeats)


def timed(call, repeats, warmup=5):
    """(p50, p99) in milliseconds of `repeats` calls of `call()`, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="a model.tflite file (or its folder), or a folder of <endpoint>.onnx files")
    parser.add_argument("inputs", help=".npz of <endpoint>/<input> arrays")
    parser.add_argument("outputs", help=".npz to write, of <endpoint>/<output> arrays")
    parser.add_argument("--batch", type=int, default=32, help="rows per call (default 32)")
    parser.add_argument("--repeats", type=int, default=0, help="batch-1 calls per endpoint to time (default none)")
    args = parser.parse_args(argv)
    try:
        return _main(args)
    except Exception as e:  # noqa: BLE001  the runtimes' own errors (a wrong dtype, say) too: one line
        print(f"runtimes.py: error: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}",
              file=sys.stderr)
        return 2


def _main(args):
    export = Export(args.export)
    given = np.load(args.inputs)
    by_endpoint = {}
    for key in given.files:
        endpoint, name = key.split("/", 1)
        by_endpoint.setdefault(endpoint, {})[name] = given[key]
    outputs, report = {}, {"format": export.format, "latency_ms": {},
                           "inputs": {endpoint: export.inputs(endpoint) for endpoint in export.endpoints}}
    for endpoint, inputs in by_endpoint.items():
        for name, value in run_batches(export, endpoint, inputs, args.batch).items():
            outputs[f"{endpoint}/{name}"] = value
        if args.repeats:
            report["latency_ms"][endpoint] = latency(export, endpoint, inputs, args.repeats)
    np.savez(args.outputs, **outputs)
    report["tensorflow_imported"] = "tensorflow" in sys.modules
    print(json.dumps(report))


if __name__ == "__main__":
    sys.exit(main())
