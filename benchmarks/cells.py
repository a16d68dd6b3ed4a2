"""Does the LSTM's gating beat a GRU and a plain tanh RNN in the zoo's own models? (issue 46)

    python -m benchmarks.cells                       # the table's rows; resumes what a killed run left
    python -m benchmarks.cells --rows row_mnist --seeds 0,1,2
    python -m benchmarks.cells --report              # the table from the runs so far, no training

Each row trains one model with each cell (`cell="lstm" | "gru" | "rnn"`, `zoo.models.cells`) at
the same budget (epochs), seed and settings, through the model's own recipe, one run per
process, each in a folder of its own under `--output` (`runs/cells/ROW/CELL-seedN`). A finished
run (its `model_card.json` written) is read, not retrained; a killed one resumes from its last
epoch (`.backup/`), so the table can be trained across sessions.

The rows:

- `row_mnist`: `lstm_image_classifier` reading MNIST a row per step (28 steps), one direction:
  the short sequence where the three cells should tie.
- `sequential_mnist`: the same, 4 pixels per step in raster order (196 steps): the field's test
  of long-range memory (Le et al. 2015, "A Simple Way to Initialize Recurrent Networks of
  Rectified Linear Units", pixel by pixel, 784 steps: LSTM 98.2 %, tanh RNN 35 %, IRNN 97 %).
- `pixel_mnist`: the same a pixel per step (784 steps, Le et al.'s setting), at 4 epochs; an
  extra row, not trained by default (about 65 min on 2 cores): `--rows pixel_mnist`.
- `sequential_mnist_equal_params`: `sequential_mnist` with each cell's units chosen so that the
  three have about the LSTM's parameters (the GRU and the RNN get more units).
- `text_gan_oracle`: SeqGAN's synthetic-data benchmark (`recipes/lstm_gan_text/benchmark.py`,
  three model seeds of its own): NLL-oracle per token after maximum likelihood and after the
  adversarial phase, the articles' "LSTM-GAN against RNN-GAN" in the papers' units.
- `lstm_gan_image`: the LSTM GAN of images at a short budget, its samples' classifier-score
  ratio under both judges.

For the classifier rows every epoch also records the vanishing gradient itself: on a fixed
batch of 256 training images, the norm of the loss's gradient with respect to each step's
input, at the first step and at the last (averaged over the batch): a vanishing gradient shows
as a first-step norm orders of magnitude below the last-step one. Training speed is the median
of the epochs' training examples per second on the machine that trained the run; over a row's
seeds, the fastest run's, as `timeit` takes the best of its repeats: the one least slowed by
other work on the machine.

`sequential_mnist_equal_params`' LSTM has `sequential_mnist`'s settings (128 units): that run is
copied, not trained twice.
"""

import dataclasses
import importlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.command import argument_parser, write_results

HERE = Path(__file__).resolve().parent
CELLS = ("lstm", "gru", "rnn")
GRADIENTS = "gradient_norms.json"


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of the table: a model trained with each cell at one budget."""

    title: str
    model: str
    epochs: int
    fields: dict
    units: dict = dataclasses.field(default_factory=dict)  # per cell, where it differs
    metrics: tuple = ("metrics.test_accuracy",)  # dotted paths into the run's model card
    probe: bool = True  # record the first- and last-step gradient norms
    recipe: str = ""  # a recipe module other than the model's (its RECIPE)
    flags: tuple = ()  # further recipe flags
    seeds_path: str = ""  # where a run that trains several model seeds itself records how many


ROWS = {
    "row_mnist": Row("MNIST, a row per step (28 steps), 6 epochs", "lstm_image_classifier", epochs=6,
                     fields=dict(bidirectional=False, augment_shift=0, units=128)),
    "sequential_mnist": Row("sequential MNIST, 4 pixels per step (196 steps), 8 epochs", "lstm_image_classifier", epochs=8,
                            fields=dict(bidirectional=False, augment_shift=0, units=128, pixels_per_step=4,
                                        unroll=False)),
    # Le et al.'s own setting, a pixel per step (784 steps), at half the epochs: 4 times the steps.
    "pixel_mnist": Row("pixel-by-pixel MNIST (784 steps), 4 epochs", "lstm_image_classifier", epochs=4,
                       fields=dict(bidirectional=False, augment_shift=0, units=128, pixels_per_step=1, unroll=False)),
    "sequential_mnist_equal_params": Row(
        "sequential MNIST (196 steps), 8 epochs, about the LSTM's parameters", "lstm_image_classifier", epochs=8,
        fields=dict(bidirectional=False, augment_shift=0, pixels_per_step=4, unroll=False),
        units={"lstm": 128, "gru": 148, "rnn": 257}),
    # SeqGAN's oracle benchmark (recipes/lstm_gan_text/benchmark.py: its own 3 model seeds, MLE
    # to the best validation epoch, then adversarial), generator and discriminator of each cell:
    # the articles' "LSTM-GAN against RNN-GAN" in the papers' units, NLL-oracle per token.
    "text_gan_oracle": Row("SeqGAN oracle, NLL-oracle per token: MLE (≤ 50 epochs) → adversarial (1 epoch), 3 model seeds", "lstm_gan_text",
                           epochs=50, fields={}, probe=False, recipe="recipes.lstm_gan_text.benchmark",
                           metrics=("table.mle.nll_oracle_per_token", "table.adversarial.nll_oracle_per_token"),
                           seeds_path="metrics.seeds"),
    # The LSTM GAN of images, its recipe at a shorter budget: samples under both judges.
    "lstm_gan_image": Row("lstm_gan_image, 3 epochs: score ratio, first judge / second", "lstm_gan_image", epochs=3,
                          fields={}, probe=False,
                          metrics=("metrics.classifier_score_ratio", "metrics.classifier_score_ratio_conv")),
}
EXTRA_ROWS = ("pixel_mnist",)  # trained only when named: the table's budget is the other rows'
DEFAULT_ROWS = [name for name in ROWS if name not in EXTRA_ROWS]


def run_folder(output, row, cell, seed):
    """The folder of one run: OUTPUT/ROW/CELL-seedN."""
    return Path(output) / row / f"{cell}-seed{seed}"


def cell_fields(row, cell):
    """The model fields of `row`'s run with `cell`."""
    return {**row.fields, "units": row.units.get(cell, row.fields.get("units")), "cell": cell}


