"""The shared bases of the recipes that read images.

`ImageRecipe` (a TFDS dataset or your own folder, with the classes where the model is a
classifier), `BinaryImageRecipe` (binarised images and likelihoods: `vae`, `pixel_lstm`) and
`ImageGANRecipe` (two optimizers, samples judged by a classifier: `dcgan`, `lstm_gan_image`)."""

import dataclasses
import typing

import keras

from zoo import plots
from zoo.config import at_least, option, optional, positive
from zoo.data.images import binarized_splits, image_splits
from zoo.quality import SampleQuality, at_full_temperature, drawn_as_itself, quality_notes, sample_quality
from zoo.recipe.base import Recipe, Results
from zoo.recipe.settings import ImageSettings
from zoo.training import SampleGrid


class ImageRecipe(Recipe):
    """A recipe of a model that reads images of `config.image_shape`.

    The images come from TFDS' `--dataset`, or the `--images` folder. A classifier (a recipe
    whose `derived_fields` has `num_classes`) gets the dataset's classes too. Its settings are
    `ImageSettings`; the model's `image_shape` is derived from the data.

    Examples:
        >>> from zoo.recipe import ImageRecipe
        >>> from zoo.registry import get_entry
        >>> recipe = get_entry("lstm_image_classifier").recipe()
        >>> isinstance(recipe, ImageRecipe), recipe.derived_fields
        (True, ('image_shape', 'num_classes', 'class_names'))
    """

    Settings = ImageSettings
    derived_fields = ("image_shape",)

    def load_data(self, config):
        """The run's images (and labels): `config.dataset` or the `--images` folder.

        Args:
            config: the run's config (an `ImageSettings`).

        Returns:
            A `zoo.data.Splits` of images at `config.image_shape` (with the class names in its
            `info` for a classifier).

        Raises:
            zoo.DataError: the dataset cannot be found, loaded or used.
            zoo.ConfigError: `validation_examples` leaves no training data.
        """
        return image_splits(config.dataset, config.image_shape, model_name=self.name, batch_size=config.batch_size,
                            seed=config.seed, data_dir=config.data_dir, download=config.download,
                            validation_examples=config.validation_examples, need_classes=self._classifier,
                            max_train_examples=config.max_train_examples, max_test_examples=config.max_test_examples)

    def derived(self, config, data):
        """The model's image shape from the data, and a classifier's classes.

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits` (its `info`).

        Returns:
            A dict: `image_shape`, and for a classifier `num_classes` and `class_names`.

        Examples:
            >>> from types import SimpleNamespace
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("lstm_image_classifier").recipe()
            >>> info = {"image_shape": (28, 28, 1), "class_names": ["cat", "dog"]}
            >>> data = SimpleNamespace(info=info)
            >>> recipe.derived(recipe.config(), data)
            {'image_shape': (28, 28, 1), 'num_classes': 2, 'class_names': ['cat', 'dog']}
        """
        fields = dict(image_shape=data.info["image_shape"])
        if self._classifier:
            fields.update(num_classes=len(data.info["class_names"]), class_names=data.info["class_names"])
        return fields

    def input_shapes(self, config, saved):
        """The image shape of this run, and the flags that give the `--init` weights' shape.

        Args:
            config: the run's config.
            saved: the model config saved beside the `--init` weights.

        Returns:
            A dict {"image_shape": (this run's shape, the flags for `saved`'s)}, or {} where
            `saved` has no image shape.

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("lstm_image_classifier").recipe()
            >>> recipe.input_shapes(recipe.config(), {"image_shape": [32, 32, 3]})
            {'image_shape': ([28, 28, 1], '--image-size 32 --channels 3')}
        """
        if "image_shape" not in saved:
            return {}
        height, _, channels = saved["image_shape"]
        return {"image_shape": (list(config.image_shape), f"--image-size {height} --channels {channels}")}

    def test_images(self, model, settings):
        """`evaluate`'s test images, at the model's image shape.

        Args:
            model: the model to measure (its `image_shape`).
            settings: an `evaluate_class()` instance: `dataset`, `data_dir` and `max_examples`
                (the first N test examples; 0: all).

        Returns:
            The test split, a batched `tf.data.Dataset` of (images, labels).

        Raises:
            zoo.DataError: the dataset cannot be found, loaded or used.
        """
        return image_splits(settings.dataset, tuple(model.image_shape), model_name=self.name, batch_size=1, seed=0,
                            data_dir=settings.data_dir, max_test_examples=settings.max_examples).test

    @property
    def _classifier(self):
        return "num_classes" in self.derived_fields


