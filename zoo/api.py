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

    The configuration is the model's defaults, then (with `weights`) the configuration saved
    beside the weights, then `overrides`. The model is compiled after its weights are loaded
    (shipped weights carry no optimizer state).

    Args:
        name: a name from `zoo.list_models()`.
        weights: None (the default) for fresh weights; "pretrained" for the shipped weights
            (from `$ZOO_SAVED_MODELS/<name>/`, a source checkout's `saved_models/<name>/` or
            the installed package's copy, each file checked against the package's manifest:
            `zoo.weights`); or the path (a str or `os.PathLike`) of a model folder (as
            `zoo train` writes it) or of a `.weights.h5` file.
        **overrides: config fields to change (see `zoo.info(name).default_config`). With
            weights, the saved configuration is the starting point.

    Returns:
        zoo.models.base.ZooModel: the model, built and compiled, of the registered class.

    Raises:
        zoo.UnknownModelError: if `name` is not a registered model.
        zoo.ConfigError: if an override is not a config field of the model, has the wrong
            type, or fails the field's check (`width=0`).
        zoo.WeightsError: if `weights` is neither "pretrained", a folder nor a `.weights.h5`
            file; if the file is missing or does not match its checksum (the manifest's or its
            model card's); or if its variables do not fit the configuration (the message names
            the override or the variable that differs).
        ValueError: if the model's constructor refuses a combination of values that the
            field checks pass, e.g. an `image_shape` that is not (height, width, channels),
            or `class_names` of another length than `num_classes`.

    Examples:
        >>> import zoo
        >>> model = zoo.load("lstm_image_classifier", units=64)
        >>> model.units
        64

        Shipped weights come with the configuration they were trained with:

        >>> gan = zoo.load("dcgan", weights="pretrained")
        >>> gan.generator_width, zoo.info("dcgan").default_config["generator_width"]
        (96, 0)
        >>> zoo.load("dcgan", widht=8)
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: dcgan has no config field 'widht'. Did you mean 'width'? ...
    """
    entry = get_entry(name)
    config = entry.default_config()
    weights_file = saved_config = None
    if weights is not None:
        weights_file, saved_config = _locate_weights(name, weights)
        config.update(entry.cls.saved_config(saved_config))
    config.update(check_overrides(entry, overrides))
    model = entry.cls(**config)
    if weights_file is not None:
        _load_weights(model, weights_file, saved_config, overrides)
    model.compile()  # after loading: shipped weights carry no optimizer state to match
    return model


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """What `zoo.info(name)` says of a model; `str()` gives it as indented JSON (`zoo info`).

    Attributes:
        name: the registered name.
        description: the first line of the model class's docstring.
        task: what the model does, e.g. "image classification".
        dataset: the dataset its shipped weights were trained on.
        recipe: module path of the recipe that trains them.
        default_config: the constructor's defaults: what `zoo.load(name)` builds.
        shipped_config: the configuration of the shipped weights ({} when none are shipped).
        inputs: {endpoint: {input name: "dtype[shape]"}} of the shipped model (else of the
            default one), e.g. `{"serving_default": {"images": "uint8[batch, 28, 28, 1]"}}`.
        outputs: {endpoint: {output name: "dtype[shape]"}}, likewise.
        num_params: the parameter count of the shipped model (of the default configuration
            when none ships).
        metrics: the shipped weights' measures, from their model card ({} when none are
            shipped).
        card: the whole model card as a dict (None when none is shipped).

    Examples:
        >>> import zoo
        >>> record = zoo.info("lstm_image_classifier")
        >>> record.outputs["serving_default"]["class_id"]
        'int32[batch]'
        >>> print(str(record).splitlines()[1])
          "name": "lstm_image_classifier",
    """

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
        """The record as indented JSON (values JSON cannot hold written with `str`).

        Returns:
            str: what `zoo info <name>` prints.
        """
        return json.dumps(dataclasses.asdict(self), indent=2, default=str)


def info(name):
    """What `name` is, what it takes and returns, how it is trained, and what its weights reach.

    The inputs, outputs and parameter count are those of the shipped model (its signatures'
    outputs include `class_name` where it ships with class names), or of the default
    configuration where no weights ship. Builds the model once (fresh weights; nothing is
    loaded).

    Args:
        name: a name from `zoo.list_models()`.

    Returns:
        ModelInfo: the model's description, task, dataset, recipe, configurations, serving
            inputs and outputs, parameter count, and its model card's metrics.

    Raises:
        zoo.UnknownModelError: if `name` is not a registered model.

    Examples:
        >>> import zoo
        >>> record = zoo.info("dcgan")
        >>> record.task, record.dataset
        ('image generation (GAN)', 'mnist')
        >>> record.inputs["sample"]
        {'num_images': 'int32[]', 'seed': 'int32[]'}
        >>> record.outputs["serving_default"]
        {'images': 'uint8[batch, 28, 28, 1]'}
    """
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

    Every endpoint of `model.serving_signatures()` is exported. `zoo.exports.support(model)`
    says which endpoints LiteRT and ONNX can express, and why not the others. Everything is
    written under a temporary name and renamed, so TF Serving (which watches `path`) or an
    app never sees a half-written export.

    Args:
        model: a zoo model (`zoo.load(...)`).
        path: the folder to write in (str or `os.PathLike`); created if missing.
        version: the SavedModel's version folder, a positive integer; None (the default):
            one more than the highest integer version already in `path`. SavedModel only.
        format: "saved_model" (the default): a SavedModel in TF Serving's layout,
            `path/<version>/`. "litert": `path/model.tflite`, every endpoint LiteRT can
            express as a signature. "onnx": `path/<endpoint>.onnx` for every endpoint ONNX
            can express (needs the `export` extra: tf2onnx and onnx).

    Returns:
        pathlib.Path: the version folder (SavedModel), the `.tflite` file (LiteRT) or the
            folder of `.onnx` files (ONNX).

    Raises:
        zoo.ConfigError: for an unknown `format`; a `version` with another format than
            SavedModel, below 1, or already in `path`; for ONNX, when tf2onnx or onnx is not
            installed or `path` holds other files; or when the model has no endpoint the
            format can express.

    Examples:
        >>> import tempfile
        >>> import zoo
        >>> model = zoo.load("dcgan", latent_dim=8, width=8)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     written = zoo.export(model, folder)  # the first version in `folder`
        ...     print(written.name, (written / "saved_model.pb").is_file())
        1 True
        >>> zoo.export(model, "exports/dcgan", format="pdf")
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: Unknown export format 'pdf': choose one of saved_model, litert, ...
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
