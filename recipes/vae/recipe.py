"""Train `vae` on dynamically binarised MNIST and measure it in nats.

    zoo train vae                               # the shipped weights
    zoo train vae --latent-dim 2 --output runs/vae2d   # also draws the 2-D manifold
    python -m recipes.vae.recipe --smoke --output /tmp/smoke

Training images are binarised afresh at every step (p = pixel / 255). The test images are
binarised once, with a fixed seed, so every measurement sees the same binary test set. The
last 2,000 training images are held out for the validation curves.

Reported: the test negative ELBO over the whole test split, and the test negative
log-likelihood estimated by importance sampling (k samples from q(z|x), the IWAE bound) over
the first `--nll-examples` test images (k × images decoder passes: the full split would take
the better part of an hour on 2 CPU cores).
"""

import dataclasses

import numpy as np

from zoo import plots
from zoo.plots import fixed_noise
from zoo.config import at_least, option
from zoo.quality import SampleQuality, quality_notes
from zoo.models.vae import other_class_samples
from zoo.recipe import BinaryImageRecipe, BinaryImageSettings
from zoo.training import SampleGrid


@dataclasses.dataclass
class Measurement(SampleQuality):
    """How the card's numbers are measured: at the end of training and by `zoo evaluate`."""

    nll_examples: int = option(1000, "test images for the importance-sampled NLL (0: leave it out)", at_least(0))
    nll_samples: int = option(1000, "importance samples k per image for the NLL", at_least(1))


@dataclasses.dataclass
class Settings(BinaryImageSettings, Measurement):
    epochs: int = option(40, "passes over the training data", at_least(1))


class VAERecipe(BinaryImageRecipe):
    name = "vae"
    answers = "How does a VAE compare with the GANs and the pixel LSTM: likelihood, sample quality, blur?"
    Settings = Settings
    Measurement = Measurement
    smoke = dict(epochs=1, batch_size=64, latent_dim=4, width=8, validation_examples=128, max_train_examples=512,
                 max_test_examples=256, nll_examples=16, nll_samples=20, quality_samples=64)

    def clipnorm(self, config):
        return None  # a convolutional VAE's gradients do not spike

    def callbacks(self, model, config, data, output):
        noise = fixed_noise(config.seed, model.latent_dim)
        return [SampleGrid(output / "samples", lambda m: m.decode_noise(m.sample_temperature * noise, output="float"))]

    def headline(self, card):
        m = card["metrics"]
        return (f"**{m['test_nll']:.2f} nats** test NLL (importance-sampled, k = {m['nll_samples']:,}, first "
                f"{m['nll_examples']:,} test images); negative ELBO {m['test_negative_elbo']:.2f}; "
                f"{self.samples_headline(m)}")

    def measured(self, model, test, measurement, dataset, test_examples):
        return {**likelihood_metrics(model, test, measurement.nll_examples, measurement.nll_samples),
                **self.sample_quality(model, measurement, dataset, test_examples)}

    def pictures(self, model, config, data, results, output):
        """Samples, test reconstructions beside their inputs, and (for a 2-D latent) the manifold."""
        files = self.sample_picture(model, config, output)
        images, labels = next(iter(data.test.unbatch().batch(10)))
        reconstructions = model.reconstruct(images, output="float", labels=labels if model.num_classes else None)
        pairs = np.concatenate([np.asarray(images, np.float32) / 255.0, np.asarray(reconstructions)])
        plots.save_image_grid(pairs, output / "reconstructions.png", title="test images (top) and reconstructions")
        files = {**files, "reconstructions": "reconstructions.png"}
        if model.latent_dim == 2:
            grid = np.linspace(-2.5, 2.5, 15, dtype="float32")
            z = np.array([[x, -y] for y in grid for x in grid], "float32")
            plots.save_image_grid(model.decode_noise(z, output="float"), output / "manifold.png", columns=15,
                                  title="decoded latent grid")
            files["manifold"] = "manifold.png"
        return files

    def sample_picture(self, model, config, output):
        """samples.png: the fixed noise of the run's seed, drawn from the prior (at the model's
        `sample_temperature`) and decoded."""
        noise = fixed_noise(config.seed, model.latent_dim)
        plots.save_image_grid(model.decode_noise(model.sample_temperature * noise, output="float"),
                              output / "samples.png", title="samples from the prior")
        return {"samples": "samples.png"}

    def notes(self, metrics, dataset):
        notes = [f"test_negative_elbo: all {dataset['test_examples']} test images, binarised once (seed 0), nats"]
        if "test_conditional_nll" in metrics:
            notes.append(f"test_conditional_nll: −log p(x | y) of each image given its class, importance-sampled with "
                         f"k={metrics['nll_samples']} over the first {metrics['nll_examples']} of those images, nats; "
                         f"test_nll: −log p(x) = −log Σ_y p(y) p(x | y), p(y) = 1/{metrics['nll_classes']}, the image's "
                         f"own class's term as above and each other class's with k={metrics['nll_other_samples']} "
                         f"(ConditionalVAE.marginal_nll)")
        elif "test_nll" in metrics:
            notes.append(f"test_nll: importance-sampled with k={metrics['nll_samples']} over the first "
                         f"{metrics['nll_examples']} of those images, nats")
        notes += quality_notes(metrics, "samples (pixel means)", dataset=dataset["name"])
        return notes


def likelihood_metrics(model, test, nll_examples, nll_samples):
    """Test negative ELBO (and its two terms) over `test`, and the importance-sampled NLL
    over its first `nll_examples` images (none: left out), in nats."""
    # Fixed generator state: the ELBO's z draws and the NLL's importance samples are the same
    # at every measurement, so a re-measurement of the same weights gives the same numbers.
    model.seed_generator.state.assign(np.array([20_000, 0], model.seed_generator.state.dtype))
    elbo = model.evaluate(test, return_dict=True, verbose=0)
    nll, conditional_nll, seen = [], [], 0
    for images, labels in test.unbatch().batch(50):
        if seen >= nll_examples:
            break
        images, labels = images[: nll_examples - seen], labels[: nll_examples - seen]
        if model.num_classes:  # −log p(x) summed over the classes, and −log p(x | y)
            marginal, conditional = model.marginal_nll(images, labels, samples=nll_samples)
            nll.append(np.asarray(marginal))
            conditional_nll.append(np.asarray(conditional))
        else:
            nll.append(np.asarray(model.importance_sampled_nll(images, samples=nll_samples)))
        seen += len(images)
    metrics = {
        "test_negative_elbo": round(float(elbo["loss"]), 3),
        "test_reconstruction": round(float(elbo["reconstruction"]), 3),
        "test_kl": round(float(elbo["kl"]), 3),
    }
    if seen:
        metrics.update(test_nll=round(float(np.concatenate(nll).mean()), 3), nll_examples=seen, nll_samples=nll_samples)
    if conditional_nll:
        metrics.update(test_conditional_nll=round(float(np.concatenate(conditional_nll).mean()), 3),
                       nll_classes=model.num_classes, nll_other_samples=other_class_samples(nll_samples))
    return metrics


RECIPE = VAERecipe()

if __name__ == "__main__":
    RECIPE.main()