def classification_metrics(model, test):
    """Accuracy and mean cross-entropy of a classifier over the `test` batches.

    Args:
        model: a compiled classifier whose metrics include `accuracy` (a `zoo.load`ed one).
        test: batches of (images, labels), e.g. a batched `tf.data.Dataset`.

    Returns:
        A dict with the card's keys: `test_accuracy` and `test_loss`, floats rounded to 6
        digits.

    Examples:
        >>> import numpy as np, tensorflow as tf, zoo
        >>> from zoo.recipe import classification_metrics
        >>> model = zoo.load("lstm_image_classifier", units=8)
        >>> images, labels = np.zeros((8, 28, 28, 1), "uint8"), np.zeros(8, "int64")
        >>> test = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
        >>> metrics = classification_metrics(model, test)
        >>> sorted(metrics), 0 <= metrics["test_accuracy"] <= 1
        (['test_accuracy', 'test_loss'], True)
    """
    result = model.evaluate(test, return_dict=True, verbose=0)
    return {"test_accuracy": round(float(result["accuracy"]), 6), "test_loss": round(float(result["loss"]), 6)}


@dataclasses.dataclass
class BinaryImageSettings(ImageSettings):
    """Settings of a recipe of binarised images: 2,000 images held out.

    The models are compared on the same binary test set, not tuned on it. Every
    `ImageSettings` field, with another default for:

    Attributes:
        validation_examples: held out from the end of the train split for validation curves
            (at least 0); default 2000. None with `images`: 10 % of the folder's training
            files.

    Examples:
        >>> from zoo.recipe import BinaryImageSettings
        >>> BinaryImageSettings().validation_examples
        2000
    """

    validation_examples: typing.Optional[int] = option(
        2000, "held out from the end of the train split for validation curves (--images: 10 % of the folder's "
              "training files unless given)", optional(at_least(0)))


