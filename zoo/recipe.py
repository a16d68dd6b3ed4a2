"""The recipe contract: a `Recipe` subclass says how one registered model is trained and measured;
this base class owns the run, the same for every model:

    strategy → seed → data → model built (in the strategy's scope) → compile → fit → measure →
    pictures → weights, config and model card written

A recipe supplies `load_data`, `compile` and `measure` (and, if it has them, `derived`,
`callbacks`, `pictures`, `notes`, `evaluate`); its settings are a dataclass deriving from
`TrainSettings`. Its flags are those settings plus the model's own fields (`zoo.config`), so a
model setting is declared once, by the model; `model_defaults` states where the recipe's
defaults differ from the model's, as a timm variant does.
"""

import dataclasses
import functools
import sys
import typing

import keras

from zoo import config as cfg
from zoo import runs
from zoo.config import at_least, one_of, option, optional
from zoo.data import Splits
from zoo.data.images import binarized_splits
from zoo.errors import ConfigError
from zoo.registry import get_entry
from zoo.training import PRECISIONS, STRATEGIES, adam_cosine, distribute, fit, save_trained, transfer


@dataclasses.dataclass
class TrainSettings:
    """Settings every run has. A recipe derives its own and may add `validate()` for checks
    that involve several fields."""

    epochs: int = option(10, "passes over the training data", at_least(1))
    batch_size: int = option(128, "examples per training step", at_least(1))
    seed: int = option(0, "seed of every random draw: same seed, same data → same numbers")
    init: typing.Optional[str] = option(
        None, "start from these weights instead of fresh ones (fine-tuning): 'pretrained' (the shipped ones), a "
              "model folder as zoo train writes it, or a .weights.h5 file. The model's fields come from the "
              "config.json beside them unless given; a classifier's head is rebuilt (fresh) for another number of "
              "classes; optimizers start fresh")
    data_dir: typing.Optional[str] = option(
        None, "TFDS data folder (default: $TFDS_DATA_DIR, else ~/tensorflow_datasets)")
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
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once, for "
                                  "offline machines)")

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


def folder_dataset(folder, flag):
    """The absolute path of `folder` (what the data layer takes for a dataset of your own files),
    or a ConfigError when it is not a folder."""
    from pathlib import Path

    from zoo.errors import ConfigError

    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{flag} {folder}: no such folder.")
    return str(path.resolve())


@dataclasses.dataclass
class EvaluateSettings:
    """What `zoo evaluate` and the tests measure with: a recipe adds its own measurement
    settings (e.g. the VAE's number of importance samples), each parsed like a training flag."""

    dataset: typing.Optional[str] = option(None, "dataset as the model card names it (default: the model's)")
    data_dir: typing.Optional[str] = option(None, "TFDS data folder (default: $TFDS_DATA_DIR)")
    max_examples: int = option(0, "measure only the first N test examples (0: all)", at_least(0))


