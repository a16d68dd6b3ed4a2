"""The callbacks every zoo run trains with: stop at the first non-finite loss, log each epoch
in a file that survives a restart, keep resumable checkpoints, and draw progress pictures."""

import json
import math
import shutil
import sys
import time
from pathlib import Path

import keras

from zoo import atomic, plots
from zoo.errors import ConfigError, TrainingDiverged, WeightsError


class SampleGrid(keras.callbacks.Callback):
    """After each epoch, writes a grid of images made by `make_images(model)` (e.g. samples
    from fixed noise) to `folder/epoch_NNN.png`: training progress a person can see."""

    def __init__(self, folder, make_images, columns=10):
        super().__init__()
        self.folder = Path(folder)
        self.make_images = make_images
        self.columns = columns

    def on_epoch_end(self, epoch, logs=None):
        plots.save_image_grid(self.make_images(self.model), self.folder / f"epoch_{epoch + 1:03d}.png", self.columns)


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
        bad = {k: float(v) for k, v in (logs or {}).items()
               if "loss" in k and not math.isfinite(float(v))}
        if bad:
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
    in case the newest cannot be read.

    `run` (a JSON-able dict: the run's settings) is written beside each checkpoint, and
    `restore` refuses a checkpoint of a run with other settings: resuming it would mix two
    runs (a new learning rate on the old run's weights and schedule) without a word."""

    def __init__(self, folder, keep=2, run=None):
        super().__init__()
        self.folder = Path(folder)
        self.keep = keep
        self.run = None if run is None else json.loads(json.dumps(run, default=str))

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
        found = self.checkpoints()
        failures = []
        for done, path in found:
            self._check_same_run(path)
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

    def _check_same_run(self, path):
        saved = path / "run.json"
        if self.run is None or not saved.is_file():
            return
        before = json.loads(saved.read_text())
        changed = sorted(k for k in set(before) | set(self.run) if before.get(k) != self.run.get(k))
        if changed:
            what = ", ".join(f"{k}: {before.get(k)!r} then, {self.run.get(k)!r} now" for k in changed)
            raise ConfigError(f"{self.folder} holds the checkpoint of a run with other settings ({what}); resuming "
                              "it would mix two runs. Run with the same settings to resume, or delete that folder "
                              "(or choose another --output) to start afresh.")

    def on_epoch_end(self, epoch, logs=None):
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"epoch-{epoch + 1}"
        with atomic.atomic_path(final) as tmp:
            tmp.mkdir()
            self.model.save_weights(str(tmp / "model.weights.h5"))
            if self.run is not None:
                (tmp / "run.json").write_text(json.dumps(self.run, indent=1, sort_keys=True))
        for _, old in self.checkpoints()[self.keep:]:
            shutil.rmtree(old, ignore_errors=True)

    def on_train_end(self, logs=None):
        shutil.rmtree(self.folder, ignore_errors=True)


class AdversarialFrom(keras.callbacks.Callback):
    """Trains a two-phase GAN (`zoo.models.phases.TwoPhaseGAN`) adversarially from epoch `first`.

    Before `first` the model is in its maximum-likelihood phase, from `first` on in its
    adversarial one with the generator's learning rate set to `learning_rate`. The phase is set
    at every epoch's start, so a run resumed by `BackupAndRestore` is in the right phase
    whichever epoch it resumes at. With `baseline_path`, the first phase's last weights (the
    maximum-likelihood baseline) are written there, atomically, as the adversarial phase begins.

    Args:
        first: the first adversarial epoch (0-based).
        learning_rate: the generator's learning rate in the adversarial phase.
        baseline_path: a `.weights.h5` path for the maximum-likelihood weights, or None.

    Examples:
        >>> import zoo
        >>> gan = zoo.load("lstm_gan_text", vocabulary=list("ab"), embedding_dim=4,
        ...                hidden_dim=4, discriminator_dim=4)
        >>> gan.compile()
        >>> switch = AdversarialFrom(first=1, learning_rate=1e-4)
        >>> switch.set_model(gan)
        >>> switch.on_epoch_begin(0); gan.phase
        'mle'
        >>> switch.on_epoch_begin(1); gan.phase, round(float(gan.g_optimizer.learning_rate), 6)
        ('adversarial', 0.0001)
    """

    def __init__(self, first, learning_rate, baseline_path=None):
        super().__init__()
        self.first, self.learning_rate, self.baseline_path = first, learning_rate, baseline_path

    def on_epoch_begin(self, epoch, logs=None):
        """Sets the phase (and the learning rate) for `epoch`; writes the baseline at `first`.

        Args:
            epoch: the epoch about to begin (0-based).
            logs: unused.
        """
        adversarial = epoch >= self.first
        if epoch == self.first and self.baseline_path is not None:
            # the first phase's last weights (a run resumed here has them back)
            with atomic.atomic_path(self.baseline_path) as tmp:
                self.model.save_weights(str(tmp))
        self.model.set_phase("adversarial" if adversarial else "mle")
        if adversarial:
            self.model.g_optimizer.learning_rate.assign(self.learning_rate)