class BinaryImageRecipe(ImageRecipe):
    """A recipe for a model of binary images (`vae`, `pixel_lstm`).

    Training images are binarised afresh at every step, test images once (seed 0), so every
    such model is measured on the same binary test set. A subclass says what it measures:
    `measured(model, test, measurement, dataset, test_examples)` → the card's metrics.

    Examples:
        >>> from zoo.recipe import BinaryImageRecipe
        >>> from zoo.registry import get_entry
        >>> [isinstance(get_entry(name).recipe(), BinaryImageRecipe)
        ...  for name in ("vae", "pixel_lstm")]
        [True, True]
    """

    Settings = BinaryImageSettings

    @staticmethod
    def samples_headline(metrics):
        """The sample-quality part of a binary-image model's headline (see `Recipe.headline`).

        Args:
            metrics: a card's metrics, with the classifier score and Fréchet distance.

        Returns:
            str: "classifier score … (real …), Fréchet distance … (floor …)".

        Examples:
            >>> from zoo.recipe import BinaryImageRecipe
            >>> BinaryImageRecipe.samples_headline({"classifier_score": 9.51, "classifier_score_real": 9.87,
            ...                                     "frechet_distance": 0.64, "frechet_distance_floor": 0.2})
            'classifier score 9.51 (real 9.87), Fréchet distance 0.64 (floor 0.20)'
        """
        return (f"classifier score {metrics['classifier_score']:.2f} (real {metrics['classifier_score_real']:.2f}), "
                f"Fréchet distance {metrics['frechet_distance']:.2f} (floor {metrics['frechet_distance_floor']:.2f})")

    def load_data(self, config):
        """The run's images: raw for training (binarised at every step), binary for testing.

        Args:
            config: the run's config (a `BinaryImageSettings`).

        Returns:
            A `zoo.data.Splits` whose test images are binarised once, with seed 0.

        Raises:
            zoo.DataError: the dataset cannot be found, loaded or used.
        """
        return binarized_splits(config.dataset, self.name, batch_size=config.batch_size, seed=config.seed,
                                data_dir=config.data_dir, download=config.download,
                                validation_examples=config.validation_examples,
                                max_train_examples=config.max_train_examples,
                                max_test_examples=config.max_test_examples, image_shape=config.image_shape)

    def measure(self, model, config, data):
        """The `Results` of `measured` on the run's binary test images.

        Args:
            model: the trained model.
            config: the run's config (also the `Measurement` settings).
            data: the run's `zoo.data.Splits`.

        Returns:
            `Results` with `measured`'s metrics.
        """
        return Results(self.measured(model, data.test, config, config.dataset, config.max_test_examples))

    def evaluate(self, model, settings):
        """`measured` on `settings.dataset`'s test images, binarised as in training runs.

        Args:
            model: the model to measure.
            settings: an `evaluate_class()` instance.

        Returns:
            The card's metrics (a dict).

        Raises:
            zoo.DataError: the dataset cannot be found, loaded or used.
        """
        data = binarized_splits(settings.dataset, self.name, batch_size=1, seed=0, data_dir=settings.data_dir,
                                max_test_examples=settings.max_examples, image_shape=tuple(model.image_shape))
        return self.measured(model, data.test, settings, settings.dataset, settings.max_examples)

    def measured(self, model, test, measurement, dataset, test_examples):
        """The card's metrics of `model` on the binary `test` images.

        Override to measure (every such recipe must): what `measure` and `evaluate` both
        report.

        Args:
            model: the model to measure.
            test: the binary test images, batched (images, labels).
            measurement: the `Measurement` settings (a run's config, or `zoo evaluate`'s
                settings).
            dataset: the dataset's name, for the sample measures' judge.
            test_examples: how many test examples were asked for (0: all).

        Returns:
            A dict {metric: value} with the card's keys.

        Raises:
            NotImplementedError: the recipe does not define it.
        """
        raise NotImplementedError(f"{type(self).__name__} must define measured(...)")

    def sample_quality(self, model, measurement, dataset, test_examples):
        """`zoo.quality.sample_quality` of this recipe's model under `measurement`.

        The classifier score and Fréchet distance of the model's samples, or {} when there
        is no judge for `dataset` or `measurement.quality_samples` is 0. A model that samples
        below temperature 1 (`sample_temperature`) or with guidance is also measured as itself
        (at 1, unguided): the same measures with the suffix `_t1` (`zoo.quality.at_full_temperature`).

        Args:
            model: the model whose samples are judged.
            measurement: settings with `quality_samples` and `judge_weights` (and the data's
                `data_dir` and `download`).
            dataset: the dataset's name: the default judge knows mnist only.
            test_examples: test examples the real images' measures use (0: all).

        Returns:
            A dict {metric: value} with the card's keys, or {}.

        Examples:
            >>> import zoo
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("vae").recipe()
            >>> model, config = zoo.load("vae", latent_dim=2), recipe.config(quality_samples=0)
            >>> recipe.sample_quality(model, config, "mnist", 0)
            {}
        """
        def measured():
            return sample_quality(model, model_name=self.name, settings=measurement, dataset=dataset,
                                  test_examples=test_examples)

        quality = measured()
        if quality and not drawn_as_itself(model):  # and the model's own samples beside them
            quality.update(at_full_temperature(model, measured))
        return quality


