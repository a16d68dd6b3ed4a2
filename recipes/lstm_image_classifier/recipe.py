"""Train `lstm_image_classifier` on MNIST (or any TFDS dataset of 28×28 grey images).

    zoo train lstm_image_classifier                       # the shipped weights
    zoo train lstm_image_classifier --dataset fashion_mnist --output runs/fashion
    python -m recipes.lstm_image_classifier.recipe --smoke --output /tmp/smoke

55,000 training images (the last 5,000 of TFDS' train split are held out for validation
curves, never for choices made on the test split); the test split is measured once, at the end.
"""

import dataclasses
import json
import time

import keras

import zoo
from zoo import data as zdata
from zoo import training
from zoo.errors import ConfigError, DataError
from zoo.training import option

NAME = "lstm_image_classifier"


@dataclasses.dataclass
class Config(training.RecipeConfig):
    dataset: str = option("mnist", "TFDS image-classification dataset with images of the model's shape")
    epochs: int = option(36, "passes over the training data")
    batch_size: int = option(128, "examples per training step")
    learning_rate: float = option(1e-3, "peak Adam learning rate, reached after a short warm-up, then cosine decay to 0")
    units: int = option(128, "LSTM units per direction")
    num_layers: int = option(1, "stacked LSTM layers")
    bidirectional: bool = option(True, "read rows top-down and bottom-up")
    dropout: float = option(0.25, "dropout on the sequence summary")
    augment_shift: int = option(2, "random shift of training images, in pixels (0: off)")
    validation_examples: int = option(5000, "held out from the end of the train split for validation curves")
    max_train_examples: int = option(0, "use only this many training examples (0: all)")
    max_test_examples: int = option(0, "measure only this many test examples (0: all)")
    download: bool = option(True, "let TFDS download a dataset that is not prepared (off: fail at once, for offline machines)")

    def validate(self):
        super().validate()
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"--dropout must be in [0, 1), got {self.dropout}.")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate must be positive, got {self.learning_rate}.")
        for name in ("units", "num_layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")
        for name in ("augment_shift", "validation_examples", "max_train_examples", "max_test_examples"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be 0 or more, got {getattr(self, name)}.")


# The same recipe shrunk to seconds: for tests and for checking a set-up.
SMOKE = dict(
    epochs=1, batch_size=64, units=16, validation_examples=128,
    max_train_examples=512, max_test_examples=256,
)


@dataclasses.dataclass
class Data:
    train: object  # tf.data.Dataset of (uint8 images, int labels) batches
    validation: object
    test: object
    info: dict  # dataset name, version, split sizes, image shape, class names


def check_dataset(info, name, image_shape):
    """Refuses a dataset the model cannot read, before anything is downloaded."""
    features = info.features
    image = features["image"] if "image" in features else None
    label = features["label"] if "label" in features else None
    if image is None or label is None or not hasattr(label, "num_classes"):
        raise DataError(
            f"Dataset {name!r} has features {sorted(features)}; {NAME} needs an "
            "image-classification dataset with 'image' and 'label' (a ClassLabel)."
        )
    if tuple(image.shape) != tuple(image_shape):
        raise DataError(
            f"Dataset {name!r} has images of shape {tuple(image.shape)}; {NAME} reads "
            f"{image_shape[0]}×{image_shape[1]} images with {image_shape[2]} channel(s). Use a "
            "dataset of that shape (mnist, fashion_mnist, kmnist, emnist) or set image_shape."
        )


def load_data(config, image_shape=(28, 28, 1)):
    """Batched train / validation / test pipelines, after checking the dataset fits the model."""
    builder = zdata.load_builder(
        config.dataset, config.data_dir, download=config.download,
        check=lambda info: check_dataset(info, config.dataset, image_shape),
    )
    for split in ("train", "test"):
        if split not in builder.info.splits:
            raise DataError(f"Dataset {config.dataset!r} has no {split!r} split (it has {sorted(builder.info.splits)}).")
    n_train_split = builder.info.splits["train"].num_examples
    n_val = config.validation_examples
    if n_val >= n_train_split:
        raise ConfigError(f"--validation-examples {n_val} leaves no training data ({n_train_split} in the train split).")
    n_train = n_train_split - n_val
    if config.max_train_examples:
        n_train = min(n_train, config.max_train_examples)
    n_test = builder.info.splits["test"].num_examples
    if config.max_test_examples:
        n_test = min(n_test, config.max_test_examples)

    def split(spec):
        return builder.as_dataset(split=spec, as_supervised=True, shuffle_files=False)

    train = zdata.batched(split(f"train[:{n_train}]"), config.batch_size, shuffle_seed=config.seed)
    validation = zdata.batched(split(f"train[{n_train_split - n_val}:]"), 1000) if n_val else None
    test = zdata.batched(split(f"test[:{n_test}]"), 1000)
    info = {
        "name": builder.info.name,
        "version": str(builder.info.version),
        "train_examples": n_train,
        "validation_examples": n_val,
        "test_examples": n_test,
        "image_shape": list(builder.info.features["image"].shape),
        "class_names": list(builder.info.features["label"].names),
    }
    return Data(train, validation, test, info)


def model_overrides(config, data):
    return dict(
        image_shape=data.info["image_shape"],
        num_classes=len(data.info["class_names"]),
        class_names=data.info["class_names"],
        units=config.units,
        num_layers=config.num_layers,
        bidirectional=config.bidirectional,
        dropout=config.dropout,
        augment_shift=config.augment_shift,
        seed=config.seed,
    )


def optimizer(config, steps_per_epoch):
    total = max(config.epochs * steps_per_epoch, 1)
    warmup = min(300, total // 10)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, total - warmup, warmup_target=config.learning_rate, warmup_steps=warmup
    )
    # Clipping: LSTM gradients spike now and then early in training.
    return keras.optimizers.Adam(schedule, global_clipnorm=1.0)


def evaluate(model, data_dir=None, dataset="mnist", max_examples=0):
    """Test-split metrics of `model`, with the same keys as the model card."""
    config = Config(dataset=dataset, data_dir=data_dir, max_test_examples=max_examples, validation_examples=0)
    test = load_data(config, tuple(model.image_shape)).test
    return _test_metrics(model, test)


def _test_metrics(model, test):
    result = model.evaluate(test, return_dict=True, verbose=0)
    return {"test_accuracy": round(float(result["accuracy"]), 6), "test_loss": round(float(result["loss"]), 6)}


def run(config):
    keras.utils.set_random_seed(config.seed)
    data = load_data(config)
    model = zoo.load(NAME, **model_overrides(config, data))
    model.compile(optimizer=optimizer(config, int(data.train.cardinality())))
    output = config.output_dir(NAME)
    print(f"Training {NAME} on {data.info['name']} ({data.info['train_examples']} examples) → {output}")
    start = time.perf_counter()
    epochs = training.fit(model, data.train, data.validation, config, output)
    metrics = _test_metrics(model, data.test)
    card = training.save_trained(
        model, NAME, output, config=config, epochs=epochs, metrics=metrics, dataset=data.info,
        notes=[f"test metrics over the first {data.info['test_examples']} examples of the test split"],
    )
    print(json.dumps({**metrics, "training_seconds": card["training_seconds"],
                      "wall_seconds": round(time.perf_counter() - start, 1)}, indent=2))
    return card


def main(argv=None):
    return run(training.parse_config(Config, argv, SMOKE, prog=f"zoo train {NAME}", description=__doc__))


if __name__ == "__main__":
    main()
