"""Fine-tuning: a model's variables started from another set of weights of the same model, one
function for every recipe (`zoo train NAME --init ...`).

Variables are matched by their place in the model and their path (the layer names, less the
counters Keras appends to automatic names, which depend on how many layers a process built
before) and copied where their shapes agree; a variable whose shape differs (a classifier's
head for another number of classes) keeps its fresh initial value, as timm rebuilds the head
when `num_classes` differs. Integer variables are training counters (a GAN's moving-average
step count, a text GAN's adversarial steps), not weights: like the optimizers, they start
fresh, so a moving average restarts its warm-up on the new data.

>>> import zoo
>>> pretrained = zoo.load("lstm_image_classifier", units=8, num_classes=10)
>>> fresh = zoo.load("lstm_image_classifier", units=8, num_classes=3)
>>> report = transfer_weights(pretrained, fresh)
>>> report["kept"], report["rebuilt"]
(6, ['logits/kernel', 'logits/bias'])
"""

import re

from zoo.errors import ConfigError


def transfer_weights(source, target):
    """Copies every variable of `source` into the matching variable of `target` (see the module
    docstring) and returns what was done: {"kept": number of variables copied, "rebuilt":
    paths of `target`'s variables left at their fresh values because their shapes differ,
    "fresh_counters": paths of the integer counters left at their fresh values}.

    Args:
        source: the model whose weights are the starting point (e.g. `zoo.load(name,
            weights="pretrained")`).
        target: a freshly built model of the same class.

    Raises:
        ConfigError: the two models are not made of the same variables (another class, or a
            configuration that adds or removes layers).
    """
    report = {"kept": 0, "rebuilt": [], "fresh_counters": []}
    for mine, theirs in matched_variables(source, target):
        if "int" in str(mine.dtype):
            report["fresh_counters"].append(mine.path)
        elif tuple(mine.shape) != tuple(theirs.shape):
            report["rebuilt"].append(mine.path)
        else:
            mine.assign(theirs)
            report["kept"] += 1
    return report


def matched_variables(source, target):
    """[(target variable, source variable)] in the models' order; a ConfigError when the two
    are not made of the same variables."""
    mine, theirs = target.weights, source.weights
    if len(mine) != len(theirs):
        raise ConfigError(f"The --init weights hold {len(theirs)} variables, this {target.name!r} model "
                          f"{len(mine)}: they come from another configuration of the model (e.g. more or fewer layers).")
    for a, b in zip(mine, theirs):
        if _stem(a.path) != _stem(b.path):
            raise ConfigError(f"The --init weights do not match this model's variables: {b.path} there where "
                              f"this model has {a.path}.")
    return list(zip(mine, theirs))


def shape_mismatch(model_cls, config, changes):
    """Where a `model_cls` built with `config` updated by `changes` stops fitting weights made
    with `config` ("variable P has shape A here but B in the weights"), or None when every
    variable keeps its shape. Builds the two models (small: no data goes through them)."""
    base, changed = model_cls(**config), model_cls(**{**config, **changes})
    try:
        pairs = matched_variables(base, changed)
    except ConfigError as e:
        return str(e).rstrip(".")
    for mine, theirs in pairs:
        if tuple(mine.shape) != tuple(theirs.shape):
            return (f"variable {_stem(mine.path)} has shape {tuple(mine.shape)} here but {tuple(theirs.shape)} in "
                    "the weights")
    return None


def _stem(path):
    """`path` without the counters of automatic names ('dense_3/kernel' → 'dense/kernel')."""
    return "/".join(re.sub(r"_\d+$", "", part) for part in path.split("/"))


def init_weights(name, init):
    """(weights file, the config.json beside it as a dict, {} where there is none) of `--init
    init` for model `name`: "pretrained" (the shipped weights), a model folder as `zoo train`
    writes it, or a `.weights.h5` file. A ConfigError naming --init when there are none."""
    import json
    from pathlib import Path

    from zoo import cards

    if init == "pretrained":
        weights = cards.saved_models_dir() / name / cards.WEIGHTS
    else:
        path = Path(init).expanduser()
        weights = path if path.name.endswith(".weights.h5") else path / cards.WEIGHTS
        if not (path.is_dir() or path.name.endswith(".weights.h5")):
            raise ConfigError(f"--init {init}: neither 'pretrained', a model folder nor a .weights.h5 file.")
    if not weights.is_file():
        raise ConfigError(f"--init {init}: no weights at {weights} (train them with `zoo train {name} --output "
                          f"{weights.parent}`).")
    config_file = weights.parent / cards.CONFIG
    try:
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"--init {init}: {config_file} is unreadable ({e}).") from None
    return weights, config
