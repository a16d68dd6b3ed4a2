"""The recipe layer: how a registered model is trained and measured.

`Recipe` (base.py) owns the run, the same for every model, and declares every hook a recipe may
define; a recipe states its settings as a dataclass (settings.py: each field a flag) and only
what is its own. The shared bases own what recipes of a kind repeat: `ImageRecipe`,
`BinaryImageRecipe` and `ImageGANRecipe` (images.py), `VideoRecipe` (video.py). finetune.py is
what a run does with `--init`; evaluate.py re-measures a model the way its card was measured.

Each registered model names its recipe module, whose `RECIPE` instance `zoo train <name>` runs.

Examples:
    >>> from zoo.recipe import BinaryImageRecipe
    >>> from zoo.registry import get_entry
    >>> recipe = get_entry("vae").recipe()
    >>> type(recipe).__module__, isinstance(recipe, BinaryImageRecipe)
    ('recipes.vae.recipe', True)
"""

from zoo.recipe.base import Recipe, Results
from zoo.recipe.evaluate import evaluate_like_card, settings_from_card
from zoo.recipe.images import (BinaryImageRecipe, BinaryImageSettings, ConditionalImages, GANSettings, ImageGANRecipe,
                               ImageRecipe, classification_metrics)
from zoo.recipe.video import VideoRecipe
from zoo.recipe.settings import (EvaluateSettings, ImageSettings, TrainSettings, VideoMeasurement, VideoSettings,
                                 check_value, folder_dataset, run_settings)

__all__ = ["BinaryImageRecipe", "BinaryImageSettings", "ConditionalImages", "EvaluateSettings", "GANSettings", "ImageGANRecipe", "ImageRecipe", "ImageSettings",
           "Recipe", "Results", "TrainSettings", "VideoMeasurement", "VideoRecipe", "VideoSettings", "check_value",
           "classification_metrics", "evaluate_like_card", "folder_dataset", "run_settings", "settings_from_card"]
