"""Train `lstm_image_classifier` on MNIST (or any TFDS dataset of 28×28 grey images).

    zoo train lstm_image_classifier                       # the shipped weights
    zoo train lstm_image_classifier --dataset fashion_mnist --output runs/fashion
    python -m recipes.lstm_image_classifier.recipe --smoke --output /tmp/smoke

55,000 training images (the last 5,000 of TFDS' train split are held out for validation
curves, never for choices made on the test split); the test split is measured once, at the end.
"""

import dataclasses

from zoo.config import option, positive
from zoo.data.images import image_splits
from zoo.recipe import ImageSettings, Recipe
from zoo.training import adam_cosine


@dataclasses.dataclass
class Settings(ImageSettings):
    epochs: int = option(36, "passes over the training data")
    learning_rate: float = option(1e-3, "peak Adam learning rate, reached after a short warm-up, then cosine "
                                        "decay to 0", positive)


class LSTMImageClassifierRecipe(Recipe):
    name = "lstm_image_classifier"
    Settings = Settings
    model_defaults = dict(augment_shift=2)
    derived_fields = ("image_shape", "num_classes", "class_names")
    smoke = dict(epochs=1, batch_size=64, units=16, validation_examples=128, max_train_examples=512,
                 max_test_examples=256)

    def load_data(self, config):
        return image_splits(config.dataset, config.image_shape, model_name=self.name, batch_size=config.batch_size,
                            seed=config.seed, data_dir=config.data_dir, download=config.download,
                            validation_examples=config.validation_examples, need_classes=True,
                            max_train_examples=config.max_train_examples, max_test_examples=config.max_test_examples)

    def derived(self, config, data):
        return dict(image_shape=data.info["image_shape"], num_classes=len(data.info["class_names"]),
                    class_names=data.info["class_names"])

    def compile(self, model, config, data):
        # Clipping: LSTM gradients spike now and then early in training.
        model.compile(optimizer=adam_cosine(config.learning_rate, config.epochs, data.train.steps, clipnorm=1.0))

    def measure(self, model, config, data):
        return test_metrics(model, data.test)

    def evaluate(self, model, settings):
        data = image_splits(settings.dataset or "mnist", tuple(model.image_shape), model_name=self.name,
                            batch_size=1, seed=0, data_dir=settings.data_dir, max_test_examples=settings.max_examples)
        return test_metrics(model, data.test)

    def notes(self, metrics, dataset):
        return [f"test metrics over the first {dataset['test_examples']} examples of the test split"]


def test_metrics(model, test):
    """Accuracy and mean cross-entropy over the test batches, with the card's keys."""
    result = model.evaluate(test, return_dict=True, verbose=0)
    return {"test_accuracy": round(float(result["accuracy"]), 6), "test_loss": round(float(result["loss"]), 6)}


RECIPE = LSTMImageClassifierRecipe()

if __name__ == "__main__":
    RECIPE.main()
