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
  (the recipe's in bold), in a second process, whose peak memory is the XLA compiler's; and,
  for models with Keras recurrent layers, with those layers the other way (unrolled where they
  loop, looping where the model unrolls them);
- which recurrent layers take the cuDNN kernel on a GPU, read from their settings
  (benchmarks/recurrent.py);
- serving: the exported SavedModel's `serving_default`, loaded with `tf.saved_model.load`,
  latency p50/p99 at batch 1 and batch 64;
- sampling, for a generator with a `sample` endpoint: images per second it draws for requests
  of 1 and of 64 images (an autoregressive model draws pixel after pixel: this is its cost);
- peak resident memory: after the training measurements, and of the whole process (which also
  counts the FLOPs, runs the other unroll setting and serves the export); on a GPU, the GPU's
  peak too; the JSON record holds the peak after each phase.

`benchmarks/gpu.sh` runs it on a GPU machine in one call.

The models and inputs are the recipes' defaults (data from TFDS, as the recipes read it).
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.command import argument_parser, chosen_models, write_results
from benchmarks.machine import machine, matmul_roof
from benchmarks.prepared import prepared
from benchmarks.processes import measured_each, measured_in_subprocess, report
from benchmarks.timing import served_sampling_speed, serving_inputs, serving_latency, train_throughput
from zoo.cards import git, source_revision

HERE = Path(__file__).resolve().parent


# -- one model, in its own process --------------------------------------------------------------

def peak_mb():
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name, steps, warmup, serving_repeats, rounds=2):
    """One model's row of the table (a dict), measured in this process at the recipe's settings;
    the other XLA setting is measured by `measure_other_xla` in a process of its own (compiling
    a large step with XLA can take more memory than training it), and the roof's share (MFU) is
    added by `main`, which measured the roof. `memory_after_mb` holds the peak after each phase,
    so a peak can be traced to the phase that made it."""
    import tensorflow as tf

    import zoo
    from zoo import training

    from benchmarks import flops as flops_lib
    from benchmarks import plain as plain_lib
    from benchmarks.recurrent import recurrent_layers

    ready = prepared(name)
    recipe, config, data, model = (ready[k] for k in ("recipe", "config", "data", "model"))
    batch, batch_size, jit_default = ready["batch"], ready["batch_size"], ready["jit_default"]
    result = {"model": name, "batch_size": batch_size, "precision": ready["policy"],
              "parameters": model.count_params(), "jit_default": jit_default, "recurrent": recurrent_layers(model)}
    memory = result["memory_after_mb"] = {"load": peak_mb()}

    for _ in data.train.dataset:  # one pass: decoded and cached, as every epoch after the first reads it
        pass
    synthetic = tf.data.Dataset.from_tensors(batch)
    with training.precision(config.precision):
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
    memory["train"] = peak_mb()
    if tf.config.list_physical_devices("GPU"):
        result["gpu_peak_memory_mb"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20

    result["flops_per_example"] = flops_lib.train_step_flops(model, batch)
    result["flops_note"] = recipe.benchmark_note
    memory["flops"] = peak_mb()

    # The recurrent layers the other way (unrolled where they loop, looping where the recipe
    # unrolls them), on the same synthetic batch.
    rnns = flops_lib.recurrent(model)
    if rnns:
        result["unrolled_default"] = all(layer.unroll for layer in rnns)
        with flops_lib.unrolled(model, not result["unrolled_default"]):
            model.make_train_function(force=True)
            try:
                result["train_synthetic_other_unroll"] = train_throughput(model, synthetic, batch_size, steps, warmup)
            except Exception as e:  # noqa: BLE001  say so in the table, keep the row
                result["train_synthetic_other_unroll"] = None
                result["unroll_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        model.make_train_function(force=True)
    memory["other_unroll"] = peak_mb()

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
    memory["serving"] = result["peak_memory_mb"] = peak_mb()
    return result


def measure_other_xla(name, steps, warmup):
    """The synthetic training speed with the other `jit_compile` setting than the recipe's, and
    this process's peak memory (the compiler's, mostly): a dict to merge into `name`'s row."""
    import tensorflow as tf

    ready = prepared(name)
    model, batch_size = ready["model"], ready["batch_size"]
    model.jit_compile = not ready["jit_default"]
    if model.jit_compile == ready["jit_default"]:  # Keras refused: a layer XLA cannot compile here
        return {"train_synthetic_other_xla": None, "peak_memory_other_xla_mb": peak_mb(),
                "xla_error": "Keras keeps XLA off for this model here (a layer it cannot compile, e.g. a cuDNN LSTM)"}
    model.make_train_function(force=True)
    try:
        speed = train_throughput(model, tf.data.Dataset.from_tensors(ready["batch"]), batch_size, steps, warmup)
        result = {"train_synthetic_other_xla": speed}
    except Exception as e:  # noqa: BLE001  an op XLA cannot compile: say so in the table
        result = {"train_synthetic_other_xla": None, "xla_error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
    return {**result, "peak_memory_other_xla_mb": peak_mb()}


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


def _bold_default(pair, default_first):
    first, second = pair
    return f"**{first}** / {second}" if default_first else f"{first} / **{second}**"


def _speed(value, failed=False):
    """A speed for the table: the figure, "fails" where the measurement failed, "–" where it
    was not taken."""
    return f"{value:.0f}" if value else ("fails" if failed else "–")


def table(results, roofs, info, date=None):
    from benchmarks.recurrent import summary

    lines = [
        (f"Measured {date} in one run on " if date else "Machine: ") + f"{info['cpu']}, {info['cpu_count']} cores"
        + (f", GPUs {', '.join(info['gpus'])}" if info["gpus"] else ", no GPU")
        + f"; TensorFlow {info['tensorflow']}. Roof (matrix product, 4096²): "
        + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in roofs.items()) + ".",
        "",
        "| model | batch | precision | train, real pipeline (ex/s) | synthetic (ex/s) | real/synthetic "
        "| MFLOP per example | MFU | plain Keras (ex/s) | zoo ÷ plain | XLA on / off (ex/s) "
        "| recurrent layers unrolled / looping (ex/s) | recurrent layers on cuDNN (GPU) "
        "| serve b1 p50 / p99 (ms) | serve b64 p50 / p99 (ms) | sample b1 / b64 (images/s) "
        "| peak memory (MB): training / whole process / other XLA |",
        "|---" * 17 + "|",
    ]
    for r in results:
        if "error" in r:
            error = " ".join(r["error"].replace("`", "'").split()).replace("|", "\\|")
            note = " ".join(r.get("error_note", "").split()).replace("|", "\\|")
            lines.append(f"| `{r['model']}` | failed: `{error}` {note} |" + " |" * 15)
            continue
        default, other = _speed(r["train_synthetic"]), _speed(r.get("train_synthetic_other_xla"), "xla_error" in r)
        jit = r.get("jit_default")
        xla = _bold_default((default, other) if jit else (other, default), jit)
        if "train_synthetic_other_unroll" in r:
            other, unrolled = _speed(r["train_synthetic_other_unroll"], True), r["unrolled_default"]
            unroll = _bold_default((default, other) if unrolled else (other, default), unrolled)
        else:
            unroll = "–"
        plain = r.get("train_plain")
        plain = f"{plain:.0f} | {r['train_synthetic'] / plain:.0%}" if plain else "– | –"
        why = stale(r)
        name = f"`{r['model']}` (**stale**: {why})" if why else f"`{r['model']}`"
        sampling = (f"{r['sample_b1_per_s']:.1f} / {r['sample_b64_per_s']:.0f}" if r.get("sample_b1_per_s")
                    else "–")
        other_memory = r.get("peak_memory_other_xla_mb")
        training = r.get("memory_after_mb", {}).get("train")
        memory = (f"{training:.0f} / " if training else "– / ") + f"{r['peak_memory_mb']:.0f} / " + (
            f"{other_memory:.0f}" if other_memory else "–")
        if r.get("gpu_peak_memory_mb"):
            memory += f" (GPU {r['gpu_peak_memory_mb']:.0f})"
        lines.append(
            f"| {name} | {r['batch_size']} | {r['precision']} | {r['train_real']:.0f} | "
            f"{r['train_synthetic']:.0f} | {r['pipeline_ratio']:.0%} | {r['flops_per_example'] / 1e6:.1f} | "
            f"{r['mfu']:.0%} | {plain} | {xla} | {unroll} | {summary(r.get('recurrent', []))} | "
            f"{r['serve_b1_p50_ms']:.2f} / {r['serve_b1_p99_ms']:.2f} | "
            f"{r['serve_b64_p50_ms']:.1f} / {r['serve_b64_p99_ms']:.1f} | {sampling} | {memory} |")
    notes = [f"- `{r['model']}`: {r['flops_note']}" for r in results if r.get("flops_note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def main(argv=None):
    parser = argument_parser("benchmarks.run", __doc__)
    parser.add_argument("--models", default="", help="comma-separated registry names (default: all)")
    parser.add_argument("--steps", type=int, default=48,
                        help="timed training steps per measurement (a multiple of 4, so a GAN's lazy R1 penalty "
                             "falls on as many steps of the zoo's as of the plain twin's)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before them")
    parser.add_argument("--serving-repeats", type=int, default=50, help="timed calls per serving batch size")
    parser.add_argument("--output", default=str(HERE / "results"), help="writes OUTPUT.json and OUTPUT.md")
    parser.add_argument("--rounds", type=int, default=2, help="alternating timed rounds of zoo and plain Keras")
    parser.add_argument("--other-xla", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the other jit_compile setting than the recipe's, in a process of its own")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds: models not started by then get a 'not measured' row (the table is "
                             "written after every model, so a run stopped early keeps what it measured)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model, print JSON
    parser.add_argument("--part", choices=("row", "other_xla"), default="row", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.warmup < 2 or args.steps < 2 or args.rounds < 1:
        parser.error("--warmup and --steps must be at least 2, --rounds at least 1.")
    if args.one:
        report(measure_other_xla(args.one, args.steps, args.warmup) if args.part == "other_xla"
               else measure(args.one, args.steps, args.warmup, args.serving_repeats, args.rounds))
        return None

    import zoo

    names = chosen_models(parser, args.models, zoo.list_models())
    info = machine()
    roofs = {dtype: matmul_roof(dtype) for dtype in ("float32", "bfloat16")}
    print("Roof: " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in roofs.items()), flush=True)
    begun = time.perf_counter()
    markdown = None

    def measured(name):
        if args.time_limit is not None and time.perf_counter() - begun > args.time_limit:
            result = {"model": name, "error": f"not measured: the run's --time-limit of {args.time_limit:.0f} s was spent"}
        else:
            result = _row(name, args)
        if "error" not in result:
            roof = roofs["bfloat16" if "bfloat16" in result["precision"] else "float32"]
            result["mfu"] = result["flops_per_example"] * result["train_real"] / (roof * 1e9)
        # Each row says where, when and at which code it was measured, and against which roofs
        result.update(machine=info, roofs_gflops=roofs, date=time.strftime("%Y-%m-%d"), source=source_revision())
        return result

    def written(results):
        nonlocal markdown
        markdown = table(results, roofs, info, time.strftime("%Y-%m-%d"))
        write_results(args.output, {"machine": info, "roofs_gflops": roofs, "models": results,
                                    "date": time.strftime("%Y-%m-%d")}, markdown + "\n")

    results = measured_each(names, measured, lambda result, seconds: f"{result['model']}: {seconds:.0f} s", written)
    print(markdown)
    return results


def _row(name, args):
    flags = ["--steps", args.steps, "--warmup", args.warmup]
    result = measured_in_subprocess("benchmarks.run", name, flags + ["--serving-repeats", args.serving_repeats,
                                                                     "--rounds", args.rounds])
    if "error" not in result and args.other_xla:
        other = measured_in_subprocess("benchmarks.run", name, flags + ["--part", "other_xla"])
        result.update(other if "error" not in other else {"xla_error": other["error"]})
    return result


if __name__ == "__main__":
    main()
