"""The settings of a run, as dataclasses whose fields are flags (`zoo.config.option`): what every
run has (`TrainSettings`), what a recipe of images or of video clips adds (`ImageSettings`,
`VideoSettings`), and what `zoo evaluate` measures with (`EvaluateSettings`). A recipe derives
its `Settings` from one of them and states only what is its own."""

import dataclasses
import typing
from pathlib import Path

from zoo import config as cfg
from zoo.config import at_least, one_of, option, optional, positive
from zoo.data import video
from zoo.errors import ConfigError
from zoo.training import PRECISIONS, STRATEGIES, distribute


@dataclasses.dataclass
class TrainSettings:
    """Settings every run has. A recipe derives its own and may add `validate()` for checks
    that involve several fields."""

    epochs: int = option(10, "passes over the training data", at_least(1))
    batch_size: int = option(128, "examples per training step", at_least(1))
    learning_rate: float = option(1e-3, "peak Adam learning rate, reached after a short warm-up, then cosine decay "
                                        "to 0", positive)
    seed: int = option(0, "seed of every random draw: same seed, same data → same numbers")
    init: typing.Optional[str] = option(
        None, "start from these weights instead of fresh ones (fine-tuning): 'pretrained' (the shipped ones), a "
              "model folder as zoo train writes it, or a .weights.h5 file. The model's fields come from the "
              "config.json beside them unless given; a classifier's head is rebuilt (fresh) for another number of "
              "classes; optimizers start fresh")
    data_dir: typing.Optional[str] = option(
        None, "TFDS data folder (default: $TFDS_DATA_DIR, else ~/tensorflow_datasets)")
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once, for "
                                  "offline machines)")
    output: typing.Optional[str] = option(
        None, "folder for weights, config, model card, curves and logs (default: a new runs/<name>/<date-time>/, "
              "or the newest one there that a kill interrupted with these settings, which the run then resumes)")
    overwrite: bool = option(False, "replace the trained model an --output folder already holds (the shipped "
                                    "weights included); without it such a folder is refused")
    smoke: bool = option(False, "shrink the run to seconds (tiny data and model) to check it works")
    deterministic: bool = option(
        False, "bit-identical reruns: TensorFlow op determinism on top of the seeds (some kernels get "
        "slower); without it runs are seeded but may use faster non-deterministic kernels")
    strategy: str = option(
        "auto", "tf.distribute strategy: auto (all local GPUs when there are several, else one device), "
        "mirrored (all local devices), multi_worker (the cluster of $TF_CONFIG) or tpu; --batch-size is "
        "the global batch, split across replicas", one_of(*STRATEGIES))
    precision: str = option(
        "float32", "auto (mixed_bfloat16 where the hardware has bfloat16, else float32), float32 or "
        "mixed_bfloat16", one_of(*PRECISIONS))

    def validate(self):
        """Checks that involve several fields or the environment (each field's own check is
        its `option`'s)."""
        if self.strategy == "multi_worker":
            distribute.cluster_task()  # TF_CONFIG present and well-formed


@dataclasses.dataclass
class ImageSettings(TrainSettings):
    """Settings of the recipes that read images with labels: a TFDS dataset, or your own folder."""

    dataset: str = option("mnist", "TFDS dataset whose images have the model's shape")
    images: typing.Optional[str] = option(
        None, "a folder of your own images (PNG, JPEG, GIF, BMP) instead of --dataset: one sub-folder per class "
              "(the layout of keras.utils.image_dataset_from_directory; a generator also takes a folder of images "
              "alone); resized to --image-size, 20 % held out as the test split")
    image_size: int = option(28, "height and width of the images: what --images are resized to (a TFDS dataset "
                                  "must have them)", at_least(1))
    channels: int = option(1, "channels of the images: 1 (grey) or 3 (RGB); --images are converted", one_of(1, 3))
    validation_examples: typing.Optional[int] = option(
        5000, "held out from the end of the train split for validation curves (--images: 10 % of the folder's "
              "training files unless given)", optional(at_least(0)))
    max_train_examples: int = option(0, "use only this many training examples (0: all)", at_least(0))
    max_test_examples: int = option(0, "measure only this many test examples (0: all)", at_least(0))

    def validate(self):
        super().validate()
        if self.images:
            # The folder is the dataset from here on: the data layer, the card and `zoo evaluate`
            # read it by its absolute path.
            self.dataset = folder_dataset(self.images, "--images")

    @property
    def image_shape(self):
        """(height, width, channels) the recipe reads images as."""
        return (self.image_size, self.image_size, self.channels)


@dataclasses.dataclass
class VideoMeasurement:
    """How the clips of a video recipe are made, in training and when measuring (`zoo evaluate`)."""

    clip_frames: int = option(40, "frames per generated clip: training windows are cut from them, and test clips "
                                  "are their first frames", at_least(1))
    generated_data_dir: typing.Optional[str] = option(
        None, "where moving_mnist_motion is written (default: ~/tensorflow_datasets)")


@dataclasses.dataclass
class VideoSettings(TrainSettings, VideoMeasurement):
    """Settings of the recipes that read video clips: the clips generated from MNIST, a TFDS video
    dataset, or (a recipe with a `videos` flag) your own folder."""

    batch_size: int = option(16, "clips per training step", at_least(1))
    dataset: str = option(video.GENERATED, "moving_mnist_motion (generated from MNIST), or a TFDS video dataset with a "
                                     "'video' feature (and 'label', for a classifier; e.g. ucf101)")
    train_clips: int = option(30_000, "moving_mnist_motion: clips in the train split", at_least(1))
    test_clips: int = option(5_000, "moving_mnist_motion: clips in the test split", at_least(1))
    max_train_examples: int = option(0, "use only this many training clips (0: all)", at_least(0))
    max_test_examples: int = option(0, "measure only this many test clips (0: all)", at_least(0))
    cache: str = option("disk", "where decoded training clips are kept between epochs: disk (a temporary file, "
                                "removed at exit; keeps training under 4 GB of memory), memory (faster to fill, about "
                                "2× the clips' size in RAM) or none (decode every epoch)",
                        one_of(*video.CACHES))



@dataclasses.dataclass
class EvaluateSettings:
    """What `zoo evaluate` and the tests measure with: a recipe adds its own measurement
    settings (e.g. the VAE's number of importance samples), each parsed like a training flag.
    `Recipe.evaluate_class` makes `dataset`'s default the registered model's dataset."""

    dataset: typing.Optional[str] = option(None, "dataset as the model card names it (default: the model's)")
    data_dir: typing.Optional[str] = option(None, "TFDS data folder (default: $TFDS_DATA_DIR)")
    max_examples: int = option(0, "measure only the first N test examples (0: all)", at_least(0))
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once)")


def folder_dataset(folder, flag):
    """The absolute path of `folder` (what the data layer takes for a dataset of your own files),
    or a ConfigError when it is not a folder."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{flag} {folder}: no such folder.")
    return str(path.resolve())


def check_value(name, value, rule):
    """A ConfigError naming `--name` when `rule` finds fault with `value` (for `validate()`)."""
    cfg.check(cfg.flag(name), value, rule)


# Settings that may differ between a killed run and its resumption: where things are read and
# written, not what is trained.
_WHERE = ("output", "overwrite", "data_dir", "generated_data_dir", "cache", "download")


def run_settings(config):
    """The settings a resumed run must share with the run it resumes."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in _WHERE}
