"""What a recipe does with `--init` (fine-tuning from other weights).

The model fields those weights were made with, the checks that refuse a run they cannot start
before any data is read, the transfer into the run's fresh model and its record in the card
(`zoo.training.transfer` does the weight matching)."""

import dataclasses
from pathlib import Path

from zoo import config as cfg
from zoo.errors import ConfigError
from zoo.registry import get_entry
from zoo.training import transfer
from zoo.weights import file_sha256


def init_fields(recipe, init):
    """The model fields (flags) of the weights `--init init`, from their config.json.

    The architecture a fine-tuning run starts from: a run takes these unless its flags give
    them.

    Args:
        recipe: the run's recipe.
        init: "pretrained" (the shipped weights), a model folder as `zoo train` writes it, or
            a `.weights.h5` file.

    Returns:
        A dict {model field: value} of the recipe's model flags that the config.json beside
        the weights holds ({} without one).

    Raises:
        zoo.ConfigError: `init` names no weights, or their config.json is unreadable.

    Examples:
        >>> from zoo.recipe.finetune import init_fields
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("vae").recipe()
        >>> init_fields(recipe, "pretrained")
        {'latent_dim': 32, 'width': 32}
        >>> init_fields(recipe, "no/such/folder")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: --init no/such/folder: neither 'pretrained', a model folder nor ...
    """
    _, saved = transfer.init_weights(recipe.name, init)
    flags = {f.name for f in dataclasses.fields(recipe.config_class()) if f.metadata.get("model")}
    return {k: v for k, v in saved.items() if k in flags}


def check_init(recipe, config):
    """Refuses, before any data is read, flags whose model does not fit the `--init` weights.

    A model flag or input shape that makes the model's variables another shape than those of
    the weights is refused; data-derived class counts are left to `transfer_into` (a
    classifier's head is rebuilt). `Recipe.config` and `Recipe.parse` call it.

    Args:
        recipe: the run's recipe.
        config: the run's config, with `init` set.

    Raises:
        zoo.ConfigError: a flag or input shape does not fit the weights, or `config.init`
            names no weights.

    Examples:
        >>> from zoo.recipe.finetune import check_init
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("vae").recipe()
        >>> check_init(recipe, recipe.config_class()(init="pretrained", latent_dim=32))
        >>> config = recipe.config_class()(init="pretrained", latent_dim=2)  # not validated yet
        >>> check_init(recipe, config)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: --latent-dim 2 does not fit the --init pretrained weights, ...
    """
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
    """The model of the `--init` weights, as they were saved (its own config).

    Args:
        recipe: the run's recipe.
        config: the run's config, with `init` set.

    Returns:
        The model, loaded with `zoo.load(recipe.name, weights=config.init)`.

    Raises:
        zoo.WeightsError: the weights are missing, unreadable or do not fit their config.

    Examples:
        >>> from zoo.recipe.finetune import init_model
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("vae").recipe()
        >>> init_model(recipe, recipe.config(init="pretrained")).latent_dim
        32
    """
    import zoo

    return zoo.load(recipe.name, weights=config.init)


def transfer_into(start, model, config):
    """Starts `model` from the weights of `start`.

    A variable may only be rebuilt (left fresh, for another shape) where the data gives the
    model another number of classes than the weights had.

    Args:
        start: the model of the `--init` weights (`init_model`).
        model: the run's freshly built model.
        config: the run's config (its `init`, for the message).

    Returns:
        What was done: {"kept": number of variables copied, "rebuilt": paths of the
        variables left fresh, "fresh_counters": paths of the integer counters left fresh}.

    Raises:
        zoo.ConfigError: the two models are not made of the same variables, or a variable
            has another shape though the number of classes is the same.

    Examples:
        >>> import zoo
        >>> from zoo.recipe.finetune import init_model, transfer_into
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("vae").recipe()
        >>> config = recipe.config(init="pretrained")
        >>> transfer_into(init_model(recipe, config), zoo.load("vae"), config)
        {'kept': 20, 'rebuilt': [], 'fresh_counters': []}
    """
    report = transfer.transfer_weights(start, model)
    classes = start.get_config().get("num_classes"), model.get_config().get("num_classes")
    if report["rebuilt"] and classes[0] == classes[1]:
        raise ConfigError(f"The --init {config.init} weights do not fit this run's model: "
                          f"{report['rebuilt'][0]} has another shape. Train without --init.")
    return report


def init_record(recipe, model, config):
    """The card's record of where training started: the `--init` weights and what was kept.

    Args:
        recipe: the run's recipe.
        model: the trained model (its config gives a fresh model to replay the transfer on).
        config: the run's config, with `init` set.

    Returns:
        A dict: "from" (`config.init`), "weights" (their path, relative to the working folder
        where inside it), "weights_sha256", and `transfer_into`'s report.

    Examples:
        >>> import zoo
        >>> from zoo.recipe.finetune import init_record
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("vae").recipe()
        >>> record = init_record(recipe, zoo.load("vae"), recipe.config(init="pretrained"))
        >>> record["from"], len(record["weights_sha256"]), record["rebuilt"]
        ('pretrained', 64, [])
    """
    weights, _ = transfer.init_weights(recipe.name, config.init)
    entry = get_entry(recipe.name)
    fresh = entry.cls(**{k: model.get_config()[k] for k in entry.default_config()})
    report = transfer.transfer_weights(init_model(recipe, config), fresh)
    shown = Path(weights).resolve()
    shown = shown.relative_to(Path.cwd()) if shown.is_relative_to(Path.cwd()) else shown
    return {"from": config.init, "weights": str(shown), "weights_sha256": file_sha256(weights), **report}
