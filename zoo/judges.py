"""A second judge of generated digits: a small convolutional MNIST classifier, independent of
the shipped `lstm_image_classifier` that the image generators were tuned against.

A generator tuned to please one classifier can score well under it and worse under another,
so the zoo measures sample quality under both: the classifier score and Fréchet distance of
`zoo.metrics` on this judge's logits and penultimate features. Its weights are shipped in
`saved_models/mnist_conv_judge/` (the folder of the shipped models) and made by

    python -m zoo.judges --output saved_models/mnist_conv_judge      # 3 epochs, ≈ 2 min

(two 3×3 convolutions of 32 and 64 filters, each with 2×2 max pooling, a 128-unit dense layer,
10 logits; Adam 1e-3, batch 128, seed 0).
"""

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np

from zoo import atomic
from zoo.errors import ConfigError

NAME = "mnist_conv_judge"  # its folder in the shipped models' folder (`zoo.cards.saved_models_dir()`)
WEIGHTS, CARD = "judge.weights.h5", "judge.json"
IMAGE_SHAPE = (28, 28, 1)


def build():
    """The judge's network: raw uint8 (or float 0–255) pixels in, 10 logits out."""
    inputs = keras.Input(IMAGE_SHAPE, name="images")
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(128, activation="relu", name="features")(x)
    logits = keras.layers.Dense(10, name="logits")(features)
    return keras.Model(inputs, logits, name="mnist_conv_judge")


class ConvJudge:
    """The loaded judge: `features_and_logits(images)` as the lstm_image_classifier's, so either
    can embed images for `zoo.metrics.generated_image_report`."""

    def __init__(self, network, card=None):
        self.network = network
        self.card = card or {}
        self._extractor = keras.Model(network.inputs, [network.get_layer("features").output, network.output])

    def features_and_logits(self, images, batch_size=500):
        images = np.asarray(images)
        if images.shape[1:] != IMAGE_SHAPE:
            raise ConfigError(f"the conv judge reads {IMAGE_SHAPE} images, got shape {images.shape[1:]}.")
        return self._extractor.predict(images.astype("float32"), batch_size=batch_size, verbose=0)

    def accuracy(self, images, labels):
        return float(np.mean(np.argmax(self.features_and_logits(images)[1], axis=1) == np.asarray(labels)))


def shipped_folder():
    from zoo import cards

    return cards.saved_models_dir() / NAME


def load(folder=None):
    """The shipped judge (or the one written to `folder` by `train`)."""
    if folder is None:
        from zoo import weights

        weights.verify(NAME)  # the shipped judge's files, against the package's manifest
    folder = Path(folder or shipped_folder())
    if not (folder / WEIGHTS).exists():
        raise FileNotFoundError(f"No conv judge in {folder}: make one with python -m zoo.judges --output {folder}")
    network = build()
    network.load_weights(folder / WEIGHTS)
    return ConvJudge(network, json.loads((folder / CARD).read_text()))


def train(output, *, data_dir=None, epochs=3, seed=0, batch_size=128, max_train_examples=0):
    """Trains the judge on MNIST's train split and writes its weights and card (test accuracy,
    how it was made) to `output`, atomically. Returns the card."""
    from zoo.data.images import image_classification_splits

    splits = image_classification_splits("mnist", IMAGE_SHAPE, model_name="mnist_conv_judge", data_dir=data_dir,
                                         max_train_examples=max_train_examples)
    train_split = splits["train"].shuffle(60_000, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    keras.utils.set_random_seed(seed)
    network = build()
    network.compile(optimizer=keras.optimizers.Adam(1e-3),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    started = time.perf_counter()
    network.fit(train_split, epochs=epochs, verbose=2)
    seconds = time.perf_counter() - started
    images, labels = next(iter(splits["test"].batch(10_000)))
    judge = ConvJudge(network)
    card = {"test_accuracy": round(judge.accuracy(images.numpy(), labels.numpy()), 4), "test_examples": len(labels),
            "epochs": epochs, "seed": seed, "batch_size": batch_size, "training_seconds": round(seconds, 1),
            "train_examples": splits["info"]["train_examples"], "parameters": int(network.count_params()),
            "command": f"python -m zoo.judges --output {_shown(output)} --epochs {epochs} --seed {seed}"}
    output = Path(output)
    with atomic.atomic_path(output) as tmp:
        Path(tmp).mkdir()
        network.save_weights(Path(tmp) / WEIGHTS)
        (Path(tmp) / CARD).write_text(json.dumps(card, indent=2) + "\n")
    return card


def _shown(path):
    """`path` relative to the working folder when it is inside it, as a command line gives it."""
    path = Path(path).resolve()
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m zoo.judges", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default=None, help="default: the shipped judge's folder")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="TFDS data folder (default: TFDS_DATA_DIR or ~/...)")
    args = parser.parse_args(argv)
    card = train(args.output or shipped_folder(), data_dir=args.data_dir, epochs=args.epochs, seed=args.seed)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
