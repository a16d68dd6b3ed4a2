"""The Python API: `load`, `info` and `export`."""

import dataclasses
import json
import os
import re
from pathlib import Path

import tensorflow as tf

from zoo import cards, exports
from zoo import weights as zoo_weights
from zoo.errors import WeightsError
from zoo.registry import check_overrides, get_entry


def load(name, weights=None, **overrides):
    """A built, compiled model from the registry.

    Args:
        name: a name from `zoo.list_models()`.
        weights: None for fresh weights; "pretrained" for the shipped weights (from
            `$ZOO_SAVED_MODELS/<name>/`, a source checkout's `saved_models/<name>/` or the
            installed package's copy, each file checked against the package's manifest:
            `zoo.weights`); or the path of a model folder (as `zoo train` writes it) or of a
            `.weights.h5` file.
        **overrides: config fields to change (see `zoo.info(name).default_config`). With
            weights, the saved configuration is the starting point.

    >>> import zoo
    >>> model = zoo.load("lstm_image_classifier", units=64)
    >>> model.units
    64
    """
    entry = get_entry(name)
    config = entry.default_config()
    weights_file = saved_config = None
    if weights is not None:
        weights_file, saved_config = _locate_weights(name, weights)
        config.update(saved_config)
    config.update(check_overrides(entry, overrides))
    model = entry.cls(**config)
    if weights_file is not None:
        _load_weights(model, weights_file, saved_config, overrides)
    model.compile()  # after loading: shipped weights carry no optimizer state to match
    return model


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    name: str
    description: str
    task: str
    dataset: str
    recipe: str
    default_config: dict  # the constructor's defaults: what `zoo.load(name)` builds
    shipped_config: dict  # the configuration of the shipped weights ({} when none are shipped)
    inputs: dict  # endpoint → {input name: "dtype[shape]"} of the shipped model (else the default one)
    outputs: dict  # endpoint → {output name: "dtype[shape]"}, likewise
    num_params: int  # of the shipped model (of the default configuration when none ships)
    metrics: dict  # of the shipped weights, from their model card ({} when none are shipped)
    card: dict = None

    def __str__(self):
        return json.dumps(dataclasses.asdict(self), indent=2, default=str)


def info(name):
    """What `name` is, what it takes and returns, how it is trained, and what its shipped
    weights reach."""
    entry = get_entry(name)
    folder = cards.saved_models_dir() / name
    card = cards.read_card(folder)
    shipped = json.loads((folder / cards.CONFIG).read_text()) if (folder / cards.CONFIG).exists() else {}
    # What ships is what a user gets: its parameters, and its signatures' outputs (a classifier
    # shipped with class names also answers `class_name`); the defaults where nothing ships.
    model = entry.cls(**{**entry.default_config(), **shipped})
    inputs, outputs = {}, {}
    for endpoint, (fn, specs) in model.serving_signatures().items():
        inputs[endpoint] = {s.name: _describe(s) for s in specs}
        traced = tf.function(fn).get_concrete_function(*specs).structured_outputs
        outputs[endpoint] = {k: _describe(v) for k, v in traced.items()}
    return ModelInfo(
        name=name,
        description=entry.description,
        task=entry.task,
        dataset=entry.dataset,
        recipe=entry.recipe_module,
        default_config=entry.default_config(),
        shipped_config=shipped,
        inputs=inputs,
        outputs=outputs,
        num_params=model.count_params(),
        metrics=(card or {}).get("metrics", {}),
        card=card,
    )


def export(model, path, version=None, format="saved_model"):
    """Writes `model` for serving; returns what it wrote.

    format="saved_model" (the default): a SavedModel in TF Serving's layout, `path/<version>/`.
    `version` defaults to one more than the highest integer version already in `path`.
    format="litert": `path/model.tflite`, every endpoint LiteRT can express as a signature.
    format="onnx": `path/<endpoint>.onnx` for every endpoint ONNX can express.
    `zoo.exports.support(model)` says which endpoints those are, and why not the others.

    Everything is written under a temporary name and renamed, so TF Serving (which watches
    `path`) or an app never sees a half-written export.
    """
    return exports.write(model, path, version=version, format=format)


