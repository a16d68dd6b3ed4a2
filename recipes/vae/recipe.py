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
import keras
import numpy as np
import tensorflow as tf

import zoo
from zoo import data as zdata
from zoo import training
from zoo.errors import ConfigError
from zoo.training import option

NAME = "vae"


@dataclasses.dataclass
class Config(training.ImageDataConfig):
    epochs: int = option(40, "passes over the training data")
    batch_size: int = option(128, "examples per training step")
    learning_rate: float = option(1e-3, "peak Adam learning rate (warm-up, then cosine decay to 0)")
    latent_dim: int = option(32, "size of the latent code (2: also draw the decoded manifold)")
    width: int = option(32, "filters of the first convolution")
    validation_examples: int = option(2000, "held out from the end of the train split for validation curves")
    nll_examples: int = option(1000, "test images for the importance-sampled NLL")
    nll_samples: int = option(1000, "importance samples k per image for the NLL")
    quality_samples: int = option(10_000, "generated images for the classifier score and Fréchet distance")

    def validate(self):
        super().validate()
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate must be positive, got {self.learning_rate}.")
        for name in ("latent_dim", "width", "nll_examples", "nll_samples", "quality_samples"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")


SMOKE = dict(
    epochs=1, batch_size=64, latent_dim=4, width=8, validation_examples=128,
    max_train_examples=512, max_test_examples=256, nll_examples=16, nll_samples=20,
    quality_samples=64,
)


def binarized_once(ds, seed):
    """Each image binarised with its own stateless draw (seed, index): the same binary images
    whatever the batching, run or machine."""
    def binarize(index, example):
        image, label = example
        u = tf.random.stateless_uniform(tf.shape(image), seed=tf.stack([tf.cast(seed, tf.int64), index]))
        return tf.cast(u < tf.cast(image, tf.float32) / 255.0, tf.uint8) * 255, label

    return ds.enumerate().map(binarize, num_parallel_calls=zdata.AUTOTUNE)


def load_data(config, image_shape=(28, 28, 1)):
    """Training batches of raw images (labels unused); validation and test binarised once."""
    splits = config.image_splits(image_shape, NAME)
    return zdata.ImageSplits(
        train=zdata.batched(splits.train, config.batch_size, shuffle_seed=config.seed),
        validation=zdata.batched(binarized_once(splits.validation, 1), 1000) if splits.validation else None,
        test=zdata.batched(binarized_once(splits.test, 0), 500),
        info=splits.info,
    )


def model_overrides(config, data):
    return dict(image_shape=data.info["image_shape"], latent_dim=config.latent_dim,
                width=config.width, seed=config.seed)


def evaluate(model, data_dir=None, dataset="mnist", max_examples=0, nll_examples=1000, nll_samples=1000,
             quality_samples=10_000):
    """Test negative ELBO and importance-sampled NLL in nats, and the quality of generated
    images under the zoo's MNIST classifier, with the model card's keys."""
    config = Config(dataset=dataset, data_dir=data_dir, max_test_examples=max_examples, validation_examples=0,
                    quality_samples=quality_samples)
    data = load_data(config, tuple(model.image_shape))
    return {**_test_metrics(model, data.test, nll_examples, nll_samples), **_quality_metrics(model, config)}


def _quality_metrics(model, config):
    return training.generated_image_quality(model, config, NAME)


def _test_metrics(model, test, nll_examples, nll_samples):
    # Fixed generator state: the ELBO's z draws and the NLL's importance samples are the same
    # at every measurement, so a re-measurement of the same weights gives the same numbers.
    model.seed_generator.state.assign(np.array([20_000, 0], model.seed_generator.state.dtype))
    elbo = model.evaluate(test, return_dict=True, verbose=0)
    nll, seen = [], 0
    for images, _ in test.unbatch().batch(50):
        if seen >= nll_examples:
            break
        images = images[: nll_examples - seen]
        nll.append(np.asarray(model.importance_sampled_nll(images, samples=nll_samples)))
        seen += len(images)
    return {
        "test_negative_elbo": round(float(elbo["loss"]), 3),
        "test_reconstruction": round(float(elbo["reconstruction"]), 3),
        "test_kl": round(float(elbo["kl"]), 3),
        "test_nll": round(float(np.concatenate(nll).mean()), 3),
        "nll_examples": seen,
        "nll_samples": nll_samples,
    }


def card_notes(measured, dataset):
    return [
        f"test_negative_elbo: all {dataset['test_examples']} test images, binarised once (seed 0), nats",
        f"test_nll: importance-sampled with k={measured['nll_samples']} over the first "
        f"{measured['nll_examples']} of those images, nats",
        f"classifier_score / frechet_distance: {measured['quality_samples']} samples (pixel means, seed "
        "12345) on the features and logits of the shipped lstm_image_classifier; the _real score is "
        "of as many real test images, the _floor distance between as many real train and test images",
    ]


def save_pictures(model, data, output, fixed_noise):
    """Samples, test reconstructions beside their inputs, and (for a 2-D latent) the manifold."""
    training.save_image_grid(model.decode(fixed_noise), output / "samples.png", title="samples from N(0, I)")
    images = next(iter(data.test.unbatch().batch(10)))[0]
    pairs = np.concatenate([np.asarray(images, np.float32) / 255.0, np.asarray(model.reconstruct(images))])
    training.save_image_grid(pairs, output / "reconstructions.png", title="test images (top) and reconstructions")
    files = {"samples": "samples.png", "reconstructions": "reconstructions.png"}
    if model.latent_dim == 2:
        grid = np.linspace(-2.5, 2.5, 15, dtype="float32")
        z = np.array([[x, -y] for y in grid for x in grid], "float32")
        training.save_image_grid(model.decode(z), output / "manifold.png", columns=15, title="decoded latent grid")
        files["manifold"] = "manifold.png"
    return files


def run(config):
    strategy = training.distribution(config)
    keras.utils.set_random_seed(config.seed)
    data = load_data(config)
    with strategy.scope():
        model = zoo.load(NAME, **model_overrides(config, data))
        model.compile(optimizer=training.adam_cosine(config.learning_rate, config.epochs,
                                                     int(data.train.cardinality())))
    output = config.output_dir(NAME)
    fixed_noise = np.random.default_rng(config.seed).normal(size=(100, config.latent_dim)).astype("float32")
    print(f"Training {NAME} on {data.info['name']} ({data.info['train_examples']} examples) → {output}")
    samples = training.SampleGrid(output / "samples", lambda m: m.decode(fixed_noise))
    epochs = training.fit(model, data.train, data.validation, config, output, callbacks=[samples])
    measured = {**_test_metrics(model, data.test, config.nll_examples, config.nll_samples),
                **_quality_metrics(model, config)}
    files = save_pictures(model, data, output, fixed_noise)
    card = training.save_trained(
        model, NAME, output, config=config, epochs=epochs, metrics=measured, dataset=data.info,
        extra_files=files, notes=card_notes(measured, data.info),
    )
    return card


def main(argv=None):
    return run(training.parse_config(Config, argv, SMOKE, prog=f"zoo train {NAME}", description=__doc__))


if __name__ == "__main__":
    main()
