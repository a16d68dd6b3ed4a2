"""zoo: a Keras 3 / TensorFlow model zoo.

>>> import numpy as np
>>> import zoo
>>> "lstm_image_classifier" in zoo.list_models()
True
>>> model = zoo.load("lstm_image_classifier", weights="pretrained")
>>> model.predict(np.zeros((1, 28, 28, 1), "uint8"), verbose=0).shape
(1, 10)
"""

import os

# The zoo's training steps and exports are TensorFlow's; choose that backend unless Keras was
# already imported with another (checked below, with a clear message).
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        f"zoo needs Keras' TensorFlow backend, but Keras runs on {keras.backend.backend()!r}. "
        "Set KERAS_BACKEND=tensorflow before importing keras."
    )

from zoo import models  # noqa: E402,F401  (registers every model)
from zoo.api import ModelInfo, export, info, load  # noqa: E402
from zoo.errors import ConfigError, DataError, UnknownModelError, WeightsError, ZooError  # noqa: E402
from zoo.registry import list_models  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "ModelInfo",
    "UnknownModelError",
    "WeightsError",
    "ZooError",
    "export",
    "info",
    "list_models",
    "load",
]
