"""Re-measuring a trained model the way its model card was measured (`zoo evaluate`, the tests
of the shipped weights)."""

import dataclasses

from zoo import config as cfg
from zoo.recipe.settings import EvaluateSettings
from zoo.registry import get_entry


def settings_from_card(recipe, card, data_dir=None, **changes):
    """The `evaluate_class()` settings that re-measure a model as its `card` was measured: the
    same dataset and test examples, and any measurement setting the card records among its
    metrics (the VAE's `nll_samples`) or its dataset (a video model's `num_frames`); `changes`
    replace some of them (e.g. `quality_samples=0` to leave out the sample measures)."""
    recorded = {**card.get("dataset", {}), **card.get("metrics", {})}
    evaluate = recipe.evaluate_class()
    names = {f.name for f in dataclasses.fields(evaluate)} - {f.name for f in dataclasses.fields(EvaluateSettings)}
    settings = evaluate(**{"dataset": card["dataset"]["name"], "data_dir": data_dir,
                           "max_examples": card["dataset"]["test_examples"] or 0,
                           **{k: recorded[k] for k in names if k in recorded}, **changes})
    cfg.validate_fields(settings)
    return settings


def evaluate_like_card(name, model, card, data_dir=None, **changes):
    """Re-measures `model`, of the registered model `name`, the way `card` was measured (see
    `settings_from_card`): the card's metrics."""
    recipe = get_entry(name).recipe()
    return recipe.evaluate(model, settings_from_card(recipe, card, data_dir, **changes))
