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
    name: str
    cls: type
    task: str
    dataset: str
    recipe_module: str  # module path of the recipe that trains the shipped weights
    metric: str  # the model card metric shown in `zoo list`
    description: str

    def default_config(self):
        """The constructor's keyword defaults: every field `zoo.load` accepts as an override."""
        return constructor_defaults(self.cls)

    def recipe(self):
        """The `zoo.recipe.Recipe` that trains this model: `RECIPE` in the module `recipe` names
        (imported on demand: recipes are not part of the library's import)."""
        return importlib.import_module(self.recipe_module).RECIPE


def register_model(name, *, task, dataset, recipe, metric):
    """Class decorator that lists a model under `name` (and registers it with Keras'
    serialization); the class docstring's first line describes it."""

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
    """The registered model names, sorted."""
    return sorted(_REGISTRY)


def get_entry(name):
    if name not in _REGISTRY:
        raise UnknownModelError(
            f"Unknown model {name!r}. {did_you_mean(name, _REGISTRY)}"
            f"Available: {', '.join(list_models())}."
        )
    return _REGISTRY[name]


def check_overrides(entry, overrides):
    """Returns `overrides` if every key is a config field and every value fits its type."""
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