class Recipe:
    """How one registered model is trained and measured (see the module docstring)."""

    name: str  # the registered model it trains; also the default output folder's name
    Settings = TrainSettings
    # Settings of how the card's numbers are measured (a dataclass, e.g. the VAE's number of
    # importance samples): a base of `Settings`, and with `EvaluateSettings` they make `Evaluate`.
    Measurement = None
    model_defaults: dict = {}  # model fields whose default for training differs from the model's
    derived_fields: tuple = ()  # model fields the recipe sets itself (from the data), not flags
    smoke: dict = {}  # settings (and model fields) that shrink the run to seconds: --smoke
    benchmark_note: str = ""  # what `benchmarks.run` should say beside the model's FLOP count

    # -- what a recipe supplies ------------------------------------------------------------------

    def load_data(self, config) -> Splits:
        raise NotImplementedError

    def derived(self, config, data):
        """The `derived_fields` of the model for this run's data (e.g. image shape, classes)."""
        return {}

    def compile(self, model, config, data):
        """Compiles `model` (built inside the strategy's scope) with its optimizers."""
        raise NotImplementedError

    def callbacks(self, model, config, data, output):
        return []

    def measure(self, model, config, data):
        """The card's metrics of the trained `model`, measured as `evaluate` re-measures them."""
        raise NotImplementedError

    def evaluate(self, model, settings):
        """Test metrics of `model` with the card's keys; `settings` an `evaluate_class()`."""
        raise NotImplementedError

    def pictures(self, model, config, data, output):
        """Writes the recipe's pictures into `output`: {card key: file name}."""
        return {}

    def notes(self, metrics, dataset):
        """Lines for the card that say how each metric was measured."""
        return []

    # -- the run ---------------------------------------------------------------------------------

    def main(self, argv=None):
        """Command-line flags → a trained, measured and saved model; returns its card."""
        return self.run(self.parse(argv))

    def parse(self, argv=None):
        entry = get_entry(self.name)
        return cfg.parse(self.config_class(), argv, prog=f"zoo train {self.name}",
                         description=sys.modules[type(self).__module__].__doc__,
                         validate=lambda config: self._validate(config, entry), defaults=self.flag_defaults)

    def config(self, **values):
        """A validated config from keyword values (defaults for the rest), as flags would give
        (but `smoke=True` does not apply the `smoke` settings: pass them)."""
        given = {k: v for k, v in values.items() if k != "smoke"}
        config = self.config_class()(**{**self.flag_defaults(given), **values})
        cfg.validate_fields(config)
        self._validate(config, get_entry(self.name))
        return config

    @classmethod
    @functools.cache
    def config_class(cls):
        """The recipe's settings and the model's fields, as one dataclass: one flag each."""
        entry = get_entry(cls.name)
        fields = cfg.model_fields(entry.cls, cls.model_defaults, exclude=cls.derived_fields)
        clashes = {f.name for f in dataclasses.fields(cls.Settings)} & {name for name, _, _ in fields}
        if clashes:
            raise TypeError(f"{cls.__name__}.Settings repeats the model's fields {sorted(clashes)}.")
        return dataclasses.make_dataclass(f"{cls.__name__}Config", fields, bases=(cls.Settings,))

    @classmethod
    @functools.cache
    def evaluate_class(cls):
        """`zoo evaluate`'s settings: which data, and the recipe's `Measurement` settings."""
        bases = (EvaluateSettings, cls.Measurement) if cls.Measurement else (EvaluateSettings,)
        return dataclasses.make_dataclass(f"{cls.__name__}Evaluate", [], bases=bases)

    def flag_defaults(self, given):
        """{field: value} for the settings not `given` (flags as {field: value}) that depend on
        those that are: --smoke's (`smoke_settings`); a folder's validation split (a fraction of
        its files, where the recipe holds any out); the model fields of --init's weights."""
        values = dict(self.smoke_settings(given)) if given.get("smoke") else {}
        if given.get("images") or given.get("videos"):
            held_out = next((f.default for f in dataclasses.fields(self.config_class())
                             if f.name == "validation_examples"), 0)
            if held_out:  # None: the data layer holds out `zoo.data.folders.VALIDATION_FRACTION`
                values["validation_examples"] = None
        if given.get("init"):
            values.update(self.init_fields(given["init"]))
        return values

    def smoke_settings(self, given):
        """The settings --smoke applies to the fields not `given`: `smoke`, unless a recipe
        must fit them to what was given (e.g. the image shape)."""
        return self.smoke

    def init_fields(self, init):
        """The model fields (flags) of the weights `--init init`, from their config.json: the
        architecture a fine-tuning run starts from."""
        _, saved = transfer.init_weights(self.name, init)
        flags = {f.name for f in dataclasses.fields(self.config_class()) if f.metadata.get("model")}
        return {k: v for k, v in saved.items() if k in flags}

    def _validate(self, config, entry):
        cfg.check_fields(entry.cls, self.model_settings(config), label=cfg.flag)
        config.validate()
        if config.init:
            self._check_init(config, entry)

    def _check_init(self, config, entry):
        """Refuses, before any data is read, a model flag or image shape that makes the model's
        variables another shape than those of the --init weights (data-derived class counts
        are left to `train`: a classifier's head is rebuilt)."""
        _, saved = transfer.init_weights(self.name, config.init)
        if not saved:
            return  # no config.json: the weights are matched against the run's model as they are
        base = {**entry.default_config(), **saved}
        for name, value in self.model_settings(config).items():
            if name == "seed" or name not in saved or saved[name] == value:
                continue
            problem = transfer.shape_mismatch(entry.cls, base, {name: value})
            if problem:
                raise ConfigError(f"{cfg.flag(name)} {value} does not fit the --init {config.init} weights, made "
                                      f"with {name}={saved[name]!r}: {problem}. Leave {cfg.flag(name)} out (it then "
                                      "comes from the weights) or train without --init.")
        for name, (value, needed) in self.input_shapes(config, saved).items():
            if name in saved and list(saved[name]) != list(value) and \
                    transfer.shape_mismatch(entry.cls, base, {name: value}):
                raise ConfigError(f"The --init {config.init} weights read inputs of shape {tuple(saved[name])}, "
                                      f"not {tuple(value)}: give {needed} (your files are resized to it).")

    def input_shapes(self, config, saved):
        """{derived model field: (its value in this run, the flags that make it what the
        `saved` config has)} for the input shapes a run's flags decide (checked against
        --init's weights before the data is read)."""
        if "image_shape" not in self.derived_fields or not hasattr(config, "image_shape") or "image_shape" not in saved:
            return {}
        height, _, channels = saved["image_shape"]
        return {"image_shape": (list(config.image_shape), f"--image-size {height} --channels {channels}")}

    def model_settings(self, config):
        """The model fields among `config`'s settings (with the run's seed)."""
        names = {f.name for f in dataclasses.fields(config) if f.metadata.get("model")}
        fields = {name: getattr(config, name) for name in names}
        if "seed" in get_entry(self.name).default_config():
            fields["seed"] = config.seed
        return fields

    def model_config(self, config, data):
        return {**self.model_settings(config), **self.derived(config, data)}

    def output_dir(self, config):
        return distribute.output_dir(config.output, self.name, config.strategy)

    def run(self, config):
        # Chosen once: the default is a new dated folder, and later hooks ask for it again.
        config = dataclasses.replace(config, output=str(config.output or runs.default_output(self.name,
                                                                                               run_settings(config))))
        with runs.locked(self.output_dir(config)):
            runs.check_overwrite(self.output_dir(config), config.overwrite, self.name)
            return self._run(config)

    def _run(self, config):
        strategy = distribute.distribution(config.strategy, deterministic=config.deterministic, seed=config.seed,
                                           batch_size=config.batch_size)
        keras.utils.set_random_seed(config.seed)
        data = self.load_data(config)
        # Again: a first run generates its dataset (moving_mnist_motion), which draws from the
        # global generators, and a rerun that reads it must still build the same model.
        keras.utils.set_random_seed(config.seed)
        output = self.output_dir(config)
        print(f"Training {self.name} on {data.info['name']} ({data.info['train_examples']} examples) → {output}")
        extra = self.before_training(config, data, output, strategy)
        model, history = self.train(config, data, output, strategy)
        metrics = self.measure(model, config, data)
        files = self.pictures(model, config, data, output)
        return save_trained(model, self.name, output, config=config, history=history, metrics=metrics,
                            dataset=data.info, notes=self.notes(metrics, data.info), extra_files=files,
                            extra={**extra, **self.card_sections(model, config, data)})

    def before_training(self, config, data, output, strategy):
        """Work before the model trains whose results go into the card (a baseline): a dict."""
        return {}

    def card_sections(self, model, config, data):
        """Sections the card gets beside the metrics, made once training and measurement are
        done (e.g. samples, peak memory); with --init, where training started (`init`)."""
        return {"init": self.init_record(model, config)} if config.init else {}

    def epochs(self, config):
        return config.epochs

    def jit_compile(self, config):
        """Whether the recipe XLA-compiles its training step (`benchmarks.run` measures the other
        setting too): off unless a recipe says otherwise."""
        return False

    def train(self, config, data, output, strategy, batches=None, validation=None, epochs=None):
        """Builds, compiles and fits the model (on `data` unless other `batches` are given);
        returns (model, per-epoch log rows). Under mixed precision the model that comes back is
        a float32 copy: what the card measures is what `zoo.load` gives a user."""
        start = self.init_model(config) if config.init else None
        with distribute.precision(config.precision) as policy:
            with strategy.scope():
                model = self.build(config, data)
                if start is not None:
                    self.transfer(start, model, config)
                self.compile(model, config, data)
            history = fit(model, batches or data.train, validation if batches else data.validation,
                          epochs=epochs or self.epochs(config), output=output,
                          callbacks=self.callbacks(model, config, data, output), run=run_settings(config))
        if policy != "float32":
            trained = self.build(config, data)
            trained.set_weights(model.get_weights())
            model = trained
        return model, history

    def build(self, config, data):
        import zoo

        return zoo.load(self.name, **self.model_config(config, data))

    def init_model(self, config):
        """The model of the --init weights, as they were saved (its own config)."""
        import zoo

        return zoo.load(self.name, weights=config.init)

    def transfer(self, start, model, config):
        """Starts `model` from the weights of `start` (`zoo.training.transfer`); returns what was
        kept and rebuilt. A variable may only be rebuilt where the data gives the model another
        number of classes than the weights had."""
        report = transfer.transfer_weights(start, model)
        classes = getattr(start, "num_classes", None)
        if report["rebuilt"] and classes == getattr(model, "num_classes", None):
            raise ConfigError(f"The --init {config.init} weights do not fit this run's model: "
                                  f"{report['rebuilt'][0]} has another shape. Train without --init.")
        return report

    def init_record(self, model, config):
        """The card's record of where training started: the --init weights, their SHA-256 and
        what was kept and rebuilt."""
        from pathlib import Path

        from zoo import cards

        weights, _ = transfer.init_weights(self.name, config.init)
        report = transfer.transfer_weights(self.init_model(config), self.build_like(model))
        shown = Path(weights).resolve()
        shown = shown.relative_to(Path.cwd()) if shown.is_relative_to(Path.cwd()) else shown
        return {"from": config.init, "weights": str(shown), "weights_sha256": cards.file_sha256(weights), **report}

    def build_like(self, model):
        """A fresh model of `model`'s configuration."""
        from zoo.registry import get_entry

        entry = get_entry(self.name)
        return entry.cls(**{k: model.get_config()[k] for k in entry.default_config()})