def flags(row, cell, seed, folder):
    """The recipe's flags for one run of `row` (a `Row`)."""
    fields = cell_fields(row, cell)
    argv = ["--epochs", str(row.epochs), "--seed", str(seed), "--output", str(folder), *row.flags]
    for name, value in fields.items():
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        argv += [f"{flag}" if value is True else f"--no-{flag[2:]}" if value is False else flag]
        if not isinstance(value, bool):
            argv.append(str(value))
    return argv


def same_run(output, row_name, cell, seed):
    """The folder of a finished run of another row with the very same recipe and flags, or None.

    `sequential_mnist_equal_params`' LSTM is `sequential_mnist`'s (128 units both): it is copied,
    not trained twice.
    """
    for other_name, other in ROWS.items():
        folder = run_folder(output, other_name, cell, seed)
        if (other_name != row_name and run_settings(other, cell) == run_settings(ROWS[row_name], cell)
                and (folder / "model_card.json").exists()):
            return folder
    return None


def run_settings(row, cell):
    """What decides a run of `row` with `cell` besides its seed: two rows alike here share their runs."""
    return row.model, row.recipe, row.probe, row.epochs, row.flags, cell_fields(row, cell)


def training_time(results):
    """(wall hours, hours at each run's median epoch, runs) over `results`, each run counted
    once: a run that an earlier row shares (`same_run`) is a copy of that row's."""
    names = list(ROWS)
    counted = [r for r in results
               if not any(run_settings(ROWS[other], r["cell"]) == run_settings(ROWS[r["row"]], r["cell"])
                          for other in names[:names.index(r["row"])])]
    wall = sum(r["training_seconds"] or 0 for r in counted)
    quiet = sum(statistics.median(r["epoch_seconds"]) * len(r["epoch_seconds"]) for r in counted if r["epoch_seconds"])
    return wall / 3600, quiet / 3600, len(counted)


