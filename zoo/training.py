"""What every recipe shares: config parsing, the callbacks around `model.fit`, and writing the
trained model (weights, config, model card, training curves) atomically.

A recipe is a config dataclass deriving from `RecipeConfig` plus a `run(config)`; its
`main(argv)` is `run(parse_config(Config, argv, SMOKE))`.
"""

import argparse
import contextlib
import dataclasses
import json
import shutil
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
    deterministic: bool = option(
        False, "bit-identical reruns: TensorFlow op determinism on top of the seeds (some kernels get "
        "slower); without it runs are seeded but may use faster non-deterministic kernels"
    )
    strategy: str = option(
        "auto", "tf.distribute strategy: auto (all local GPUs when there are several, else one device), "
        "mirrored (all local devices), multi_worker (the cluster of $TF_CONFIG) or tpu; --batch-size is "
        "the global batch, split across replicas"
    )

    def validate(self):
        """Raises ConfigError for a value no run could use."""
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}.")
        if self.strategy == "multi_worker":
            cluster_task()  # TF_CONFIG present and well-formed

    def output_dir(self, model_name):
        """Where the run writes. In a multi-worker run only the chief writes there: every other
        worker (all must save, as tf.distribute requires) writes into `.worker-N/` inside it,
        which keeps its checkpoint for a resumed run and is removed when the run ends."""
        output = Path(self.output) if self.output else cards.saved_models_dir() / model_name
        if self.strategy == "multi_worker" and not is_chief():
            return output / f".worker-{cluster_task()[1]}"
        return output


STRATEGIES = ("auto", "mirrored", "multi_worker", "tpu")


def cluster_task():
    """(task type, task index, cluster) from $TF_CONFIG, or a ConfigError saying what is wrong."""
    import os

    raw = os.environ.get("TF_CONFIG")
    example = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
               '"task": {"type": "worker", "index": 0}}\'')
    if not raw:
        raise ConfigError(f"--strategy multi_worker needs the cluster in $TF_CONFIG, e.g. {example} on the "
                          "first host (index 1 on the second).")
    try:
        tf_config = json.loads(raw)
        task, cluster = tf_config["task"], tf_config["cluster"]
        kind, index = task["type"], int(task["index"])
        cluster[kind][index]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ConfigError(f"$TF_CONFIG is not a valid cluster description ({type(e).__name__}: {e}); expected "
                          f"e.g. {example}.") from e
    return kind, index, cluster


def is_chief():
    """True unless this process is a multi-worker run's non-chief worker: the chief is the
    task of type "chief", or worker 0 when the cluster has none."""
    import os

    if not os.environ.get("TF_CONFIG"):
        return True
    kind, index, cluster = cluster_task()
    return kind == "chief" or (kind == "worker" and index == 0 and "chief" not in cluster)


def distribution(config):
    """The tf.distribute strategy `config.strategy` names (and, with `config.deterministic`,
    TensorFlow's op determinism switched on for the process). Call it first in a run: a
    multi-worker strategy must start before TensorFlow runs anything else. Build the model and
    its optimizers inside `strategy.scope()`; `model.fit` then splits each global batch."""
    import tensorflow as tf

    if config.deterministic:
        keras.utils.set_random_seed(config.seed)
        tf.config.experimental.enable_op_determinism()
    name = config.strategy
    if name == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        strategy = tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    elif name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
    elif name == "multi_worker":
        cluster_task()
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    elif name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as e:
            raise ConfigError(f"--strategy tpu found no TPU ({type(e).__name__}: {str(e).splitlines()[0]}); run on a "
                              "TPU VM or set TPU_NAME.") from e
        strategy = tf.distribute.TPUStrategy(resolver)
    else:
        raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}.")
    if strategy.num_replicas_in_sync > 1:
        print(f"Distributing with {type(strategy).__name__} over {strategy.num_replicas_in_sync} replicas "
              f"(global batch {config.batch_size}).")
    return strategy


