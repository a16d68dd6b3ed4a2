"""The settings of a run, as dataclasses whose fields are flags (`zoo.config.option`).

What every run has (`TrainSettings`), what a recipe of images or of video clips adds
(`ImageSettings`, `VideoSettings`), and what `zoo evaluate` measures with (`EvaluateSettings`).
A recipe derives its `Settings` from one of them and states only what is its own."""

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
    """Settings every run has: each field a flag of `zoo train` (`--batch-size` for `batch_size`).

    A recipe derives its own and may add `validate()` for checks that involve several fields.
    Each field's own check runs with `zoo.config.validate_fields`.

    Attributes:
        epochs: passes over the training data (at least 1); default 10.
        batch_size: examples per training step (at least 1; the global batch under a
            strategy); default 128.
        learning_rate: peak Adam learning rate, reached after a short warm-up, then cosine
            decay to 0 (positive); default 1e-3.
        seed: seed of every random draw: same seed, same data → same numbers; default 0.
        init: start from these weights instead of fresh ones (fine-tuning): "pretrained" (the
            shipped ones), a model folder as `zoo train` writes it, or a `.weights.h5` file;
            default None (fresh weights). The model's fields then come from the config.json
            beside them unless given; a classifier's head is rebuilt for another number of
            classes; optimizers start fresh.
        data_dir: TFDS data folder; default None ($TFDS_DATA_DIR, else ~/tensorflow_datasets).
        download: let TFDS download a dataset that is not prepared (off: fail at once, for
            offline machines); default True.
        output: folder for weights, config, model card, curves and logs; default None (a new
            runs/<name>/<date-time>/, or the newest one there that a kill interrupted with
            these settings, which the run then resumes).
        overwrite: replace the trained model an `output` folder already holds (the shipped
            weights included); default False: such a folder is refused.
        smoke: shrink the run to seconds (tiny data and model) to check it works; default
            False.
        deterministic: bit-identical reruns: TensorFlow op determinism on top of the seeds
            (some kernels get slower); default False.
        strategy: tf.distribute strategy: "auto" (the default: all local GPUs when there are
            several, else one device), "mirrored", "multi_worker" (the cluster of
            $TF_CONFIG) or "tpu".
        precision: "float32" (the default), "mixed_bfloat16", or "auto" (mixed_bfloat16
            where bfloat16 measures faster on this machine: `zoo.training.distribute.auto_precision`).

    Examples:
        >>> from zoo.config import validate_fields
        >>> from zoo.recipe import TrainSettings
        >>> settings = TrainSettings(epochs=2)
        >>> settings.epochs, settings.batch_size, settings.strategy
        (2, 128, 'auto')
        >>> validate_fields(TrainSettings(epochs=0))
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: --epochs must be at least 1, got 0.
    """

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
        "float32", "auto (mixed_bfloat16 where a bfloat16 matrix product measures faster than float32 on "
        "this machine, else float32; measured once, cached), float32 or mixed_bfloat16", one_of(*PRECISIONS))

    def validate(self):
        """Checks that involve several fields or the environment.

        Each field's own check is its `option`'s; a recipe's `Settings` extends this one
        (calling it).

        Raises:
            zoo.ConfigError: `strategy` is "multi_worker" and $TF_CONFIG is missing or not a
                valid cluster description.

        Examples:
            >>> from zoo.recipe import TrainSettings
            >>> TrainSettings().validate() is None
            True
        """
        if self.strategy == "multi_worker":
            distribute.cluster_task()  # TF_CONFIG present and well-formed