def copy_run(source, folder):
    """`source` (a finished run's folder) copied whole to `folder`, replacing what a killed
    attempt left there: copied beside it, then renamed, so a folder with a card is complete."""
    folder = Path(folder)
    partial = folder.with_name(f".tmp-{folder.name}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)


def train_one(row_name, cell, seed, output):
    """Trains (or resumes) one run in this process, recording the gradient probe per epoch."""
    import keras
    import numpy as np
    import tensorflow as tf

    from zoo.registry import get_entry

    row = ROWS[row_name]
    recipe = importlib.import_module(row.recipe).RECIPE if row.recipe else get_entry(row.model).recipe()
    folder = run_folder(output, row_name, cell, seed)

    class Probed(type(recipe)):
        def callbacks(self, model, config, data, out):
            images, labels = next(iter(data.train.dataset.unbatch().batch(256).take(1)))
            return [*super().callbacks(model, config, data, out), GradientProbe(images, labels, out / GRADIENTS)]

    class GradientProbe(keras.callbacks.Callback):
        """After each epoch (and before the first): the first and last steps' input gradient norms."""

        def __init__(self, images, labels, path):
            super().__init__()
            self.images, self.labels, self.path = images, labels, Path(path)

        def norms(self):
            rows = self.model._rows(self.images)
            with tf.GradientTape() as tape:
                tape.watch(rows)
                logits = self.model.network(rows, training=False)
                loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(self.labels, logits,
                                                                                   from_logits=True))
            per_step = tf.reduce_mean(tf.norm(tape.gradient(loss, rows), axis=-1), axis=0).numpy()
            return {"first": float(per_step[0]), "last": float(per_step[-1]),
                    "median": float(np.median(per_step))}

        def record(self, epoch):
            from zoo import atomic

            done = json.loads(self.path.read_text()) if self.path.exists() else {}
            done[str(epoch)] = self.norms()
            atomic.write_json(self.path, done)

        def on_train_begin(self, logs=None):
            if not self.path.exists():
                self.record(0)  # before training: epoch 0

        def on_epoch_end(self, epoch, logs=None):
            self.record(epoch + 1)

    probed = Probed() if row.probe else recipe
    return probed.run(probed.parse(flags(row, cell, seed, folder)))


def result(output, row_name, cell, seed):
    """What one finished run measured, or None if it has not finished."""
    folder = run_folder(output, row_name, cell, seed)
    card_path = folder / "model_card.json"
    if not card_path.exists():
        return None
    card = json.loads(card_path.read_text())
    history = card.get("history") or []
    examples = card["dataset"].get("train_examples")
    speeds = [examples / r["seconds"] for r in history if r.get("seconds") and examples]
    probe = json.loads((folder / GRADIENTS).read_text()) if (folder / GRADIENTS).exists() else {}
    row = ROWS[row_name]
    return {"row": row_name, "cell": cell, "seed": seed, "metric": [lookup(card, path) for path in row.metrics],
            # a run that trains several model seeds itself (the oracle benchmark) records their spread
            "metric_sd": [lookup(card, path + "_sd", None) for path in row.metrics],
            "model_seeds": lookup(card, row.seeds_path, None) if row.seeds_path else None,
            "num_params": card.get("num_params"), "training_seconds": card.get("training_seconds"),
            "examples_per_second": statistics.median(speeds) if speeds else None, "gradients": probe,
            "epoch_seconds": [r["seconds"] for r in history if r.get("seconds")]}


_MISSING = object()


def lookup(card, path, default=_MISSING):
    """The value at dotted `path` in `card` (a dict); `default` where there is none, if given."""
    for key in path.split("."):
        if default is not _MISSING and (not isinstance(card, dict) or key not in card):
            return default
        card = card[key]
    return card


def pooled(runs, k):
    """(mean, sd or None, "N seeds") of metric `k` over `runs`: over the training seeds, or for a
    single run that trained several model seeds itself, their mean and spread as it recorded them."""
    if len(runs) == 1 and runs[0].get("model_seeds") and runs[0]["metric_sd"][k] is not None:
        return runs[0]["metric"][k], runs[0]["metric_sd"][k], f"{runs[0]['model_seeds']} model seeds"
    mean, sd = mean_sd([r["metric"][k] for r in runs])
    return mean, sd, f"{len(runs)} seeds" if len(runs) > 1 else "1 seed"


def mean_sd(values):
    """(mean, sample standard deviation or None for one value)."""
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else None)


def table(results):
    """The markdown table: one line per (row, cell), seeds pooled."""
    lines = ["| row | cell | parameters | measured (mean ± sd over training seeds) | examples/s (fastest seed) | "
             "first-step gradient ÷ last-step, before → after training |", "|---|---|---|---|---|---|"]
    for row_name, row in ROWS.items():
        for cell in CELLS:
            runs = [r for r in results if r["row"] == row_name and r["cell"] == cell]
            if not runs:
                continue
            measured = []
            for k in range(len(row.metrics)):
                mean, sd, seeds = pooled(runs, k)
                measured.append(f"{mean:.4f}" + (f" ± {sd:.4f}" if sd is not None else ""))
            speed = max([r["examples_per_second"] for r in runs if r["examples_per_second"]] or [math.nan])
            ratio = gradient_ratios(runs[0]["gradients"])
            params = f"{runs[0]['num_params']:,}" if runs[0]["num_params"] else "–"
            lines.append(f"| {row.title} | {cell} | {params} | {' / '.join(measured)} ({seeds}) | "
                         f"{'–' if math.isnan(speed) else f'{speed:.0f}'} | {ratio} |")
    return "\n".join(lines)