@dataclasses.dataclass
class ImageDataConfig(RecipeConfig):
    """Fields of the recipes that read a TFDS image dataset with labels."""

    dataset: str = option("mnist", "TFDS dataset whose images have the model's shape")
    validation_examples: int = option(5000, "held out from the end of the train split for validation curves")
    max_train_examples: int = option(0, "use only this many training examples (0: all)")
    max_test_examples: int = option(0, "measure only this many test examples (0: all)")
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once, for offline machines)")

    def validate(self):
        super().validate()
        for name in ("validation_examples", "max_train_examples", "max_test_examples"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be 0 or more, got {getattr(self, name)}.")

    def image_splits(self, image_shape, model_name):
        """The dataset's (unbatched) train / validation / test splits, checked against the model."""
        from zoo import data

        return data.image_classification_splits(
            self.dataset, image_shape, model_name=model_name, data_dir=self.data_dir,
            download=self.download, validation_examples=self.validation_examples,
            max_train_examples=self.max_train_examples, max_test_examples=self.max_test_examples,
        )


PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def native_bfloat16():
    """True where bfloat16 matrix maths runs in hardware: a GPU, or an x86 CPU with AVX-512
    BF16 or AMX (elsewhere bfloat16 is emulated, and slower than float32)."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


@contextlib.contextmanager
def precision(name):
    """Keras' global dtype policy for the models built inside the block: "float32",
    "mixed_bfloat16" (bfloat16 maths, float32 weights) or "auto" (mixed_bfloat16 where it is
    native, see `native_bfloat16`). Weights are float32 either way, so a model trained mixed
    loads into a float32 one. Restores the previous policy on exit."""
    if name not in PRECISIONS:
        raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got {name!r}.")
    if name == "auto":
        name = "mixed_bfloat16" if native_bfloat16() else "float32"
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield name
    finally:
        keras.mixed_precision.set_global_policy(previous)


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
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


def adam_cosine(learning_rate, epochs, steps_per_epoch, clipnorm=None):
    """Adam with a short linear warm-up to `learning_rate`, then cosine decay to 0 at the end
    of training: the schedule the zoo's recipes share."""
    total = max(epochs * steps_per_epoch, 1)
    warmup = min(300, total // 10)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, total - warmup, warmup_target=learning_rate, warmup_steps=warmup
    )
    return keras.optimizers.Adam(schedule, global_clipnorm=clipnorm)


class SampleGrid(keras.callbacks.Callback):
    """After each epoch, writes a grid of images made by `make_images(model)` (e.g. samples
    from fixed noise) to `folder/epoch_NNN.png`: training progress a person can see."""

    def __init__(self, folder, make_images, columns=10):
        super().__init__()
        self.folder = Path(folder)
        self.make_images = make_images
        self.columns = columns

    def on_epoch_end(self, epoch, logs=None):
        save_image_grid(self.make_images(self.model), self.folder / f"epoch_{epoch + 1:03d}.png", self.columns)


def save_image_grid(images, path, columns=10, title=None):
    """Images [n, h, w, 1 or 3] with values in [0, 1] (or uint8) → one PNG grid, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    images = np.asarray(images, np.float32)
    images = images / 255.0 if images.max() > 1.0 else images
    n, h, w, c = images.shape
    rows = -(-n // columns)
    grid = np.ones((rows * (h + 2), columns * (w + 2), c), np.float32)
    for i, image in enumerate(images):
        r, k = divmod(i, columns)
        grid[r * (h + 2) + 1:r * (h + 2) + 1 + h, k * (w + 2) + 1:k * (w + 2) + 1 + w] = image
    fig = plt.figure(figsize=(columns * 0.6, rows * 0.6 + (0.3 if title else 0)))
    plt.imshow(grid[..., 0] if c == 1 else grid, cmap="gray" if c == 1 else None, vmin=0, vmax=1)
    plt.axis("off")
    if title:
        plt.title(title, fontsize=9)
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


class StopOnDivergence(keras.callbacks.Callback):
    """Raises TrainingDiverged at the first batch whose logged losses are not finite. Keras'
    TerminateOnNaN only asks `fit` to stop, and the epoch-end callbacks still run: the
    checkpoint of the last good epoch would be overwritten with the diverged weights, and the
    recipe would go on to save them. An exception leaves both untouched."""

    def __init__(self, output):
        super().__init__()
        self.output = output
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        import math

        bad = {k: float(v) for k, v in (logs or {}).items()
               if "loss" in k and not math.isfinite(float(v))}
        if bad:
            from zoo.errors import TrainingDiverged

            raise TrainingDiverged(
                f"Training diverged at epoch {self.epoch + 1}, batch {batch + 1}: {bad}. Nothing was saved; "
                f"the checkpoint of the last completed epoch in {self.output}/.backup is kept. Lower the "
                "learning rate (--learning-rate) or check the data, then run again (a rerun with the same "
                "settings resumes from that checkpoint).")


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


class EpochCheckpoint(keras.callbacks.Callback):
    """Keeps the training state (weights, every optimizer's slots, random-generator states) of
    the last completed epochs in `folder`, and `restore` brings back the newest readable one: a
    run killed and started again with the same output folder goes on from its last completed
    epoch. Removed when training ends.

    Each checkpoint is written into a temporary folder that is then renamed to `epoch-N` (N
    epochs done), so a kill mid-write leaves the earlier ones whole. Keras' BackupAndRestore
    writes the weights and the epoch number as two files in place: a kill between the two
    leaves weights of one epoch labelled with another. The one before the newest is kept too,
    in case the newest cannot be read."""

    def __init__(self, folder, keep=2):
        super().__init__()
        self.folder = Path(folder)
        self.keep = keep

    def checkpoints(self):
        """[(epochs done, folder)], newest first."""
        found = []
        if self.folder.is_dir():
            for path in self.folder.glob("epoch-*"):
                done = path.name.removeprefix("epoch-")
                if done.isdigit() and (path / "model.weights.h5").is_file():
                    found.append((int(done), path))
        return sorted(found, reverse=True)

    def restore(self, model):
        """Loads the newest readable checkpoint into `model` (its optimizers built) and returns
        the number of epochs it had done: 0 when there is none."""
        from zoo.errors import WeightsError

        found = self.checkpoints()
        failures = []
        for done, path in found:
            try:
                model.load_weights(str(path / "model.weights.h5"))
            except (OSError, ValueError) as e:
                failures.append(f"{path}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
                continue
            if failures:
                print(f"Resuming from an older checkpoint: could not read {'; '.join(failures)}", file=sys.stderr)
            print(f"Resuming after epoch {done} from {path}")
            return done
        if failures:
            raise WeightsError(f"No checkpoint in {self.folder} could be read ({'; '.join(failures)}). Delete "
                               "that folder to train from the start.")
        return 0

    def on_epoch_end(self, epoch, logs=None):
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"epoch-{epoch + 1}"
        with atomic.atomic_path(final) as tmp:
            tmp.mkdir()
            self.model.save_weights(str(tmp / "model.weights.h5"))
        for _, old in self.checkpoints()[self.keep:]:
            shutil.rmtree(old, ignore_errors=True)

    def on_train_end(self, logs=None):
        shutil.rmtree(self.folder, ignore_errors=True)


def fit(model, train, validation, config, output, verbose=None, callbacks=()):
    """`model.fit` with the zoo's callbacks. A run killed mid-way and started again with the same
    output folder resumes from its last completed epoch, and sees the data of each later epoch
    in the order an uninterrupted run would have (for a dataset from `zoo.data.batched`).
    Returns the per-epoch log rows."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    log = EpochLog(output / ".epochs.jsonl")
    checkpoint = EpochCheckpoint(output / ".backup")
    callbacks = [
        StopOnDivergence(output),
        log,
        checkpoint,
        keras.callbacks.TensorBoard(str(output / "logs")),
        *callbacks,
    ]
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2  # progress bars only where they redraw
    # Optimizer slots exist before fit: the checkpoint restores into them, and a
    # tf.distribute strategy must create them inside its scope.
    with model.distribute_strategy.scope():
        model.build_optimizers()
        first = checkpoint.restore(model)
    steps = None
    epochs = getattr(train, "epochs", None)
    resumable = epochs(first, config.epochs) if callable(epochs) else None
    if resumable is not None:
        train, steps = resumable
    model.fit(train, validation_data=validation, epochs=config.epochs, initial_epoch=first, steps_per_epoch=steps,
              callbacks=callbacks, verbose=verbose, shuffle=False)  # the pipeline shuffles, seeded
    return log.rows()


def save_trained(model, name, output, *, config, epochs, metrics, dataset, notes=None, extra_files=None, extra=None):
    """Writes weights, config.json, training curves and the model card into `output`, each
    atomically, the card last: it carries the weights' checksum, so a run killed between two
    writes leaves a card that `zoo.load` refuses rather than a silent mismatch. `extra` adds
    model-specific sections to the card (e.g. generated samples)."""
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
        "files": {"weights": cards.WEIGHTS, "config": cards.CONFIG, "curves": curves, **(extra_files or {})},
        "weights_sha256": cards.file_sha256(output / cards.WEIGHTS),
        "environment": cards.environment(),
        **(extra or {}),
    }
    cards.write_card(output, card)
    (output / ".epochs.jsonl").unlink(missing_ok=True)
    summary = json.dumps({**metrics, "training_seconds": card["training_seconds"],
                          "weights_digest": weights_digest(inference)})
    if getattr(config, "strategy", "auto") != "multi_worker" or is_chief():
        print(f"Wrote {output}: {summary}")
    else:  # a multi-worker run's non-chief: its copy (.worker-N/) has served its purpose
        shutil.rmtree(output, ignore_errors=True)
        print(f"Trained as a non-chief worker (the chief wrote the model): {summary}")
    return card


def weights_digest(model):
    """SHA-256 of the model's weight values (not of a file): equal digests, equal weights."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for value in model.get_weights():
        digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()


def evaluate_like_card(name, model, card, data_dir=None):
    """Re-measures `model` the way `card` was measured: same dataset, same test examples, and
    any measurement setting the card records among its metrics (e.g. the VAE's `nll_samples`)."""
    import inspect

    evaluate = get_entry(name).recipe_module().evaluate
    accepted = inspect.signature(evaluate).parameters
    # Measurement settings the card records with its metrics (the VAE's `nll_samples`) or its
    # dataset (a video model's `num_frames`).
    recorded = {**card.get("dataset", {}), **card.get("metrics", {})}
    settings = {k: v for k, v in recorded.items() if k in accepted and k not in ("name", "max_examples")}
    return evaluate(model, data_dir=data_dir, dataset=card["dataset"]["name"],
                    max_examples=card["dataset"]["test_examples"], **settings)


def generated_image_quality(model, config, model_name, seed=12345):
    """Classifier score and Fréchet distance of `config.quality_samples` images from
    `model.sample(n, seed)` (values in [0, 1]), with the real-data ceiling and floor, on the
    features and logits of the shipped `lstm_image_classifier` (the approach TF-GAN took for
    MNIST)."""
    import numpy as np

    import zoo
    from zoo import metrics

    n = config.quality_samples
    splits = config.image_splits(model.image_shape, model_name)
    real_train = np.asarray(next(iter(splits.train.take(n).batch(n)))[0])
    real_test = np.asarray(next(iter(splits.test.take(n).batch(n)))[0])
    n = min(n, len(real_train), len(real_test))
    classifier = zoo.load("lstm_image_classifier", weights="pretrained")
    generated = np.round(np.asarray(model.sample(n, seed=seed)) * 255).astype("uint8")
    return metrics.generated_image_report(generated, real_train[:n], real_test[:n], classifier.features_and_logits)


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


def save_confusion_matrix(labels, predictions, class_names, path, title=""):
    """Row-normalised confusion matrix (true class down, predicted across) as a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    n = len(class_names)
    counts = np.zeros((n, n), np.int64)
    np.add.at(counts, (np.asarray(labels, np.int64), np.asarray(predictions, np.int64)), 1)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.22 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(rates, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names, rotation=90, fontsize=6 if n > 20 else 9)
    ax.set_yticks(range(n), class_names, fontsize=6 if n > 20 else 9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.04, label="fraction of the true class")
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return counts


def save_clip_strip(videos, titles, path, max_frames=10):
    """Clips [n, frames, h, w, c] (uint8) as one row of frames each, titled, as a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    videos = np.asarray(videos)
    n, frames = videos.shape[:2]
    shown = min(frames, max_frames)
    fig, axes = plt.subplots(n, shown, figsize=(1.1 * shown, 1.25 * n), squeeze=False)
    for row, (video, title) in enumerate(zip(videos, titles)):
        for t in range(shown):
            ax = axes[row][t]
            frame = video[t]
            ax.imshow(frame[..., 0] if frame.shape[-1] == 1 else frame, cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if t == 0:
                ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
            if row == 0:
                ax.set_title(f"t={t}", fontsize=8)
    fig.tight_layout()
    with atomic.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
