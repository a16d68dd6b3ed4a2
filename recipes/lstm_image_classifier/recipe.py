"""Train `lstm_image_classifier` on MNIST (or any TFDS dataset of 28×28 grey images).

    zoo train lstm_image_classifier                       # the shipped weights
    zoo train lstm_image_classifier --dataset fashion_mnist --output runs/fashion
    python -m recipes.lstm_image_classifier.recipe --smoke --output /tmp/smoke

55,000 training images (the last 5,000 of TFDS' train split are held out for validation
curves, never for choices made on the test split); the test split is measured once, at the end.
"""

import dataclasses

from zoo.config import option
from zoo.recipe import ImageRecipe, ImageSettings, Results, classification_metrics


@dataclasses.dataclass
class Settings(ImageSettings):
    epochs: int = option(36, "passes over the training data")


class LSTMImageClassifierRecipe(ImageRecipe):
    name = "lstm_image_classifier"
    answers = "Can an LSTM, which reads sequences, classify an image read as a sequence of its rows?"
    Settings = Settings
    model_defaults = dict(augment_shift=2)
    derived_fields = ("image_shape", "num_classes", "class_names")
    smoke = dict(epochs=1, batch_size=64, units=16, validation_examples=128, max_train_examples=512,
                 max_test_examples=256)

    def measure(self, model, config, data):
        return Results(classification_metrics(model, data.test))

    def evaluate(self, model, settings):
        return classification_metrics(model, self.test_images(model, settings))

    def notes(self, metrics, dataset):
        return [f"test metrics over the first {dataset['test_examples']} examples of the test split"]


RECIPE = LSTMImageClassifierRecipe()

if __name__ == "__main__":
    RECIPE.main()
