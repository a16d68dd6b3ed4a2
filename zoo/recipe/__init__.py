"""The recipe contract: a `Recipe` subclass says how one registered model is trained and measured;
the base class owns the run, the same for every model:

    strategy → seed → data → before_training → model built (in the strategy's scope) → compile →
    fit → measure → pictures → weights, config and model card written

A recipe sets `name` and `Settings` (a dataclass deriving from `TrainSettings`, `ImageSettings`
or `VideoSettings`: each field a flag) and supplies `load_data`, `measure` (→ `Results`) and
`evaluate`; every other hook is declared on `Recipe` with its default. Its flags are those
settings plus the model's own fields (`zoo.config`), so a model setting is declared once, by the
model; `model_defaults` states where the recipe's defaults differ from the model's, as a timm
variant does. The recipes of images derive from `ImageRecipe`, `BinaryImageRecipe` or
`ImageGANRecipe`, which own their data loading, compile, measurement and pictures.
"""

from zoo.recipe.base import Recipe, Results
from zoo.recipe.evaluate import evaluate_like_card, settings_from_card
from zoo.recipe.images import (BinaryImageRecipe, BinaryImageSettings, GANSettings, ImageGANRecipe, ImageRecipe,
                               classification_metrics)
from zoo.recipe.settings import (EvaluateSettings, ImageSettings, TrainSettings, VideoMeasurement, VideoSettings,
                                 check_value, folder_dataset, run_settings)

__all__ = ["BinaryImageRecipe", "BinaryImageSettings", "EvaluateSettings", "GANSettings", "ImageGANRecipe", "ImageRecipe", "ImageSettings",
           "Recipe", "Results", "TrainSettings", "VideoMeasurement", "VideoSettings", "check_value",
           "classification_metrics", "evaluate_like_card", "folder_dataset", "run_settings", "settings_from_card"]
