"""The shared bases of the recipes that read images: `ImageRecipe` (a TFDS dataset or your own
folder, with the classes where the model is a classifier), `BinaryImageRecipe` (binarised images
and likelihoods: `vae`, `pixel_lstm`) and `ImageGANRecipe` (two optimizers, samples judged by a
classifier: `dcgan`, `lstm_gan_image`)."""

import dataclasses
import typing

import keras

from zoo import plots
from zoo.config import at_least, option, optional, positive
from zoo.data.images import binarized_splits, image_splits
from zoo.quality import SampleQuality, quality_notes, sample_quality
from zoo.recipe.base import Recipe, Results
from zoo.recipe.settings import ImageSettings
from zoo.training import SampleGrid


class ImageRecipe(Recipe):
    """A recipe of a model that reads images of `config.image_shape`: TFDS' `--dataset`, or the
    `--images` folder. A classifier (a recipe whose `derived_fields` has `num_classes`) gets the
    dataset's classes too."""

    Settings = ImageSettings
    derived_fields = ("image_shape",)

    def load_data(self, config):
        return image_splits(config.dataset, config.image_shape, model_name=self.name, batch_size=config.batch_size,
                            seed=config.seed, data_dir=config.data_dir, download=config.download,
                            validation_examples=config.validation_examples, need_classes=self._classifier,
                            max_train_examples=config.max_train_examples, max_test_examples=config.max_test_examples)

    def derived(self, config, data):
        fields = dict(image_shape=data.info["image_shape"])
        if self._classifier:
            fields.update(num_classes=len(data.info["class_names"]), class_names=data.info["class_names"])
        return fields

    def input_shapes(self, config, saved):
        if "image_shape" not in saved:
            return {}
        height, _, channels = saved["image_shape"]
        return {"image_shape": (list(config.image_shape), f"--image-size {height} --channels {channels}")}

    def test_images(self, model, settings):
        """`evaluate`'s test images: the first `settings.max_examples` of `settings.dataset`'s
        test split, at the model's image shape."""
        return image_splits(settings.dataset, tuple(model.image_shape), model_name=self.name, batch_size=1, seed=0,
                            data_dir=settings.data_dir, max_test_examples=settings.max_examples).test

    @property
    def _classifier(self):
        return "num_classes" in self.derived_fields


def classification_metrics(model, test):
    """Accuracy and mean cross-entropy of a classifier over the `test` batches, with the card's keys."""
    result = model.evaluate(test, return_dict=True, verbose=0)
    return {"test_accuracy": round(float(result["accuracy"]), 6), "test_loss": round(float(result["loss"]), 6)}


@dataclasses.dataclass
class BinaryImageSettings(ImageSettings):
    """Settings of a recipe of binarised images: 2,000 images held out (the models are compared on
    the same binary test set, not tuned on it)."""

    validation_examples: typing.Optional[int] = option(
        2000, "held out from the end of the train split for validation curves (--images: 10 % of the folder's "
              "training files unless given)", optional(at_least(0)))


class BinaryImageRecipe(ImageRecipe):
    """A recipe for a model of binary images (`vae`, `pixel_lstm`): training images binarised
    afresh at every step, test images binarised once (seed 0) so every such model is measured
    on the same binary test set. A subclass says what it measures: `measured(model, test,
    measurement, dataset, test_examples)` → the card's metrics."""

    Settings = BinaryImageSettings

    def load_data(self, config):
        return binarized_splits(config.dataset, self.name, batch_size=config.batch_size, seed=config.seed,
                                data_dir=config.data_dir, download=config.download,
                                validation_examples=config.validation_examples,
                                max_train_examples=config.max_train_examples,
                                max_test_examples=config.max_test_examples, image_shape=config.image_shape)

    def measure(self, model, config, data):
        return Results(self.measured(model, data.test, config, config.dataset, config.max_test_examples))

    def evaluate(self, model, settings):
        data = binarized_splits(settings.dataset, self.name, batch_size=1, seed=0, data_dir=settings.data_dir,
                                max_test_examples=settings.max_examples, image_shape=tuple(model.image_shape))
        return self.measured(model, data.test, settings, settings.dataset, settings.max_examples)

    def measured(self, model, test, measurement, dataset, test_examples):
        """The card's metrics of `model` on the binary `test` images, under the `measurement`
        settings (the recipe's `Measurement`): what `measure` and `evaluate` both report."""
        raise NotImplementedError(f"{type(self).__name__} must define measured(...)")

    def sample_quality(self, model, measurement, dataset, test_examples):
        """`zoo.quality.sample_quality` of this recipe's model under `measurement`."""
        return sample_quality(model, model_name=self.name, settings=measurement, dataset=dataset,
                              test_examples=test_examples)


@dataclasses.dataclass
class GANSettings(ImageSettings, SampleQuality):
    """Settings of an image GAN's recipe: Adam with β1 = 0.5 for both networks."""

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
    """A recipe of an image GAN: two Adam optimizers (β2 = 0.9 for WGAN-GP), a grid of samples of
    fixed noise after every epoch, and the samples' quality under the judges (`zoo.quality`)."""

    Settings = GANSettings
    Measurement = SampleQuality

    def load_data(self, config):
        return dataclasses.replace(super().load_data(config), validation=None)  # held out (if asked), never measured

    def compile(self, model, config, data):
        beta_2 = 0.9 if config.loss == "wgan_gp" else 0.999
        model.compile(d_optimizer=keras.optimizers.Adam(config.d_learning_rate or config.learning_rate, beta_1=0.5,
                                                        beta_2=beta_2),
                      g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=beta_2),
                      jit_compile="auto" if config.jit_compile is None else self.xla(model, config))

    def jit_compile(self, config):
        return bool(config.jit_compile)  # Keras' "auto" is off on the CPUs the benchmark compares on

    def callbacks(self, model, config, data, output):
        return [SampleGrid(output / "samples", lambda m: m(plots.fixed_noise(config.seed, config.latent_dim)))]

    def headline(self, card):
        """The GAN's classifier-score ratio and Fréchet distance under both judges (see `Recipe`)."""
        m = card["metrics"]
        text = (f"classifier score ratio **{m['classifier_score_ratio']:.2f}** ({m['classifier_score']:.2f} of real "
                f"test images' {m['classifier_score_real']:.2f}), Fréchet distance {m['frechet_distance']:.2f} "
                f"(floor {m['frechet_distance_floor']:.2f})")
        if "classifier_score_ratio_conv" in m:
            text += (f"; second judge: ratio **{m['classifier_score_ratio_conv']:.3f}**, Fréchet distance "
                     f"{m['frechet_distance_conv']:.2f} (floor {m['frechet_distance_floor_conv']:.2f})")
        return text + f"; {m['quality_samples']:,} samples"

    def measure(self, model, config, data):
        return Results(sample_quality(model, model_name=self.name, settings=config, dataset=config.dataset,
                                      test_examples=config.max_test_examples))

    def evaluate(self, model, settings):
        return sample_quality(model, model_name=self.name, settings=settings, dataset=settings.dataset,
                              test_examples=settings.max_examples, required=True)

    def pictures(self, model, config, data, results, output):
        plots.save_image_grid(model(plots.fixed_noise(config.seed, config.latent_dim)), output / "samples.png",
                              title="samples from fixed noise")
        return {"samples": "samples.png"}

    def notes(self, metrics, dataset):
        return quality_notes(metrics, dataset=dataset["name"])
