"""How fast each registered model trains and serves, next to what this machine can do.

    python -m benchmarks.run                          # every model → benchmarks/results.{md,json}
    python -m benchmarks.run --models vae,dcgan --steps 20

In one run: the machine's compute roof (a large matrix product, float32 and bfloat16, GFLOP/s),
then for each model, in a fresh process of its own (so its peak memory is its own):

- training throughput (examples/s) through the recipe's real input pipeline, after one pass has
  filled its cache, and the same with one in-memory batch repeated (synthetic): their ratio is
  the input pipeline's cost;
- the same networks trained the plain Keras way (benchmarks/plain.py) on the same batch: the
  zoo's synthetic throughput over theirs says what the zoo's `train_step`s cost;
- FLOPs per training example, counted from the traced `train_step` graph (benchmarks/flops.py),
  and the model-FLOP utilisation (MFU) = FLOPs/example × examples/s ÷ the roof of the model's
  compute dtype;
- the synthetic throughput again with the other `jit_compile` (XLA) setting than the recipe's
  (the recipe's in bold) and, for models with LSTMs, with the LSTMs unrolled;
- serving: the exported SavedModel's `serving_default`, loaded with `tf.saved_model.load`,
  latency p50/p99 at batch 1 and batch 64;
- sampling, for a generator with a `sample` endpoint: images per second it draws for requests
  of 1 and of 64 images (an autoregressive model draws pixel after pixel: this is its cost);
- peak resident memory of the process.

The models and inputs are the recipes' defaults (data from TFDS, as the recipes read it).
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.command import argument_parser, chosen_models, write_results
from benchmarks.machine import machine, matmul_roof
from benchmarks.processes import measured_in_subprocess, report
from benchmarks.timing import served_sampling_speed, serving_inputs, serving_latency, train_throughput
from zoo.cards import git, source_revision

HERE = Path(__file__).resolve().parent


# -- one model, in its own process --------------------------------------------------------------

def measure(name, steps, warmup, serving_repeats, rounds=2):
    """One model's row of the table (a dict), measured in this process; the roof's share (MFU) is
    added by `main`, which measured the roof."""
    import keras
    import tensorflow as tf

    import zoo
    from zoo import training
    from zoo.registry import get_entry

    from benchmarks import flops as flops_lib
    from benchmarks import plain as plain_lib

    recipe = get_entry(name).recipe()
    config = recipe.config()
    keras.utils.set_random_seed(config.seed)
    data = recipe.load_data(config)
    precision = config.precision
    with training.precision(precision) as policy:
        model = zoo.load(name, **recipe.model_config(config, data))
    jit_default = recipe.jit_compile(config)  # the recipe's setting (Keras: off on CPU)
    model.compile(jit_compile=jit_default)
    model.build_optimizers()
    batch = next(iter(data.train.dataset))
    batch_size = int(tf.nest.flatten(batch)[0].shape[0])
    result = {"model": name, "batch_size": batch_size, "precision": policy, "parameters": model.count_params()}

    for _ in data.train.dataset:  # one pass: decoded and cached, as every epoch after the first reads it
        pass
    synthetic = tf.data.Dataset.from_tensors(batch)
    with training.precision(precision):
        plain = plain_lib.plain_version(name, model, batch)
    if plain is not None:
        plain[0].jit_compile = jit_default  # compared at the recipe's XLA setting
    # Alternating rounds, best of each: this machine's speed drifts by more than the input
    # pipeline's cost, and a drift would otherwise land on whichever was timed second.
    real, fake, bare = [], [], []
    for _ in range(rounds):
        real.append(train_throughput(model, data.train.dataset, batch_size, steps, warmup))
        fake.append(train_throughput(model, synthetic, batch_size, steps, warmup))
        if plain is not None:
            bare.append(train_throughput(plain[0], tf.data.Dataset.from_tensors(plain[1]), batch_size, steps, warmup))
    result["train_real"], result["train_synthetic"] = max(real), max(fake)
    result["pipeline_ratio"] = result["train_real"] / result["train_synthetic"]
    result["train_plain"] = max(bare) if bare else None

    result["flops_per_example"] = flops_lib.train_step_flops(model, batch)
    result["flops_note"] = recipe.benchmark_note

    # The other jit_compile setting than the recipe's, on the same synthetic batch.
    result["jit_default"] = jit_default
    model.jit_compile = not jit_default
    model.make_train_function(force=True)
    try:
        other = train_throughput(model, synthetic, batch_size, steps, warmup)
    except Exception as e:  # noqa: BLE001  an op XLA cannot compile: say so in the table
        other = None
        result["xla_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
    result["train_synthetic_xla"] = result["train_synthetic"] if jit_default else other
    result["train_synthetic_no_xla"] = other if jit_default else result["train_synthetic"]
    model.jit_compile = jit_default
    with flops_lib.unrolled(model) as lstms:
        if lstms:
            model.make_train_function(force=True)
            result["train_synthetic_unrolled"] = train_throughput(model, synthetic, batch_size, steps, warmup)
    model.make_train_function(force=True)

    with tempfile.TemporaryDirectory() as folder:
        version = zoo.export(model, Path(folder) / "export")
        served = tf.saved_model.load(str(version))
        signature = served.signatures["serving_default"]
        for size in (1, 64):
            p50, p99 = serving_latency(signature, serving_inputs(signature, batch, size, model.serving_example("serving_default")), serving_repeats)
            result[f"serve_b{size}_p50_ms"], result[f"serve_b{size}_p99_ms"] = p50, p99
        if "sample" in served.signatures:
            for size in (1, 64):
                result[f"sample_b{size}_per_s"] = served_sampling_speed(served.signatures["sample"], size,
                                                                         serving_repeats)
    result["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# -- the table ---------------------------------------------------------------------------------

def model_files(name):
    """The files a model's row depends on: its model module and its recipe's folder."""
    from zoo.registry import get_entry

    entry = get_entry(name)
    return [f"{entry.cls.__module__.replace('.', '/')}.py", entry.recipe_module.rsplit(".", 1)[0].replace(".", "/")]


def stale(result):
    """Why `result` (a row) no longer describes its model, or None: the files of its model
    changed after the commit it was measured at (git, in a checkout), or it names no commit."""
    from zoo.errors import UnknownModelError

    source = result.get("source")
    if not source:
        return "measured before rows recorded their commit"
    try:
        files = model_files(result["model"])
    except UnknownModelError:
        return "no longer a registered model"
    changed = git("diff", "--name-only", source.split("+")[0], "--", *files)
    if changed is None:
        return None  # no checkout, or no such commit here (a shallow clone): cannot tell
    return f"{', '.join(changed.split())} changed since" if changed else None


def table(results, roofs, info, date=None):
    lines = [
        (f"Measured {date} in one run on " if date else "Machine: ") + f"{info['cpu']}, {info['cpu_count']} cores"
        + (f", GPUs {', '.join(info['gpus'])}" if info["gpus"] else ", no GPU")
        + f"; TensorFlow {info['tensorflow']}. Roof (matrix product, 4096²): "
        + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in roofs.items()) + ".",
        "",
        "| model | batch | precision | train, real pipeline (ex/s) | synthetic (ex/s) | real/synthetic "
        "| MFLOP per example | MFU | plain Keras (ex/s) | zoo ÷ plain | XLA on / off (ex/s) | unrolled (ex/s) "
        "| serve b1 p50 / p99 (ms) | serve b64 p50 / p99 (ms) | sample b1 / b64 (images/s) | peak memory (MB) |",
        "|---" * 16 + "|",
    ]
    for r in results:
        if "error" in r:
            error = " ".join(r["error"].replace("`", "'").split()).replace("|", "\\|")
            note = " ".join(r.get("error_note", "").split()).replace("|", "\\|")
            lines.append(f"| `{r['model']}` | failed: `{error}` {note} |" + " |" * 14)
            continue
        on = f"{r['train_synthetic_xla']:.0f}" if r.get("train_synthetic_xla") else "fails"
        off = f"{r.get('train_synthetic_no_xla') or r['train_synthetic']:.0f}"
        xla = f"**{on}** / {off}" if r.get("jit_default") else f"{on} / **{off}**"  # bold: the recipe's
        unrolled = f"{r['train_synthetic_unrolled']:.0f}" if r.get("train_synthetic_unrolled") else "–"
        plain = r.get("train_plain")
        plain = f"{plain:.0f} | {r['train_synthetic'] / plain:.0%}" if plain else "– | –"
        why = stale(r)
        name = f"`{r['model']}` (**stale**: {why})" if why else f"`{r['model']}`"
        sampling = (f"{r['sample_b1_per_s']:.1f} / {r['sample_b64_per_s']:.0f}" if r.get("sample_b1_per_s")
                    else "–")
        lines.append(
            f"| {name} | {r['batch_size']} | {r['precision']} | {r['train_real']:.0f} | "
            f"{r['train_synthetic']:.0f} | {r['pipeline_ratio']:.0%} | {r['flops_per_example'] / 1e6:.1f} | "
            f"{r['mfu']:.0%} | {plain} | {xla} | {unrolled} | {r['serve_b1_p50_ms']:.2f} / {r['serve_b1_p99_ms']:.2f} | "
            f"{r['serve_b64_p50_ms']:.1f} / {r['serve_b64_p99_ms']:.1f} | {sampling} | {r['peak_memory_mb']:.0f} |")
    notes = [f"- `{r['model']}`: {r['flops_note']}" for r in results if r.get("flops_note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def main(argv=None):
    parser = argument_parser("benchmarks.run", __doc__)
    parser.add_argument("--models", default="", help="comma-separated registry names (default: all)")
    parser.add_argument("--steps", type=int, default=50, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before them")
    parser.add_argument("--serving-repeats", type=int, default=50, help="timed calls per serving batch size")
    parser.add_argument("--output", default=str(HERE / "results"), help="writes OUTPUT.json and OUTPUT.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model, print JSON
    args = parser.parse_args(argv)
    if args.warmup < 2 or args.steps < 2:
        parser.error("--warmup and --steps must be at least 2.")
    if args.one:
        report(measure(args.one, args.steps, args.warmup, args.serving_repeats))
        return None

    import zoo

    names = chosen_models(parser, args.models, zoo.list_models())
    info = machine()
    roofs = {dtype: matmul_roof(dtype) for dtype in ("float32", "bfloat16")}
    print("Roof: " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in roofs.items()), flush=True)
    results = []
    for name in names:
        started = time.perf_counter()
        result = measured_in_subprocess("benchmarks.run", name, ["--steps", args.steps, "--warmup", args.warmup,
                                                                 "--serving-repeats", args.serving_repeats])
        if "error" not in result:
            roof = roofs["bfloat16" if "bfloat16" in result["precision"] else "float32"]
            result["mfu"] = result["flops_per_example"] * result["train_real"] / (roof * 1e9)
        # Each row says where, when and at which code it was measured, and against which roofs
        result.update(machine=info, roofs_gflops=roofs, date=time.strftime("%Y-%m-%d"), source=source_revision())
        results.append(result)
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
    markdown = table(results, roofs, info, time.strftime("%Y-%m-%d"))
    print(markdown)
    write_results(args.output, {"machine": info, "roofs_gflops": roofs, "models": results,
                                "date": time.strftime("%Y-%m-%d")}, markdown + "\n")
    return results


if __name__ == "__main__":
    main()
