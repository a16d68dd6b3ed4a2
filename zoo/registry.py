"""The registry: a dict of model names to their classes, filled by a decorator on import.

A model module registers itself:

    @register_model("lstm_image_classifier", task="image classification", dataset="mnist",
                    recipe="recipes.lstm_image_classifier.recipe", metric="test_accuracy")
    class LSTMImageClassifier(ZooModel): ...

Its default configuration is its constructor's defaults, so there is one place to change them.
"""

import dataclasses
import importlib

import keras

from zoo.config import check_fields, constructor_defaults
from zoo.errors import ConfigError, UnknownModelError, did_you_mean

_REGISTRY = {}


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One registered model: its class and what `zoo list`, `zoo info` and `zoo train` say of it.

    Made by `register_model`; read with `get_entry`.

    Attributes:
        name: the name the model loads by (`zoo.load(name)`).
        cls: the model class, a `zoo.models.base.ZooModel` subclass.
        task: what the model does, e.g. "image classification".
        dataset: the dataset its shipped weights were trained on, e.g. "mnist".
        recipe_module: module path of the recipe that trains the shipped weights.
        metric: the model card metric shown in `zoo list`.
        description: the first line of the class docstring.

    Examples:
        >>> entry = get_entry("dcgan")
        >>> entry.cls.__name__, entry.task, entry.dataset, entry.metric
        ('DCGAN', 'image generation (GAN)', 'mnist', 'classifier_score_ratio')
    """

    name: str
    cls: type
    task: str
    dataset: str
    recipe_module: str  # module path of the recipe that trains the shipped weights
    metric: str  # the model card metric shown in `zoo list`
    description: str

    def default_config(self):
        """The constructor's keyword defaults: every field `zoo.load` accepts as an override.

        Returns:
            dict: {field: default value}, a fresh dict on every call; what `zoo.load(name)`
                builds.

        Examples:
            >>> config = get_entry("dcgan").default_config()
            >>> config["latent_dim"], config["width"], config["loss"]
            (64, 64, 'non_saturating')
        """
        return constructor_defaults(self.cls)

    def recipe(self):
        """The `zoo.recipe.Recipe` that trains this model.

        It is `RECIPE` in the module `recipe_module` names, imported on demand: recipes are
        not part of the library's import.

        Returns:
            zoo.recipe.Recipe: the recipe object (`zoo train <name>` runs it).

        Raises:
            ModuleNotFoundError: when the recipe module is not importable (the `recipes`
                package is not installed beside `zoo`).

        Examples:
            >>> recipe = get_entry("dcgan").recipe()
            >>> type(recipe).__module__
            'recipes.dcgan.recipe'
        """
        return importlib.import_module(self.recipe_module).RECIPE


def register_model(name, *, task, dataset, recipe, metric):
    """Class decorator that lists a model under `name` in the registry.

    The class is also registered with Keras' serialization as `"zoo>ClassName"`, so a `.keras`
    file finds it. The first line of the class docstring becomes its description (`zoo list`,
    `zoo info`), and its default configuration is its constructor's keyword defaults.

    Args:
        name: the name the model loads by (`zoo.load(name)`, `zoo train name`).
        task: what the model does, e.g. "image classification".
        dataset: the dataset its shipped weights were trained on, e.g. "mnist".
        recipe: module path of the recipe that trains it (a module with a `RECIPE`).
        metric: the model card metric `zoo list` shows for it.

    Returns:
        Callable[[type], type]: the decorator; it returns the class itself, registered.

    Raises:
        ValueError: (when the decorator is applied) if `name` is already registered by
            another class.

    Examples:
        Registering a model, in a sandbox that forgets it afterwards (a model module just
        decorates its class):

        >>> from unittest import mock
        >>> import keras
        >>> from zoo import registry
        >>> from zoo.models.base import ZooModel
        >>> sandbox = mock.patch.dict(registry._REGISTRY)
        >>> with sandbox, mock.patch.dict(keras.saving.get_custom_objects()):
        ...     @register_model("toy", task="image generation", dataset="mnist",
        ...                     recipe="recipes.toy.recipe", metric="loss")
        ...     class Toy(ZooModel):
        ...         '''A toy model that draws nothing.'''
        ...     print(get_entry("toy").description, "toy" in list_models())
        A toy model that draws nothing. True
        >>> "toy" in list_models()
        False
    """

    def decorator(cls):
        # Registered with Keras too (as "zoo>ClassName"): a `.keras` file finds the class by it.
        cls = keras.saving.register_keras_serializable(package="zoo")(cls)
        if name in _REGISTRY and _REGISTRY[name].cls is not cls:
            raise ValueError(f"Model name {name!r} is already registered by {_REGISTRY[name].cls}.")
        doc = (cls.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ModelEntry(
            name, cls, task, dataset, recipe, metric, doc[0] if doc else ""
        )
        return cls

    return decorator


def list_models():
    """The registered model names, sorted.

    Returns:
        list[str]: every name `zoo.load` accepts.

    Examples:
        >>> list_models()[:3]
        ['cnn_lstm_image_classifier', 'cnn_lstm_video', 'convlstm_video']
        >>> "lstm_image_classifier" in list_models()
        True
    """
    return sorted(_REGISTRY)


def conditional_variants():
    """{class-conditional model: the model it is a variant of}: each registered model whose
    defaults set `num_classes` (issue 40's `..._conditional` variants), beside the model of
    its name without "_conditional".

    Returns:
        dict[str, str], sorted by the variants' names.

    Examples:
        >>> conditional_variants()["vae_conditional"]
        'vae'
    """
    from zoo.models.conditional import ClassConditional  # a classifier's num_classes is no variant

    return {name: name.removesuffix("_conditional") for name in list_models()
            if issubclass(get_entry(name).cls, ClassConditional) and get_entry(name).default_config().get("num_classes")}


def get_entry(name):
    """The registry's entry for `name`.

    Args:
        name: a name from `list_models()`.

    Returns:
        ModelEntry: the model's class, task, dataset, recipe, metric and description.

    Raises:
        zoo.UnknownModelError: if no model is registered as `name` (the message suggests
            the closest name and lists them all).

    Examples:
        >>> get_entry("vae").description
        'Variational autoencoder: conv encoder, reparameterised sampling, conv decoder, ELBO.'
        >>> get_entry("dcgn")
        Traceback (most recent call last):
        ...
        zoo.errors.UnknownModelError: Unknown model 'dcgn'. Did you mean 'dcgan'? Available: ...
    """
    if name not in _REGISTRY:
        raise UnknownModelError(
            f"Unknown model {name!r}. {did_you_mean(name, _REGISTRY)}"
            f"Available: {', '.join(list_models())}."
        )
    return _REGISTRY[name]


def check_overrides(entry, overrides):
    """Checks config overrides against a model's fields, their types and their checks.

    Every key must be a constructor field of `entry.cls`; every value must have the type of
    its default (an int for an int, an int or a float for a float, a list or a tuple for a
    sequence; `True` is never an int; a field whose default is None takes any value), and pass
    the model's `FIELD_CHECKS`.

    Args:
        entry: the model's `ModelEntry`.
        overrides: {field: value} to check.

    Returns:
        dict: a copy of `overrides`, when all of them fit.

    Raises:
        zoo.ConfigError: for the first override that is not a field (the message suggests the
            closest), has the wrong type, or fails its check.

    Examples:
        >>> entry = get_entry("dcgan")
        >>> check_overrides(entry, {"width": 8})
        {'width': 8}
        >>> check_overrides(entry, {"width": True})
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: dcgan config field 'width' must be int (default 64), got True ...
    """
    defaults = entry.default_config()
    for key, value in overrides.items():
        if key not in defaults:
            raise ConfigError(
                f"{entry.name} has no config field {key!r}. {did_you_mean(key, defaults)}"
                f"Valid fields: {', '.join(sorted(defaults))}."
            )
        expected = _expected_types(defaults[key])
        if expected and not _fits(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            raise ConfigError(
                f"{entry.name} config field {key!r} must be {names} (default {defaults[key]!r}), "
                f"got {value!r} of type {type(value).__name__}."
            )
    check_fields(entry.cls, overrides, label=lambda key: f"{entry.name} config field {key!r}")
    return dict(overrides)


def _expected_types(default):
    if default is None:
        return ()  # optional field: any value the model itself accepts
    if isinstance(default, bool):
        return (bool,)
    if isinstance(default, int):
        return (int,)
    if isinstance(default, float):
        return (float, int)
    if isinstance(default, (list, tuple)):
        return (list, tuple)
    return (type(default),)


def _fits(value, expected):
    if isinstance(value, bool) and bool not in expected:
        return False  # True is an int to Python, never a size or a rate to us
    return isinstance(value, expected)