def _describe(spec):
    dims = ", ".join("batch" if i == 0 and d is None else str(d) for i, d in enumerate(spec.shape))
    return f"{spec.dtype.name}[{dims}]"


def _locate_weights(name, weights):
    """(weights file, saved config) for the `weights` argument of `load`."""
    def neither(hint=""):
        return WeightsError(f"weights={weights!r} is neither 'pretrained', a model folder nor a '.weights.h5' "
                            f"file{hint}.")

    if not isinstance(weights, (str, os.PathLike)):
        raise neither(' (pass weights="pretrained" for the shipped weights)')
    if weights == "pretrained":
        folder = cards.saved_models_dir() / name
        weights_file = folder / cards.WEIGHTS
        zoo_weights.verify(name)  # size and SHA-256 of every shipped file, against the package's manifest
        if not weights_file.exists():
            raise WeightsError(
                f"No pretrained weights for {name!r}: {weights_file} does not exist. Produce them "
                f"with `zoo train {name} --output DIR` and load them with weights=DIR (or set ZOO_SAVED_MODELS "
                f"to a folder that holds {name}/)."
            )
    else:
        path = Path(os.fspath(weights)).expanduser()
        if path.is_dir() or not path.suffix:
            folder, weights_file = path, path / cards.WEIGHTS
        elif path.name.endswith(".weights.h5"):
            folder, weights_file = path.parent, path
        else:
            raise neither()
        if not weights_file.exists():
            raise WeightsError(
                f"Weights file {weights_file} does not exist. Produce it with "
                f"`zoo train {name} --output {folder}`."
            )
    saved_config = {}
    config_file = folder / cards.CONFIG
    if config_file.exists():
        try:
            saved_config = json.loads(config_file.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise WeightsError(f"Config file {config_file} is unreadable ({e}).") from None
    card = cards.read_card(folder)
    expected = (card or {}).get("weights_sha256")
    if expected and weights_file.name == cards.WEIGHTS and zoo_weights.file_sha256(weights_file) != expected:
        raise WeightsError(
            f"{weights_file} does not match the checksum in its model card {folder / cards.CARD}: "
            f"the file is corrupt or was replaced. Retrain with `zoo train {name} --output {folder}`."
        )
    return weights_file, saved_config


def _load_weights(model, weights_file, saved_config, overrides):
    try:
        model.load_weights(weights_file)
    except (OSError, ValueError, KeyError, TypeError) as e:
        mismatch = _shape_mismatch(str(e))
        changed = sorted(k for k in overrides if k in saved_config and saved_config[k] != overrides[k])
        if changed:
            detail = ", ".join(f"{k}={saved_config[k]!r} (you asked {overrides[k]!r})" for k in changed)
            raise WeightsError(
                f"{weights_file} was trained with {detail}; its weights do not fit the "
                f"configuration you asked for{mismatch}. Drop those overrides, or train new weights."
            ) from None
        if mismatch:
            raise WeightsError(
                f"{weights_file} belongs to another configuration of {model.name!r}{mismatch}. Load it with "
                "the overrides it was trained with (the config.json `zoo train` writes beside it), or "
                "train new weights with `zoo train`."
            ) from None
        raise WeightsError(
            f"Cannot load weights from {weights_file}: {str(e).strip().splitlines()[0]} The file "
            f"is corrupt or belongs to another configuration; produce it again with `zoo train`."
        ) from None


def _shape_mismatch(keras_message):
    """': variable <path> has shape <model's> here but <file's> in the file' from Keras'
    load error, or '' when the error is not a shape mismatch."""
    found = re.search(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))\. "
                      r"Target variable: <Variable path=([^,>]+)", keras_message)
    if not found:
        return ""
    model_shape, file_shape, path = found.groups()
    return f": variable {path} has shape {model_shape} in this model but {file_shape} in the file"
