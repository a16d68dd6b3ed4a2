"""What a recipe does with `--init` (fine-tuning from other weights): the model fields those
weights were made with, the checks that refuse a run they cannot start before any data is read,
the transfer into the run's fresh model and its record in the card (`zoo.training.transfer`
does the weight matching)."""

import dataclasses
from pathlib import Path

from zoo import config as cfg
from zoo.errors import ConfigError
from zoo.registry import get_entry
from zoo.training import transfer
from zoo.weights import file_sha256


def init_fields(recipe, init):
    """The model fields (flags) of the weights `--init init`, from their config.json: the
    architecture a fine-tuning run starts from."""
    _, saved = transfer.init_weights(recipe.name, init)
    flags = {f.name for f in dataclasses.fields(recipe.config_class()) if f.metadata.get("model")}
    return {k: v for k, v in saved.items() if k in flags}


def check_init(recipe, config):
    """Refuses, before any data is read, a model flag or image shape that makes the model's
    variables another shape than those of the --init weights (data-derived class counts are
    left to `transfer_into`: a classifier's head is rebuilt)."""
    entry = get_entry(recipe.name)
    _, saved = transfer.init_weights(recipe.name, config.init)
    if not saved:
        return  # no config.json: the weights are matched against the run's model as they are
    base = {**entry.default_config(), **saved}
    for name, value in recipe.model_settings(config).items():
        if name == "seed" or name not in saved or saved[name] == value:
            continue
        problem = transfer.shape_mismatch(entry.cls, base, {name: value})
        if problem:
            raise ConfigError(f"{cfg.flag(name)} {value} does not fit the --init {config.init} weights, made "
                              f"with {name}={saved[name]!r}: {problem}. Leave {cfg.flag(name)} out (it then "
                              "comes from the weights) or train without --init.")
    for name, (value, needed) in recipe.input_shapes(config, saved).items():
        if name in saved and list(saved[name]) != list(value) and \
                transfer.shape_mismatch(entry.cls, base, {name: value}):
            raise ConfigError(f"The --init {config.init} weights read inputs of shape {tuple(saved[name])}, "
                              f"not {tuple(value)}: give {needed} (your files are resized to it).")


def init_model(recipe, config):
    """The model of the --init weights, as they were saved (its own config)."""
    import zoo

    return zoo.load(recipe.name, weights=config.init)


def transfer_into(start, model, config):
    """Starts `model` from the weights of `start`; returns what was kept and rebuilt. A variable
    may only be rebuilt where the data gives the model another number of classes than the
    weights had."""
    report = transfer.transfer_weights(start, model)
    classes = start.get_config().get("num_classes"), model.get_config().get("num_classes")
    if report["rebuilt"] and classes[0] == classes[1]:
        raise ConfigError(f"The --init {config.init} weights do not fit this run's model: "
                          f"{report['rebuilt'][0]} has another shape. Train without --init.")
    return report


def init_record(recipe, model, config):
    """The card's record of where training started: the --init weights, their SHA-256 and what
    was kept and rebuilt."""
    weights, _ = transfer.init_weights(recipe.name, config.init)
    entry = get_entry(recipe.name)
    fresh = entry.cls(**{k: model.get_config()[k] for k in entry.default_config()})
    report = transfer.transfer_weights(init_model(recipe, config), fresh)
    shown = Path(weights).resolve()
    shown = shown.relative_to(Path.cwd()) if shown.is_relative_to(Path.cwd()) else shown
    return {"from": config.init, "weights": str(shown), "weights_sha256": file_sha256(weights), **report}
