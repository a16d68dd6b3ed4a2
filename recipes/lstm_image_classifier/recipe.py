"""Train `lstm_image_classifier` on MNIST (or any TFDS dataset of 28×28 grey images).

    zoo train lstm_image_classifier                       # the shipped weights
    zoo train lstm_image_classifier --dataset fashion_mnist --output runs/fashion
    python -m recipes.lstm_image_classifier.recipe --smoke --output /tmp/smoke

55,000 training images (the last 5,000 of TFDS' train split are held out for validation
curves, never for choices made on the test split); the test split is measured once, at the end.
"""

import dataclasses
import keras

import zoo
from zoo import data as zdata
from zoo import training
from zoo.errors import ConfigError
from zoo.training import option

NAME = "lstm_image_classifier"


@dataclasses.dataclass
class Config(training.ImageDataConfig):
    epochs: int = option(36, "passes over the training data")
    batch_size: int = option(128, "examples per training step")
    learning_rate: float = option(1e-3, "peak Adam learning rate, reached after a short warm-up, then cosine decay to 0")
    units: int = option(128, "LSTM units per direction")
    num_layers: int = option(1, "stacked LSTM layers")
    bidirectional: bool = option(True, "read rows top-down and bottom-up")
    dropout: float = option(0.25, "dropout on the sequence summary")
    augment_shift: int = option(2, "random shift of training images, in pixels (0: off)")

    def validate(self):
        super().validate()
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"--dropout must be in [0, 1), got {self.dropout}.")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning-rate must be positive, got {self.learning_rate}.")
        for name in ("units", "num_layers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}.")
        if self.augment_shift < 0:
            raise ConfigError(f"--augment-shift must be 0 or more, got {self.augment_shift}.")


# The same recipe shrunk to seconds: for tests and for checking a set-up.
SMOKE = dict(
    epochs=1, batch_size=64, units=16, validation_examples=128,
    max_train_examples=512, max_test_examples=256,
)


def load_data(config, image_shape=(28, 28, 1)):
    """Batched train / validation / test pipelines, after checking the dataset fits the model."""
    splits = config.image_splits(image_shape, NAME)
    return zdata.ImageSplits(
        train=zdata.batched(splits.train, config.batch_size, shuffle_seed=config.seed),
        validation=zdata.batched(splits.validation, 1000) if splits.validation else None,
        test=zdata.batched(splits.test, 1000),
        info=splits.info,
    )


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


def evaluate(model, data_dir=None, dataset="mnist", max_examples=0):
    """Test-split metrics of `model`, with the same keys as the model card."""
    config = Config(dataset=dataset, data_dir=data_dir, max_test_examples=max_examples, validation_examples=0)
    test = load_data(config, tuple(model.image_shape)).test
    return _test_metrics(model, test)


def _test_metrics(model, test):
    result = model.evaluate(test, return_dict=True, verbose=0)
    return {"test_accuracy": round(float(result["accuracy"]), 6), "test_loss": round(float(result["loss"]), 6)}


def run(config):
    strategy = training.distribution(config)
    keras.utils.set_random_seed(config.seed)
    data = load_data(config)
    with strategy.scope():
        model = zoo.load(NAME, **model_overrides(config, data))
        # Clipping: LSTM gradients spike now and then early in training.
        model.compile(optimizer=training.adam_cosine(
            config.learning_rate, config.epochs, int(data.train.cardinality()), clipnorm=1.0))
    output = config.output_dir(NAME)
    print(f"Training {NAME} on {data.info['name']} ({data.info['train_examples']} examples) → {output}")
    epochs = training.fit(model, data.train, data.validation, config, output)
    metrics = _test_metrics(model, data.test)
    card = training.save_trained(
        model, NAME, output, config=config, epochs=epochs, metrics=metrics, dataset=data.info,
        notes=[f"test metrics over the first {data.info['test_examples']} examples of the test split"],
    )
    return card


def main(argv=None):
    return run(training.parse_config(Config, argv, SMOKE, prog=f"zoo train {NAME}", description=__doc__))


if __name__ == "__main__":
    main()