@dataclasses.dataclass
class ImageSettings(TrainSettings):
    """Settings of the recipes that read images with labels: a TFDS dataset, or your own folder.

    Every `TrainSettings` field, and:

    Attributes:
        dataset: TFDS dataset whose images have the model's shape; default "mnist". With
            `images`, `validate` sets it to that folder's absolute path.
        images: a folder of your own images (PNG, JPEG, GIF, BMP) instead of `dataset`: one
            sub-folder per class (a generator also takes a folder of images alone); resized
            to `image_size`, 20 % held out as the test split. Default None.
        image_size: height and width of the images (at least 1): what `images` are resized
            to (a TFDS dataset must have them); default 28.
        channels: 1 (grey, the default) or 3 (RGB); `images` are converted.
        validation_examples: held out from the end of the train split for validation curves
            (at least 0); default 5000. None with `images`: 10 % of the folder's training
            files.
        max_train_examples: use only this many training examples (0, the default: all).
        max_test_examples: measure only this many test examples (0, the default: all).

    Examples:
        >>> from zoo.recipe import ImageSettings
        >>> ImageSettings(image_size=32, channels=3).image_shape
        (32, 32, 3)
    """

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
        """`TrainSettings.validate`, and `images` (when given) made the dataset.

        Sets `dataset` to the absolute path of the `images` folder: the data layer, the card
        and `zoo evaluate` read it by that path.

        Raises:
            zoo.ConfigError: `images` is not a folder, or `TrainSettings.validate` finds fault.

        Examples:
            >>> import tempfile
            >>> from pathlib import Path
            >>> from zoo.recipe import ImageSettings
            >>> folder = tempfile.mkdtemp()
            >>> settings = ImageSettings(images=folder)
            >>> settings.validate()
            >>> settings.dataset == str(Path(folder).resolve())
            True
        """
        super().validate()
        if self.images:
            # The folder is the dataset from here on: the data layer, the card and `zoo evaluate`
            # read it by its absolute path.
            self.dataset = folder_dataset(self.images, "--images")

    @property
    def image_shape(self):
        """(height, width, channels) the recipe reads images as.

        Returns:
            The tuple (image_size, image_size, channels).
        """
        return (self.image_size, self.image_size, self.channels)


@dataclasses.dataclass
class VideoMeasurement:
    """How the clips of a video recipe are made, in training and when measuring (`zoo evaluate`).

    A base of `VideoSettings` (flags of `zoo train`) and of a video recipe's `Measurement`
    (flags of `zoo evaluate`).

    Attributes:
        clip_frames: frames per generated clip (at least 1): training windows are cut from
            them, and test clips are their first frames; default 40.
        generated_data_dir: where moving_mnist_motion is written; default None
            (~/tensorflow_datasets).

    Examples:
        >>> from zoo.recipe import VideoMeasurement
        >>> VideoMeasurement().clip_frames
        40
    """

    clip_frames: int = option(40, "frames per generated clip: training windows are cut from them, and test clips "
                                  "are their first frames", at_least(1))
    generated_data_dir: typing.Optional[str] = option(
        None, "where moving_mnist_motion is written (default: ~/tensorflow_datasets)")


