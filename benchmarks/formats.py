"""Every registered model exported as a SavedModel, for LiteRT and for ONNX: does each portable
export answer as the SavedModel does, and how fast does it answer one request?

    python -m benchmarks.formats                          # → benchmarks/formats.{md,json}
    python -m benchmarks.formats --models dcgan --rows 16 --repeats 20 --output /tmp/formats

For each model with shipped weights and each format, `zoo.portable.verify` exports it, runs
`--rows` inputs per endpoint through the export in its own runtime (`ai_edge_litert`'s
interpreter, `onnxruntime`) in a fresh process that never imports TensorFlow, and compares the
outputs with the SavedModel's (`zoo.portable.parity`: float outputs within 1e-4 plus 1e-6 of their size, uint8 pixels
within one level, class ids equal). The inputs: the first MNIST test images for the 28×28
image inputs, seeded random ones for the rest (unit-normal latents, valid token ids, clips of
random pixels). The
latency is the p50 / p99 of `--repeats` requests of one example each (batch 1) after 5 warm-up
requests, for the SavedModel in TensorFlow (its signature, checks included) and for each export
in its runtime, on this machine.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.command import argument_parser, chosen_models, write_results

HERE = Path(__file__).resolve().parent


def saved_model_latency(path, inputs, repeats):
    """{endpoint: (p50, p99) ms} of batch-1 requests to the SavedModel's signatures."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    by_endpoint = {}
    for key, value in inputs.items():
        endpoint, name = key.split("/", 1)
        by_endpoint.setdefault(endpoint, {})[name] = tf.constant(value[:1] if np.ndim(value) else value)
    from zoo.runtimes import timed

    return {endpoint: timed(lambda: loaded.signatures[endpoint](**one), repeats)
            for endpoint, one in by_endpoint.items()}


def measure(name, rows, repeats, images):
    """{"model", "support", "formats": {fmt: verify's report}, "saved_model_latency_ms"}."""
    import zoo
    from zoo import api, exports, portable

    model = zoo.load(name, weights="pretrained")
    result = {"model": name, "support": exports.support(model), "formats": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in exports.FORMATS[1:]:
            try:
                result["formats"][fmt] = portable.verify(model, fmt, Path(tmp) / fmt, rows=rows, repeats=repeats,
                                                         images=images)
            except Exception as e:  # noqa: BLE001  one failed export is one row of the table
                result["formats"][fmt] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
        saved_model = api.export(model, Path(tmp) / "saved_model")
        one = portable.parity_inputs(model, "onnx", rows=1, images=images)
        result["saved_model_latency_ms"] = saved_model_latency(saved_model, one, repeats)
    return result


def markdown(results, rows, repeats):
    lines = [f"Parity with the SavedModel on {rows} inputs per endpoint, in each format's own runtime "
             f"(no TensorFlow in the process); latency p50 / p99 of {repeats} batch-1 requests, ms.", "",
             "| model | endpoint | LiteRT: largest difference | ONNX: largest difference | SavedModel (TF) ms | "
             "LiteRT ms | ONNX ms |", "|---|---|---|---|---|---|---|"]
    for result in results:
        for endpoint, formats in result["support"].items():
            if not formats["onnx"].startswith("yes") and not formats["litert"].startswith("yes"):
                continue  # the README's support table says why
            cells = []
            for fmt in ("litert", "onnx"):
                report = result["formats"].get(fmt, {})
                if not formats[fmt].startswith("yes"):
                    cells.append("–")
                elif "error" in report:
                    cells.append(f"error: {report['error']}")
                else:
                    diffs = {k.split("/", 1)[1]: v for k, v in report["parity"].items() if k.startswith(endpoint + "/")}
                    text = ", ".join(_difference(k, v) for k, v in sorted(diffs.items()))
                    cells.append(text + ("" if all(v["agrees"] for v in diffs.values()) else " (DISAGREES)"))
            times = [_latency(result.get("saved_model_latency_ms", {}).get(endpoint))]
            for fmt in ("litert", "onnx"):
                times.append(_latency(result["formats"].get(fmt, {}).get("latency_ms", {}).get(endpoint)))
            lines.append(f"| `{result['model']}` | {endpoint} | {cells[0]} | {cells[1]} | {' | '.join(times)} |")
    return "\n".join(lines) + "\n"


def support_markdown(names):
    """The README's support table: model × endpoint × format, from `zoo.exports.support`."""
    from zoo import exports
    from zoo.registry import get_entry

    lines = ["| model | endpoint | SavedModel | LiteRT | ONNX |", "|---|---|---|---|---|"]
    for name in names:
        model = get_entry(name).cls(**get_entry(name).default_config())
        for endpoint, formats in exports.support(model).items():
            lines.append(f"| `{name}` | {endpoint} | " + " | ".join(formats[f] for f in exports.FORMATS) + " |")
    return "\n".join(lines) + "\n"


def _difference(name, report):
    if report["max_abs_diff"] >= 1:  # uint8 pixels: one level, on how many
        return f"{name} {report['max_abs_diff']:.0f} level on {report['share_differing']:.2%} of values"
    return f"{name} {report['max_abs_diff']:.1e}"


def _latency(pair):
    return f"{pair[0]:.2f} / {pair[1]:.2f}" if pair else "–"


def main(argv=None):
    parser = argument_parser("benchmarks.formats", __doc__)
    parser.add_argument("--models", default="", help="comma-separated registry names (default: every registered model)")
    parser.add_argument("--rows", type=int, default=256, help="inputs per endpoint compared with the SavedModel")
    parser.add_argument("--repeats", type=int, default=200, help="timed batch-1 requests per endpoint and format")
    parser.add_argument("--data-dir", default=None, help="TFDS data folder of MNIST (default: TFDS_DATA_DIR or ~/...)")
    parser.add_argument("--output", default=str(HERE / "formats"), help="writes OUTPUT.json and OUTPUT.md")
    args = parser.parse_args(argv)
    for flag in ("rows", "repeats"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1, got {getattr(args, flag)}.")
    import zoo

    names = chosen_models(parser, args.models, zoo.list_models())
    from zoo import portable

    images = portable.test_images(args.rows, data_dir=args.data_dir)
    results = []
    for name in names:
        start = time.time()
        results.append(measure(name, args.rows, args.repeats, images))
        print(f"{name}: {time.time() - start:.0f} s", flush=True)
    table = markdown(results, args.rows, args.repeats)
    write_results(args.output, {"rows": args.rows, "repeats": args.repeats, "results": results}, table)
    print(table)
    return results


if __name__ == "__main__":
    main()
