"""Writing a trained model: weights, config.json, training curves and the model card."""

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from zoo import atomic, cards, plots
from zoo.registry import get_entry
from zoo.training.distribute import is_chief
from zoo.weights import file_sha256


def save_trained(model, name, output, *, config, history, metrics, dataset, notes=None, extra_files=None,
                 extra=None):
    """Writes weights, config.json, training curves and the model card into `output`, each
    atomically, the card last: it carries the weights' checksum, so a run killed between two
    writes leaves a card that `zoo.load` refuses rather than a silent mismatch. `config` is the
    run's settings (a dataclass, recorded in the card); `history` the per-epoch log rows of
    `fit`; `extra` adds model-specific sections to the card (e.g. generated samples)."""
    entry = get_entry(name)
    output = Path(output)
    model_config = {k: model.get_config()[k] for k in entry.default_config()}
    # Ship the network without the optimizer state (a third of the size for Adam); resuming
    # a run uses the checkpoints of `fit`, which keep it.
    inference = entry.cls(**model_config)
    inference.set_weights(model.get_weights())
    with atomic.atomic_path(output / cards.WEIGHTS) as tmp:
        inference.save_weights(str(tmp))
    atomic.write_json(output / cards.CONFIG, model_config)
    curves = "training_curves.png"
    with atomic.atomic_path(output / curves) as tmp:
        plots.plot_curves(history, tmp, title=name)
    card = {
        "name": name,
        "description": entry.description,
        "task": entry.task,
        "metrics": metrics,
        "notes": notes or [],
        "dataset": dataset,
        "num_params": model.count_params(),
        "model_config": model_config,
        "recipe": {"module": entry.recipe_module, "config": dataclasses.asdict(config)},
        "seed": config.seed,
        "epochs": len(history),
        "training_seconds": round(sum(r["seconds"] for r in history), 1),
        "history": history,
        "files": {"weights": cards.WEIGHTS, "config": cards.CONFIG, "curves": curves, **(extra_files or {})},
        "weights_sha256": file_sha256(output / cards.WEIGHTS),
        "environment": cards.environment(),
        **(extra or {}),
    }
    cards.write_card(output, card)
    (output / ".epochs.jsonl").unlink(missing_ok=True)
    summary = json.dumps({**metrics, "training_seconds": card["training_seconds"],
                          "weights_digest": weights_digest(inference)})
    if config.strategy != "multi_worker" or is_chief():
        print(f"Wrote {output}: {summary}")
    else:  # a multi-worker run's non-chief: its copy (.worker-N/) has served its purpose
        shutil.rmtree(output, ignore_errors=True)
        print(f"Trained as a non-chief worker (the chief wrote the model): {summary}")
    return card


def weights_digest(model):
    """SHA-256 of the model's weight values (not of a file): equal digests, equal weights."""
    digest = hashlib.sha256()
    for value in model.get_weights():
        digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()