@dataclasses.dataclass
class GANSettings(ImageSettings, SampleQuality):
    """Settings of an image GAN's recipe: Adam with β1 = 0.5 for both networks.

    Every `ImageSettings` and `zoo.quality.SampleQuality` field (`quality_samples`,
    `judge_weights`), and:

    Attributes:
        batch_size: examples per training step (at least 1); default 64.
        learning_rate: Adam learning rate of the generator, and of the discriminator unless
            `d_learning_rate` is given (positive); default 2e-4.
        d_learning_rate: Adam learning rate of the discriminator; default None (`learning_rate`).
        validation_examples: unused: a GAN has no validation loss worth plotting; default 0.
        jit_compile: XLA-compile the training step; default None (Keras decides: off on CPU,
            on for one GPU where the model allows it).

    Examples:
        >>> from zoo.recipe import GANSettings
        >>> settings = GANSettings()
        >>> settings.batch_size, settings.learning_rate, settings.quality_samples
        (64, 0.0002, 10000)
    """

    batch_size: int = option(64, "examples per training step", at_least(1))
    learning_rate: float = option(2e-4, "Adam learning rate of the generator, and of the discriminator unless "
                                        "--d-learning-rate is given (β1 = 0.5)", positive)
    d_learning_rate: typing.Optional[float] = option(
        None, "Adam learning rate of the discriminator (β1 = 0.5; default: --learning-rate)", optional(positive))
    validation_examples: int = option(0, "unused: a GAN has no validation loss worth plotting", at_least(0))
    jit_compile: typing.Optional[bool] = option(
        None, "XLA-compile the training step (default: Keras decides: off on CPU, on for one GPU where the model "
              "allows it)")