# Settings that may differ between a killed run and its resumption: where things are read and
# written, not what is trained.
_WHERE = ("output", "overwrite", "data_dir", "generated_data_dir", "cache", "download")


def run_settings(config):
    """The settings a resumed run must share with the run it resumes."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in _WHERE}


def settings_from_card(recipe, card, data_dir=None, **changes):
    """The `Evaluate` settings that re-measure a model as its `card` was measured: the same
    dataset and test examples, and any measurement setting the card records among its metrics
    (the VAE's `nll_samples`) or its dataset (a video model's `num_frames`); `changes` replace
    some of them (e.g. `quality_samples=0` to leave out the sample measures)."""
    recorded = {**card.get("dataset", {}), **card.get("metrics", {})}
    evaluate = recipe.evaluate_class()
    names = {f.name for f in dataclasses.fields(evaluate)} - {f.name for f in dataclasses.fields(EvaluateSettings)}
    settings = evaluate(**{"dataset": card["dataset"]["name"], "data_dir": data_dir,
                           "max_examples": card["dataset"]["test_examples"] or 0,
                           **{k: recorded[k] for k in names if k in recorded}, **changes})
    cfg.validate_fields(settings)
    return settings


def evaluate_like_card(name, model, card, data_dir=None, **changes):
    """Re-measures `model` the way `card` was measured (see `settings_from_card`)."""
    recipe = get_entry(name).recipe()
    return recipe.evaluate(model, settings_from_card(recipe, card, data_dir, **changes))


def check_value(name, value, rule):
    """A ConfigError naming `--name` when `rule` finds fault with `value` (for `validate()`)."""
    cfg.check(cfg.flag(name), value, rule)


__all__ = ["EvaluateSettings", "ImageSettings", "Recipe", "TrainSettings", "evaluate_like_card",
           "settings_from_card"]


class BinaryImageRecipe(Recipe):
    """A recipe for a model of binary images (`vae`, `pixel_lstm`): training images binarised
    afresh at every step, test images binarised once (seed 0) so every such model is measured
    on the same binary test set, Adam with warm-up and cosine decay (gradients clipped to
    `config.clipnorm` where the settings have one). A subclass says what it measures:
    `measured(model, test, measurement, dataset, test_examples)` → the card's metrics."""

    derived_fields = ("image_shape",)

    def load_data(self, config):
        return binarized_splits(config.dataset, self.name, batch_size=config.batch_size, seed=config.seed,
                                data_dir=config.data_dir, download=config.download,
                                validation_examples=config.validation_examples,
                                max_train_examples=config.max_train_examples,
                                max_test_examples=config.max_test_examples, image_shape=config.image_shape)

    def derived(self, config, data):
        return dict(image_shape=data.info["image_shape"])

    def compile(self, model, config, data):
        model.compile(optimizer=adam_cosine(config.learning_rate, config.epochs, data.train.steps,
                                            clipnorm=getattr(config, "clipnorm", None)))

    def measure(self, model, config, data):
        return self.measured(model, data.test, config, config.dataset, config.max_test_examples)

    def evaluate(self, model, settings):
        dataset = settings.dataset or "mnist"
        data = binarized_splits(dataset, self.name, batch_size=1, seed=0, data_dir=settings.data_dir,
                                max_test_examples=settings.max_examples, image_shape=tuple(model.image_shape))
        return self.measured(model, data.test, settings, dataset, settings.max_examples)

    def measured(self, model, test, measurement, dataset, test_examples):
        raise NotImplementedError

    def sample_quality(self, model, measurement, dataset, test_examples):
        """`zoo.quality.sample_quality` of this recipe's model under `measurement`."""
        from zoo.quality import sample_quality

        return sample_quality(model, model_name=self.name, settings=measurement, dataset=dataset,
                              test_examples=test_examples)
