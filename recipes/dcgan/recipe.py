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
import numpy as np

import zoo
from zoo import data as zdata
from zoo import training
from zoo.errors import ConfigError
from zoo.training import option

NAME = "dcgan"


@dataclasses.dataclass
class Config(training.ImageDataConfig):
    epochs: int = option(15, "passes over the training data (≈ 27 min on 2 CPU cores)")
    batch_size: int = option(64, "examples per training step")
    latent_dim: int = option(64, "size of the noise vector")
    width: int = option(64, "filters of the discriminator's first convolution")
    loss: str = option("non_saturating", "non_saturating or wgan_gp")
    label_smoothing: float = option(0.1, "one-sided label smoothing of the real labels (non-saturating loss)")
    learning_rate: float = option(2e-4, "Adam learning rate of both networks (β1 = 0.5)")
    ema_decay: float = option(0.999, "moving average of the generator's weights that samples are drawn from (0: off)")
    spectral_norm: bool = option(True, "divide each discriminator kernel by its largest singular value (off: plain convolutions)")
    validation_examples: int = option(0, "unused: a GAN has no validation loss worth plotting")
    precision: str = option("auto", "auto (mixed_bfloat16 where the hardware has bfloat16, else float32), float32 or mixed_bfloat16")
    quality_samples: int = option(10_000, "generated images for the classifier score and Fréchet distance")

    def validate(self):
        super().validate()
        if self.precision not in training.PRECISIONS:
            raise ConfigError(f"--precision must be one of {', '.join(training.PRECISIONS)}, got {self.precision!r}.")
        if self.loss not in ("non_saturating", "wgan_gp"):
            raise ConfigError(f"--loss must be non_saturating or wgan_gp, got {self.loss!r}.")
        if not 0 <= self.label_smoothing < 0.5:
            raise ConfigError(f"--label-smoothing must be in [0, 0.5), got {self.label_smoothing}.")
        for name in ("latent_dim", "width", "quality_samples"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"--ema-decay must be in [0, 1), got {self.ema_decay}.")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate must be positive, got {self.learning_rate}.")


SMOKE = dict(epochs=1, batch_size=64, latent_dim=8, width=8, max_train_examples=512,
             max_test_examples=256, quality_samples=64)


def load_data(config, image_shape=(28, 28, 1)):
    splits = config.image_splits(image_shape, NAME)
    return zdata.ImageSplits(
        train=zdata.batched(splits.train, config.batch_size, shuffle_seed=config.seed),
        validation=None,
        test=zdata.batched(splits.test, 1000),
        info=splits.info,
    )


def model_overrides(config, data):
    return dict(image_shape=data.info["image_shape"], latent_dim=config.latent_dim, width=config.width,
                loss=config.loss, label_smoothing=config.label_smoothing, ema_decay=config.ema_decay,
                spectral_norm=config.spectral_norm, seed=config.seed)


def evaluate(model, data_dir=None, dataset="mnist", max_examples=0, quality_samples=10_000):
    config = Config(dataset=dataset, data_dir=data_dir, max_test_examples=max_examples,
                    quality_samples=quality_samples)
    return _quality_metrics(model, config)


def _quality_metrics(model, config):
    return training.generated_image_quality(model, config, NAME)


def card_notes(measured, dataset):
    return [
        f"{measured['quality_samples']} samples (seed 12345) measured on the features and logits of the "
        "shipped lstm_image_classifier; classifier_score_real is the score of as many real test images, "
        "frechet_distance_floor the distance between as many real train and test images",
    ]


def run(config):
    strategy = training.distribution(config)
    keras.utils.set_random_seed(config.seed)
    data = load_data(config)
    overrides = model_overrides(config, data)
    with training.precision(config.precision) as policy, strategy.scope():
        model = zoo.load(NAME, **overrides)
        beta_2 = 0.9 if config.loss == "wgan_gp" else 0.999
        model.compile(d_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=beta_2),
                      g_optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5, beta_2=beta_2))
        output = config.output_dir(NAME)
        fixed_noise = np.random.default_rng(config.seed).normal(size=(100, config.latent_dim)).astype("float32")
        print(f"Training {NAME} ({policy}) on {data.info['name']} ({data.info['train_examples']} examples) → {output}")
        samples = training.SampleGrid(output / "samples", lambda m: m(fixed_noise))
        epochs = training.fit(model, data.train, None, config, output, callbacks=[samples])
    # Measured and shipped in float32, as `zoo.load` builds it: the numbers in the card are
    # what a user re-measures.
    trained = zoo.load(NAME, **overrides)
    trained.set_weights(model.get_weights())
    measured = _quality_metrics(trained, config)
    training.save_image_grid(trained(fixed_noise), output / "samples.png", title="samples from fixed noise")
    return training.save_trained(
        trained, NAME, output, config=config, epochs=epochs, metrics=measured, dataset=data.info,
        extra_files={"samples": "samples.png"}, notes=card_notes(measured, data.info),
    )


def main(argv=None):
    return run(training.parse_config(Config, argv, SMOKE, prog=f"zoo train {NAME}", description=__doc__))


if __name__ == "__main__":
    main()
