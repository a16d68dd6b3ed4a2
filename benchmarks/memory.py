"""Peak memory of each model's training run: `zoo train NAME` end to end (data, training,
evaluation, the card, the weights), one epoch on a slice of the training data (2,048 examples by
default, as in the recorded run), with the recipe's model, batch, precision and evaluation as
they are by default.

    python -m benchmarks.memory                       # every model → benchmarks/memory.{md,json}
    python -m benchmarks.memory --models vae --examples 512

A slice of the training and test data, not the whole sets, keeps the run short; it changes no
array the run holds but the cached examples (all of MNIST: 55 MB; the video recipes cache their
clips on disk) and the evaluation's per-example results.
Each run is a process of its own, started from a small one that reads the peak resident memory
of its children (getrusage), so the figure is that run's and nothing else's.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.command import argument_parser, chosen_models, write_results
from benchmarks.processes import REPO, measured_each, measured_in_subprocess, report

HERE = Path(__file__).resolve().parent
LIMIT_MB = 4096  # issue 47's target


def command(name, examples, output):
    """The `zoo train` command line of `name`'s measured run."""
    if name == "lstm_gan_text":  # two phases: one epoch of each
        size = ["--adversarial-epochs", "1", "--max-train-sequences", str(examples), "--max-test-sequences",
                str(examples)]
    else:
        size = ["--max-train-examples", str(examples), "--max-test-examples", str(examples)]
    return [sys.executable, "-m", "zoo", "train", name, "--epochs", "1", *size, "--output", str(output)]


def measure(name, examples):
    """{"model", "command", "seconds", "peak_memory_mb"} of one training run (in a child)."""
    with tempfile.TemporaryDirectory() as folder:
        argv = command(name, examples, Path(folder) / "run")
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"zoo train {name} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
        return {"model": name, "command": " ".join(["zoo", *argv[3:-2]]), "seconds": time.perf_counter() - started,
                "peak_memory_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def table(results):
    lines = [f"| model | peak memory (MB) | ≤ {LIMIT_MB} MB | run (s) | command |", "|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| `{r['model']}` | failed: {r['error']} | | | |")
        else:
            ok = "yes" if r["peak_memory_mb"] <= LIMIT_MB else "**no**"
            lines.append(f"| `{r['model']}` | {r['peak_memory_mb']:.0f} | {ok} | {r['seconds']:.0f} | `{r['command']}` |")
    return "\n".join(lines)


def main(argv=None):
    parser = argument_parser("benchmarks.memory", __doc__)
    parser.add_argument("--models", default="", help="comma-separated registry names (default: all)")
    parser.add_argument("--examples", type=int, default=2048,
                        help="training and test examples (or sequences) of each run (default: %(default)s, as in "
                             "the recorded run)")
    parser.add_argument("--output", default=str(HERE / "memory"), help="writes OUTPUT.json and OUTPUT.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model, print JSON
    args = parser.parse_args(argv)
    if args.one:
        report(measure(args.one, args.examples))
        return None

    import zoo

    def measured(name):
        return {**measured_in_subprocess("benchmarks.memory", name, ["--examples", args.examples]),
                "date": time.strftime("%Y-%m-%d")}

    results = measured_each(chosen_models(parser, args.models, zoo.list_models()), measured,
                            lambda result, seconds: json.dumps(result))
    markdown = table(results)
    print(markdown)
    write_results(args.output, {"models": results, "examples": args.examples}, markdown + "\n")
    return results


if __name__ == "__main__":
    main()
