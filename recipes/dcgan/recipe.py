"""Train `dcgan` on MNIST and measure its samples with the zoo's MNIST classifier.

    zoo train dcgan                                  # the recipe defaults
    zoo train dcgan --loss wgan_gp --output runs/wgan
    python -m recipes.dcgan.recipe --smoke --output /tmp/smoke

Reported: the classifier score of `--quality-samples` generated images as a fraction of the
score of as many real test images, and their Fréchet distance to the real test images beside
the real train-vs-test floor (features and logits of the shipped lstm_image_classifier).
"""

import dataclasses

import keras

from zoo import plots
from zoo.plots import fixed_noise
from zoo.config import at_least, option, positive
from zoo.data.images import image_splits
from zoo.quality import SampleQuality, quality_notes, sample_quality
from zoo.recipe import ImageSettings, Recipe
from zoo.training import SampleGrid


@dataclasses.dataclass
class Settings(ImageSettings, SampleQuality):
    epochs: int = option(15, "passes over the training data (≈ 24 min on 2 CPU cores)", at_least(1))
    batch_size: int = option(64, "examples per training step", at_least(1))
    learning_rate: float = option(2e-4, "Adam learning rate of both networks (β1 = 0.5)", positive)
    validation_examples: int = option(0, "unused: a GAN has no validation loss worth plotting", at_least(0))
    precision: str = option("auto", "auto (mixed_bfloat16 where the hardware has bfloat16, else float32), "
                                    "float32 or mixed_bfloat16")


class DCGANRecipe(Recipe):
    name = "dcgan"
    Settings = Settings
    Measurement = SampleQuality
    # Smoothed real labels keep D from growing over-confident early in the run; R1 (γ = 5) keeps
    # it flat on the data (measured: second judge's score ratio 0.860 without, 0.876 at γ = 1,
    # 0.891 at γ = 5); a generator 1.5 times as wide (96 filters, D unchanged) took it to 0.904
    # in 15 epochs, 23.8 min (more R1, a longer weight average, no spectral norm: all 0.89).
    model_defaults = dict(label_smoothing=0.1, r1_penalty=5.0, generator_width=96)
    derived_fields = ("image_shape",)
    smoke = dict(epochs=1, batch_size=64, latent_dim=8, width=8, generator_width=0, max_train_examples=512,
                 max_test_examples=256, quality_samples=64)

    def load_data(self, config):
        data = image_splits(config.dataset, config.image_shape, model_name=self.name, batch_size=config.batch_size,
                            seed=config.seed, data_dir=config.data_dir, download=config.download,
                            validation_examples=config.validation_examples,
                            max_train_examples=config.max_train_examples, max_test_examples=config.max_test_examples)
        return dataclasses.replace(data, validation=None)  # held out (if asked) but never measured

    def derived(self, config, data):
        return dict(image_shape=data.info["image_shape"])

    def compile(self, model, config, data):
        beta_2 = 0.9 if config.loss == "wgan_gp" else 0.999
        model.compile(d_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=beta_2),
                      g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=beta_2))

    def callbacks(self, model, config, data, output):
        return [SampleGrid(output / "samples", lambda m: m(fixed_noise(config.seed, config.latent_dim)))]

    def measure(self, model, config, data):
        return sample_quality(model, model_name=self.name, settings=config, dataset=config.dataset,
                              test_examples=config.max_test_examples)

    def evaluate(self, model, settings):
        return sample_quality(model, model_name=self.name, settings=settings, dataset=settings.dataset or "mnist",
                              test_examples=settings.max_examples, required=True)

    def pictures(self, model, config, data, output):
        plots.save_image_grid(model(fixed_noise(config.seed, config.latent_dim)), output / "samples.png",
                              title="samples from fixed noise")
        return {"samples": "samples.png"}

    def notes(self, metrics, dataset):
        return quality_notes(metrics, dataset=dataset["name"])


RECIPE = DCGANRecipe()

if __name__ == "__main__":
    RECIPE.main()