class ImageGANRecipe(ImageRecipe):
    """A recipe of an image GAN (`dcgan`, `lstm_gan_image`).

    Two Adam optimizers (β2 = 0.9 for WGAN-GP), a grid of samples of fixed noise after every
    epoch, and the samples' quality under the judges (`zoo.quality`). Its settings are
    `GANSettings`, its `Measurement` `zoo.quality.SampleQuality`.

    Examples:
        >>> from zoo.recipe import ImageGANRecipe
        >>> from zoo.registry import get_entry
        >>> [isinstance(get_entry(name).recipe(), ImageGANRecipe)
        ...  for name in ("dcgan", "lstm_gan_image")]
        [True, True]
    """

    Settings = GANSettings
    Measurement = SampleQuality

    def load_data(self, config):
        """`ImageRecipe.load_data` without a validation split (held out if asked, never measured).

        Args:
            config: the run's config (a `GANSettings`).

        Returns:
            A `zoo.data.Splits` whose `validation` is None.

        Raises:
            zoo.DataError: the dataset cannot be found, loaded or used.
        """
        return dataclasses.replace(super().load_data(config), validation=None)  # held out (if asked), never measured

    def compile(self, model, config, data):
        """Compiles the GAN with two Adam optimizers, β1 = 0.5 (β2 = 0.9 for WGAN-GP, else 0.999).

        Args:
            model: the GAN, built in the strategy's scope.
            config: the run's config (`learning_rate`, `d_learning_rate`, `loss`,
                `jit_compile`).
            data: unused.

        Examples:
            >>> import zoo
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("dcgan").recipe()
            >>> model = zoo.load("dcgan", latent_dim=8, width=8)
            >>> recipe.compile(model, recipe.config(), None)
            >>> model.d_optimizer.beta_1, model.d_optimizer.beta_2
            (0.5, 0.999)
        """
        beta_2 = 0.9 if config.loss == "wgan_gp" else 0.999
        model.compile(d_optimizer=keras.optimizers.Adam(config.d_learning_rate or config.learning_rate, beta_1=0.5,
                                                        beta_2=beta_2),
                      g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=beta_2),
                      jit_compile="auto" if config.jit_compile is None else self.xla(model, config))

    def jit_compile(self, config):
        """Whether the step is XLA-compiled: `--jit-compile` (off when not given).

        Args:
            config: the run's config.

        Returns:
            A bool.

        Examples:
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("dcgan").recipe()
            >>> recipe.jit_compile(recipe.config())
            False
            >>> recipe.jit_compile(recipe.config(jit_compile=True))
            True
        """
        return bool(config.jit_compile)  # Keras' "auto" is off on the CPUs the benchmark compares on

    def callbacks(self, model, config, data, output):
        """A grid of samples of fixed noise after every epoch, in `output`/samples.

        Args:
            model: the run's GAN.
            config: the run's config (`seed`, `latent_dim`).
            data: unused.
            output: the run's output folder (a `pathlib.Path`).

        Returns:
            A list of one `zoo.training.SampleGrid`.

        Examples:
            >>> import pathlib, zoo
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("dcgan").recipe()
            >>> model = zoo.load("dcgan", latent_dim=8, width=8)
            >>> callbacks = recipe.callbacks(model, recipe.config(), None, pathlib.Path("out"))
            >>> [type(callback).__name__ for callback in callbacks]
            ['SampleGrid']
        """
        return [SampleGrid(output / "samples", lambda m: m(plots.fixed_noise(config.seed, config.latent_dim)))]

    def headline(self, card):
        """The GAN's classifier-score ratio and Fréchet distance, under both judges when measured.

        Args:
            card: a model card this recipe wrote (a dict).

        Returns:
            str: the model table's "shipped metric" cell, in markdown (see `Recipe.headline`).
        """
        m = card["metrics"]
        text = (f"classifier score ratio **{m['classifier_score_ratio']:.2f}** ({m['classifier_score']:.2f} of real "
                f"test images' {m['classifier_score_real']:.2f}), Fréchet distance {m['frechet_distance']:.2f} "
                f"(floor {m['frechet_distance_floor']:.2f})")
        if "classifier_score_ratio_conv" in m:
            text += (f"; second judge: ratio **{m['classifier_score_ratio_conv']:.3f}**, Fréchet distance "
                     f"{m['frechet_distance_conv']:.2f} (floor {m['frechet_distance_floor_conv']:.2f})")
        return text + f"; {m['quality_samples']:,} samples"

    def measure(self, model, config, data):
        """The samples' quality under the judges (`zoo.quality.sample_quality`).

        Args:
            model: the trained GAN.
            config: the run's config (its `SampleQuality` fields).
            data: unused: the judges read the real images themselves.

        Returns:
            `Results` with the sample measures, or none where there is no judge.
        """
        return Results(sample_quality(model, model_name=self.name, settings=config, dataset=config.dataset,
                                      test_examples=config.max_test_examples))

    def evaluate(self, model, settings):
        """The samples' quality under the judges, as the card measured it.

        Args:
            model: the GAN to measure.
            settings: an `evaluate_class()` instance.

        Returns:
            The sample measures (a dict with the card's keys).

        Raises:
            zoo.ConfigError: there is no judge for `settings.dataset`, or
                `settings.quality_samples` is 0.
        """
        return sample_quality(model, model_name=self.name, settings=settings, dataset=settings.dataset,
                              test_examples=settings.max_examples, required=True)

    def pictures(self, model, config, data, results, output):
        """Writes samples of fixed noise (the run's seed) to `output`/samples.png.

        Args:
            model: the trained GAN.
            config: the run's config (`seed`, `latent_dim`).
            data: unused.
            results: unused.
            output: the run's output folder (a `pathlib.Path`).

        Returns:
            {"samples": "samples.png"}.
        """
        return self.sample_picture(model, config, output)

    def sample_picture(self, model, config, output):
        """Writes samples of fixed noise (the run's seed) to `output`/samples.png.

        What `pictures` draws; `ConditionalImages` draws it one row per class instead.

        Args:
            model: the trained GAN.
            config: the run's config (`seed`, `latent_dim`).
            output: the run's output folder (a `pathlib.Path`).

        Returns:
            {"samples": "samples.png"}.
        """
        plots.save_image_grid(model(plots.fixed_noise(config.seed, config.latent_dim)), output / "samples.png",
                              title="samples from fixed noise")
        return {"samples": "samples.png"}

    def notes(self, metrics, dataset):
        """The card's notes on how the sample measures were made, or why they were not.

        Args:
            metrics: the card's metrics.
            dataset: the card's dataset description (its `name`).

        Returns:
            A list of str.

        Examples:
            >>> from zoo.registry import get_entry
            >>> get_entry("dcgan").recipe().notes({}, {"name": "mnist"})
            ['sample quality not measured: --quality-samples 0']
        """
        return quality_notes(metrics, dataset=dataset["name"])


