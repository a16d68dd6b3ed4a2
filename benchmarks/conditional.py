"""Does knowing the class cost a generator training time? Each class-conditional model's
training step against its unconditional model's, in paired rounds.

    python -m benchmarks.conditional                           # → benchmarks/conditional.{md,json}
    python -m benchmarks.conditional --models vae_conditional --rounds 2 --steps 8 --output /tmp/c

The conditional variants train for their unconditional recipes' epochs (issue 40: "within the
budget of its unconditional recipe"); this measures whether an epoch costs them the same. Each
pair is built and compiled as `zoo train` builds it (`benchmarks.prepared`) in one process of
its own, and each round times the two steps back to back on a real training batch, alternating
which goes first; the ratio conditional ÷ unconditional examples/s of each round is printed,
and their median says what an epoch costs with the label.
"""

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.command import argument_parser, chosen_models, write_results
from benchmarks.machine import machine
from benchmarks.prepared import prepared
from benchmarks.processes import measured_each, measured_in_subprocess, report
from benchmarks.timing import train_throughput

HERE = Path(__file__).resolve().parent


def conditional_variants():
    """`zoo.registry.conditional_variants()`, imported when asked (TensorFlow starts in the
    measuring processes, not in the one that runs them)."""
    from zoo.registry import conditional_variants as variants

    return variants()


def measure(name, rounds, steps, warmup):
    """{"model", "unconditional", "conditional": [ex/s], "plain": [ex/s], "ratios": [...]}."""
    import tensorflow as tf

    pair = [prepared(name), prepared(conditional_variants()[name])]
    speeds = ([], [])
    for i in range(rounds):
        for k in ((0, 1) if i % 2 == 0 else (1, 0)):
            ready = pair[k]
            data = tf.data.Dataset.from_tensors(ready["batch"])
            speeds[k].append(train_throughput(ready["model"], data, ready["batch_size"], steps, warmup))
    return {"model": name, "unconditional": conditional_variants()[name], "conditional": speeds[0], "plain": speeds[1],
            "ratios": [c / u for c, u in zip(*speeds)], "batch_size": pair[0]["batch_size"], "steps": steps}


def summary(result, seconds=None):
    """The line printed for one pair's `result` (a failed one's error too)."""
    if "error" in result:
        return f"{result['model']}: failed: {result['error']}"
    ratios = result["ratios"]
    return (f"{result['model']} ÷ {result['unconditional']}: median {statistics.median(ratios):.3f}, range "
            f"{min(ratios):.3f}–{max(ratios):.3f} over {len(ratios)} paired rounds; examples/s "
            f"{statistics.median(result['conditional']):.0f} against {statistics.median(result['plain']):.0f}")


def table(results):
    """The markdown table of the pairs."""
    lines = ["| conditional model | unconditional model | examples/s (median) | conditional ÷ unconditional, median "
             "(range) |", "|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| `{r['model']}` | – | – | failed: {r['error']} |")
            continue
        ratios = r["ratios"]
        lines.append(f"| `{r['model']}` | `{r['unconditional']}` | {statistics.median(r['conditional']):.0f} / "
                     f"{statistics.median(r['plain']):.0f} | {statistics.median(ratios):.3f} "
                     f"({min(ratios):.3f}–{max(ratios):.3f}) |")
    return "\n".join(lines)


def main(argv=None):
    parser = argument_parser("benchmarks.conditional", __doc__)
    parser.add_argument("--models", default="", help="comma-separated conditional models (default: all)")
    parser.add_argument("--rounds", type=int, default=4, help="paired rounds per model")
    parser.add_argument("--steps", type=int, default=32, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, default=4, help="untimed steps before them")
    parser.add_argument("--output", default=str(HERE / "conditional"), help="writes OUTPUT.json and OUTPUT.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one pair, print JSON
    args = parser.parse_args(argv)
    for flag in ("rounds", "steps", "warmup"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1, got {getattr(args, flag)}.")
    if args.one:
        report(measure(args.one, args.rounds, args.steps, args.warmup))
        return None
    flags = ["--rounds", args.rounds, "--steps", args.steps, "--warmup", args.warmup]
    results = measured_each(chosen_models(parser, args.models, conditional_variants(), "not a class-conditional model:"),
                            lambda name: measured_in_subprocess("benchmarks.conditional", name, flags), summary)
    write_results(args.output, {"settings": {k: getattr(args, k) for k in ("rounds", "steps", "warmup")},
                                 "machine": machine(), "date": time.strftime("%Y-%m-%d"), "models": results},
                  table(results) + "\n")
    return results


if __name__ == "__main__":
    main()