def summary(results):
    """The README's table: a line per row, a column per cell, each entry the measured figure
    (mean ± sd over seeds) and the parameter count. Rows with no finished run are left out."""
    names = {"lstm": "LSTM", "gru": "GRU", "rnn": "tanh RNN"}
    lines = ["| benchmark (same budget and seed for every cell) | " + " | ".join(names[c] for c in CELLS) + " |",
             "|---|" + "---|" * len(CELLS)]
    for row_name, row in ROWS.items():
        entries = []
        for cell in CELLS:
            runs = [r for r in results if r["row"] == row_name and r["cell"] == cell]
            if not runs:
                entries.append("–")
                continue
            figures = []
            for k, path in enumerate(row.metrics):
                mean, sd, seeds = pooled(runs, k)
                percent = "accuracy" in path
                scale, digits = (100, 2) if percent else (1, 3)
                figures.append(f"{mean * scale:.{digits}f}" + (f" ± {sd * scale:.{digits}f}" if sd is not None else "")
                               + (" %" if percent else ""))
            params = f"{runs[0]['num_params']:,} params, " if runs[0]["num_params"] else ""
            entries.append(f"{' → '.join(figures) if row.recipe else ' / '.join(figures)} ({params}{seeds})")
        if any(e != "–" for e in entries):
            lines.append(f"| {row.title} | " + " | ".join(entries) + " |")
    return "\n".join(lines)


def gradient_ratios(probe):
    """'1.2e-03 → 4.0e-01': first ÷ last step's gradient norm before training and after it."""
    if not probe:
        return "–"
    epochs = sorted(probe, key=int)
    ratio = [probe[e]["first"] / probe[e]["last"] if probe[e]["last"] else math.nan for e in (epochs[0], epochs[-1])]
    return f"{ratio[0]:.1e} → {ratio[1]:.1e}"


def main(argv=None):
    parser = argument_parser("benchmarks.cells", __doc__)
    parser.add_argument("--rows", default=",".join(DEFAULT_ROWS),
                        help=f"comma-separated rows, of {', '.join(ROWS)} (default: all but {', '.join(EXTRA_ROWS)})")
    parser.add_argument("--cells", default=",".join(CELLS), help="comma-separated cells (default: all three)")
    parser.add_argument("--seeds", default="0", help="comma-separated training seeds (default: 0)")
    parser.add_argument("--output", default="runs/cells", help="the runs' folder (default: runs/cells)")
    parser.add_argument("--results", default=str(HERE / "cells"),
                        help="where the table goes, as RESULTS.json and RESULTS.md (default: benchmarks/cells)")
    parser.add_argument("--report", action="store_true", help="write the table from the finished runs; train none")
    parser.add_argument("--one", nargs=3, metavar=("ROW", "CELL", "SEED"), help=argparse_suppress())
    args = parser.parse_args(argv)
    if args.one:
        train_one(args.one[0], args.one[1], int(args.one[2]), args.output)
        return
    rows = [r for r in args.rows.split(",") if r]
    cells = [c for c in args.cells.split(",") if c]
    unknown = sorted(set(rows) - set(ROWS)) + sorted(set(cells) - set(CELLS))
    if unknown:
        parser.error(f"unknown rows or cells {unknown}; rows: {list(ROWS)}, cells: {list(CELLS)}.")
    seeds = [int(s) for s in args.seeds.split(",") if s]
    if not args.report:
        for row_name in rows:
            for seed in seeds:
                for cell in cells:
                    if result(args.output, row_name, cell, seed) is not None:
                        continue
                    if (same := same_run(args.output, row_name, cell, seed)) is not None:
                        print(f"== {row_name} {cell} seed {seed}: the same run as {same}, copied", flush=True)
                        copy_run(same, run_folder(args.output, row_name, cell, seed))
                        continue
                    print(f"== {row_name} {cell} seed {seed}", flush=True)
                    command = [sys.executable, "-m", "benchmarks.cells", "--output", args.output,
                               "--one", row_name, cell, str(seed)]
                    if subprocess.run(command).returncode:
                        raise SystemExit(f"{row_name} {cell} seed {seed} failed; rerun to resume it.")
    results = [r for row_name in ROWS for cell in CELLS for seed in range(10)
               if (r := result(args.output, row_name, cell, seed)) is not None]
    wall, quiet, runs = training_time(results)
    markdown = (table(results) + f"\n\nTraining time: {wall:.1f} h of wall time on 2 CPU cores over {runs} runs (a copied "
                f"run counted once), often beside other work on the machine; {quiet:.1f} h at each run's median epoch.")
    write_results(args.results, {"rows": {k: dataclasses.asdict(v) for k, v in ROWS.items()}, "runs": results},
                  markdown + "\n")
    print(markdown)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
