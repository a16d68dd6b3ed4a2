"""`fit`: `model.fit` with the zoo's callbacks, resumable after a kill, and the optimizer
schedule the recipes share."""

import sys
from pathlib import Path

import keras

from zoo.data import Batches
from zoo.training.callbacks import EpochCheckpoint, EpochLog, StopOnDivergence


def fit(model, batches, validation, *, epochs, output, callbacks=(), verbose=None, run=None):
    """Trains `model` for `epochs` epochs on `batches` (`zoo.data.Batches`, or any dataset
    `model.fit` takes), writing logs and checkpoints under `output`. A run killed mid-way and
    started again with the same output folder resumes from its last completed epoch and, for
    `Batches`, sees the data of each later epoch in the order an uninterrupted run would have;
    `run` (the run's settings, a JSON-able dict) must then be the same (see `EpochCheckpoint`).
    Returns the per-epoch log rows."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    log = EpochLog(output / ".epochs.jsonl")
    checkpoint = EpochCheckpoint(output / ".backup", run=run)
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
    data, steps = batches, None
    if isinstance(batches, Batches):
        resumable = batches.epochs(first, epochs)
        data, steps = resumable if resumable is not None else (batches.dataset, None)
    model.fit(data, validation_data=validation, epochs=epochs, initial_epoch=first, steps_per_epoch=steps,
              callbacks=callbacks, verbose=verbose, shuffle=False)  # the pipeline shuffles, seeded
    return log.rows()


def adam_cosine(learning_rate, epochs, steps_per_epoch, clipnorm=None):
    """Adam with a short linear warm-up to `learning_rate`, then cosine decay to 0 at the end
    of training: the schedule the zoo's recipes share."""
    total = max(epochs * steps_per_epoch, 1)
    warmup = min(300, total // 10)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, total - warmup, warmup_target=learning_rate, warmup_steps=warmup
    )
    return keras.optimizers.Adam(schedule, global_clipnorm=clipnorm)
