"""Re-measuring a trained model the way its model card was measured.

What `zoo evaluate` and the tests of the shipped weights do."""

import dataclasses

from zoo import config as cfg
from zoo.recipe.settings import EvaluateSettings
from zoo.registry import get_entry


def settings_from_card(recipe, card, data_dir=None, **changes):
    """The `evaluate_class()` settings that re-measure a model as its `card` was measured.

    The same dataset and test examples, and any measurement setting the card records among
    its metrics (the VAE's `nll_samples`) or its dataset (a video model's `num_frames`).

    Args:
        recipe: the model's recipe.
        card: its model card (a dict with "dataset" and "metrics").
        data_dir: TFDS data folder; None for $TFDS_DATA_DIR.
        **changes: settings that replace the card's (e.g. `quality_samples=0` to leave out
            the sample measures).

    Returns:
        The validated settings (an `evaluate_class()` instance).

    Raises:
        zoo.ConfigError: a setting fails its check.
        TypeError: `changes` names a setting the recipe does not have.

    Examples:
        >>> from zoo.recipe import settings_from_card
        >>> from zoo.registry import get_entry
        >>> card = {"dataset": {"name": "mnist", "test_examples": 100},
        ...         "metrics": {"nll_samples": 50}}
        >>> settings = settings_from_card(get_entry("vae").recipe(), card, quality_samples=0)
        >>> settings.dataset, settings.max_examples, settings.nll_samples, settings.quality_samples
        ('mnist', 100, 50, 0)
    """
    recorded = {**card.get("dataset", {}), **card.get("metrics", {})}
    evaluate = recipe.evaluate_class()
    names = {f.name for f in dataclasses.fields(evaluate)} - {f.name for f in dataclasses.fields(EvaluateSettings)}
    settings = evaluate(**{"dataset": card["dataset"]["name"], "data_dir": data_dir,
                           "max_examples": card["dataset"]["test_examples"] or 0,
                           **{k: recorded[k] for k in names if k in recorded}, **changes})
    cfg.validate_fields(settings)
    return settings


def evaluate_like_card(name, model, card, data_dir=None, **changes):
    """Re-measures `model`, of the registered model `name`, the way `card` was measured.

    Reads the test data (see `settings_from_card` for which) and measures as the recipe's
    `evaluate` does: what `zoo evaluate` and the tests of the shipped weights run.

    Args:
        name: a registered model name.
        model: the model to measure.
        card: the model card to measure like (a dict).
        data_dir: TFDS data folder; None for $TFDS_DATA_DIR.
        **changes: measurement settings that replace the card's.

    Returns:
        The card's metrics, measured again (a dict).

    Raises:
        zoo.UnknownModelError: `name` is not registered.
        zoo.ConfigError: a setting fails its check (before any data is read).
        zoo.DataError: the test data cannot be found or loaded.

    Examples:
        >>> import zoo
        >>> from zoo.recipe import evaluate_like_card
        >>> card = {"dataset": {"name": "mnist", "test_examples": 100}, "metrics": {}}
        >>> evaluate_like_card("vae", zoo.load("vae", latent_dim=2), card, nll_samples=0)
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: --nll-samples must be at least 1, got 0.
    """
    recipe = get_entry(name).recipe()
    return recipe.evaluate(model, settings_from_card(recipe, card, data_dir, **changes))