class ConditionalImages:
    """Mixin before an image generator's recipe class that makes the class-conditional recipe.

    `dcgan_conditional`'s is `class Recipe(ConditionalImages, DCGANRecipe)`.

    The data come with their classes (TFDS' labels, or an `--images` folder's class
    sub-folders), the model's `num_classes` is derived from them, the sample measures add
    how often the judges see the class that was asked for (`zoo.quality`'s
    `conditional_image_quality`), and the picture is a grid with one row per class.

    Examples:
        >>> from zoo.recipe import ConditionalImages, ImageGANRecipe
        >>> class Recipe(ConditionalImages, ImageGANRecipe):
        ...     name = "dcgan"
        >>> Recipe().derived_fields, Recipe()._classifier
        (('image_shape', 'num_classes'), True)
    """

    derived_fields = ("image_shape", "num_classes")

    def derived(self, config, data):
        """The model's image shape and number of classes, from the data.

        Args:
            config: the run's config.
            data: the run's `zoo.data.Splits` (its `info`: `image_shape`, `class_names`).

        Returns:
            A dict: `image_shape` and `num_classes`.

        Examples:
            >>> from types import SimpleNamespace
            >>> from zoo.registry import get_entry
            >>> data = SimpleNamespace(info={"image_shape": (28, 28, 1), "class_names": list("0123456789")})
            >>> get_entry("dcgan_conditional").recipe().derived(None, data)
            {'image_shape': (28, 28, 1), 'num_classes': 10}
        """
        return dict(image_shape=data.info["image_shape"], num_classes=len(data.info["class_names"]))

    def headline(self, card):
        """The share of samples drawn as the class asked for, under both judges, then the rest.

        Args:
            card: a model card this recipe wrote (a dict).

        Returns:
            str: the model table's "shipped metric" cell, in markdown (see `Recipe.headline`).

        Examples:
            >>> from zoo import cards
            >>> from zoo.registry import get_entry
            >>> card = cards.read_card(cards.saved_models_dir() / "dcgan_conditional")
            >>> get_entry("dcgan_conditional").recipe().headline(card).startswith("conditional accuracy **99.22 %**")
            True
        """
        m = card["metrics"]
        text = (f"conditional accuracy **{100 * m['conditional_accuracy_conv']:.2f} %** (second judge; real test "
                f"images {100 * m['conditional_accuracy_real_conv']:.2f} %), {100 * m['conditional_accuracy']:.2f} % "
                "under the first")
        if "conditional_accuracy_conv_t1" in m:  # drawn cooler (or guided) than the model itself
            config = card["model_config"]
            guided = f", guidance {config['guidance']:g}" if config.get("guidance") else ""
            text += (f", drawn at temperature {config['sample_temperature']:g}{guided} "
                     f"({100 * m['conditional_accuracy_conv_t1']:.2f} % at 1{', unguided' if guided else ''})")
        return text + "; " + super().headline(card)

    def sample_picture(self, model, config, output):
        """samples.png, one row per class: ten samples of each class, drawn with the run's seed.

        The unconditional recipe's `pictures` draw it here in place of their own grid.

        Args:
            model: the trained generator.
            config: the run's config (`seed`).
            output: the run's output folder (a `pathlib.Path`).

        Returns:
            {"samples": "samples.png"}.

        Examples:
            >>> import pathlib, tempfile, zoo
            >>> from zoo.registry import get_entry
            >>> recipe = get_entry("dcgan_conditional").recipe()
            >>> model = zoo.load("dcgan_conditional", latent_dim=8, width=8, generator_width=0)
            >>> recipe.pictures(model, recipe.config(latent_dim=8), None, None, pathlib.Path(tempfile.mkdtemp()))
            {'samples': 'samples.png'}
        """
        import numpy as np

        per_class = 10
        labels = np.repeat(np.arange(model.num_classes), per_class).astype("int32")
        plots.save_image_grid(model.sample(len(labels), seed=config.seed, output="float", labels=labels),
                              output / "samples.png", columns=per_class, title="one row per class")
        return {"samples": "samples.png"}

