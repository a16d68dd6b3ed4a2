"""zoo ÷ plain Keras in paired rounds: how far one model's ratio moves between rounds.

    python -m benchmarks.paired --models lstm_image_classifier,vae --rounds 6

`benchmarks.run` reports the best of a few alternating rounds of each; a ratio of 0.95 there can
be overhead or this machine's drift (a shared 2-core machine: one run's throughputs differ from
another's by up to 20 %). Here each round times the zoo's step and its plain twin back to back,
on the same synthetic batch, in alternating order (zoo first, then plain first), and the
ratio of each pair is printed: their median and spread say whether the zoo is slower, and by
how much, more surely than one best-of pair can.
"""

import argparse
import statistics

from benchmarks.command import argument_parser, chosen_models
from benchmarks.prepared import prepared
from benchmarks.processes import measured_each, measured_in_subprocess, report
from benchmarks.timing import train_throughput


def measure(name, rounds, steps, warmup):
    """{"model", "ratios": [zoo ÷ plain of each round], "zoo": [...], "plain": [...]} of `name`."""
    import tensorflow as tf

    from zoo import training

    from benchmarks import plain as plain_lib

    ready = prepared(name)
    model, batch, size = ready["model"], ready["batch"], ready["batch_size"]
    with training.precision(ready["config"].precision):
        plain, element = plain_lib.plain_version(name, model, batch)
    plain.jit_compile = ready["jit_default"]
    zoo_data, plain_data = tf.data.Dataset.from_tensors(batch), tf.data.Dataset.from_tensors(element)
    zoo_speeds, plain_speeds = [], []
    for i in range(rounds):
        pair = [(zoo_speeds, model, zoo_data), (plain_speeds, plain, plain_data)]
        for speeds, network, data in (pair if i % 2 == 0 else pair[::-1]):
            speeds.append(train_throughput(network, data, size, steps, warmup))
    return {"model": name, "zoo": zoo_speeds, "plain": plain_speeds,
            "ratios": [z / p for z, p in zip(zoo_speeds, plain_speeds)]}


def main(argv=None):
    parser = argument_parser("benchmarks.paired", __doc__)
    parser.add_argument("--models", default="", help="comma-separated registry names (default: every model with a "
                                                      "plain twin)")
    parser.add_argument("--rounds", type=int, default=6, help="paired rounds per model")
    parser.add_argument("--steps", type=int, default=48, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before them")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model, print JSON
    args = parser.parse_args(argv)
    if args.one:
        report(measure(args.one, args.rounds, args.steps, args.warmup))
        return None
    from benchmarks.plain import TWINS

    flags = ["--rounds", args.rounds, "--steps", args.steps, "--warmup", args.warmup]
    return measured_each(chosen_models(parser, args.models, TWINS, "no plain twin for"),
                         lambda name: measured_in_subprocess("benchmarks.paired", name, flags), summary)


def summary(result, seconds=None):
    """The line printed for one model's `result` (a failed one's error too); `seconds`, how long
    it took, is not shown."""
    name = result["model"]
    if "error" in result:
        return f"{name}: failed: {result['error']}"
    ratios = result["ratios"]
    return (f"{name}: zoo ÷ plain median {statistics.median(ratios):.3f}, range {min(ratios):.3f}–"
            f"{max(ratios):.3f} over {len(ratios)} paired rounds (" + ", ".join(f"{r:.3f}" for r in ratios) + ")")


if __name__ == "__main__":
    main()
