"""What every recipe shares: config parsing, the callbacks around `model.fit`, and writing the
trained model (weights, config, model card, training curves) atomically.

A recipe is a config dataclass deriving from `RecipeConfig` plus a `run(config)`; its
`main(argv)` is `run(parse_config(Config, argv, SMOKE))`.
"""

import argparse
import dataclasses
import json
import sys
import time
import types
import typing
from pathlib import Path

import keras

from zoo import atomic, cards
from zoo.errors import ConfigError
from zoo.registry import get_entry


def option(default, help):
    """A config field with its explanation, which is also its `--help` text."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class RecipeConfig:
    """Fields every recipe has. Subclasses add their own and extend `validate()`."""

    epochs: int = option(10, "passes over the training data")
    batch_size: int = option(128, "examples per training step")
    seed: int = option(0, "seed of every random draw: same seed, same data → same numbers")
    data_dir: typing.Optional[str] = option(
        None, "TFDS data folder (default: $TFDS_DATA_DIR, else ~/tensorflow_datasets)"
    )
    output: typing.Optional[str] = option(
        None, "folder for weights, config, model card, curves and logs (default: saved_models/<name>)"
    )
    smoke: bool = option(False, "shrink the run to seconds (tiny data and model) to check it works")

    def validate(self):
        """Raises ConfigError for a value no run could use."""
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")

    def output_dir(self, model_name):
        return Path(self.output) if self.output else cards.saved_models_dir() / model_name


def parse_config(config_cls, argv=None, smoke=None, prog=None, description=None):
    """Command-line flags → a validated `config_cls`. `--smoke` applies the `smoke` overrides to
    every field not given on the command line. Bad flags or values exit with a usage message
    before any work starts."""
    parser = argparse.ArgumentParser(prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    for field in dataclasses.fields(config_cls):
        kind = _base_type(field.type)
        flag = "--" + field.name.replace("_", "-")
        help_text = f"{field.metadata.get('help', '')} (default: {field.default!r})"
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help_text)
        else:
            parser.add_argument(flag, type=kind, default=argparse.SUPPRESS, help=help_text, metavar=field.name.upper())
    given = vars(parser.parse_args(argv))
    values = {**(smoke or {}), **given} if given.get("smoke") else given
    try:
        config = config_cls(**values)
        config.validate()
    except ConfigError as e:
        parser.error(str(e))
    return config


def _base_type(annotation):
    if isinstance(annotation, str):
        annotation = eval(annotation, vars(typing))  # noqa: S307  (only our own annotations)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


class EpochLog(keras.callbacks.Callback):
    """Appends each epoch's metrics and duration to a JSON-lines file that survives a resumed
    run (the History callback forgets the epochs before a restart)."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def on_train_begin(self, logs=None):
        self._first = True

    def on_epoch_begin(self, epoch, logs=None):
        if self._first:
            # Drop what a killed run logged beyond the epoch it now resumes from.
            self._first = False
            kept = [r for r in self.rows() if r["epoch"] < epoch]
            atomic.write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, "seconds": time.perf_counter() - self._start}
        row.update({k: float(v) for k, v in (logs or {}).items()})
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")

    def rows(self):
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]


def fit(model, train, validation, config, output, verbose=None):
    """`model.fit` with the zoo's callbacks. A run killed mid-way and started again with the same
    output folder resumes from its last completed epoch. Returns the per-epoch log rows."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    log = EpochLog(output / ".epochs.jsonl")
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        log,
        keras.callbacks.BackupAndRestore(str(output / ".backup"), double_checkpoint=True),
        keras.callbacks.TensorBoard(str(output / "logs")),
    ]
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2  # progress bars only where they redraw
    model.fit(train, validation_data=validation, epochs=config.epochs, callbacks=callbacks, verbose=verbose,
              shuffle=False)  # the pipeline shuffles, seeded
    return log.rows()


def save_trained(model, name, output, *, config, epochs, metrics, dataset, notes=None):
    """Writes weights, config.json, training curves and the model card into `output`, each
    atomically, the card last: it carries the weights' checksum, so a run killed between two
    writes leaves a card that `zoo.load` refuses rather than a silent mismatch."""
    entry = get_entry(name)
    output = Path(output)
    model_config = {k: model.get_config()[k] for k in entry.default_config()}
    # Ship the network without the optimizer state (a third of the size for Adam); resuming
    # a run uses the BackupAndRestore checkpoints, which keep it.
    inference = entry.cls(**model_config)
    inference.set_weights(model.get_weights())
    with atomic.atomic_path(output / cards.WEIGHTS) as tmp:
        inference.save_weights(str(tmp))
    atomic.write_json(output / cards.CONFIG, model_config)
    curves = "training_curves.png"
    with atomic.atomic_path(output / curves) as tmp:
        plot_curves(epochs, tmp, title=name)
    card = {
        "name": name,
        "description": entry.description,
        "task": entry.task,
        "metrics": metrics,
        "notes": notes or [],
        "dataset": dataset,
        "num_params": model.count_params(),
        "model_config": model_config,
        "recipe": {"module": entry.recipe, "config": dataclasses.asdict(config)},
        "seed": config.seed,
        "epochs": len(epochs),
        "training_seconds": round(sum(r["seconds"] for r in epochs), 1),
        "history": epochs,
        "files": {"weights": cards.WEIGHTS, "config": cards.CONFIG, "curves": curves},
        "weights_sha256": cards.file_sha256(output / cards.WEIGHTS),
        "environment": cards.environment(),
    }
    cards.write_card(output, card)
    (output / ".epochs.jsonl").unlink(missing_ok=True)
    return card


def plot_curves(epochs, path, title=""):
    """One panel per metric, training and validation side by side, against the epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in (epochs[0] if epochs else {}) if k not in ("epoch", "seconds") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, max(len(names), 1), figsize=(4.5 * max(len(names), 1), 3.5), squeeze=False)
    x = [r["epoch"] + 1 for r in epochs]
    for ax, metric in zip(axes[0], names):
        ax.plot(x, [r[metric] for r in epochs], marker=".", label="train")
        if f"val_{metric}" in epochs[0]:
            ax.plot(x, [r[f"val_{metric}"] for r in epochs], marker=".", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
