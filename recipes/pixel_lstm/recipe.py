"""Train `pixel_lstm` on dynamically binarised MNIST by maximum likelihood, and measure it in nats.

    zoo train pixel_lstm                                # the shipped weights
    zoo train pixel_lstm --units 128 --output runs/small
    python -m recipes.pixel_lstm.recipe --smoke --output /tmp/smoke

Data exactly as `vae`'s: training images binarised afresh at every step (p = pixel / 255),
test images binarised once with a fixed seed, the last 2,000 training images held out for the
validation curve. So the two models' numbers are on the same binary test set.

Reported: the exact test negative log-likelihood over the whole test split (nats per image,
and bits per pixel), and the classifier score and Fréchet distance of `--quality-samples`
samples under the shipped lstm_image_classifier, as for `vae` and `dcgan`.
"""

import dataclasses

import numpy as np

from zoo import plots
from zoo.config import at_least, option, positive
from zoo.errors import ConfigError
from zoo.quality import SampleQuality, quality_notes
from zoo.recipe import BinaryImageRecipe, BinaryImageSettings
from zoo.training import SampleGrid


@dataclasses.dataclass
class Settings(BinaryImageSettings, SampleQuality):
    epochs: int = option(12, "passes over the training data (≈ 25 min on 2 CPU cores)", at_least(1))
    learning_rate: float = option(2e-3, "peak Adam learning rate, reached after a short warm-up, then cosine decay "
                                        "to 0", positive)
    clipnorm: float = option(1.0, "clip the global gradient norm to this (LSTMs' gradients spike)", positive)


class PixelLSTMRecipe(BinaryImageRecipe):
    name = "pixel_lstm"
    answers = ("How well does an LSTM model images pixel by pixel, in exact likelihood, against a VAE's bound and "
               "beside the GANs' samples?")
    Settings = Settings
    Measurement = SampleQuality
    smoke = dict(epochs=1, batch_size=64, units=16, num_layers=1, head_units=32, head_layers=1,
                 validation_examples=128, max_train_examples=512, max_test_examples=256, quality_samples=64)

    def smoke_settings(self, given):
        # The masked head needs a hidden unit per value of a row but one (the model's check):
        # the smoke model's 32 are too few for rows wider than 28 grey pixels.
        row_values = given.get("image_size", 28) * given.get("channels", 1)
        return {**self.smoke, "head_units": max(self.smoke["head_units"], row_values - 1)}

    def clipnorm(self, config):
        return config.clipnorm

    def callbacks(self, model, config, data, output):
        return [SampleGrid(output / "samples", lambda m: m.sample(100, seed=config.seed, output="float"))]

    def headline(self, card):
        m = card["metrics"]
        return (f"**{m['test_nll']:.2f} nats** exact test NLL ({m['nll_examples']:,} test images; "
                f"{m['bits_per_pixel']:.3f} bits per pixel); samples: {self.samples_headline(m)}")

    def measured(self, model, test, measurement, dataset, test_examples):
        return {**exact_nll(model, test), **self.sample_quality(model, measurement, dataset, test_examples)}

    def pictures(self, model, config, data, results, output):
        """Samples, and completions: the top half of test images given, the rest drawn."""
        files = self.sample_picture(model, config, output)
        images, labels = (np.asarray(t) for t in next(iter(data.test.unbatch().batch(10))))
        labels = labels if model.num_classes else None  # a conditional model completes the image's class
        half = model.image_shape[0] // 2
        given = images.astype(np.float32) / 255.0
        given[:, half:] = 0.5  # the hidden half, shown grey
        completions = [np.asarray(model.complete(images, half, seed=config.seed + i, output="float", labels=labels))
                       for i in range(4)]
        grid = np.concatenate([given, *completions, images.astype(np.float32) / 255.0])
        plots.save_image_grid(grid, output / "completions.png",
                              title="top half given (row 1), four completions (rows 2-5), the test image (row 6)")
        return {**files, "completions": "completions.png"}

    def sample_picture(self, model, config, output):
        """samples.png: 100 samples of the run's seed, drawn pixel by pixel."""
        plots.save_image_grid(model.sample(100, seed=config.seed, output="float"), output / "samples.png",
                              title="samples, drawn pixel by pixel")
        return {"samples": "samples.png"}

    def notes(self, metrics, dataset):
        notes = [f"test_nll: exact, over all {metrics['nll_examples']} test images binarised once (seed 0), as for "
                 "vae; nats per image (bits_per_pixel: the same in bits per pixel)"]
        if "test_conditional_nll" in metrics:
            notes.append(f"test_conditional_nll: −log p(x | y), each image given its class, exact; test_nll is "
                         f"−log p(x) = −log Σ_y p(y) p(x | y), p(y) = 1/{metrics['nll_classes']} "
                         "(ConditionalPixelLSTM.marginal_log_prob)")
        notes += quality_notes(metrics, "binary samples (against real grey images)", dataset=dataset["name"])
        return notes


def exact_nll(model, test):
    """The exact negative log-likelihood of every image in `test` (binary, {0, 255}): its mean in
    nats per image and in bits per pixel."""
    nll, conditional = [], []
    for images, labels in test.unbatch().batch(500):
        if model.num_classes:  # −log p(x), summed over the classes, and −log p(x | y)
            marginal, per_class = (np.asarray(t) for t in model.marginal_log_prob(images))
            nll.append(-marginal)
            conditional.append(-per_class[np.arange(len(per_class)), np.asarray(labels)])
        else:
            nll.append(-np.asarray(model.log_prob(images)))
    nll = np.concatenate(nll) if nll else np.zeros((0,))
    if not len(nll):
        raise ConfigError("The test split is empty: there is nothing to measure the likelihood on.")
    pixels = int(np.prod(model.image_shape))
    metrics = {"test_nll": round(float(nll.mean()), 3),
               "bits_per_pixel": round(float(nll.mean() / pixels / np.log(2)), 4), "nll_examples": int(len(nll))}
    if conditional:
        metrics.update(test_conditional_nll=round(float(np.concatenate(conditional).mean()), 3),
                       nll_classes=model.num_classes)
    return metrics


RECIPE = PixelLSTMRecipe()

if __name__ == "__main__":
    RECIPE.main()
