"""Train `cnn_lstm_image_classifier` on MNIST with `lstm_image_classifier`'s recipe: the same data,
epochs, optimizer and augmentation, so the two readers compare at the same budget.

    zoo train cnn_lstm_image_classifier              # the shipped weights
    python -m recipes.cnn_lstm_image_classifier.recipe --smoke --output /tmp/smoke
"""

from recipes.lstm_image_classifier.recipe import LSTMImageClassifierRecipe


class CNNLSTMImageClassifierRecipe(LSTMImageClassifierRecipe):
    name = "cnn_lstm_image_classifier"
    answers = ("Does a CNN that turns the image into feature columns help the LSTM that reads them, against the "
               "LSTM reading the pixels' rows at the same budget?")


RECIPE = CNNLSTMImageClassifierRecipe()

if __name__ == "__main__":
    RECIPE.main()
