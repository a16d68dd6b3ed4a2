"""Training, split by concern: `distribute` (strategy, cluster, precision), `callbacks`,
`loop` (`fit`, the shared optimizer schedule) and `saving` (weights, config and model card).
The run skeleton that uses them is `zoo.recipe.Recipe`."""

from zoo.training.callbacks import EpochCheckpoint, EpochLog, SampleGrid, StopOnDivergence
from zoo.training.distribute import PRECISIONS, STRATEGIES, distribution, is_chief, output_dir, precision
from zoo.training.loop import adam_cosine, fit
from zoo.training.saving import save_trained, weights_digest

__all__ = [
    "EpochCheckpoint", "EpochLog", "PRECISIONS", "STRATEGIES", "SampleGrid", "StopOnDivergence",
    "adam_cosine", "distribution", "fit", "is_chief", "output_dir", "precision", "save_trained", "weights_digest",
]