@dataclasses.dataclass
class VideoSettings(TrainSettings, VideoMeasurement):
    """Settings of the recipes that read video clips.

    The clips generated from MNIST, a TFDS video dataset, or (a recipe with a `videos` flag)
    your own folder. Every `TrainSettings` and `VideoMeasurement` field, and:

    Attributes:
        batch_size: clips per training step (at least 1); default 16.
        dataset: "moving_mnist_motion" (the default: generated from MNIST), or a TFDS video
            dataset with a "video" feature (and "label", for a classifier; e.g. ucf101).
        train_clips: moving_mnist_motion: clips in the train split (at least 1); default
            30,000.
        test_clips: moving_mnist_motion: clips in the test split (at least 1); default 5,000.
        max_train_examples: use only this many training clips (0, the default: all).
        max_test_examples: measure only this many test clips (0, the default: all).
        cache: where decoded training clips are kept between epochs: "disk" (the default: a
            temporary file, removed at exit; keeps training under 4 GB of memory), "memory"
            (faster to fill, about 2× the clips' size in RAM) or "none" (decode every epoch).

    Examples:
        >>> from zoo.recipe import VideoSettings
        >>> settings = VideoSettings()
        >>> settings.dataset, settings.batch_size, settings.clip_frames
        ('moving_mnist_motion', 16, 40)
    """

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
    """What `zoo evaluate` and the tests measure with.

    A recipe adds its own measurement settings (e.g. the VAE's number of importance samples),
    each parsed like a training flag. `Recipe.evaluate_class` makes `dataset`'s default the
    registered model's dataset.

    Attributes:
        dataset: dataset as the model card names it; default None (the model's).
        data_dir: TFDS data folder; default None ($TFDS_DATA_DIR).
        max_examples: measure only the first N test examples (at least 0; 0, the default:
            all).
        download: let TFDS download a dataset that is not prepared (off: fail at once);
            default True.

    Examples:
        >>> from zoo.recipe import EvaluateSettings
        >>> EvaluateSettings(max_examples=100)
        EvaluateSettings(dataset=None, data_dir=None, max_examples=100, download=True)
    """

    dataset: typing.Optional[str] = option(None, "dataset as the model card names it (default: the model's)")
    data_dir: typing.Optional[str] = option(None, "TFDS data folder (default: $TFDS_DATA_DIR)")
    max_examples: int = option(0, "measure only the first N test examples (0: all)", at_least(0))
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once)")


def folder_dataset(folder, flag):
    """The absolute path of `folder`: what the data layer takes for a dataset of your own files.

    Args:
        folder: the folder's path (`~` is expanded).
        flag: the flag that named it (e.g. "--images"), for the error message.

    Returns:
        The folder's absolute, resolved path, as a str.

    Raises:
        zoo.ConfigError: `folder` is not a folder.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from zoo.recipe import folder_dataset
        >>> folder = tempfile.mkdtemp()
        >>> folder_dataset(folder, "--images") == str(Path(folder).resolve())
        True
        >>> folder_dataset("/no/such/folder", "--images")
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: --images /no/such/folder: no such folder.
    """
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{flag} {folder}: no such folder.")
    return str(path.resolve())


def check_value(name, value, rule):
    """Raises a ConfigError naming `--name` when `rule` finds fault with `value`.

    For a settings class's `validate()`: checks that involve several fields.

    Args:
        name: the field's name (`batch_size`; the message names its flag, `--batch-size`).
        value: the value to check.
        rule: a check from `zoo.config` (e.g. `at_least(1)`): the value → what is wrong with
            it, or None.

    Raises:
        zoo.ConfigError: `rule` finds fault with `value`.

    Examples:
        >>> from zoo.config import at_least
        >>> from zoo.recipe import check_value
        >>> check_value("batch_size", 8, at_least(1))
        >>> check_value("batch_size", 0, at_least(1))
        Traceback (most recent call last):
        ...
        zoo.errors.ConfigError: --batch-size must be at least 1, got 0.
    """
    cfg.check(cfg.flag(name), value, rule)


# Settings that may differ between a killed run and its resumption: where things are read and
# written, not what is trained.
_WHERE = ("output", "overwrite", "data_dir", "generated_data_dir", "cache", "download")


def run_settings(config):
    """The settings a resumed run must share with the run it resumes.

    Every setting but those of where things are read and written (`output`, `overwrite`,
    `data_dir`, `generated_data_dir`, `cache`, `download`), which may differ between a
    killed run and its resumption.

    Args:
        config: a settings dataclass instance (a recipe's config).

    Returns:
        A dict {field: value} of the settings that decide what is trained.

    Examples:
        >>> from zoo.recipe import TrainSettings, run_settings
        >>> sorted(run_settings(TrainSettings(output="out")))  # doctest: +NORMALIZE_WHITESPACE
        ['batch_size', 'deterministic', 'epochs', 'init', 'learning_rate', 'precision', 'seed',
         'smoke', 'strategy']
    """
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in _WHERE}
